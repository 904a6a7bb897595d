"""The container's file system, checked from inside: every mount type,
bind options, readonly root, masked and read-only paths, devices, /dev
links, sysctl, --no-pivot, and destinations that try to leave the rootfs
through symlinks."""
import os

import pytest


def mounts_of(text):
    """/proc/mounts lines → {mountpoint: (fstype, options)}"""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 4:
            out[f[1]] = (f[2], f[3].split(","))
    return out


def test_every_mount_type(rt, make_bundle, tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "file").write_text("bound\n")
    b = make_bundle("cat /proc/mounts; echo ---; cat /data/file; ls /sys/fs/cgroup; "
                    "ls /sys/class > /dev/null && echo sysfs-ok")
    b.config["mounts"] += [
        {"destination": "/data", "type": "bind", "source": str(src), "options": ["rbind", "ro"]},
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "size=1m", "mode=700"]},
    ]
    b.save()
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    mounts_text, rest = r.stdout.split("---", 1)
    m = mounts_of(mounts_text)
    assert m["/proc"][0] == "proc"
    assert m["/dev"][0] == "tmpfs"
    assert m["/dev/pts"][0] == "devpts"
    assert m["/dev/shm"][0] == "tmpfs"
    assert m["/dev/mqueue"][0] == "mqueue"
    assert m["/sys"][0] == "sysfs" and "ro" in m["/sys"][1]
    assert m["/sys/fs/cgroup"][0] == "tmpfs"
    assert m["/sys/fs/cgroup/memory"][0] == "cgroup"
    assert m["/data"][0] != "tmpfs" and "ro" in m["/data"][1]
    assert m["/scratch"][0] == "tmpfs" and "nosuid" in m["/scratch"][1]
    assert "size=1024k" in m["/scratch"][1] and "mode=700" in m["/scratch"][1]
    assert "bound" in rest and "memory" in rest and "sysfs-ok" in rest


def test_bind_mount_is_read_only_when_asked(rt, make_bundle, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    b = make_bundle("touch /ro/x 2>&1; echo rc=$?; touch /rw/y; echo rc=$?")
    b.config["mounts"] += [
        {"destination": "/ro", "type": "bind", "source": str(src), "options": ["bind", "ro"]},
        {"destination": "/rw", "type": "bind", "source": str(src), "options": ["bind"]},
    ]
    b.save()
    r = rt.run(b)
    assert "Read-only file system" in r.stdout
    assert "rc=1" in r.stdout and r.stdout.strip().endswith("rc=0")
    assert (src / "y").exists() and not (src / "x").exists()


def test_file_bind_mount(rt, make_bundle, tmp_path):
    f = tmp_path / "hosts"
    f.write_text("127.0.0.1 bound-file\n")
    b = make_bundle("cat /etc/hosts")
    b.config["mounts"].append({"destination": "/etc/hosts", "type": "bind",
                               "source": str(f), "options": ["rbind", "ro"]})
    b.save()
    assert "bound-file" in rt.run(b).stdout


def _secrets(rootfs):
    """/etc/secret (a file) and /secretdir (a directory) for masking."""
    with open(os.path.join(rootfs, "etc", "secret"), "w") as f:
        f.write("hidden")
    os.makedirs(os.path.join(rootfs, "secretdir"))
    with open(os.path.join(rootfs, "secretdir", "f"), "w") as f:
        f.write("x")


def test_readonly_root_masked_and_readonly_paths(rt, make_bundle):
    b = make_bundle("touch /x 2>&1; echo; cat /etc/secret | wc -c; ls /secretdir | wc -l; "
                    "echo 1 2>&1 > /proc/sys/kernel/ns_last_pid; echo; "
                    "touch /data/new 2>&1; echo")
    _secrets(b.rootfs)
    b.config["root"]["readonly"] = True
    b.config["linux"]["maskedPaths"] += ["/etc/secret", "/secretdir", "/does/not/exist"]
    b.config["linux"]["readonlyPaths"].append("/data")
    b.config["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs"})
    b.save()
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    lines = [l.strip() for l in r.stdout.splitlines()]
    assert "Read-only file system" in lines[0]
    assert lines[2] == "0"    # /etc/secret masked by /dev/null
    assert lines[3] == "0"    # /secretdir masked by an empty tmpfs
    assert "ns_last_pid: Read-only file system" in r.stdout   # /proc/sys read-only
    assert "/data/new: Read-only file system" in r.stdout     # /data read-only


