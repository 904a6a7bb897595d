"""top and stats through the container's runtime (in process and a
--runtime binary), attach's detach keys, exec -d -t and --network
container:ID."""
import json
import os
import pty
import select
import time

from engutil import leftovers, wait_until


def check_top_stats(wharf, name):
    top = wharf("top", name).stdout
    assert "sleep 60" in top
    stats = json.loads(wharf("stats", "--no-stream", "--format", "json", name).stdout)
    assert stats[0]["Name"] == name
    assert stats[0]["MemLimit"] == 64 * 1024 * 1024
    assert stats[0]["MemUsage"] > 0
    assert 1 <= stats[0]["PIDs"] <= 50


def test_top_and_stats_in_process(wharf):
    wharf.run("-d", "--name", "tp", "--memory", "64m", "--pids-limit", "50", "sleep", "60")
    check_top_stats(wharf, "tp")


def test_top_and_stats_runtime_binary(wharf):
    # runc's `ps --format json` and `events --stats`: the engine reads no
    # cgroup path of its own.
    wharf.run("-d", "--name", "tr", "--runtime", "/usr/sbin/runc", "--memory", "64m",
              "--pids-limit", "50", "sleep", "60")
    check_top_stats(wharf, "tr")
    cid = wharf.inspect("tr")["Id"]
    wharf("rm", "-f", "tr")
    assert leftovers(wharf, [cid]) == []


def test_stats_unlimited_shows_host_memory(wharf):
    wharf.run("-d", "--name", "tu", "sleep", "60")
    stats = json.loads(wharf("stats", "--no-stream", "--format", "json", "tu").stdout)
    with open("/proc/meminfo") as f:
        total = int(f.readline().split()[1]) * 1024
    assert stats[0]["MemLimit"] == total


