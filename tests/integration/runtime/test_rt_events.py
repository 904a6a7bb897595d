"""`events` without --stats: the stream of OOM events (runc's
{"type":"oom","id":...}, here from memory.oom_control through
cgroup.event_control on this v1 memory hierarchy) and stats at each
--interval; the stream ends when the container stops."""
import json
import subprocess

MiB = 1024 * 1024


def _stream(rt, cid, interval):
    return subprocess.Popen([rt.binary, "--root", rt.root, "events", "--interval", interval,
                             cid], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_oom_event_when_over_the_memory_limit(rt, make_bundle):
    b = make_bundle("x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done")
    b.config["linux"]["resources"]["memory"] = {"limit": 16 * MiB}
    b.save()
    cid = rt.create(b)
    # a long interval: the lines that come are events, not stats
    p = _stream(rt, cid, "60s")
    try:
        rt.cmd("start", cid)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    events = [json.loads(l) for l in out.splitlines()]
    assert {"type": "oom", "id": cid} in events, (events, err)
    assert rt.state(cid)["status"] == "stopped"


def test_stream_has_stats_and_no_oom_without_one(rt, make_bundle):
    b = make_bundle("sleep 1")
    b.config["linux"]["resources"]["memory"] = {"limit": 64 * MiB}
    b.save()
    cid = rt.create(b)
    rt.cmd("start", cid)
    p = _stream(rt, cid, "100ms")
    out, err = p.communicate(timeout=60)   # ends by itself when sleep exits
    assert p.returncode == 0, err
    events = [json.loads(l) for l in out.splitlines()]
    assert events and all(e["type"] == "stats" and e["id"] == cid for e in events)
    assert "memory" in events[0]["data"]


def test_events_of_a_missing_container_fails(rt):
    r = rt.cmd("events", "wrt-no-such-container", check=False)
    assert r.returncode != 0 and "does not exist" in r.stderr