def test_masked_and_readonly_paths_without_proc(rt, make_bundle):
    """A container with no /proc mount still gets its maskedPaths and
    readonlyPaths (the fd-based mount API, no /proc/self/fd needed)."""
    b = make_bundle("ls /proc | wc -l; cat /etc/secret | wc -c; ls /secretdir | wc -l; "
                    "touch /data/new 2>&1; echo end")
    _secrets(b.rootfs)
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/proc"]
    b.config["linux"]["maskedPaths"] = ["/etc/secret", "/secretdir"]
    b.config["linux"]["readonlyPaths"] = ["/data"]
    b.config["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs"})
    b.save()
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    lines = [l.strip() for l in r.stdout.splitlines()]
    assert lines[0] == "0"    # no /proc in the container
    assert lines[1] == "0"    # /etc/secret masked by /dev/null
    assert lines[2] == "0"    # /secretdir masked by an empty tmpfs
    assert "/data/new: Read-only file system" in r.stdout
    assert lines[-1] == "end"


def test_devices_and_dev_links(rt, make_bundle):
    b = make_bundle("ls -l /dev/fuse /dev/null; for l in fd stdin ptmx; do readlink /dev/$l; done; "
                    "echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c")
    b.config["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10,
                                     "minor": 229, "fileMode": 0o640, "uid": 0, "gid": 0}]
    b.config["linux"]["resources"]["devices"].append(
        {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rwm"})
    b.save()
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "crw-r-----" in out and "10, 229" in out
    assert "1,   3" in out
    assert "/proc/self/fd\n/proc/self/fd/0\npts/ptmx" in out
    assert "null-ok" in out
    assert out.strip().endswith("4")


def test_device_cgroup_denies_what_is_not_allowed(rt, make_bundle):
    b = make_bundle("head -c 1 /dev/fuse; echo rc=$?")
    b.config["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10,
                                     "minor": 229, "fileMode": 0o666}]
    b.save()
    r = rt.run(b)
    assert "Operation not permitted" in r.stdout + r.stderr
    assert "rc=1" in r.stdout


def test_sysctl_in_own_network_namespace(rt, make_bundle):
    b = make_bundle("cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ip_default_ttl")
    b.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "net/ipv4/ip_default_ttl": "33"}
    b.save()
    r = rt.run(b)
    assert r.stdout.split() == ["1", "33"], r.stderr


def test_no_pivot(rt, make_bundle):
    b = make_bundle("cat /proc/self/mountinfo | head -1; ls /")
    r = rt.run(b, args=("--no-pivot",))
    assert r.returncode == 0, r.stderr
    assert "bin" in r.stdout.split()


def test_mount_destination_cannot_escape_through_a_symlink(rt, make_bundle, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    b = make_bundle("cat /proc/mounts")
    # /escape -> a host directory by absolute path: it must be resolved
    # inside the rootfs, where that path exists too
    inside = os.path.join(b.rootfs, str(outside).lstrip("/"))
    os.makedirs(inside)
    os.symlink(str(outside), os.path.join(b.rootfs, "escape"))
    b.config["mounts"].append({"destination": "/escape/inner", "type": "tmpfs",
                               "source": "tmpfs", "options": ["size=1m"]})
    b.save()
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    assert os.listdir(outside) == []                       # host untouched
    assert f"{outside}/inner tmpfs" in r.stdout             # mounted in the root
    assert os.path.isdir(os.path.join(inside, "inner"))    # made inside the root


def test_dangling_symlink_destination_fails_without_touching_the_host(rt, make_bundle,
                                                                      tmp_path):
    target = tmp_path / "never"
    b = make_bundle("true")
    os.symlink(str(target), os.path.join(b.rootfs, "escape"))
    b.config["mounts"].append({"destination": "/escape/inner", "type": "tmpfs",
                               "source": "tmpfs"})
    b.save()
    r = rt.run(b)
    assert r.returncode != 0 and "/escape/inner" in r.stderr
    assert not target.exists()


def test_masked_path_through_dotdot_stays_inside(rt, make_bundle, tmp_path):
    b = make_bundle("true")
    b.config["linux"]["maskedPaths"].append("/../../../../" + str(tmp_path).lstrip("/"))
    b.save()
    (tmp_path / "canary").write_text("keep")
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "canary").read_text() == "keep"


