"""seccomp (every action, errno values, argument conditions, flags, the
notify listener) and hooks (all six, state on stdin, timeouts), checked
from inside and outside the container."""
import array
import json
import os
import socket
import threading

import pytest

from wharfutil import wait_for


def seccomp(default="SCMP_ACT_ALLOW", rules=(), **extra):
    d = {"defaultAction": default, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
         "syscalls": list(rules)}
    d.update(extra)
    return d


def rule(names, action, **kw):
    r = {"names": names, "action": action}
    r.update(kw)
    return r


def with_seccomp(make_bundle, script, sc, nnp=True):
    b = make_bundle(script)
    b.config["linux"]["seccomp"] = sc
    b.config["process"]["noNewPrivileges"] = nnp
    return b.save()


@pytest.mark.parametrize("nnp", [True, False])
def test_errno_with_its_value(rt, make_bundle, nnp):
    b = with_seccomp(make_bundle, "mkdir /tmp/x; echo rc=$?; grep Seccomp: /proc/self/status",
                     seccomp(rules=[rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errnoRet=38)]),
                     nnp=nnp)
    r = rt.run(b)
    assert "Function not implemented" in r.stderr    # ENOSYS = 38
    assert "rc=1" in r.stdout
    assert "Seccomp:\t2" in r.stdout
    assert not os.path.exists(os.path.join(b.rootfs, "tmp", "x"))


def test_compiled_filters_are_cached_per_profile(rt, make_bundle):
    """The parent compiles a profile once and keeps the program under
    <root>/.seccomp; an entry is used only for exactly its profile, and a
    damaged or swapped entry is recompiled, never trusted."""
    cache = os.path.join(rt.root, ".seccomp")
    script = "mkdir /tmp/x; echo rc=$?"

    def run(errno_ret):
        b = with_seccomp(make_bundle, script,
                         seccomp(rules=[rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO",
                                             errnoRet=errno_ret)]))
        r = rt.run(b)
        assert "rc=1" in r.stdout, r.stderr
        return r.stderr

    def entries():
        return sorted(os.listdir(cache))

    assert "Function not implemented" in run(38)          # ENOSYS, compiled
    first = entries()
    assert len(first) == 1
    assert os.stat(cache).st_mode & 0o777 == 0o700
    assert "Function not implemented" in run(38)          # the same entry
    assert entries() == first
    assert "Permission denied" in run(13)                 # another profile
    both = entries()
    assert len(both) == 2
    other = [e for e in both if e not in first][0]

    # a byte of the program flipped: the checksum fails, it is rebuilt
    p = os.path.join(cache, first[0])
    with open(p, "rb") as f:
        good = f.read()
    bad = bytearray(good)
    bad[-3] ^= 0xFF
    with open(p, "wb") as f:
        f.write(bad)
    assert "Function not implemented" in run(38)
    with open(p, "rb") as f:
        assert f.read() == good
    # a valid entry of another profile under this profile's name: the key
    # differs, so the EACCES filter is never used for the ENOSYS profile
    with open(os.path.join(cache, other), "rb") as f:
        foreign = f.read()
    with open(p, "wb") as f:
        f.write(foreign)
    assert "Function not implemented" in run(38)
    # a truncated entry
    with open(p, "wb") as f:
        f.write(good[:100])
    assert "Function not implemented" in run(38)


