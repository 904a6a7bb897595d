

def test_join_user_namespace_with_new_pid_namespace(rt, make_bundle, request):
    """The converse: a user namespace joined by path and a new pid
    namespace, which runc makes after joining (so the joined user
    namespace owns it and the container can mount its proc)."""
    base = tempfile.mkdtemp(prefix=f"wrt-{RUN_TOKEN}-uspid-", dir="/tmp")
    os.chmod(base, 0o711)
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))

    def userns_bundle(script):
        b = make_bundle(script)
        shutil.move(b.path, base)
        b.path = os.path.join(base, os.path.basename(b.path))
        b.config["mounts"] = [m for m in b.config["mounts"] if m["type"] != "cgroup"]
        return b

    a = userns_bundle("sleep 100")
    a.config["linux"]["namespaces"].append({"type": "user"})
    a.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    a.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    a.save()
    ca = rt.create(a)
    rt.cmd("start", ca)
    apid = rt.state(ca)["pid"]
    b = userns_bundle("echo pid=$$; cat /proc/self/uid_map")
    b.config["linux"]["namespaces"].append({"type": "user", "path": f"/proc/{apid}/ns/user"})
    b.save()
    r = rt.run(b)
    assert r.returncode == 0, r.stderr
    out = r.stdout.split()
    assert out[0] == "pid=1"
    assert out[1:] == ["0", "300000", "65536"]
