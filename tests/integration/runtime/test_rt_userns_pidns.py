"""A pid namespace joined by path together with a new user namespace (as
runc: the pid namespace is joined first, by the runtime, then the child
is cloned into a new user namespace; its pid is one of the joined
namespace's). The joined pid namespace belongs to the host's user
namespace, so the container cannot mount a proc of it (runc fails the
same way): the test config has no /proc mount and looks from outside."""
import os
import shutil
import tempfile

from rtutil import RUN_TOKEN

from wharfutil import wait_for


def test_join_pid_namespace_with_new_user_namespace(rt, make_bundle, request):
    a = make_bundle("sleep 100")
    ca = rt.create(a)
    rt.cmd("start", ca)
    apid = rt.state(ca)["pid"]

    b = make_bundle("id -u; echo pid=$$; sleep 100")
    base = tempfile.mkdtemp(prefix=f"wrt-{RUN_TOKEN}-uspid-", dir="/tmp")
    os.chmod(base, 0o711)
    shutil.move(b.path, base)
    b.path = os.path.join(base, os.path.basename(b.path))
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    nss = [ns for ns in b.config["linux"]["namespaces"] if ns["type"] != "pid"]
    b.config["linux"]["namespaces"] = nss + [
        {"type": "pid", "path": f"/proc/{apid}/ns/pid"}, {"type": "user"}]
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    b.config["mounts"] = [m for m in b.config["mounts"] if m["type"] not in ("cgroup", "proc")]
    # masking goes through /proc/self/fd after pivot_root: no /proc here
    b.config["linux"]["maskedPaths"] = b.config["linux"]["readonlyPaths"] = []
    b.save()
    cid = rt.create(b)
    rt.cmd("start", cid)
    wait_for(lambda: "pid=" in rt.output(b, cid), what="container output")
    out = rt.output(b, cid).split()
    assert out[0] == "0"                                   # root of its user ns
    pid = rt.state(cid)["pid"]
    assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{apid}/ns/pid")
    assert os.readlink(f"/proc/{pid}/ns/user") != os.readlink("/proc/self/ns/user")
    with open(f"/proc/{pid}/uid_map") as f:
        assert f.read().split() == ["0", "300000", "65536"]
    with open(f"/proc/{pid}/status") as f:
        st = {l.split(":")[0]: l.split()[1:] for l in f}
    assert st["Uid"][0] == "300000"
    # its pid in the joined namespace (the last NSpid) is what $$ said, not 1
    assert out[1] == f"pid={st['NSpid'][-1]}" and st["NSpid"][-1] != "1"
    # the runtime itself went back to its own pid namespace
    rt.cmd("delete", "--force", cid)