def test_errno_default_is_eperm_and_default_errno_ret(rt, make_bundle):
    b = with_seccomp(make_bundle, "mkdir /tmp/x",
                     seccomp(rules=[rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO")]))
    assert "Operation not permitted" in rt.run(b).stderr
    # default action errno with defaultErrnoRet, allow-listing what sh needs
    allowed = ["execve", "brk", "arch_prctl", "set_tid_address", "exit_group", "getuid",
               "getpid", "rt_sigaction", "rt_sigprocmask", "write", "ioctl", "getppid",
               "read", "mmap", "munmap", "close", "fcntl", "dup2", "wait4", "stat", "newfstatat",
               "access", "uname", "prctl", "open", "openat", "getcwd", "lstat", "fstat",
               "geteuid", "getgid", "getegid", "clock_gettime", "rt_sigreturn", "mprotect",
               "exit", "sendto", "send", "getrandom", "close_range", "set_robust_list",
               "rseq", "prlimit64", "futex", "capget", "capset", "setgroups", "setresuid",
               "setresgid", "chdir", "seccomp", "getdents64", "lseek", "umask", "fchdir",
               "sendmsg", "dup", "dup3", "recvfrom", "recvmsg"]
    b = with_seccomp(make_bundle, "mkdir /tmp/y",
                     seccomp(default="SCMP_ACT_ERRNO", defaultErrnoRet=13,
                             rules=[rule(allowed, "SCMP_ACT_ALLOW")]))
    r = rt.run(b)
    assert "Permission denied" in r.stderr          # EACCES = 13


def test_argument_conditions(rt, make_bundle):
    # kill(pid, SIGUSR1) is refused, other signals go through (init
    # ignores both: only the return value shows)
    b = with_seccomp(make_bundle, "kill -USR1 1; echo a=$?; kill -USR2 1; echo b=$?",
                     seccomp(rules=[rule(["kill"], "SCMP_ACT_ERRNO", errnoRet=1,
                                         args=[{"index": 1, "value": 10,
                                                "op": "SCMP_CMP_EQ"}])]))
    r = rt.run(b)
    assert "a=1" in r.stdout and "b=0" in r.stdout, r.stdout + r.stderr


def test_masked_eq_and_or_of_conditions_on_one_argument(rt, make_bundle):
    # (sig & 4) == 4 refused: USR2 (12) yes, USR1 (10) no; a second
    # condition on the same argument is ORed (runc's rule): HUP (1) too
    b = with_seccomp(make_bundle,
                     "kill -USR2 1; echo s=$?; kill -USR1 1; echo t=$?; kill -HUP 1; echo h=$?",
                     seccomp(rules=[rule(["kill"], "SCMP_ACT_ERRNO", errnoRet=1,
                                         args=[{"index": 1, "value": 4, "valueTwo": 4,
                                                "op": "SCMP_CMP_MASKED_EQ"},
                                               {"index": 1, "value": 1,
                                                "op": "SCMP_CMP_EQ"}])]))
    r = rt.run(b)
    assert "s=1" in r.stdout and "t=0" in r.stdout and "h=1" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("action,code", [("SCMP_ACT_KILL", 159), ("SCMP_ACT_KILL_PROCESS", 159),
                                         ("SCMP_ACT_KILL_THREAD", 159), ("SCMP_ACT_TRAP", 159)])
def test_kill_and_trap(rt, make_bundle, action, code):
    # the child that calls mkdir dies of SIGSYS (31): sh reports 128+31
    b = with_seccomp(make_bundle, "mkdir /tmp/x; echo rc=$?",
                     seccomp(rules=[rule(["mkdir", "mkdirat"], action)]))
    r = rt.run(b)
    assert f"rc={code}" in r.stdout, (r.stdout, r.stderr)


def test_trace_without_a_tracer_fails_the_call(rt, make_bundle):
    b = with_seccomp(make_bundle, "mkdir /tmp/x; echo rc=$?",
                     seccomp(rules=[rule(["mkdir", "mkdirat"], "SCMP_ACT_TRACE", errnoRet=1)]))
    r = rt.run(b)
    assert "rc=1" in r.stdout and "Function not implemented" in r.stderr


def test_log_and_allow_let_the_call_through(rt, make_bundle):
    b = with_seccomp(make_bundle, "mkdir /tmp/x && echo made",
                     seccomp(rules=[rule(["mkdir", "mkdirat"], "SCMP_ACT_LOG"),
                                    rule(["rmdir"], "SCMP_ACT_ALLOW")],
                             flags=["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]))
    r = rt.run(b)
    assert "made" in r.stdout, r.stderr


def test_unknown_action_is_refused_with_the_field(rt, make_bundle):
    b = with_seccomp(make_bundle, "true", seccomp(rules=[rule(["mkdir"], "SCMP_ACT_BOOM")]))
    r = rt.run(b)
    assert r.returncode != 0
    assert "linux.seccomp.syscalls[0].action: unknown seccomp action SCMP_ACT_BOOM" in r.stderr


def test_notify_sends_the_listener_to_listener_path(rt, make_bundle, tmp_path):
    path = str(tmp_path / "seccomp.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    got = {}

    def serve():
        conn, _ = srv.accept()
        fds = array.array("i")
        msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(fds.itemsize))
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.frombytes(data[:fds.itemsize])
        got["msg"] = msg
        got["fd"] = fds[0] if fds else None
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    b = with_seccomp(make_bundle, "sleep 100",
                     seccomp(rules=[rule(["mkdir", "mkdirat"], "SCMP_ACT_NOTIFY")],
                             listenerPath=path, listenerMetadata="meta"))
    cid = rt.create(b)
    t.join(10)
    srv.close()
    assert got.get("fd") is not None
    st = json.loads(got["msg"])
    assert st["id"] == cid and st["pid"] > 0
    # the fd is a seccomp notify listener
    assert os.readlink(f"/proc/self/fd/{got['fd']}") == "anon_inode:seccomp notify"
    os.close(got["fd"])


HOOK_KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
              "poststop"]


def test_every_hook_gets_the_state_on_stdin(rt, make_bundle, tmp_path):
    out = tmp_path / "hooks"
    out.mkdir()
    b = make_bundle("sleep 100")
    hooks = {}
    for k in HOOK_KINDS:
        # createContainer and startContainer run in the container's mount
        # namespace: before pivot_root (createContainer) the host paths are
        # there; startContainer runs inside the rootfs, so it writes there
        target = f"/tmp/{k}.json" if k == "startContainer" else str(out / f"{k}.json")
        hooks[k] = [{"path": "/bin/sh", "args": ["sh", "-c", f"cat > {target}; echo >> {target}; echo $HOOKENV >> {target}"],
                     "env": [f"HOOKENV=env-{k}"], "timeout": 10}]
    b.config["hooks"] = hooks
    b.config["annotations"] = {"org.test": "yes"}
    b.save()
    cid = rt.create(b)
    for k in ("prestart", "createRuntime", "createContainer"):
        text = (out / f"{k}.json").read_text()
        st = json.loads(text.splitlines()[0])
        assert st["id"] == cid and st["status"] == "creating" and st["pid"] > 0
        assert st["annotations"] == {"org.test": "yes"} and st["bundle"] == b.path
        assert text.splitlines()[1] == f"env-{k}"
    assert not (out / "poststart.json").exists()
    rt.cmd("start", cid)
    wait_for(lambda: os.path.exists(os.path.join(b.rootfs, "tmp", "startContainer.json")),
             what="startContainer hook")
    st = json.loads((out / "poststart.json").read_text().splitlines()[0])
    assert st["status"] == "running"
    rt.cmd("delete", "--force", cid)
    st = json.loads((out / "poststop.json").read_text().splitlines()[0])
    assert st["id"] == cid and st["status"] == "stopped"


def test_stop_hook_runs_when_its_name_is_escaped(rt, make_bundle, tmp_path):
    """delete parses config.json only when it can hold poststop hooks: a
    key spelled with JSON escapes ("p\\u006fststop") must still count."""
    out = tmp_path / "stopped.json"
    b = make_bundle("true")
    b.config["hooks"] = {"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", f"cat > {out}"]}]}
    text = json.dumps(b.config).replace('"poststop"', '"p\\u006fststop"')
    assert "\"poststop\"" not in text
    with open(os.path.join(b.path, "config.json"), "w") as f:
        f.write(text)
    cid = rt.create(b)
    rt.cmd("delete", "--force", cid)
    assert json.loads(out.read_text())["id"] == cid


def test_failing_and_timed_out_hooks_fail_create_and_clean_up(rt, make_bundle):
    for hook, msg in ((["sh", "-c", "exit 3"], "exit status 3"),
                      (["sh", "-c", "sleep 30"], "timed out after 1 s")):
        b = make_bundle("true")
        b.config["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": hook, "timeout": 1}]}
        b.save()
        cid = rt.new_id()
        r = rt.create(b, cid=cid, check=False)
        assert r.returncode != 0
        assert "hooks.createRuntime[0]" in r.stderr and msg in r.stderr
        assert not os.path.exists(os.path.join(rt.root, cid))
        assert not os.path.exists(f"/sys/fs/cgroup/memory/{cid}")
