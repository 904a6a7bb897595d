"""CVE-2019-5736: a container must never reach the host's runtime binary
for writing. wharf-runtime never re-executes itself: a container's init
and an exec'd process run our code only between clone() and execve(),
and are not dumpable meanwhile, so no other process of the container can
open (or even read) their /proc/PID/exe.

The test runs a copy of the binary, and an attacker container that scans
/proc in a loop, opening every exe link it can for writing, while a
second container joins its pid namespace (create, a long "created"
phase, start) and while processes are exec'd into both."""
import hashlib
import os
import shutil
import time

from rtutil import Runtime
from wharfutil import bin_path, wait_for

ATTACK = r"""
echo x >> /proc/self/exe 2>/dev/null && echo WROTE-SELF >> /tmp/log
while true; do
  for p in /proc/[0-9]*; do
    t=$(readlink $p/exe 2>/dev/null)
    [ -n "$t" ] && echo "SAW $t" >> /tmp/log
    if [ -n "$t" ] && [ "$t" != /bin/busybox ]; then
      (echo pwned >> $p/exe) 2>/dev/null && echo "WROTE $p $t" >> /tmp/log
    fi
  done
done
"""


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_container_cannot_reach_the_runtime_binary(tmp_path, make_bundle):
    binary = tmp_path / "wharf-runtime-copy"
    shutil.copy2(bin_path("wharf-runtime"), binary)
    before = digest(binary)
    rt = Runtime(tmp_path / "state", binary=str(binary))
    try:
        attacker = make_bundle(ATTACK)
        a = rt.create(attacker)
        rt.cmd("start", a)
        log = os.path.join(attacker.rootfs, "tmp", "log")
        wait_for(lambda: os.path.exists(log), what="attacker scanning")

        # a second container in the attacker's pid namespace: its init is
        # visible to the attacker during create and until start
        apid = rt.state(a)["pid"]
        victim = make_bundle("sleep 100")
        for ns in victim.config["linux"]["namespaces"]:
            if ns["type"] == "pid":
                ns["path"] = f"/proc/{apid}/ns/pid"
        victim.save()
        v = rt.create(victim)
        time.sleep(1.0)                     # the "created" window
        rt.cmd("start", v)
        for _ in range(10):                 # exec windows, into both
            rt.cmd("exec", a, "true")
            rt.cmd("exec", v, "true")
        time.sleep(0.5)
        with open(log) as f:
            text = f.read()
        # the scan works: it sees the container's own processes...
        assert "SAW /bin/busybox" in text
        # ...but never the runtime, and never wrote anything (the log is
        # long: report a few lines, not a diff)
        bad = [l for l in text.splitlines() if "wharf" in l or "WROTE" in l]
        assert not bad, bad[:5]
        assert digest(binary) == before
    finally:
        rt.cleanup()
