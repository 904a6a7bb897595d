"""Hostile or broken input: every case ends in a clear error and leaves
nothing in the store (no blob, no layer directory, no temporary)."""
import os
import signal
import subprocess
import time
import uuid

import pytest

from authproxy import Proxy
from imgutil import Image, gz, sha256, skopeo_push_layout, tar_bytes, write_layout
from wharfutil import bin_path, wait_for


def push(tmp_path, reg, repo, img):
    layout = str(tmp_path / f"layout-{repo}")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{reg.hostport}/{repo}:latest")


def pull_fails(wharf, ref, *extra):
    r = wharf.run("pull", *extra, ref, check=False)
    assert r.returncode == 125, r
    assert wharf.store_files() == [], wharf.store_files()
    assert wharf.json("images", "--format", "json") == []
    return r.stderr.decode()


@pytest.fixture
def outside(tmp_path):
    """A host path a hostile layer tries to write to."""
    p = f"/tmp/wharf-escape-{uuid.uuid4().hex}"
    yield p
    assert not os.path.lexists(p), f"a layer wrote to {p}"


def test_dotdot_entry(tmp_path, oci_registry, wharf, outside):
    rel = os.path.relpath(outside, "/")
    img = Image([tar_bytes([("ok", "file", "x"),
                            ("../../../../../../../../" + rel, "file", "pwned")])])
    push(tmp_path, oci_registry, "dotdot", img)
    err = pull_fails(wharf, f"{oci_registry.hostport}/dotdot")
    assert '".." would leave the layer directory' in err


def test_write_through_absolute_symlink(tmp_path, oci_registry, wharf, outside):
    img = Image([tar_bytes([("escape", "symlink", outside),
                            ("escape/pwned", "file", "pwned")])])
    push(tmp_path, oci_registry, "symlink", img)
    err = pull_fails(wharf, f"{oci_registry.hostport}/symlink")
    assert 'goes through the symlink "escape"' in err


def test_relative_symlink_out_of_layer(tmp_path, oci_registry, wharf):
    img = Image([tar_bytes([("a", "dir", None), ("a/up", "symlink", "../../../../etc")])])
    push(tmp_path, oci_registry, "relsym", img)
    err = pull_fails(wharf, f"{oci_registry.hostport}/relsym")
    assert "points out of the layer" in err


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../etc/passwd"])
def test_hardlink_out_of_layer(tmp_path, oci_registry, wharf, target):
    img = Image([tar_bytes([("h", "hardlink", target)])])
    push(tmp_path, oci_registry, "hard", img)
    err = pull_fails(wharf, f"{oci_registry.hostport}/hard")
    assert "hard link target" in err
    assert os.stat("/etc/passwd").st_nlink == 1


def test_tar_bomb_over_limit(tmp_path, oci_registry, wharf):
    zeros = bytes(64 << 20)
    img = Image([tar_bytes([("bomb", "file", zeros)])])
    assert len(img.layers[0].data) < (1 << 20)   # tiny compressed, huge unpacked
    push(tmp_path, oci_registry, "bomb", img)
    err = pull_fails(wharf, f"{oci_registry.hostport}/bomb", "--max-layer-size", "16M")
    assert "larger than the limit of 16777216 uncompressed bytes" in err


def test_layer_digest_mismatch(tmp_path, oci_registry, wharf):
    img = Image([tar_bytes([("f", "file", os.urandom(100000).hex())])])
    push(tmp_path, oci_registry, "corrupt", img)
    p = Proxy(oci_registry.port, mode="none").start()
    try:
        p.corrupt_blobs = True
        err = pull_fails(wharf, f"{p.hostport}/corrupt")
    finally:
        p.stop()
    # a flipped first byte breaks the gzip header: either the unpacker or
    # the digest check catches it, and both name the layer
    assert img.layers[0].digest in err or img.config.digest in err
    assert "digest" in err or "gzip" in err.lower() or "Unrecognized" in err


def test_diff_id_mismatch(tmp_path, oci_registry, wharf):
    """A config that claims other uncompressed content than the layer has
    must not poison the layer cache (chain ids come from the config)."""
    real = tar_bytes([("f", "file", "real")])
    img = Image([real])
    import json
    from imgutil import Blob, OCI_CONFIG, OCI_MANIFEST, sha256
    cfg = json.loads(img.config.data)
    cfg["rootfs"]["diff_ids"] = [sha256(b"something else")]
    img.config = Blob(json.dumps(cfg).encode(), OCI_CONFIG)
    man = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": img.config.desc(),
           "layers": [l.desc() for l in img.layers]}
    img.manifest = Blob(json.dumps(man).encode(), OCI_MANIFEST)
    push(tmp_path, oci_registry, "diffid", img)
    err = pull_fails(wharf, f"{oci_registry.hostport}/diffid")
    assert "does not match the config" in err