class Pty:
    """A command with a pty as its terminal, driven from the test."""

    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(argv[0], argv)
        self.out = b""

    def read_until(self, needle, timeout=10):
        end = time.monotonic() + timeout
        while needle not in self.out:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {needle!r} in {self.out!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    b = os.read(self.fd, 4096)
                except OSError:
                    b = b""
                if not b:
                    raise AssertionError(f"EOF before {needle!r}: {self.out!r}")
                self.out += b

    def send(self, data):
        os.write(self.fd, data)

    def wait(self, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(st)
            try:
                select.select([self.fd], [], [], 0.05)
                self.out += os.read(self.fd, 4096)
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"still running: {self.out!r}")


def test_attach_detach_keys_default(wharf):
    wharf.run("-d", "-i", "-t", "--name", "dk", "sh")
    p = Pty(wharf.cmd("attach", "dk"))
    p.send(b"echo ab$((40+2))\r")
    p.read_until(b"ab42")
    # ctrl-p then ctrl-q: the client leaves, exit 0, the shell runs on.
    p.send(b"\x10\x11")
    assert p.wait() == 0
    assert wharf.inspect("dk")["State"]["Running"]
    # Attached again, the same shell; exiting it ends the attach with its
    # status.
    p = Pty(wharf.cmd("attach", "dk"))
    p.send(b"echo cd$((40+3))\r")
    p.read_until(b"cd43")
    p.send(b"exit 3\r")
    assert p.wait() == 3
    assert not wharf.inspect("dk")["State"]["Running"]


def test_attach_detach_keys_custom(wharf):
    wharf.run("-d", "-i", "-t", "--name", "dc", "sh")
    p = Pty(wharf.cmd("attach", "--detach-keys", "ctrl-x,x", "dc"))
    # The default sequence is an ordinary input now, and a partial custom
    # one ("ctrl-x" then "y") is passed on as typed.
    p.send(b"\x10\x11echo ef$((40+4))\r")
    p.read_until(b"ef44")
    p.send(b"\x18y")
    p.send(b"\x15echo gh$((40+5))\r")  # ctrl-u clears the line first
    p.read_until(b"gh45")
    p.send(b"\x18x")
    assert p.wait() == 0
    assert wharf.inspect("dc")["State"]["Running"]
    bad = wharf("attach", "--detach-keys", "ctrl-1", "dc", check=False)
    assert bad.returncode == 125 and "detach-keys" in bad.stderr


def test_run_it_detach_keys(wharf):
    p = Pty(wharf.cmd("run", "--network", "none", "--rootfs", wharf.rootfs, "-i", "-t",
                      "--name", "rd", "--detach-keys", "ctrl-a", "sh"))
    p.send(b"echo ij$((40+6))\r")
    p.read_until(b"ij46")
    p.send(b"\x01")
    assert p.wait() == 0
    assert wharf.inspect("rd")["State"]["Running"]


def holders(wharf):
    """Processes of this test's wharf still running an exec (the holders
    of detached execs are forks of `wharf exec`)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if str(wharf.root).encode() in argv and b"exec" in argv:
            found.append(int(pid))
    return found


def exec_detached_tty(wharf, name):
    # Returns at once while the process runs on with a terminal; its
    # output is drained, so a process writing much more than a pty buffer
    # holds is not blocked.
    p = wharf("exec", "-d", "-t", name, "sh", "-c",
              "tty > /tmp/tty; yes | head -c 1000000; echo > /tmp/done; sleep 60")
    assert p.returncode == 0 and p.stdout == ""
    wait_until(lambda: wharf("exec", name, "cat", "/tmp/tty", check=False).stdout
               .startswith("/dev/pts/"), what="the exec's tty")
    wait_until(lambda: wharf("exec", name, "test", "-f", "/tmp/done",
                             check=False).returncode == 0, what="output drained")
    assert "sleep 60" in wharf("top", name).stdout
    assert len(holders(wharf)) == 1
    # Without -t too, exec -d does not wait for the process.
    wharf("exec", "-d", name, "sleep", "61")
    assert "sleep 61" in wharf("top", name).stdout
    # What the container ran ends with it, and so do the holders.
    cid = wharf.inspect(name)["Id"]
    wharf("rm", "-f", name)
    wait_until(lambda: holders(wharf) == [], what="the holders to exit")
    assert leftovers(wharf, [cid]) == []


def test_exec_detached_tty(wharf):
    wharf.run("-d", "--name", "ed", "sleep", "60")
    exec_detached_tty(wharf, "ed")


def test_exec_detached_tty_runtime_binary(wharf):
    wharf.run("-d", "--name", "er", "--runtime", "/usr/sbin/runc", "sleep", "60")
    exec_detached_tty(wharf, "er")


def test_exec_detached_bad_command(wharf):
    wharf.run("-d", "--name", "eb", "sleep", "60")
    p = wharf("exec", "-d", "-t", "eb", "/no/such/cmd", check=False)
    assert p.returncode == 127
    assert holders(wharf) == []


def test_network_container_joins_namespace(wharf, tmp_path):
    (tmp_path / "index.html").write_text("from the first\n")
    first = wharf("run", "--rootfs", wharf.rootfs, "-d", "--name", "first",
                  "-v", f"{tmp_path}:/www:ro",
                  "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www").stdout.strip()
    ip = wharf.inspect("first")["NetworkSettings"]["IPAddress"]
    assert ip
    # The second sees the first's eth0 and address, and reaches a server
    # bound to the first's loopback only.
    p = wharf("run", "--rootfs", wharf.rootfs, "--rm", "--network", "container:first",
              "sh", "-c", "ip -o -4 addr show eth0; "
              "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://127.0.0.1:8080/ && break;"
              " sleep 0.2; done")
    assert f"inet {ip}/" in p.stdout
    assert "from the first\n" in p.stdout
    # By id prefix too; recorded by full id, as docker's.
    second = wharf("run", "--rootfs", wharf.rootfs, "-d", "--network", f"container:{first[:12]}",
                   "sleep", "60").stdout.strip()
    assert wharf.inspect(second)["HostConfig"]["NetworkMode"] == f"container:{first}"
    assert "wh" + second[:12] not in os.listdir("/sys/class/net")  # no veth of its own
    wharf("rm", "-f", second, first)
    assert leftovers(wharf, [first, second]) == []


def test_network_container_bad_input(wharf):
    p = wharf.run("--network", "container:nosuch", "true", check=False)
    assert p.returncode == 125 and "nosuch" in p.stderr
    wharf.run("--name", "stopped", "true")
    p = wharf("run", "--rootfs", wharf.rootfs, "--rm", "--network", "container:stopped",
              "true", check=False)
    assert p.returncode == 125 and "not running" in p.stderr
    wharf.run("-d", "--name", "up", "sleep", "60")
    p = wharf("run", "--rootfs", wharf.rootfs, "--network", "container:up", "-p", "8081:80",
              "true", check=False)
    assert p.returncode == 125 and "publish" in p.stderr
    assert [r for r in wharf.rows() if r[1] not in ("stopped", "up")] == []
