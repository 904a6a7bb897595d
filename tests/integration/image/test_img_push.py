"""wharf push: byte-identical round trips through skopeo, cross-repository
mounts, and pushing under a new name."""
import json
import os
import subprocess

from imgutil import Image, busybox_layer, skopeo_push_layout, tar_bytes, write_layout


def test_push_then_skopeo_pulls_back_identical(tmp_path, oci_registry, wharf):
    img = Image([busybox_layer(), tar_bytes([("etc/motd", "file", "hi\n")])])
    layout = str(tmp_path / "src")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{oci_registry.hostport}/src:latest")
    wharf.run("pull", "-q", f"{oci_registry.hostport}/src")
    wharf.run("push", "-q", f"{oci_registry.hostport}/src", f"{oci_registry.hostport}/dst:v2")
    out = tmp_path / "back"
    subprocess.run(["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                    f"docker://{oci_registry.hostport}/dst:v2", f"oci:{out}:v2"],
                   check=True, capture_output=True, timeout=120)
    idx = json.load(open(out / "index.json"))
    assert idx["manifests"][0]["digest"] == img.manifest.digest
    for b in img.blobs():
        with open(out / "blobs" / "sha256" / b.digest[7:], "rb") as f:
            assert f.read() == b.data, b.digest


def test_push_mounts_blobs_from_another_repo(tmp_path, oci_registry, wharf):
    big = os.urandom(1 << 20)
    img = Image([tar_bytes([("big", "file", big)])])
    layout = str(tmp_path / "src")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{oci_registry.hostport}/origin:latest")
    wharf.run("pull", "-q", f"{oci_registry.hostport}/origin")
    r = wharf.run("--log-level", "info", "push", "-q", f"{oci_registry.hostport}/origin",
                  f"{oci_registry.hostport}/copy:1")
    log = r.stderr.decode()
    assert "push-blob-mounted" in log and img.layers[0].digest in log, log
    assert "push-blob-uploaded" not in log, log
    r = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                        f"docker://{oci_registry.hostport}/copy:1"],
                       check=True, capture_output=True)
    assert json.loads(r.stdout)["layers"][0]["digest"] == img.layers[0].digest
    # the blob is reachable in the new repository
    import urllib.request
    with urllib.request.urlopen(f"{oci_registry.url}/v2/copy/blobs/{img.layers[0].digest}") as f:
        assert f.read() == img.layers[0].data


def test_push_short_name_needs_a_registry(tmp_path, oci_registry, wharf):
    img = Image([tar_bytes([("a", "file", "a")])])
    layout = str(tmp_path / "src")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{oci_registry.hostport}/s:latest")
    wharf.run("pull", "-q", f"{oci_registry.hostport}/s")
    wharf.run("tag", f"{oci_registry.hostport}/s", "plain")
    r = wharf.run("push", "plain", check=False)
    assert r.returncode != 0 and b"names a registry" in r.stderr