def test_unknown_image(oci_registry, wharf):
    err = pull_fails(wharf, f"{oci_registry.hostport}/nosuch/repo:1")
    assert "nosuch/repo" in err and "404" in err


def test_unreachable_registry(wharf):
    from wharfutil import free_port
    err = pull_fails(wharf, f"127.0.0.1:{free_port()}/x:1")
    assert "Couldn't connect" in err or "connect" in err.lower()


def test_registry_disappears_mid_pull(tmp_path, oci_registry, wharf):
    img = Image([tar_bytes([("big", "file", os.urandom(1 << 20))])], compress="none")
    push(tmp_path, oci_registry, "vanish", img)
    p = Proxy(oci_registry.port, mode="none").start()
    p.cut_blob_after = 300000
    try:
        err = pull_fails(wharf, f"{p.hostport}/vanish")
    finally:
        p.stop()
    # (skopeo compresses the layer on the way in, so its digest is not ours)
    assert "layer sha256:" in err and "download failed after 4 tries" in err


def test_killed_pull_leaves_nothing_and_can_rerun(tmp_path, oci_registry, wharf):
    img = Image([tar_bytes([("big", "file", os.urandom(2 << 20))])], compress="none")
    push(tmp_path, oci_registry, "killed", img)
    p = Proxy(oci_registry.port, mode="none").start()
    p.slow_blobs = 0.05
    try:
        cmd = [bin_path("wharf"), "--root", wharf.root, "--registries-conf", wharf.conf,
               "pull", "-q", f"{p.hostport}/killed"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # wait until the layer is half way in
        wait_for(lambda: any(f.startswith("tmp/") for f in wharf.store_files()), 10,
                 what="the pull to start unpacking")
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        p.stop()
    assert wharf.json("images", "--format", "json") == []
    # the next writer sweeps what the killed one left
    wharf.run("image", "prune")
    assert wharf.store_files() == []
    assert wharf.out("pull", "-q", f"{oci_registry.hostport}/killed").strip() == img.config.digest


def put_raw(reg, repo, manifest, blobs):
    """Push blobs and a hand-written manifest over raw HTTP."""
    import json as _json
    import requests
    from imgutil import sha256
    for b in blobs:
        # POST then PUT: both registries take that (Distribution has no
        # single-POST upload)
        r = requests.post(f"{reg.url}/v2/{repo}/blobs/uploads/")
        assert r.status_code == 202, r.text
        loc = r.headers["Location"]
        if loc.startswith("/"):
            loc = reg.url + loc
        r = requests.put(loc + ("&" if "?" in loc else "?") + f"digest={sha256(b)}", data=b,
                         headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 201, r.text
    body = _json.dumps(manifest).encode()
    r = requests.put(f"{reg.url}/v2/{repo}/manifests/latest", data=body,
                     headers={"Content-Type": manifest["mediaType"]})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("case", ["artifact", "layer_type", "count"])
def test_manifests_that_are_not_images(oci_registry, wharf, case):
    import json as _json
    from imgutil import Blob, OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST
    layer = Blob(gz(tar_bytes([("f", "file", "x")])), OCI_LAYER_GZIP)
    diff_ids = [sha256(tar_bytes([("f", "file", "x")]))]
    if case == "count":
        diff_ids = diff_ids * 2
    cfg = Blob(_json.dumps({"architecture": "amd64", "os": "linux",
                            "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode(),
               "application/vnd.example.thing+json" if case == "artifact" else OCI_CONFIG)
    ldesc = layer.desc()
    if case == "layer_type":
        ldesc["mediaType"] = "application/vnd.example.layer.v1"
    man = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": cfg.desc(), "layers": [ldesc]}
    put_raw(oci_registry, f"odd-{case}", man, [layer.data, cfg.data])
    err = pull_fails(wharf, f"{oci_registry.hostport}/odd-{case}")
    want = {"artifact": "is not an image config (an artifact?)",
            "layer_type": 'unsupported layer media type "application/vnd.example.layer.v1"',
            "count": "config lists 2 layers (rootfs.diff_ids), the manifest 1"}[case]
    assert want in err, err
