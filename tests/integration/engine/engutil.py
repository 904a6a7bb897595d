"""Helpers for the engine suite: a `wharf` wrapper with a private state,
and what a container may leave on the host."""
import json
import os
import sqlite3
import subprocess
import time

from wharfutil import bin_path


class Wharf:
    def __init__(self, root, runroot, rootfs, bridge, subnet, table):
        self.root, self.runroot, self.rootfs = root, runroot, rootfs
        self.bridge, self.subnet, self.table = bridge, subnet, table

    def cmd(self, *args):
        return [bin_path("wharf"), "--root", self.root, "--runroot", self.runroot,
                "--bridge", self.bridge, "--bridge-subnet", self.subnet,
                "--nft-table", self.table, *[str(a) for a in args]]

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

    def bridges(self):
        db = os.path.join(self.root, "engine.db")
        names = {self.bridge}
        if os.path.exists(db):
            with sqlite3.connect(db) as c:
                names |= {r[0] for r in c.execute("SELECT bridge FROM networks")}
        return names

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


def links():
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    return [l.split(":")[1].strip().split("@")[0] for l in out.splitlines()]


def nft_table(table):
    p = subprocess.run(["nft", "list", "table", "ip", table], capture_output=True, text=True)
    return p.stdout if p.returncode == 0 else None


def leftovers(w, ids):
    """What containers `ids` still hold on the host."""
    left = []
    left += w.mounts()
    present = links()
    for cid in ids:
        if "wh" + cid[:12] in present:
            left.append("veth wh" + cid[:12])
    t = nft_table(w.table)
    if t and "elements = {" in t.split("set masq")[0]:
        left.append("published ports in nft table " + w.table)
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


def run_in_pty(argv):
    """Run argv with a pty as its terminal; (exit status, output)."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out = b""
    while True:
        try:
            b = os.read(fd, 4096)
        except OSError:
            break
        if not b:
            break
        out += b
    _, st = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(st), out.decode(errors="replace")
