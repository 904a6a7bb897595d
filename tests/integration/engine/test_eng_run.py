"""`wharf run`: the process from the flags (docker's rules), exit codes,
and bad input that must fail with 125 and leave nothing behind."""
import os
import subprocess

import pytest

from engutil import leftovers, run_in_pty


def test_run_rm_echo_leaves_nothing(wharf):
    p = wharf.run("--rm", "echo", "hello")
    assert p.stdout == "hello\n"
    assert wharf.rows() == []
    assert leftovers(wharf, []) == []
    assert os.listdir(os.path.join(wharf.root, "containers")) == []
    assert os.listdir(os.path.join(wharf.runroot, "containers")) == []


def test_rm_containers_get_a_volatile_overlay_and_others_do_not(wharf):
    """--rm: the upper layer goes with the container, so it is never synced
    (overlay's volatile, as podman mounts such containers); a container
    that is kept gets a normal overlay."""
    mounts = wharf.run("--rm", "cat", "/proc/self/mountinfo").stdout
    root = [l for l in mounts.splitlines() if l.split()[4] == "/"][0]
    assert "volatile" in root, root
    p = wharf.run("sh", "-c", "cat /proc/self/mountinfo")
    root = [l for l in p.stdout.splitlines() if l.split()[4] == "/"][0]
    assert "volatile" not in root, root


def test_rm_directories_are_deleted_after_the_exit_is_reported(wharf):
    """A --rm container's directories are renamed into ROOT/.trash and
    RUNROOT/.trash before its exit is reported and deleted by the monitor
    right after; what a killed monitor left there is deleted by a later
    command once it is ten seconds old."""
    from engutil import wait_until
    wharf.run("--rm", "true")
    for base in (wharf.root, wharf.runroot):
        wait_until(lambda: os.listdir(os.path.join(base, ".trash")) == [],
                   what=f"{base}/.trash emptied")
    stale = os.path.join(wharf.root, ".trash", "f" * 64)
    os.makedirs(os.path.join(stale, "upper", "etc"))
    open(os.path.join(stale, "upper", "etc", "hosts"), "w").write("x\n")
    wharf("ps")
    assert os.path.exists(stale), "a fresh trash entry may still be being deleted"
    import time
    time.sleep(10.5)
    wharf("ps")
    assert os.listdir(os.path.join(wharf.root, ".trash")) == []


def test_exit_status_is_the_containers(wharf):
    assert wharf.run("--rm", "sh", "-c", "exit 3", check=False).returncode == 3
    assert wharf.run("--rm", "sh", "-c", "exit 255", check=False).returncode == 255


def test_command_not_found_is_127_not_executable_126(wharf):
    p = wharf.run("--rm", "no-such-command", check=False)
    assert p.returncode == 127
    assert "no-such-command" in p.stderr and "not found" in p.stderr
    p = wharf.run("--rm", "/noexec", check=False)
    assert p.returncode == 126
    assert "permission denied" in p.stderr
    assert wharf.rows() == []


@pytest.mark.parametrize("args,msg", [
    (["--memory", "12q"], "unknown unit"),
    (["--cpus", "-1"], "--cpus"),
    (["--restart", "sometimes"], "restart policy"),
    (["--ulimit", "nofile"], "NAME=SOFT"),
    (["-p", "99999:80"], "1-65535"),
    (["-v", "relative:dir"], "not absolute"),
    (["--mount", "type=nfs,target=/x"], "bind, volume or tmpfs"),
    (["--no-such-flag"], "unknown"),
    (["--cap-add", "CAP_NOPE"], "unknown capability"),
    (["--security-opt", "apparmor=x"], "security-opt"),
    (["--name", "bad/name"], "invalid container name"),
])
def test_bad_flag_values_fail_with_125_and_leave_nothing(wharf, args, msg):
    p = wharf.run("--rm", *args, "true", check=False)
    assert p.returncode == 125, p.stderr
    assert msg in p.stderr
    assert wharf.rows() == []
    assert leftovers(wharf, []) == []


def test_missing_bind_source_fails_cleanly(wharf, tmp_path):
    p = wharf.run("-v", f"{tmp_path}/absent:/data", "true", check=False)
    assert p.returncode == 125
    assert "absent" in p.stderr and "does not exist" in p.stderr
    assert wharf.rows() == []
    assert os.listdir(os.path.join(wharf.root, "containers")) == []


def test_unknown_image_fails_with_125(wharf):
    p = wharf("run", "--rm", "--network", "none", "localhost:1/nope:1", "true", check=False)
    assert p.returncode == 125
    assert "nope" in p.stderr
    assert wharf.rows() == []


def test_unknown_network_is_a_clear_error(wharf):
    p = wharf("run", "--rm", "--rootfs", wharf.rootfs, "--network", "nosuchnet", "true",
              check=False)
    assert p.returncode == 125
    assert "nosuchnet" in p.stderr
    assert wharf.rows() == []
    assert leftovers(wharf, []) == []


