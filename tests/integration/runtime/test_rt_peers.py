"""podman and containerd drive wharf-runtime through runc's command line:
podman run (also -t, -d + exec + stop, --memory, --pids-limit) and
ctr run with the runc v2 shim, each with private state that is removed
afterwards."""
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from rtutil import RUN_TOKEN
from wharfutil import bin_path, wait_for

pytestmark = pytest.mark.slow
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096", "--network", "none"]


@pytest.fixture(scope="module")
def image_tar(tmp_path_factory, rootfs_template):
    d = tmp_path_factory.mktemp("img")
    tar = d / "rootfs.tar"
    subprocess.run(["tar", "-C", str(rootfs_template), "-cf", str(tar), "."], check=True)
    return tar


class Podman:
    def __init__(self, base, runtime):
        self.base = base
        self.args = ["podman", "--root", str(base / "root"), "--runroot", str(base / "run"),
                     "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                     "--runtime", runtime]

    def __call__(self, *a, check=True, timeout=120, **kw):
        r = subprocess.run(self.args + list(a), capture_output=True, text=True,
                           timeout=timeout, **kw)
        if check and r.returncode != 0:
            raise AssertionError(f"podman {' '.join(a)} -> {r.returncode}: {r.stderr}")
        return r


@pytest.fixture
def podman(tmp_path, image_tar):
    if not shutil.which("podman"):
        pytest.skip("podman not installed")
    # podman refuses a runroot longer than 50 characters: a short dir
    base = tempfile.mkdtemp(prefix=f"wrt-{RUN_TOKEN}-", dir="/tmp")
    p = Podman(pathlib.Path(base), os.path.abspath(bin_path("wharf-runtime")))
    try:
        p("import", str(image_tar), f"localhost/wrt-bb:{RUN_TOKEN}")
        yield p
    finally:
        p("rm", "-a", "-f", "-t", "0", check=False)
        p("system", "reset", "-f", check=False)
        subprocess.run(["umount", "-R", base], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_podman_run_rm(podman):
    r = podman("run", "--rm", *ULIMITS, f"localhost/wrt-bb:{RUN_TOKEN}",
               "sh", "-c", "echo hi from podman; id -u; hostname")
    assert "hi from podman" in r.stdout and "\n0\n" in r.stdout
    r = podman("run", "--rm", *ULIMITS, f"localhost/wrt-bb:{RUN_TOKEN}", "sh", "-c", "exit 9",
               check=False)
    assert r.returncode == 9


def test_podman_tty(podman):
    cmd = " ".join(podman.args + ["run", "--rm", "-t", *ULIMITS, f"localhost/wrt-bb:{RUN_TOKEN}",
                                  "sh", "-c", "'tty; echo tty-ok'"])
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True,
                       timeout=120)
    assert "/dev/pts/" in r.stdout and "tty-ok" in r.stdout, r.stdout + r.stderr


def test_podman_detach_exec_stop_with_limits(podman):
    name = f"wrt-{RUN_TOKEN}-pm"
    podman("run", "-d", *ULIMITS, "--memory", "64m", "--pids-limit", "20", "--name", name,
           f"localhost/wrt-bb:{RUN_TOKEN}", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done")
    r = podman("exec", name, "sh", "-c",
               "echo exec-ok; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max")
    assert r.stdout.split() == ["exec-ok", str(64 << 20), "20"]
    r = podman("inspect", "--format", "{{.State.Status}}", name)
    assert r.stdout.strip() == "running"
    podman("stop", "-t", "10", name)
    r = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name)
    assert r.stdout.split() == ["exited", "0"]
    podman("rm", name)


@pytest.fixture
def containerd(tmp_path, image_tar, podman):
    if not shutil.which("containerd") or not shutil.which("ctr"):
        pytest.skip("containerd not installed")
    d = tmp_path / "ctd"
    d.mkdir()
    sock = d / "c.sock"
    (d / "config.toml").write_text(f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
""")
    log = open(d / "log", "w")
    proc = subprocess.Popen(["containerd", "--config", str(d / "config.toml")],
                            stdout=log, stderr=log)
    ctr = ["ctr", "-a", str(sock), "-n", f"wrt{RUN_TOKEN}"]
    try:
        wait_for(lambda: subprocess.run(ctr + ["version"], capture_output=True).returncode == 0,
                 timeout=30, what="containerd")
        img = d / "img.tar"
        podman("save", "-o", str(img), f"localhost/wrt-bb:{RUN_TOKEN}")
        subprocess.run(ctr + ["images", "import", str(img)], check=True, capture_output=True)
        yield ctr
    finally:
        out = subprocess.run(ctr + ["tasks", "ls", "-q"], capture_output=True, text=True)
        for t in out.stdout.split():
            subprocess.run(ctr + ["tasks", "kill", "-s", "SIGKILL", t], capture_output=True)
            time.sleep(0.3)
            subprocess.run(ctr + ["tasks", "rm", "-f", t], capture_output=True)
        out = subprocess.run(ctr + ["containers", "ls", "-q"], capture_output=True, text=True)
        for c in out.stdout.split():
            subprocess.run(ctr + ["containers", "rm", c], capture_output=True)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
        # shims outlive containerd: stop the ones under our state dir
        ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        for line in ps.splitlines():
            if "containerd-shim" in line and str(sock) in line:
                os.kill(int(line.split()[0]), signal.SIGKILL)
        subprocess.run(["umount", "-R", str(d / "state")], capture_output=True)
        # containerd puts a namespace's containers under /<namespace>
        for ctl in os.listdir("/sys/fs/cgroup"):
            nsdir = f"/sys/fs/cgroup/{ctl}/wrt{RUN_TOKEN}"
            if os.path.isdir(nsdir):
                try:
                    os.rmdir(nsdir)
                except OSError:
                    pass


def test_containerd_run_exec_kill(containerd):
    rt = os.path.abspath(bin_path("wharf-runtime"))
    ctr = containerd
    name = f"wrt-{RUN_TOKEN}-ctr"
    base = ["--runtime", "io.containerd.runc.v2", "--runc-binary", rt]
    r = subprocess.run(ctr + ["run", "--rm", *base, f"localhost/wrt-bb:{RUN_TOKEN}", name + "a",
                              "sh", "-c", "echo hi from containerd; exit 4"],
                       capture_output=True, text=True, timeout=120)
    assert "hi from containerd" in r.stdout and r.returncode == 4, r.stderr
    r = subprocess.run(ctr + ["run", "-d", "--memory-limit", str(64 << 20), *base,
                              f"localhost/wrt-bb:{RUN_TOKEN}", name, "sleep", "1000"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(ctr + ["tasks", "exec", "--exec-id", "e1", name, "sh", "-c", "echo exec-ok"],
                       capture_output=True, text=True, timeout=60)
    assert "exec-ok" in r.stdout, r.stderr
    ns = f"wrt{RUN_TOKEN}"
    mem = f"/sys/fs/cgroup/memory/{ns}/{name}/memory.limit_in_bytes"
    with open(mem) as f:
        assert int(f.read()) == 64 << 20
    # (ctr 1.6 has no `tasks update`; the shim's `update --resources -`
    # path is covered by test_rt_cgroups.py::test_update_from_flags_and_from_stdin)
    subprocess.run(ctr + ["tasks", "kill", "-s", "SIGKILL", name], check=True, timeout=60)
    wait_for(lambda: "STOPPED" in subprocess.run(ctr + ["tasks", "ls"], capture_output=True,
                                                  text=True).stdout, what="stopped")
    subprocess.run(ctr + ["tasks", "rm", name], check=True, timeout=60)
    subprocess.run(ctr + ["containers", "rm", name], check=True, timeout=60)
    assert not os.path.exists(f"/sys/fs/cgroup/memory/{ns}/{name}")
