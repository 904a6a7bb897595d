"""Real clients against wharf-registry: skopeo and podman push and pull
over plain HTTP on loopback; bytes and digests must survive the trip."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from ocilayout import make_layout
from regclient import ALL_MANIFEST_TYPES, Client

pytestmark = pytest.mark.skipif(not shutil.which("skopeo"), reason="skopeo not installed")


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def skopeo(*args, timeout=120):
    p = subprocess.run(["skopeo", "--insecure-policy", *args], capture_output=True, text=True,
                       timeout=timeout)
    assert p.returncode == 0, p.stderr
    return p.stdout


def layout_blobs(layout):
    d = os.path.join(layout, "blobs", "sha256")
    return {n: open(os.path.join(d, n), "rb").read() for n in os.listdir(d)}


def test_skopeo_copies_a_layout_in_and_back_byte_for_byte(registry, tmp_path):
    src = str(tmp_path / "src")
    top = make_layout(src, "v1")
    dest = f"docker://{registry.hostport}/clients/busybox:v1"
    skopeo("copy", "--preserve-digests", "--dest-tls-verify=false", f"oci:{src}:v1", dest)
    c = Client(registry.url)
    r = c.req("GET", "/v2/clients/busybox/manifests/v1", headers={"Accept": ALL_MANIFEST_TYPES})
    assert r.content == top
    assert r.headers["Docker-Content-Digest"] == sha256(top)
    back = str(tmp_path / "back")
    skopeo("copy", "--preserve-digests", "--src-tls-verify=false", dest, f"oci:{back}:v1")
    assert layout_blobs(back) == layout_blobs(src)
    idx = json.load(open(os.path.join(back, "index.json")))
    assert idx["manifests"][0]["digest"] == sha256(top)
    insp = json.loads(skopeo("inspect", "--tls-verify=false", dest))
    assert insp["Digest"] == sha256(top)
    tags = json.loads(skopeo("list-tags", "--tls-verify=false",
                             f"docker://{registry.hostport}/clients/busybox"))
    assert tags["Tags"] == ["v1"]


def test_skopeo_copies_a_two_platform_index(registry, tmp_path):
    src = str(tmp_path / "src")
    top = make_layout(src, "multi", platforms=(("amd64", "linux"), ("arm64", "linux")))
    dest = f"docker://{registry.hostport}/clients/multi:multi"
    skopeo("copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
           f"oci:{src}:multi", dest)
    c = Client(registry.url)
    r = c.req("GET", "/v2/clients/multi/manifests/multi", headers={"Accept": ALL_MANIFEST_TYPES})
    assert r.content == top
    index = json.loads(top)
    for m in index["manifests"]:
        g = c.req("GET", f"/v2/clients/multi/manifests/{m['digest']}",
                  headers={"Accept": ALL_MANIFEST_TYPES})
        assert g.status_code == 200 and sha256(g.content) == m["digest"]
    back = str(tmp_path / "back")
    skopeo("copy", "--all", "--preserve-digests", "--src-tls-verify=false", dest,
           f"oci:{back}:multi")
    assert layout_blobs(back) == layout_blobs(src)
    # one platform on request
    arm = str(tmp_path / "arm")
    skopeo("copy", "--override-arch", "arm64", "--src-tls-verify=false", dest, f"oci:{arm}:x")
    arm_digest = [m["digest"] for m in index["manifests"]
                  if m["platform"]["architecture"] == "arm64"][0]
    assert json.load(open(os.path.join(arm, "index.json")))["manifests"][0]["digest"] == arm_digest


@pytest.mark.skipif(not shutil.which("podman"), reason="podman not installed")
def test_podman_push_and_pull(registry, tmp_path):
    src = str(tmp_path / "src")
    make_layout(src, "v1")
    # podman refuses a runroot longer than 50 characters: a short one of
    # our own, removed at the end.
    runroot = tempfile.mkdtemp(prefix="wh-rr-", dir="/tmp")
    base = ["podman", "--root", str(tmp_path / "root"), "--runroot", runroot,
            "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend",
            "file", "--tmpdir", str(tmp_path / "tmp")]
    env = dict(os.environ, REGISTRIES_CONFIG_PATH=str(tmp_path / "registries.conf"),
               XDG_RUNTIME_DIR=str(tmp_path / "xdg"), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    (tmp_path / "registries.conf").write_text("unqualified-search-registries = []\n")

    def podman(*args):
        p = subprocess.run(base + list(args), capture_output=True, text=True, timeout=180,
                           env=env)
        assert p.returncode == 0, p.stderr
        return p.stdout
    try:
        podman("pull", f"oci:{src}:v1")
        img = podman("images", "-q").split()[0]
        ref = f"{registry.hostport}/clients/podman:v1"
        podman("tag", img, ref)
        podman("push", "--tls-verify=false", ref)
        c = Client(registry.url)
        r = c.req("GET", "/v2/clients/podman/manifests/v1", headers={"Accept": ALL_MANIFEST_TYPES})
        assert r.status_code == 200
        pushed_digest = r.headers["Docker-Content-Digest"]
        m = r.json()
        for d in [m["config"]] + m["layers"]:
            h = c.req("HEAD", f"/v2/clients/podman/blobs/{d['digest']}")
            assert h.status_code == 200 and int(h.headers["Content-Length"]) == d["size"]
        podman("rmi", "-a", "-f")
        podman("pull", "--tls-verify=false", ref)
        out = podman("image", "inspect", ref, "--format", "{{.Digest}}")
        assert out.strip() == pushed_digest
    finally:
        subprocess.run(base + ["system", "reset", "-f"], capture_output=True, env=env,
                       timeout=120)
        shutil.rmtree(runroot, ignore_errors=True)
