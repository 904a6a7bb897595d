"""Lifecycle of wharf-runtime containers: run, create/start/state/kill/
delete, list, exit statuses, locking, cleanup after failures."""
import json
import os
import signal
import subprocess
import threading
import time

import pytest

from rtutil import cgroup_dir, read
from wharfutil import wait_for


def test_run_passes_exit_status_and_output(rt, make_bundle):
    b = make_bundle("echo hello from $(hostname); exit 7")
    r = rt.run(b)
    assert r.returncode == 7, r.stderr
    assert "hello from wharf" in r.stdout
    # run deletes the container after it exits
    assert rt.cmd("list", "-q").stdout.strip() == ""


def test_run_reports_a_signal_as_128_plus_n(rt, make_bundle):
    # init (pid 1 of its namespace) cannot be killed from inside: kill it
    # from outside while `run` waits for it
    b = make_bundle("sleep 100")
    cid = rt.new_id()
    p = subprocess.Popen([rt.binary, "--root", rt.root, "run", "--bundle", b.path, cid],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists(os.path.join(rt.root, cid, "state.json")) and
                 rt.state(cid)["status"] == "running", what="running")
        rt.cmd("kill", cid, "KILL")
        assert p.wait(timeout=30) == 137
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_run_forwards_sigterm_to_the_process(rt, make_bundle):
    b = make_bundle("trap 'exit 42' TERM; while true; do sleep 0.05; done")
    cid = rt.new_id()
    p = subprocess.Popen([rt.binary, "--root", rt.root, "run", "--bundle", b.path, cid],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists(os.path.join(rt.root, cid, "state.json")) and
                 rt.state(cid)["status"] == "running", what="running")
        time.sleep(0.2)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 42
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_create_start_state_kill_delete(rt, make_bundle, tmp_path):
    b = make_bundle("echo started; exec sleep 1000")
    pid_file = tmp_path / "init.pid"
    cid = rt.create(b, args=("--pid-file", str(pid_file)))
    st = rt.state(cid)
    assert st["status"] == "created"
    assert st["id"] == cid
    assert st["bundle"] == b.path
    assert st["ociVersion"].startswith("1.")
    pid = int(pid_file.read_text())
    assert st["pid"] == pid
    # init waits in our code: the process has not run yet
    assert rt.output(b, cid) == ""
    # and is already in the container's cgroup
    assert str(pid) in read(os.path.join(cgroup_dir("memory", cid), "cgroup.procs")).split()

    rt.cmd("start", cid)
    wait_for(lambda: "started" in rt.output(b, cid), what="process output")
    assert rt.state(cid)["status"] == "running"
    r = rt.cmd("start", cid, check=False)
    assert r.returncode != 0 and "not created" in r.stderr

    # delete refuses a running container without --force
    r = rt.cmd("delete", cid, check=False)
    assert r.returncode != 0 and "running" in r.stderr

    rt.cmd("kill", cid, "KILL")
    wait_for(lambda: rt.state(cid)["status"] == "stopped", what="stopped")
    assert rt.state(cid)["pid"] == 0
    r = rt.cmd("kill", cid, "TERM", check=False)
    assert r.returncode != 0 and "stopped" in r.stderr
    rt.cmd("delete", cid)
    assert not os.path.exists(os.path.join(rt.root, cid))
    assert not os.path.exists(cgroup_dir("memory", cid))
    r = rt.cmd("state", cid, check=False)
    assert r.returncode != 0 and "does not exist" in r.stderr


def test_kill_by_number_and_name_and_all(rt, make_bundle):
    b = make_bundle("trap 'echo got-usr1' USR1; while true; do sleep 0.05; done")
    cid = rt.create(b)
    rt.cmd("start", cid)
    time.sleep(0.3)
    rt.cmd("kill", cid, "SIGUSR1")
    wait_for(lambda: "got-usr1" in rt.output(b, cid), what="USR1 handled")
    rt.cmd("kill", cid, "10")   # USR1 by number
    wait_for(lambda: rt.output(b, cid).count("got-usr1") >= 2, what="second USR1")
    r = rt.cmd("kill", cid, "SIGNOPE", check=False)
    assert r.returncode != 0 and "unknown signal SIGNOPE" in r.stderr
    rt.cmd("kill", "--all", cid, "KILL")
    wait_for(lambda: rt.state(cid)["status"] == "stopped", what="stopped")


def test_delete_force_cleans_up_a_container_ignoring_sigterm(rt, make_bundle):
    b = make_bundle("trap '' TERM; sleep 1000 & sleep 1000 & wait")
    cid = rt.create(b)
    rt.cmd("start", cid)
    time.sleep(0.3)
    pids = json.loads(rt.cmd("ps", "--format", "json", cid).stdout)
    assert len(pids) == 3
    rt.cmd("kill", cid, "TERM")
    time.sleep(0.3)
    assert rt.state(cid)["status"] == "running"
    rt.cmd("delete", "--force", cid)
    for p in pids:
        assert not os.path.exists(f"/proc/{p}") or "Z" in read(f"/proc/{p}/stat").split()[2]
    assert not os.path.exists(cgroup_dir("pids", cid))
    assert rt.cmd("list", "-q").stdout.strip() == ""


def test_delete_of_created_container_without_force(rt, make_bundle):
    # runc (and so containerd and podman) delete a created container
    b = make_bundle("true")
    cid = rt.create(b)
    pid = rt.state(cid)["pid"]
    rt.cmd("delete", cid)
    wait_for(lambda: not os.path.exists(f"/proc/{pid}/exe") or
             "Z" in read(f"/proc/{pid}/stat").split()[2], what="init gone")