def test_env_user_workdir_entrypoint(wharf, tmp_path):
    envf = tmp_path / "env"
    envf.write_text("# comment\nFROM_FILE=1\nOVER=file\n")
    p = wharf.run("--rm", "-e", "A=b c", "--env-file", envf, "-e", "OVER=flag",
                  "sh", "-c", 'echo "$A|$FROM_FILE|$OVER|$HOME|$PATH"')
    assert p.stdout == "b c|1|flag|/root|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
    p = wharf.run("--rm", "-u", "app", "sh", "-c", "id -u; id -g; id -G; echo $HOME")
    assert p.stdout.split() == ["1000", "1000", "1000", "2000", "/home/app"]
    p = wharf.run("--rm", "-u", "65534:1000", "sh", "-c", "id -u; id -g")
    assert p.stdout.split() == ["65534", "1000"]
    assert wharf.run("--rm", "-u", "nosuchuser", "true", check=False).returncode == 125
    # A missing working directory is created, as docker does.
    assert wharf.run("--rm", "-w", "/new/dir", "pwd").stdout == "/new/dir\n"
    # --entrypoint replaces the entrypoint; the command line becomes its args.
    assert wharf.run("--rm", "--entrypoint", "echo", "a", "b").stdout == "a b\n"


def test_hostname_hosts_and_no_host_resolv_conf(wharf):
    p = wharf.run("--rm", "--hostname", "box1", "--add-host", "db.local:10.1.2.3",
                  "--dns", "127.0.0.53", "sh", "-c",
                  "hostname; cat /etc/hostname; grep db.local /etc/hosts; cat /etc/resolv.conf")
    lines = p.stdout.splitlines()
    assert lines[0] == "box1" and lines[1] == "box1"
    assert lines[2].split() == ["10.1.2.3", "db.local"]
    assert "nameserver 127.0.0.53" in lines
    with open("/etc/resolv.conf") as f:
        host = [l for l in f.read().splitlines() if l.startswith("nameserver")]
    p = wharf.run("--rm", "cat", "/etc/resolv.conf")
    assert "nameserver" not in p.stdout
    for l in host:
        assert l not in p.stdout


def test_stdin_with_i(wharf):
    p = wharf.run("--rm", "-i", "sh", "-c", "tr a-z A-Z", input="hello\nworld\n")
    assert p.stdout == "HELLO\nWORLD\n"
    # Without -i the container's stdin is empty.
    assert wharf.run("--rm", "cat", input="ignored\n").stdout == ""


def test_tty_gets_a_pty(wharf):
    rc, text = run_in_pty(wharf.cmd("run", "--rm", "-t", "--network", "none", "--rootfs",
                                    wharf.rootfs, "sh", "-c", "tty; echo TERM=$TERM"))
    assert rc == 0
    assert "/dev/pts/" in text
    assert "TERM=xterm" in text


def test_runtime_flag_drives_a_runtime_binary(wharf):
    p = wharf.run("--rm", "--runtime", "/usr/sbin/runc", "echo", "via runc")
    assert p.stdout == "via runc\n"
    p = wharf.run("--rm", "--runtime", "/nonexistent/runtime", "true", check=False)
    assert p.returncode == 125
    assert "/nonexistent/runtime" in p.stderr
    assert wharf.rows() == []


def test_read_only_rootfs_and_tmpfs(wharf):
    p = wharf.run("--rm", "--read-only", "--tmpfs", "/scratch:size=1m", "sh", "-c",
                  "touch /x 2>/dev/null && echo wrote || echo ro; touch /scratch/y && echo tmp;"
                  " grep ' /scratch ' /proc/mounts")
    lines = p.stdout.splitlines()
    assert lines[0] == "ro" and lines[1] == "tmp"
    assert "tmpfs" in lines[2] and "size=1024k" in lines[2]


def test_writes_do_not_reach_the_image(wharf):
    wharf.run("--rm", "sh", "-c", "echo changed > /etc/data.txt; rm /bin/ls")
    with open(os.path.join(wharf.rootfs, "etc", "data.txt")) as f:
        assert f.read() == "from the image\n"
    assert os.path.lexists(os.path.join(wharf.rootfs, "bin", "ls"))


def test_ulimit_and_device(wharf):
    p = wharf.run("--rm", "--ulimit", "nofile=512:1024", "sh", "-c", "ulimit -n; ulimit -Hn")
    assert p.stdout.split() == ["512", "1024"]
    p = wharf.run("--rm", "--device", "/dev/null:/dev/mynull", "sh", "-c",
                  "ls -l /dev/mynull; echo x > /dev/mynull && echo written")
    assert p.stdout.startswith("c") and "1,   3" in p.stdout.replace("1,  3", "1,   3")
    assert "written" in p.stdout
    # A device outside the default list: the permissions given are the
    # cgroup's (r: opening for writing is refused).
    if os.path.exists("/dev/loop-control"):
        script = "exec 3>/dev/lc; echo opened"
        p = wharf.run("--rm", "--device", "/dev/loop-control:/dev/lc:r", "sh", "-c", script,
                      check=False)
        assert p.returncode != 0 and "not permitted" in p.stderr
        p = wharf.run("--rm", "--device", "/dev/loop-control:/dev/lc:rw", "sh", "-c", script)
        assert p.stdout == "opened\n"
    assert wharf.run("--rm", "--device", "/nonexistent", "true", check=False).returncode == 125
