"""cgroups on this hybrid host (v1 controllers, v2 with hugetlb only):
each controller's files from outside, limits taking effect from inside
(OOM kill, fork bomb), update, pause/resume, events --stats, cgroupsPath
forms. Where the host cannot show an effect (swap, hugepages, blkio
weights), the test checks the value written and says so."""
import json
import os
import subprocess
import time

import pytest

from rtutil import CG_V1, RUN_TOKEN, cgroup_dir, read
from wharfutil import wait_for

MiB = 1 << 20


def started(rt, b, cid=None):
    cid = rt.create(b, cid=cid)
    rt.cmd("start", cid)
    return cid


def test_memory_limit_and_reservation(rt, make_bundle):
    b = make_bundle("sleep 100")
    b.config["linux"]["resources"]["memory"] = {"limit": 64 * MiB, "reservation": 32 * MiB,
                                                "swappiness": 10}
    b.save()
    cid = started(rt, b)
    d = cgroup_dir("memory", cid)
    assert int(read(f"{d}/memory.limit_in_bytes")) == 64 * MiB
    assert int(read(f"{d}/memory.soft_limit_in_bytes")) == 32 * MiB
    assert int(read(f"{d}/memory.swappiness")) == 10


def test_memory_swap_value_written(rt, make_bundle):
    # no swap on these hosts: only the memsw value can be checked
    if not os.path.exists(f"{CG_V1}/memory/memory.memsw.limit_in_bytes"):
        pytest.skip("kernel without swap accounting")
    b = make_bundle("sleep 100")
    b.config["linux"]["resources"]["memory"] = {"limit": 64 * MiB, "swap": 96 * MiB}
    b.save()
    cid = started(rt, b)
    assert int(read(f"{cgroup_dir('memory', cid)}/memory.memsw.limit_in_bytes")) == 96 * MiB


def test_over_the_memory_limit_is_oom_killed(rt, make_bundle):
    # a shell variable that doubles until it no longer fits in 16 MiB
    b = make_bundle("x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done")
    b.config["linux"]["resources"]["memory"] = {"limit": 16 * MiB}
    b.save()
    r = rt.run(b, timeout=120)
    assert r.returncode == 137, (r.returncode, r.stderr)


def test_pids_limit_stops_a_fork_bomb(rt, make_bundle):
    b = make_bundle("while true; do sleep 30 & done 2>/tmp/err")
    b.config["linux"]["resources"]["pids"] = {"limit": 10}
    b.save()
    cid = started(rt, b)
    d = cgroup_dir("pids", cid)
    # ash gives up (exit 2) at the first fork the kernel refuses
    wait_for(lambda: rt.state(cid)["status"] == "stopped", timeout=30, what="bomb stopped")
    events = dict(l.split() for l in read(f"{d}/pids.events").splitlines())
    assert int(events["max"]) > 0                 # forks were refused at the limit
    assert read(f"{d}/pids.max") == "10"
    with open(os.path.join(b.rootfs, "tmp", "err")) as f:
        assert "can't fork" in f.read()


def test_cpu_values(rt, make_bundle):
    b = make_bundle("sleep 100")
    b.config["linux"]["resources"]["cpu"] = {"shares": 512, "quota": 20000, "period": 100000,
                                             "cpus": "0", "mems": "0"}
    b.save()
    cid = started(rt, b)
    assert read(f"{cgroup_dir('cpu', cid)}/cpu.shares") == "512"
    assert read(f"{cgroup_dir('cpu', cid)}/cpu.cfs_quota_us") == "20000"
    assert read(f"{cgroup_dir('cpu', cid)}/cpu.cfs_period_us") == "100000"
    assert read(f"{cgroup_dir('cpuset', cid)}/cpuset.cpus") == "0"
    assert read(f"{cgroup_dir('cpuset', cid)}/cpuset.mems") == "0"


