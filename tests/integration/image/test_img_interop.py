"""save/load/import, interchangeable with podman and skopeo."""
import json
import os
import shutil
import subprocess
import tarfile

import pytest

from imgutil import (Image, Wharf, busybox_layer, sha256, skopeo_push_layout, tar_bytes,
                     write_layout)


class Podman:
    def __init__(self, tmp):
        # podman refuses a runroot longer than 50 characters
        import tempfile
        self.runroot = tempfile.mkdtemp(prefix="wh-pr-", dir="/tmp")
        # --tmpdir: podman's default (/run/libpod) is shared with every other
        # podman on the machine, and `system reset` below would remove it.
        self.base = ["podman", "--root", os.path.join(tmp, "podman-root"),
                     "--runroot", self.runroot, "--tmpdir", os.path.join(tmp, "podman-tmp"),
                     "--events-backend", "file", "--cgroup-manager", "cgroupfs"]
        self.tmp = tmp

    def run(self, *args):
        p = subprocess.run(self.base + list(args), capture_output=True, timeout=120)
        assert p.returncode == 0, f"podman {args}: {p.stderr.decode(errors='replace')}"
        return p.stdout.decode()

    def cleanup(self):
        # podman's overlay driver may leave mounts under its root
        subprocess.run(self.base + ["system", "reset", "-f"], capture_output=True, timeout=60)
        shutil.rmtree(self.runroot, ignore_errors=True)


@pytest.fixture
def podman(tmp_path):
    p = Podman(str(tmp_path))
    yield p
    p.cleanup()


@pytest.fixture
def rootfs_tar(tmp_path):
    path = tmp_path / "rootfs.tar"
    path.write_bytes(busybox_layer())
    return path


def test_podman_save_then_wharf_load(tmp_path, podman, wharf, rootfs_tar):
    podman.run("import", "-q", str(rootfs_tar), "localhost/bb:1")
    pid = podman.run("inspect", "--format", "{{.Id}}", "localhost/bb:1").strip()
    for fmt in ("docker-archive", "oci-archive"):
        out = tmp_path / f"podman-{fmt}.tar"
        podman.run("save", "-q", "--format", fmt, "-o", str(out), "localhost/bb:1")
        r = wharf.out("load", "-i", out)
        assert r.strip() == "Loaded image: localhost/bb:1"
        info = wharf.json("image", "inspect", "localhost/bb:1")[0]
        assert info["Id"] == "sha256:" + pid     # same config bytes, same id
        bb = os.path.join(info["GraphDriver"]["Data"]["LowerDir"], "bin", "busybox")
        assert open(bb, "rb").read() == open("/bin/busybox", "rb").read()


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_wharf_save_then_podman_load(tmp_path, podman, wharf, rootfs_tar, fmt):
    wid = wharf.out("import", rootfs_tar, "localhost/wb:2").strip()
    out = tmp_path / "w.tar"
    wharf.run("save", "--format", fmt, "-o", out, "localhost/wb:2")
    r = podman.run("load", "-i", str(out))
    assert "localhost/wb:2" in r
    pid = podman.run("inspect", "--format", "{{.Id}}", "localhost/wb:2").strip()
    assert "sha256:" + pid == wid
    # podman can run nothing here without more setup, but its copy of the
    # layer must hold busybox: mount the image and look
    mnt = podman.run("image", "mount", "localhost/wb:2").strip()
    try:
        assert open(os.path.join(mnt, "bin", "busybox"), "rb").read() == \
            open("/bin/busybox", "rb").read()
    finally:
        podman.run("image", "unmount", "localhost/wb:2")


def test_wharf_oci_archive_reads_in_skopeo(tmp_path, oci_registry, wharf, wharf_factory):
    img = Image([busybox_layer(), tar_bytes([("x", "file", "x")])])
    layout = str(tmp_path / "l")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{oci_registry.hostport}/s:latest")
    wharf.run("pull", "-q", f"{oci_registry.hostport}/s")
    out = tmp_path / "o.tar"
    wharf.run("save", "--format", "oci-archive", "-o", out, f"{oci_registry.hostport}/s")
    r = subprocess.run(["skopeo", "inspect", "--raw", f"oci-archive:{out}"], check=True,
                       capture_output=True)
    assert r.stdout == img.manifest.data     # the manifest travels byte for byte
    # and back in: load into a fresh store gives the same image
    w2 = wharf_factory(tmp_path / "second")
    assert w2.out("load", "-q", "-i", out).strip() == img.config.digest


