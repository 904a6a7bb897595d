"""Helpers for the wharf-runtime suites (imported as `rtutil`): bundles,
a runtime handle with a private --root, cgroup paths."""
import json
import os
import subprocess
import uuid

from wharfutil import bin_path

BUSYBOX = "/bin/busybox"
RUN_TOKEN = uuid.uuid4().hex[:8]
CG_V1 = "/sys/fs/cgroup"


def _applets():
    out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    return [a for a in out.stdout.split() if a != "busybox"]


class Bundle:
    def __init__(self, path, config):
        self.path = str(path)
        self.config = config

    @property
    def rootfs(self):
        return os.path.join(self.path, "rootfs")

    def save(self):
        with open(os.path.join(self.path, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)
        return self

    def args(self, *argv):
        self.config["process"]["args"] = list(argv)
        return self.save()

    def sh(self, script):
        return self.args("sh", "-c", script)


class Runtime:
    """wharf-runtime with a private --root; remembers the ids it made."""

    def __init__(self, root, binary=None):
        self.root = str(root)
        self.binary = binary or bin_path("wharf-runtime")
        self.ids = []
        self.n = 0

    def new_id(self, name="c"):
        self.n += 1
        cid = f"wrt-{RUN_TOKEN}-{name}{self.n}"
        self.ids.append(cid)
        return cid

    def cmd(self, *args, check=True, input=None, timeout=60, extra_global=()):
        r = subprocess.run([self.binary, "--root", self.root, *extra_global, *args],
                           capture_output=True, text=True, input=input, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"wharf-runtime {' '.join(args)} -> {r.returncode}\n"
                                 f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def run(self, bundle, cid=None, args=(), timeout=60):
        cid = cid or self.new_id()
        return self.cmd("run", "--bundle", bundle.path, *args, cid, check=False,
                        timeout=timeout)

    def create(self, bundle, cid=None, args=(), check=True):
        """create; init keeps its stdio, so it gets files (<id>.out and
        <id>.err in the bundle), never our pipes."""
        cid = cid or self.new_id()
        out_path = os.path.join(bundle.path, f"{cid}.out")
        err_path = os.path.join(bundle.path, f"{cid}.err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            r = subprocess.run([self.binary, "--root", self.root, "create", "--bundle",
                                bundle.path, *args, cid], stdout=out, stderr=err,
                               stdin=subprocess.DEVNULL, timeout=60)
        with open(err_path) as f:
            r.stderr = f.read()
        if check and r.returncode != 0:
            raise AssertionError(f"create {cid} -> {r.returncode}: {r.stderr}")
        return cid if check else r

    def output(self, bundle, cid):
        with open(os.path.join(bundle.path, f"{cid}.out")) as f:
            return f.read()

    def state(self, cid):
        return json.loads(self.cmd("state", cid).stdout)

    def cleanup(self):
        for cid in self.ids:
            subprocess.run([self.binary, "--root", self.root, "delete", "--force", cid],
                           capture_output=True, timeout=60)
        leftovers = []
        for cid in self.ids:
            for ctl in ("memory", "pids", "cpu", "freezer", "devices", "blkio", "cpuset",
                        "cpuacct", "unified"):
                d = os.path.join(CG_V1, ctl, cid)
                if os.path.isdir(d):
                    leftovers.append(d)
                    try:
                        os.rmdir(d)
                    except OSError:
                        pass
        return leftovers


def cgroup_dir(ctl, cid):
    return os.path.join(CG_V1, ctl, cid)


def read(path):
    with open(path) as f:
        return f.read().strip()
