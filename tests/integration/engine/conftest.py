"""Fixtures for the engine suite: a busybox root file system (Debian's
busybox-static), and a `wharf` with a private --root/--runroot that is
emptied afterwards: every container removed, and then no overlay mount,
cgroup, runtime state or monitor process of this run may be left."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time

import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engutil import Wharf, cgroup_dirs, leftovers, links  # noqa: E402

from wharfutil import bin_path

BUSYBOX = "/bin/busybox"


@pytest.fixture(scope="session")
def rootfs(tmp_path_factory):
    """A minimal image as a directory: busybox and its applets, passwd and
    group with root and nobody (65534), and an executable-less file."""
    d = tmp_path_factory.mktemp("rootfs")
    os.makedirs(d / "bin")
    os.makedirs(d / "etc")
    os.makedirs(d / "tmp")
    shutil.copy(BUSYBOX, d / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        if not (d / "bin" / a).exists():
            os.symlink("busybox", d / "bin" / a)
    (d / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                      "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"
                                      "app:x:1000:1000:app:/home/app:/bin/sh\n")
    (d / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\napp:x:1000:\n"
                                     "extra:x:2000:app\n")
    (d / "etc" / "data.txt").write_text("from the image\n")
    (d / "noexec").write_text("#!/bin/sh\necho no\n")
    os.chmod(d / "noexec", 0o644)
    return str(d)


@pytest.fixture
def wharf(rootfs):
    # The runroot holds unix sockets (108-byte path limit): keep it short.
    runroot = tempfile.mkdtemp(prefix="wr-", dir="/tmp")
    root = tempfile.mkdtemp(prefix="wharf-root-", dir="/tmp")
    # A bridge, subnet and nftables table of this test's own: never the
    # developer's wharf0 or table "wharf".
    tag = os.urandom(3).hex()
    r = os.urandom(2)
    w = Wharf(root, runroot, rootfs, bridge=f"wt{tag}", subnet=f"10.{200 + r[0] % 50}.{r[1]}.0/24",
              table=f"wt_{tag}")
    yield w
    ids = [r[0] for r in w.rows()]
    monitors = [r[3] for r in w.rows() if r[3]]
    for cid in ids:
        w("rm", "-f", cid, check=False)
    left = leftovers(w, ids)
    # Clean up by hand whatever the engine did not, then fail the test.
    for pid in monitors:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for cid in ids:
        subprocess.run(["runc", "--root", os.path.join(runroot, "runtime"), "delete",
                        "--force", cid], capture_output=True)
    for m in reversed(w.mounts()):
        subprocess.run(["umount", "-l", m], capture_output=True)
    for cid in ids:
        for p in cgroup_dirs(cid):
            try:
                os.rmdir(p)
            except OSError:
                pass
    bridges = w.bridges()
    for br in bridges:
        if br in links():
            subprocess.run(["ip", "link", "del", br], capture_output=True)
    subprocess.run(["nft", "delete", "table", "ip", w.table], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(runroot, ignore_errors=True)
    assert left == [], f"left behind: {left}"