def test_import_rootfs_tar(tmp_path, wharf, rootfs_tar):
    import gzip
    gzpath = tmp_path / "rootfs.tar.gz"
    gzpath.write_bytes(gzip.compress(rootfs_tar.read_bytes()))
    wid = wharf.out("import", "-m", "from a tarball", gzpath, "imported:1").strip()
    info = wharf.json("image", "inspect", "imported:1")[0]
    assert info["Id"] == wid
    assert info["RootFS"]["Layers"] == [sha256(rootfs_tar.read_bytes())]
    hist = wharf.json("image", "history", "--format", "json", "imported:1")
    assert hist[0]["comment"] == "from a tarball"
    # the blob is kept as given (gzip), so push and save send it unchanged
    m = json.loads(open(os.path.join(wharf.root, "blobs", "sha256",
                                     info["Digest"][7:])).read())
    assert m["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
    assert m["layers"][0]["digest"] == sha256(gzpath.read_bytes())


def test_load_garbage_is_a_clear_error(tmp_path, wharf):
    p = tmp_path / "junk.tar"
    p.write_bytes(tar_bytes([("hello", "file", "not an image")]))
    r = wharf.run("load", "-i", p, check=False)
    assert r.returncode == 125
    assert b"neither an OCI layout" in r.stderr
    assert wharf.store_files() == []


def test_podman_push_then_wharf_pull(tmp_path, oci_registry, podman, wharf, rootfs_tar):
    podman.run("import", "-q", str(rootfs_tar), "localhost/pp:1")
    pid = podman.run("inspect", "--format", "{{.Id}}", "localhost/pp:1").strip()
    podman.run("push", "-q", "--tls-verify=false", "localhost/pp:1",
               f"docker://{oci_registry.hostport}/pp:1")
    assert wharf.out("pull", "-q", f"{oci_registry.hostport}/pp:1").strip() == "sha256:" + pid
    info = wharf.json("image", "inspect", f"{oci_registry.hostport}/pp:1")[0]
    bb = os.path.join(info["GraphDriver"]["Data"]["LowerDir"], "bin", "busybox")
    assert open(bb, "rb").read() == open("/bin/busybox", "rb").read()


def test_skopeo_docker_archive_both_ways(tmp_path, wharf):
    img = Image([busybox_layer(), tar_bytes([("etc/hostname", "file", "w\n")])])
    layout = str(tmp_path / "l")
    write_layout(layout, [img])
    arch = tmp_path / "skopeo.tar"
    subprocess.run(["skopeo", "copy", "--quiet", f"oci:{layout}:latest",
                    f"docker-archive:{arch}:example.com/sk:1"], check=True, capture_output=True)
    assert wharf.out("load", "-i", arch).strip() == "Loaded image: example.com/sk:1"
    info = wharf.json("image", "inspect", "example.com/sk:1")[0]
    assert info["RootFS"]["Layers"] == [sha256(t) for t in img.layer_tars]
    # and wharf's docker-archive reads back in skopeo with the same layers
    out = tmp_path / "wharf.tar"
    wharf.run("save", "-o", out, "example.com/sk:1")
    r = subprocess.run(["skopeo", "inspect", f"docker-archive:{out}"], check=True,
                       capture_output=True)
    assert json.loads(r.stdout)["Layers"] == [sha256(t) for t in img.layer_tars]


def test_pull_docker_v2s2_manifest(tmp_path, oci_registry, wharf):
    img = Image([busybox_layer()])
    layout = str(tmp_path / "l")
    write_layout(layout, [img])
    subprocess.run(["skopeo", "copy", "--quiet", "--format", "v2s2", "--dest-tls-verify=false",
                    f"oci:{layout}:latest", f"docker://{oci_registry.hostport}/v2s2:latest"],
                   check=True, capture_output=True)
    wharf.run("pull", "-q", f"{oci_registry.hostport}/v2s2")
    info = wharf.json("image", "inspect", f"{oci_registry.hostport}/v2s2")[0]
    assert info["ManifestType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert info["RootFS"]["Layers"] == [sha256(img.layer_tars[0])]
    # pushed back, the docker manifest keeps its bytes and digest
    wharf.run("push", "-q", f"{oci_registry.hostport}/v2s2", f"{oci_registry.hostport}/v2s2b:x")
    a = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                        f"docker://{oci_registry.hostport}/v2s2:latest"], capture_output=True,
                       check=True).stdout
    b = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                        f"docker://{oci_registry.hostport}/v2s2b:x"], capture_output=True,
                       check=True).stdout
    assert a == b
