"""End to end from a registry: an image with Entrypoint, Cmd, Env, User,
WorkingDir and ExposedPorts is pushed to a wharf-registry the test
starts, pulled into the engine's store and run; the process it gets
(argv, uid, cwd, env) is compared with what podman does with the same
image from the same registry."""
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile

import pytest

from engutil import leftovers

SHOW = ('#!/bin/sh\necho "args=$*|uid=$(id -u)|gid=$(id -g)|pwd=$(pwd)|'
        'greet=$GREETING|home=$HOME|path=$PATH"\n')


def _blob(blobs, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}


def make_oci_archive(rootfs, out, name):
    """An OCI layout tar (what `wharf load` reads) of rootfs plus /bin/show,
    with a config that sets every field the engine reads."""
    layer = io.BytesIO()
    def owned_by_root(ti):
        # pytest's directories are 0700: an image's are 0755 and root's.
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        if ti.isdir():
            ti.mode = 0o755
        return ti

    with tarfile.open(fileobj=layer, mode="w") as t:
        t.add(rootfs, arcname=".", filter=owned_by_root)
        info = tarfile.TarInfo("./bin/show")
        info.mode = 0o755
        info.size = len(SHOW)
        t.addfile(info, io.BytesIO(SHOW.encode()))
    layer = layer.getvalue()
    d = tempfile.mkdtemp()
    try:
        blobs = os.path.join(d, "blobs", "sha256")
        os.makedirs(blobs)
        ldesc = _blob(blobs, layer)
        config = {"architecture": "amd64", "os": "linux",
                  "config": {"Entrypoint": ["/bin/show"], "Cmd": ["default", "cmd"],
                             "Env": ["PATH=/usr/local/bin:/bin", "GREETING=hello"],
                             "User": "app", "WorkingDir": "/work",
                             "ExposedPorts": {"8080/tcp": {}}},
                  "rootfs": {"type": "layers", "diff_ids": [ldesc["digest"]]}}
        cdesc = _blob(blobs, json.dumps(config).encode())
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": dict(cdesc, mediaType="application/vnd.oci.image.config.v1+json"),
                    "layers": [dict(ldesc, mediaType="application/vnd.oci.image.layer.v1.tar")]}
        mdesc = _blob(blobs, json.dumps(manifest).encode())
        index = {"schemaVersion": 2, "manifests": [dict(
            mdesc, mediaType="application/vnd.oci.image.manifest.v1+json",
            annotations={"org.opencontainers.image.ref.name": name})]}
        with open(os.path.join(d, "index.json"), "w") as f:
            json.dump(index, f)
        with open(os.path.join(d, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion": "1.0.0"}')
        with tarfile.open(out, "w") as t:
            t.add(d, arcname=".")
    finally:
        shutil.rmtree(d)


@pytest.fixture
def pushed_image(wharf, registry, tmp_path):
    """IMG pushed to a wharf-registry, then pulled into the engine's store."""
    img = f"{registry.hostport}/e2e/show:1"
    arch = tmp_path / "img.tar"
    make_oci_archive(wharf.rootfs, arch, img)
    other = tmp_path / "pusher-root"
    subprocess.run(wharf.cmd("load", "-i", arch)[:1] + ["--root", str(other), "load", "-i", str(arch)],
                   check=True, capture_output=True)
    p = subprocess.run(wharf.cmd()[:1] + ["--root", str(other), "images"], capture_output=True, text=True)
    if img.split(":1")[0] not in p.stdout:
        subprocess.run(wharf.cmd()[:1] + ["--root", str(other), "tag", "show:1", img], check=True)
    subprocess.run(wharf.cmd()[:1] + ["--root", str(other), "push", img], check=True,
                   capture_output=True)
    wharf("pull", img)
    return img


def test_run_rm_from_a_pulled_image(wharf, pushed_image):
    p = wharf("run", "--rm", "--network", "none", pushed_image, "hello")
    assert p.stdout.startswith("args=hello|uid=1000|gid=1000|pwd=/work|greet=hello|home=/home/app")
    assert wharf.rows() == []
    assert leftovers(wharf, []) == []
    # The image is marked in use while a container exists.
    wharf("create", "--name", "holder", "--network", "none", pushed_image)
    p = wharf("rmi", pushed_image, check=False)
    assert p.returncode == 125 and "in use" in p.stderr
    wharf("rm", "holder")


def test_exposed_ports_and_publish_all(wharf, pushed_image):
    wharf("run", "-d", "--name", "pa", "-P", "--entrypoint", "sleep", pushed_image, "60")
    ports = json.loads(wharf("ps", "--format", "json").stdout)[0]["Ports"]
    assert [p["PrivatePort"] for p in ports] == [8080]


CASES = [
    [],
    ["one", "two"],
    ["-e", "GREETING=bye"],
    ["-u", "0"],
    ["-u", "65534:1000"],
    ["-w", "/tmp"],
    ["--entrypoint", "/bin/echo"],
    ["--entrypoint", "/bin/echo", "direct"],
]


def split_flags(case):
    flags, args = [], []
    i = 0
    while i < len(case):
        if case[i].startswith("-"):
            flags += case[i:i + 2]
            i += 2
        else:
            args.append(case[i])
            i += 1
    return flags, args


@pytest.fixture
def podman(tmp_path):
    if not shutil.which("podman") or not shutil.which("crun"):
        pytest.skip("podman with crun is not installed")
    wrap = tmp_path / "crun-wrap"
    # crun refuses the hybrid cgroup layout here: PEERS.md's wrapper.
    wrap.write_text('#!/bin/sh\nE=$(mktemp)\nexec unshare -m --propagation private sh -c '
                    '\': > "$0"; mount --bind "$0" /sys/fs/cgroup/unified/cgroup.controllers; '
                    'rm -f "$0"; exec crun "$@"\' "$E" "$@"\n')
    wrap.chmod(0o755)
    root, run = tmp_path / "podman-root", tempfile.mkdtemp(prefix="pr-", dir="/tmp")
    base = ["podman", "--root", str(root), "--runroot", run, "--runtime", str(wrap),
            "--cgroup-manager", "cgroupfs", "--events-backend", "none", "--storage-driver", "overlay"]
    yield base
    subprocess.run(base + ["rm", "-af"], capture_output=True)
    subprocess.run(base + ["rmi", "-af"], capture_output=True)
    subprocess.run(["sh", "-c", f"grep -o '{root}[^ ]*' /proc/self/mounts | sort -r | xargs -r -n1 umount -l"],
                   capture_output=True)
    shutil.rmtree(run, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)


def test_process_semantics_match_podman(wharf, pushed_image, podman):
    subprocess.run(podman + ["pull", "--tls-verify=false", pushed_image], check=True,
                   capture_output=True, timeout=120)
    for case in CASES:
        flags, args = split_flags(case)
        w = wharf("run", "--rm", "--network", "none", *flags, pushed_image, *args, check=False)
        p = subprocess.run(podman + ["run", "--rm", "--network", "none", "--ulimit",
                                     "nofile=1024:1024", "--ulimit", "nproc=4096:4096", *flags,
                                     pushed_image, *args], capture_output=True, text=True, timeout=120)
        assert (w.returncode, w.stdout) == (p.returncode, p.stdout), f"case {case}: {w.stderr} {p.stderr}"


def test_running_containers_do_not_hold_the_store(wharf, pushed_image, tmp_path):
    # A foreground run and a detached one are running; a writer of the
    # store (import takes its exclusive lock) must not wait for them.
    fg = subprocess.Popen(wharf.cmd("run", "--network", "none", "--name", "fg", "-P",
                                    "--entrypoint", "sleep", pushed_image, "30"),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wharf("run", "-d", "--network", "none", "--name", "bg", "--entrypoint", "sleep",
              pushed_image, "30")
        from engutil import wait_until
        wait_until(lambda: any(r[1] == "fg" and r[2] == "running" for r in wharf.rows()),
                   what="the foreground container")
        tar = tmp_path / "root.tar"
        with tarfile.open(tar, "w") as t:
            t.add(wharf.rootfs, arcname=".")
        p = wharf("import", tar, "localhost/other:1", timeout=30)
        assert p.returncode == 0
    finally:
        fg.kill()
        fg.wait()


def test_image_users_are_made_whole_after_a_reboot(wharf, tmp_path):
    """Image users are written without fsync (image/store.c): a power loss
    may drop the last ones. The first command after a reboot (a boot id
    the engine has not seen) makes them match the containers again."""
    import sqlite3
    tar = tmp_path / "root.tar"
    with tarfile.open(tar, "w") as t:
        t.add(wharf.rootfs, arcname=".")
    wharf("import", tar, "localhost/boot:1")
    cid = wharf("create", "--name", "keep", "--network", "none", "localhost/boot:1",
                "true").stdout.strip()
    store = os.path.join(wharf.root, "wharf.db")
    engine = os.path.join(wharf.root, "engine.db")

    def users():
        with sqlite3.connect(store) as c:
            return sorted(c.execute("SELECT user, image_id FROM image_users").fetchall())

    (user, image_id), = users()
    assert user == cid
    with open("/proc/sys/kernel/random/boot_id") as f:
        boot = f.read().strip()
    with sqlite3.connect(engine) as c:
        assert c.execute("SELECT value FROM settings WHERE key='boot_id'").fetchone() == (boot,)
    # What a power loss could leave: the container's user row gone, a
    # removed container's row back; and the engine last ran in another boot.
    with sqlite3.connect(store) as c:
        c.execute("DELETE FROM image_users")
        c.execute("INSERT INTO image_users (user, image_id) VALUES ('gone', ?)", (image_id,))
    # Same boot: nothing is checked (the commands stay cheap).
    wharf("ps", "-a")
    assert users() == [("gone", image_id)]
    with sqlite3.connect(engine) as c:
        c.execute("UPDATE settings SET value='an-earlier-boot' WHERE key='boot_id'")
    wharf("ps", "-a")
    assert users() == [(cid, image_id)]
    with sqlite3.connect(engine) as c:
        assert c.execute("SELECT value FROM settings WHERE key='boot_id'").fetchone() == (boot,)
    p = wharf("rmi", "localhost/boot:1", check=False)
    assert p.returncode == 125 and "in use" in p.stderr
    wharf("rm", "keep")
    assert users() == []
    wharf("rmi", "localhost/boot:1")


def test_wal_files_stay_short(wharf, tmp_path):
    """Connections close without a checkpoint (it would fsync), so the
    engine truncates the WAL itself every 128 frames: without that the
    image store's WAL grew by every run and every open read all of it."""
    tar = tmp_path / "root.tar"
    with tarfile.open(tar, "w") as t:
        t.add(wharf.rootfs, arcname=".")
    wharf("import", tar, "localhost/wal:1")
    frames = {}
    for _ in range(40):      # ~160 frames in the store, ~400 in engine.db
        wharf("run", "--rm", "--network", "none", "localhost/wal:1", "true")
        for db in ("wharf.db", "engine.db"):
            p = os.path.join(wharf.root, db + "-wal")
            n = (os.path.getsize(p) - 32) // 4120 if os.path.exists(p) else 0
            frames[db] = max(frames.get(db, 0), n)
    assert 0 < frames["wharf.db"] <= 140, frames
    assert 0 < frames["engine.db"] <= 150, frames
