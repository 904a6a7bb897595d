"""--debug: the lifecycle trace (namespaces, cgroup, mounts, pivot, hooks,
exec) written to --log (text or JSON) as runc does, and nothing extra
without --debug."""
import json
import os
import subprocess

STEPS = ("create", "cgroup", "namespaces", "mounts", "hook", "pivot", "created",
         "start", "exec")


def _bundle_with_hook(make_bundle, tmp_path):
    b = make_bundle("echo out; exit 0")
    hook_out = tmp_path / "hook.ran"
    b.config["hooks"] = {"createRuntime": [{"path": "/bin/busybox",
                                            "args": ["busybox", "touch", str(hook_out)]}]}
    return b.save(), hook_out


def _create(rt, b, cid, *glob):
    """create with init's stdio on files (it keeps them: never our pipes)"""
    with open(os.path.join(b.path, "init.out"), "w") as out, \
            open(os.path.join(b.path, "init.err"), "w") as err:
        r = subprocess.run([rt.binary, "--root", rt.root, *glob, "create", "--bundle",
                            b.path, cid], stdout=out, stderr=err,
                           stdin=subprocess.DEVNULL, timeout=60)
    with open(os.path.join(b.path, "init.err")) as f:
        r.stderr = f.read()
    assert r.returncode == 0, r.stderr
    return r


def _steps_text(lines):
    steps = {}
    for line in lines:
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f and
                      not f.startswith('"'))
        if fields.get("level") == "debug":
            steps.setdefault(fields.get("event"), []).append(line)
    return steps


def test_debug_log_has_each_lifecycle_step(rt, make_bundle, tmp_path):
    b, hook_out = _bundle_with_hook(make_bundle, tmp_path)
    log = tmp_path / "debug.log"
    cid = rt.new_id()
    _create(rt, b, cid, "--debug", "--log", str(log))
    rt.cmd("--debug", "--log", str(log), "start", cid)
    assert hook_out.exists()
    lines = log.read_text().splitlines()
    steps = _steps_text(lines)
    for s in STEPS:
        assert s in steps, f"no debug line for {s}: {lines}"
    assert all(f"id={cid}" in l for s in ("cgroup", "pivot", "exec") for l in steps[s])
    assert "createRuntime[0]" in steps["hook"][0]
    assert "execve sh" in steps["exec"][0]


def test_debug_log_json(rt, make_bundle, tmp_path):
    b, _ = _bundle_with_hook(make_bundle, tmp_path)
    log = tmp_path / "debug.json"
    r = rt.cmd("--debug", "--log", str(log), "--log-format", "json", "run",
               "--bundle", b.path, rt.new_id())
    assert "out" in r.stdout
    events = [json.loads(l) for l in log.read_text().splitlines()]
    got = {e["event"] for e in events if e["level"] == "debug"}
    for s in set(STEPS) - {"created", "start"}:
        assert s in got, f"no JSON debug line for {s}: {events}"
    assert all("msg" in e and "ts" in e for e in events)


def test_no_debug_writes_nothing_extra(rt, make_bundle, tmp_path):
    b, hook_out = _bundle_with_hook(make_bundle, tmp_path)
    log = tmp_path / "quiet.log"
    cid = rt.new_id()
    r = _create(rt, b, cid, "--log", str(log))
    assert r.stderr == ""
    r = rt.cmd("--log", str(log), "start", cid)
    assert hook_out.exists()
    assert not log.exists() or log.read_text() == ""
    assert r.stderr == ""
    # and --debug without --log goes to stderr
    r = rt.cmd("--debug", "run", "--bundle", b.path, rt.new_id())
    assert "level=debug" in r.stderr and "event=pivot" in r.stderr
