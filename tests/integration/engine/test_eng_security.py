"""Secure defaults, seen from inside the container (/proc/self/status):
docker's capability set, the seccomp filter, masked and read-only paths,
no_new_privs on request; --privileged and --cap-add/--cap-drop change them."""
import pytest

# CAP_CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP,
# NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP.
DOCKER_DEFAULT_CAPS = 0x00000000a80425fb


def status(wharf, *flags):
    out = wharf.run("--rm", *flags, "cat", "/proc/self/status").stdout
    return {l.split(":", 1)[0]: l.split(":", 1)[1].strip() for l in out.splitlines() if ":" in l}


def test_default_capabilities_and_seccomp(wharf):
    st = status(wharf)
    assert int(st["CapBnd"], 16) == DOCKER_DEFAULT_CAPS
    assert int(st["CapEff"], 16) == DOCKER_DEFAULT_CAPS
    assert st["Seccomp"] == "2"
    assert st["NoNewPrivs"] == "0"


def test_seccomp_blocks_what_podman_blocks(wharf):
    # swapoff(2) is denied by the profile whatever the capabilities: with
    # CAP_SYS_ADMIN it still fails with EPERM, and only without the filter
    # does the kernel get to look at the path.
    p = wharf.run("--rm", "--cap-add", "SYS_ADMIN", "swapoff", "/nonexistent", check=False)
    assert "Operation not permitted" in p.stderr
    p = wharf.run("--rm", "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
                  "swapoff", "/nonexistent", check=False)
    assert "No such file" in p.stderr
    assert status(wharf, "--security-opt", "seccomp=unconfined")["Seccomp"] == "0"


def test_cap_add_and_drop(wharf):
    st = status(wharf, "--cap-drop", "ALL")
    assert int(st["CapBnd"], 16) == 0
    st = status(wharf, "--cap-drop", "NET_RAW", "--cap-add", "SYS_ADMIN")
    bnd = int(st["CapBnd"], 16)
    assert not bnd & (1 << 13)       # CAP_NET_RAW
    assert bnd & (1 << 21)           # CAP_SYS_ADMIN


def test_no_new_privileges(wharf):
    assert status(wharf, "--security-opt", "no-new-privileges")["NoNewPrivs"] == "1"


def test_privileged_turns_the_defaults_off(wharf):
    st = status(wharf, "--privileged")
    assert st["Seccomp"] == "0"
    assert int(st["CapBnd"], 16) & DOCKER_DEFAULT_CAPS == DOCKER_DEFAULT_CAPS
    assert int(st["CapBnd"], 16) & (1 << 21)
    p = wharf.run("--rm", "--privileged", "sh", "-c",
                  "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo rw || echo ro")
    assert p.stdout == "rw\n"


def test_masked_and_readonly_paths(wharf):
    import os
    masked = [p for p in ("/proc/keys", "/proc/timer_list", "/proc/sched_debug")
              if os.path.exists(p)]
    script = "".join(f"cat {p} | wc -c;" for p in masked)
    p = wharf.run("--rm", "sh", "-c", script + "ls /sys/firmware | wc -l;"
                  " echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo rw || echo ro")
    assert p.stdout.split() == ["0"] * len(masked) + ["0", "ro"]


def test_custom_seccomp_profile(wharf, tmp_path):
    prof = tmp_path / "deny-mkdir.json"
    prof.write_text('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],'
                    '"action":"SCMP_ACT_ERRNO","errnoRet":1}]}')
    p = wharf.run("--rm", "--security-opt", f"seccomp={prof}", "sh", "-c",
                  "mkdir /tmp/d 2>/dev/null && echo made || echo denied")
    assert p.stdout == "denied\n"
    p = wharf.run("--rm", "--security-opt", f"seccomp={tmp_path}/missing.json", "true", check=False)
    assert p.returncode == 125 and "missing.json" in p.stderr