def test_mount_propagation_option(rt, make_bundle):
    b = make_bundle("cat /proc/self/mountinfo")
    b.config["mounts"].append({"destination": "/shared", "type": "tmpfs", "source": "tmpfs",
                               "options": ["rshared"]})
    b.config["mounts"].append({"destination": "/rro", "type": "tmpfs", "source": "tmpfs",
                               "options": ["rro", "rnoexec"]})
    b.save()
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    line = [l for l in r.stdout.splitlines() if " /shared " in l][0]
    assert "shared:" in line
    line = [l for l in r.stdout.splitlines() if " /rro " in l][0]
    assert " ro," in line and "noexec" in line


def _device_programs(cgroup_dir):
    """Ids of the BPF_CGROUP_DEVICE programs attached to a v2 cgroup
    (BPF_PROG_QUERY through the bpf syscall)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        ids = (ctypes.c_uint32 * 64)()
        # union bpf_attr, query: target_fd, attach_type, query_flags,
        # attach_flags, prog_ids (u64), prog_cnt
        attr = (ctypes.c_uint8 * 128)()
        ctypes.memmove(attr, (ctypes.c_uint32 * 4)(fd, 6, 0, 0), 16)   # BPF_CGROUP_DEVICE
        ctypes.c_uint64.from_buffer(attr, 16).value = ctypes.addressof(ids)
        ctypes.c_uint32.from_buffer(attr, 24).value = 64
        if libc.syscall(321, 16, ctypes.byref(attr), 128) != 0:   # bpf(BPF_PROG_QUERY)
            raise OSError(ctypes.get_errno(), "BPF_PROG_QUERY")
        return list(ids[:ctypes.c_uint32.from_buffer(attr, 24).value])
    finally:
        os.close(fd)


def test_hybrid_host_device_rules_are_the_v1_allow_list(rt, make_bundle):
    """On this hybrid host the v1 devices cgroup enforces the device rules,
    as with runc and crun; the container's cgroup in the v2 hierarchy
    (/sys/fs/cgroup/unified) gets no second copy of them as an eBPF program
    (the v2 program is tested on a pure v2 host: test_rt_cgroup_v2.py)."""
    if not os.path.exists("/sys/fs/cgroup/unified/cgroup.controllers"):
        pytest.skip("no v2 hierarchy")
    b = make_bundle("sleep 100")
    b.config["linux"]["devices"] = [
        {"path": "/dev/tunx", "type": "c", "major": 10, "minor": 200, "fileMode": 0o666}]
    b.save()
    cid = rt.create(b)
    rt.cmd("start", cid)
    assert os.path.isdir(f"/sys/fs/cgroup/unified/{cid}")
    assert _device_programs(f"/sys/fs/cgroup/unified/{cid}") == []
    listed = open(f"/sys/fs/cgroup/devices/{cid}/devices.list").read().split("\n")
    assert "c 10:200 rwm" not in listed and "c 1:3 rwm" in listed
    r = rt.cmd("exec", cid, "sh", "-c", "echo > /dev/tunx", check=False)
    assert "Operation not permitted" in r.stderr, r.stderr
    rt.cmd("exec", cid, "sh", "-c", "echo > /dev/null")
    # an update that allows 10:200 opens it
    import json
    res = {"devices": [{"allow": False, "access": "rwm"},
                       {"allow": True, "type": "c", "major": 10, "minor": 200,
                        "access": "rw"}]}
    rt.cmd("update", "-r", "-", cid, input=json.dumps(res))
    assert "c 10:200 rw" in open(f"/sys/fs/cgroup/devices/{cid}/devices.list").read()
    r = rt.cmd("exec", cid, "sh", "-c", "echo > /dev/tunx", check=False)
    assert "Operation not permitted" not in r.stderr, r.stderr
