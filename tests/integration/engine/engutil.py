"""Helpers for the engine suite: a `wharf` wrapper with a private state,
and what a container may leave on the host."""
import json
import os
import sqlite3
import subprocess
import time

from wharfutil import bin_path


class Wharf:
    def __init__(self, root, runroot, rootfs):
        self.root, self.runroot, self.rootfs = root, runroot, rootfs

    def cmd(self, *args):
        return [bin_path("wharf"), "--root", self.root, "--runroot", self.runroot,
                *[str(a) for a in args]]

    def __call__(self, *args, check=True, input=None, timeout=60):
        p = subprocess.run(self.cmd(*args), capture_output=True, text=True, input=input,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"wharf {' '.join(map(str, args))} exited {p.returncode}:\n"
                                 f"{p.stdout}\n{p.stderr}")
        return p

    def run(self, *args, **kw):
        """`wharf run --network none --rootfs ROOTFS ARGS`."""
        return self("run", "--network", "none", "--rootfs", self.rootfs, *args, **kw)

    def inspect(self, ref):
        return json.loads(self("inspect", ref).stdout)[0]

    def rows(self):
        db = os.path.join(self.root, "engine.db")
        if not os.path.exists(db):
            return []
        with sqlite3.connect(db) as c:
            return c.execute("SELECT id, name, state, owner_pid FROM containers").fetchall()

    def mounts(self):
        with open("/proc/self/mountinfo") as f:
            return [l.split()[4] for l in f if self.root in l or self.runroot in l]


def cgroup_dirs(cid):
    out = []
    for ctl in ("memory", "pids", "cpu", "cpuacct", "devices", "freezer", "blkio"):
        p = f"/sys/fs/cgroup/{ctl}/wharf/{cid}"
        if os.path.exists(p):
            out.append(p)
    return out


def leftovers(w, ids):
    """What containers `ids` still hold on the host."""
    left = []
    left += w.mounts()
    for cid in ids:
        left += cgroup_dirs(cid)
        if os.path.exists(os.path.join(w.runroot, "runtime", cid)):
            left.append("runtime state " + cid)
    return left


def wait_until(pred, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