def test_blkio_throttle_value_written(rt, make_bundle):
    # no weight files here (no BFQ); throttling files exist: check values
    dev = os.stat("/").st_dev
    major, minor = os.major(dev), os.minor(dev)
    with open("/proc/partitions") as f:
        devs = [l.split()[:2] for l in f.read().splitlines()[2:] if l.split()]
    if not devs:
        pytest.skip("no block devices")
    major, minor = int(devs[0][0]), int(devs[0][1])
    b = make_bundle("sleep 100")
    b.config["linux"]["resources"]["blockIO"] = {
        "throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1048576}],
        "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 100}]}
    b.save()
    cid = started(rt, b)
    d = cgroup_dir("blkio", cid)
    assert f"{major}:{minor} 1048576" in read(f"{d}/blkio.throttle.read_bps_device")
    assert f"{major}:{minor} 100" in read(f"{d}/blkio.throttle.write_iops_device")


def test_blkio_weight_is_refused_where_the_host_has_no_weight_file(rt, make_bundle):
    b = make_bundle("true")
    b.config["linux"]["resources"]["blockIO"] = {"weight": 500}
    b.save()
    r = rt.run(b)
    if os.path.exists(f"{CG_V1}/blkio/blkio.weight"):
        assert r.returncode == 0
    else:
        assert r.returncode != 0 and "blkio.weight" in r.stderr


def test_hugetlb_value_written_in_the_v2_hierarchy(rt, make_bundle):
    # hybrid host: hugetlb lives in /sys/fs/cgroup/unified; no hugepages
    # here, so only the value written can be checked
    if not os.path.exists(f"{CG_V1}/unified/cgroup.controllers"):
        pytest.skip("no v2 hierarchy")
    if "hugetlb" not in read(f"{CG_V1}/unified/cgroup.controllers"):
        pytest.skip("no hugetlb controller")
    b = make_bundle("sleep 100")
    b.config["linux"]["resources"]["hugepageLimits"] = [{"pageSize": "2MB", "limit": 4 * MiB}]
    b.save()
    cid = started(rt, b)
    assert read(f"{CG_V1}/unified/{cid}/hugetlb.2MB.max") == str(4 * MiB)


def test_devices_allow_list(rt, make_bundle):
    b = make_bundle("sleep 100")
    cid = started(rt, b)
    lst = read(f"{cgroup_dir('devices', cid)}/devices.list").splitlines()
    assert "a *:* rwm" not in lst
    assert "c 1:3 rwm" in lst        # /dev/null
    assert "c 136:* rwm" in lst      # ptys


def test_update_from_flags_and_from_stdin(rt, make_bundle):
    b = make_bundle("sleep 100")
    cid = started(rt, b)
    rt.cmd("update", "--memory", str(100 * MiB), "--pids-limit", "55", "--cpu-shares", "256",
           cid)
    assert int(read(f"{cgroup_dir('memory', cid)}/memory.limit_in_bytes")) == 100 * MiB
    assert read(f"{cgroup_dir('pids', cid)}/pids.max") == "55"
    assert read(f"{cgroup_dir('cpu', cid)}/cpu.shares") == "256"
    res = {"memory": {"limit": 80 * MiB}, "pids": {"limit": 44}}
    rt.cmd("update", "-r", "-", cid, input=json.dumps(res))
    assert int(read(f"{cgroup_dir('memory', cid)}/memory.limit_in_bytes")) == 80 * MiB
    assert read(f"{cgroup_dir('pids', cid)}/pids.max") == "44"
    r = rt.cmd("update", "-r", "-", cid, input='{"memory":{"limit":"x"}}', check=False)
    assert r.returncode != 0 and "resources.memory.limit: expected an integer" in r.stderr


def test_pause_resume(rt, make_bundle):
    b = make_bundle("while true; do echo tick >> /tmp/t; sleep 0.05; done")
    cid = started(rt, b)
    t = os.path.join(b.rootfs, "tmp", "t")
    wait_for(lambda: os.path.exists(t), what="first tick")
    rt.cmd("pause", cid)
    assert rt.state(cid)["status"] == "paused"
    assert read(f"{cgroup_dir('freezer', cid)}/freezer.state") == "FROZEN"
    n1 = os.path.getsize(t)
    time.sleep(0.3)
    assert os.path.getsize(t) == n1
    r = rt.cmd("pause", cid, check=False)
    assert r.returncode != 0 and "not running" in r.stderr
    rt.cmd("resume", cid)
    assert rt.state(cid)["status"] == "running"
    wait_for(lambda: os.path.getsize(t) > n1, what="ticks again")
    # a paused container can still be deleted with --force
    rt.cmd("pause", cid)
    rt.cmd("delete", "--force", cid)


def test_events_stats(rt, make_bundle):
    b = make_bundle("sleep 100")
    b.config["linux"]["resources"]["pids"] = {"limit": 20}
    b.save()
    cid = started(rt, b)
    ev = json.loads(rt.cmd("events", "--stats", cid).stdout)
    assert ev["type"] == "stats" and ev["id"] == cid
    assert ev["data"]["pids"]["current"] >= 1
    assert ev["data"]["pids"]["limit"] == 20
    assert ev["data"]["memory"]["usage"]["usage"] > 0
    # the stream form prints one line per interval
    p = subprocess.Popen([rt.binary, "--root", rt.root, "events", "--interval", "100ms", cid],
                         stdout=subprocess.PIPE, text=True)
    lines = [p.stdout.readline() for _ in range(2)]
    p.kill()
    p.wait()
    assert all(json.loads(l)["type"] == "stats" for l in lines)


def test_cgroups_path_absolute_and_systemd_form(rt, make_bundle):
    b = make_bundle("sleep 100")
    parent = f"wrt-{RUN_TOKEN}-parent"
    b.config["linux"]["cgroupsPath"] = f"/{parent}/abs"
    b.save()
    cid = started(rt, b)
    try:
        assert os.path.isdir(f"{CG_V1}/memory/{parent}/abs")
        rt.cmd("delete", "--force", cid)
        assert not os.path.exists(f"{CG_V1}/memory/{parent}/abs")
    finally:
        for ctl in os.listdir(CG_V1):
            for d in (f"{CG_V1}/{ctl}/{parent}/abs", f"{CG_V1}/{ctl}/{parent}"):
                if os.path.isdir(d):
                    os.rmdir(d)

    slice_ = f"wrt{RUN_TOKEN}.slice"
    b.config["linux"]["cgroupsPath"] = f"{slice_}:pfx:{RUN_TOKEN}"
    b.save()
    cid = rt.new_id()
    try:
        with open(os.path.join(b.path, "s.out"), "w") as out:
            r = subprocess.run([rt.binary, "--root", rt.root, "--systemd-cgroup", "create",
                                "--bundle", b.path, cid], stdout=out, stderr=out,
                               stdin=subprocess.DEVNULL, timeout=30)
        assert r.returncode == 0
        d = f"{CG_V1}/memory/{slice_}/pfx-{RUN_TOKEN}.scope"
        assert os.path.isdir(d)
        pid = rt.state(cid)["pid"]
        assert str(pid) in read(f"{d}/cgroup.procs").split()
        rt.cmd("delete", "--force", cid)
        assert not os.path.exists(d)
    finally:
        for ctl in os.listdir(CG_V1):
            for d in (f"{CG_V1}/{ctl}/{slice_}/pfx-{RUN_TOKEN}.scope", f"{CG_V1}/{ctl}/{slice_}"):
                if os.path.isdir(d):
                    os.rmdir(d)


def test_cgroup_namespace_shows_the_container_cgroup_as_root(rt, make_bundle):
    b = make_bundle("cat /proc/self/cgroup")
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        if ":memory:" in line or ":pids:" in line:
            assert line.endswith(":/"), line


def test_unified_keys_go_to_the_v2_hierarchy(rt, make_bundle):
    # hybrid host: `unified` keys are written in the v2 hierarchy
    if not os.path.exists(f"{CG_V1}/unified/cgroup.controllers"):
        pytest.skip("no v2 hierarchy")
    b = make_bundle("sleep 100")
    b.config["linux"]["resources"]["unified"] = {"cgroup.max.depth": "3",
                                                 "cgroup.max.descendants": "9"}
    b.save()
    cid = started(rt, b)
    assert read(f"{CG_V1}/unified/{cid}/cgroup.max.depth") == "3"
    assert read(f"{CG_V1}/unified/{cid}/cgroup.max.descendants") == "9"
    b2 = make_bundle("true")
    b2.config["linux"]["resources"]["unified"] = {"no.such_file": "1"}
    b2.save()
    r = rt.run(b2)
    assert r.returncode != 0 and "no.such_file" in r.stderr