def test_list_formats(rt, make_bundle):
    b = make_bundle("sleep 100")
    ids = [rt.create(b), rt.create(b)]
    assert rt.cmd("list", "-q").stdout.split() == sorted(ids)
    js = json.loads(rt.cmd("list", "--format", "json").stdout)
    assert sorted(c["id"] for c in js) == sorted(ids)
    assert all(c["status"] == "created" for c in js)
    table = rt.cmd("list").stdout
    assert table.startswith("ID") and ids[0] in table


def test_id_in_use_and_bad_ids(rt, make_bundle):
    b = make_bundle("sleep 100")
    cid = rt.create(b)
    r = rt.create(b, cid=cid, check=False)
    assert r.returncode != 0 and "already exists" in r.stderr
    assert rt.state(cid)["status"] == "created"    # untouched
    for bad in ("../x", "a/b", ".hidden", ""):
        r = rt.cmd("create", "--bundle", b.path, bad, check=False)
        assert r.returncode != 0


def test_invalid_config_names_the_field_and_leaves_nothing(rt, make_bundle):
    b = make_bundle("true")
    b.config["process"]["capabilities"]["bounding"].append("CAP_FOO")
    b.save()
    cid = rt.new_id()
    r = rt.cmd("create", "--bundle", b.path, cid, check=False)
    assert r.returncode != 0
    assert "process.capabilities.bounding[3]: unknown capability CAP_FOO" in r.stderr
    assert not os.path.exists(os.path.join(rt.root, cid))


def test_failure_after_clone_removes_cgroup_state_and_process(rt, make_bundle):
    b = make_bundle("true")
    b.config["mounts"].append({"destination": "/bad", "type": "nosuchfs", "source": "x"})
    b.save()
    cid = rt.new_id()
    r = rt.cmd("create", "--bundle", b.path, cid, check=False)
    assert r.returncode != 0
    assert "mounts[" in r.stderr and "/bad" in r.stderr
    assert not os.path.exists(os.path.join(rt.root, cid))
    assert not os.path.exists(cgroup_dir("memory", cid))
    # nothing of ours left running with that bundle
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    assert b.path not in out


def test_log_file_json_format(rt, make_bundle, tmp_path):
    log = tmp_path / "rt.log"
    b = make_bundle("true")
    del b.config["process"]["cwd"]
    b.save()
    r = rt.cmd("create", "--bundle", b.path, rt.new_id(), check=False,
               extra_global=("--log", str(log), "--log-format", "json"))
    assert r.returncode != 0
    line = json.loads(log.read_text().splitlines()[-1])
    assert line["level"] == "error" and "process.cwd: missing" in line["msg"]


def test_concurrent_starts_only_one_wins(rt, make_bundle):
    b = make_bundle("echo once; sleep 100")
    cid = rt.create(b)
    results = []

    def start():
        results.append(rt.cmd("start", cid, check=False).returncode)

    ts = [threading.Thread(target=start) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(results) == [0, 1, 1, 1]
    wait_for(lambda: "once" in rt.output(b, cid), what="output")
    time.sleep(0.2)
    assert rt.output(b, cid).count("once") == 1


def test_start_without_process_fails_at_create_with_a_clear_error(rt, make_bundle):
    b = make_bundle("true")
    b.config["process"]["args"] = []
    b.save()
    r = rt.cmd("create", "--bundle", b.path, rt.new_id(), check=False)
    assert r.returncode != 0 and "process.args: empty" in r.stderr


def test_run_detached_then_state_and_delete(rt, make_bundle):
    b = make_bundle("sleep 100")
    cid = rt.new_id()
    with open(os.path.join(b.path, "d.out"), "w") as out:
        r = subprocess.run([rt.binary, "--root", rt.root, "run", "-d", "--bundle", b.path, cid],
                           stdout=out, stderr=out, stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == 0
    assert rt.state(cid)["status"] == "running"
    rt.cmd("delete", "--force", cid)


def test_features_and_version(rt):
    f = json.loads(rt.cmd("features").stdout)
    assert "SCMP_ACT_NOTIFY" in f["linux"]["seccomp"]["actions"]
    assert "time" in f["linux"]["namespaces"]
    assert f["linux"]["cgroup"]["v1"] is True
    assert "wharf-runtime version" in rt.cmd("--version").stdout


def test_links_only_seccomp_cap_jansson():
    from wharfutil import bin_path
    out = subprocess.run(["ldd", bin_path("wharf-runtime")], capture_output=True,
                         text=True).stdout
    if "statically linked" in out or "not a dynamic executable" in out:
        pytest.skip("static build: tests/integration/test_linkage.py checks what is linked in")
    libs = {l.split()[0].split(".so")[0] for l in out.splitlines() if ".so" in l}
    libs -= {"linux-vdso", "/lib64/ld-linux-x86-64"}
    # sanitizer builds add their runtimes
    libs = {l for l in libs if not l.startswith(("libasan", "libubsan", "libstdc++",
                                                 "libm", "libgcc_s", "libdl", "libpthread",
                                                 "librt"))}
    assert libs == {"libjansson", "libseccomp", "libcap", "libc"}, libs


def test_state_dir_left_by_a_killed_create_is_reused(rt, make_bundle):
    # what a create killed before writing state.json leaves: the directory
    # and its lock, held by nobody
    b = make_bundle("true")
    cid = rt.new_id()
    os.makedirs(os.path.join(rt.root, cid))
    open(os.path.join(rt.root, cid, "lock"), "w").close()
    assert rt.cmd("list", "-q").stdout.strip() == ""
    rt.create(b, cid=cid)
    assert rt.state(cid)["status"] == "created"
    # a live container's directory is never taken over
    r = rt.create(b, cid=cid, check=False)
    assert r.returncode != 0 and "already exists" in r.stderr
    assert not [n for n in os.listdir(rt.root) if n.startswith(".new-")]
