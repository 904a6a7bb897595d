"""Namespaces: a user namespace with id mappings, joining another
container's namespaces by path, and a time namespace with offsets."""
import os
import shutil
import tempfile

from rtutil import RUN_TOKEN

from wharfutil import wait_for


def test_user_namespace_with_mappings(rt, make_bundle, request):
    b = make_bundle("id; cat /proc/self/uid_map; touch /tmp/f && echo wrote; sleep 100")
    # the mapped root has no rights on the host: every directory above the
    # rootfs must be searchable by others (pytest's tmp dirs are 0700)
    base = tempfile.mkdtemp(prefix=f"wrt-{RUN_TOKEN}-userns-", dir="/tmp")
    os.chmod(base, 0o711)
    shutil.move(b.path, base)
    b.path = os.path.join(base, os.path.basename(b.path))
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    b.config["linux"]["namespaces"].append({"type": "user"})
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    # v1 cgroup hierarchies cannot be mounted from a user namespace (runc's
    # rootless spec has no cgroup mount either)
    b.config["mounts"] = [m for m in b.config["mounts"] if m["type"] != "cgroup"]
    b.save()
    # the root's /tmp must be writable by the mapped root
    os.chown(os.path.join(b.rootfs, "tmp"), 200000, 200000)
    cid = rt.create(b)
    rt.cmd("start", cid)
    wait_for(lambda: "wrote" in rt.output(b, cid), what="container output")
    out = rt.output(b, cid)
    assert "uid=0(root) gid=0(root)" in out
    assert out.split("\n")[1].split() == ["0", "200000", "65536"]
    pid = rt.state(cid)["pid"]
    with open(f"/proc/{pid}/status") as f:
        uid_line = [l for l in f if l.startswith("Uid:")][0]
    assert uid_line.split()[1] == "200000"       # as the host sees it
    assert os.stat(os.path.join(b.rootfs, "tmp", "f")).st_uid == 200000


def test_join_namespaces_by_path(rt, make_bundle):
    a = make_bundle("sleep 100")
    a.config["hostname"] = "shared-uts"
    a.save()
    ca = rt.create(a)
    rt.cmd("start", ca)
    apid = rt.state(ca)["pid"]
    b = make_bundle("hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc")
    del b.config["hostname"]
    for ns in b.config["linux"]["namespaces"]:
        if ns["type"] in ("network", "uts", "ipc"):
            ns["path"] = f"/proc/{apid}/ns/{'net' if ns['type'] == 'network' else ns['type']}"
    b.save()
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[0] == "shared-uts"
    assert lines[1] == os.readlink(f"/proc/{apid}/ns/net")
    assert lines[2] == os.readlink(f"/proc/{apid}/ns/ipc")


def test_user_namespace_by_path_with_new_namespaces(rt, make_bundle, request):
    """A user namespace given by path (as Kubernetes' user namespaces pass
    it) with new mount, pid, uts, ipc and network namespaces: those must
    belong to the joined user namespace, or init could not mount /proc or
    anything else. The runtime joins it in an intermediate process first."""
    import subprocess
    holder = subprocess.Popen(["unshare", "--user", "--map-root-user", "sleep", "100"])
    request.addfinalizer(lambda: (holder.kill(), holder.wait()))
    userns = f"/proc/{holder.pid}/ns/user"
    wait_for(lambda: os.readlink(userns) != os.readlink("/proc/self/ns/user"),
             what="the holder's user namespace")
    wait_for(lambda: open(f"/proc/{holder.pid}/uid_map").read().strip() != "",
             what="the holder's uid map")
    b = make_bundle("echo pid=$$; cat /proc/self/uid_map; readlink /proc/self/ns/user; "
                    "hostname; grep -c ' /proc ' /proc/self/mountinfo")
    b.config["linux"]["namespaces"].append({"type": "user", "path": userns})
    b.config["hostname"] = "in-userns"
    # v1 cgroup hierarchies cannot be mounted from a user namespace, and
    # only uid and gid 0 are mapped (no gid=5 for devpts, as in runc's
    # rootless spec)
    b.config["mounts"] = [m for m in b.config["mounts"] if m["type"] != "cgroup"]
    for m in b.config["mounts"]:
        if m["type"] == "devpts":
            m["options"] = [o for o in m["options"] if not o.startswith("gid=")]
    b.save()
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    out = r.stdout.split("\n")
    assert out[0] == "pid=1"
    assert out[1].split() == ["0", "0", "1"]
    assert out[2] == os.readlink(userns)
    assert out[3] == "in-userns"
    assert int(out[4]) >= 1


def test_bad_namespace_path_fails_and_cleans_up(rt, make_bundle):
    b = make_bundle("true")
    for ns in b.config["linux"]["namespaces"]:
        if ns["type"] == "network":
            ns["path"] = "/proc/self/ns/nonexistent"
    b.save()
    cid = rt.new_id()
    r = rt.create(b, cid=cid, check=False)
    assert r.returncode != 0 and "network /proc/self/ns/nonexistent" in r.stderr
    assert not os.path.exists(os.path.join(rt.root, cid))


def test_time_namespace_offsets(rt, make_bundle):
    b = make_bundle("cat /proc/uptime; readlink /proc/self/ns/time")
    b.config["linux"]["namespaces"].append({"type": "time"})
    b.config["linux"]["timeOffsets"] = {"boottime": {"secs": 1000000, "nanosecs": 0},
                                        "monotonic": {"secs": 500000}}
    b.save()
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    up = float(r.stdout.split()[0])
    with open("/proc/uptime") as f:
        host_up = float(f.read().split()[0])
    assert up - host_up > 999000, (up, host_up)
    assert r.stdout.split()[2] != os.readlink("/proc/self/ns/time")
