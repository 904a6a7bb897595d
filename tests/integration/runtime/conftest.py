"""Fixtures for the wharf-runtime suites: busybox bundles and a runtime
handle whose containers are deleted (and whose cgroups are checked gone)
at the end of each test, even when it fails.

Every container id carries a token unique to the test run (rtutil), so
cgroups, state directories and mounts never collide with another run's."""
import json
import os
import shutil
import subprocess
import sys

import pytest

# pytest.ini puts only tests/integration on the path (import-mode
# importlib): make this suite's helper module importable as `rtutil`
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rtutil import BUSYBOX, Bundle, Runtime, _applets
from wharfutil import bin_path


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory):
    """A busybox-static root file system, made once per session."""
    if not os.path.exists(BUSYBOX):
        pytest.fail("busybox-static is not installed (scripts/install-deps.sh)")
    root = tmp_path_factory.mktemp("rootfs-template") / "rootfs"
    for d in ("bin", "proc", "sys", "dev", "etc", "tmp", "root", "data"):
        (root / d).mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for a in _applets():
        p = root / "bin" / a
        if not p.exists():
            os.symlink("busybox", p)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    return root


@pytest.fixture
def make_bundle(tmp_path, rootfs_template):
    """make_bundle(script=None) → a Bundle with a copy of the busybox root
    and the runtime's default config (terminal off, writable root)."""
    n = [0]

    def make(script=None):
        n[0] += 1
        path = tmp_path / f"bundle{n[0]}"
        path.mkdir()
        shutil.copytree(rootfs_template, path / "rootfs", symlinks=True)
        subprocess.run([bin_path("wharf-runtime"), "spec", "--bundle", str(path)], check=True)
        with open(path / "config.json") as f:
            cfg = json.load(f)
        cfg["process"]["terminal"] = False
        cfg["root"]["readonly"] = False
        b = Bundle(path, cfg)
        if script is not None:
            b.sh(script)
        return b.save()

    return make


@pytest.fixture
def rt(tmp_path):
    r = Runtime(tmp_path / "state")
    yield r
    leftovers = r.cleanup()
    assert not leftovers, f"cgroups left behind: {leftovers}"


