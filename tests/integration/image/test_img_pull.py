"""wharf pull from a real registry: unpacked trees checked entry by entry
against the layer tars; tags, digests, indexes, layer reuse."""
import json
import os

import pytest

from imgutil import (Image, busybox_layer, sha256, skopeo_push_layout, tar_bytes,
                     tree_matches_tar, write_layout)


def push(tmp_path, reg, repo, images, tag="latest", index=False):
    layout = str(tmp_path / f"layout-{repo.replace('/', '_')}-{tag}")
    top = write_layout(layout, images, tag, index_of=images if index else None)
    skopeo_push_layout(layout, tag, f"{reg.hostport}/{repo}:{tag}", multi=index)
    return top


def chain_ids(diff_ids):
    out = [diff_ids[0]]
    for d in diff_ids[1:]:
        out.append(sha256(f"{out[-1]} {d}".encode()))
    return out


def check_layers(wharf, img):
    ids = chain_ids([sha256(t) for t in img.layer_tars])
    for cid, t in zip(ids, img.layer_tars):
        d = wharf.layer_dir(cid)
        assert os.path.isdir(d), f"layer dir {d} missing"
        diffs = tree_matches_tar(d, t)
        assert diffs == [], diffs


def test_pull_busybox_tree_matches_tar(tmp_path, oci_registry, wharf):
    img = Image([busybox_layer()])
    push(tmp_path, oci_registry, "busybox", [img])
    out = wharf.out("pull", "-q", f"{oci_registry.hostport}/busybox")
    assert out.strip() == img.config.digest
    check_layers(wharf, img)
    info = wharf.json("image", "inspect", f"{oci_registry.hostport}/busybox:latest")[0]
    assert info["Id"] == img.config.digest
    assert info["RepoTags"] == [f"{oci_registry.hostport}/busybox:latest"]
    assert info["RepoDigests"] == [f"{oci_registry.hostport}/busybox@{img.manifest.digest}"]
    assert info["RootFS"]["Layers"] == [sha256(img.layer_tars[0])]
    assert info["Config"]["Cmd"] == ["/bin/sh"]
    assert info["Os"] == "linux" and info["Architecture"] == "amd64"
    # busybox really is runnable from the layer
    bb = os.path.join(info["GraphDriver"]["Data"]["LowerDir"], "bin", "busybox")
    import subprocess
    assert subprocess.run([bb, "true"]).returncode == 0


def test_multilayer_whiteouts_and_opaque_dirs(tmp_path, oci_registry, wharf):
    base = tar_bytes([
        ("etc", "dir", None), ("etc/keep", "file", "keep\n"), ("etc/gone", "file", "gone\n"),
        ("opt", "dir", None), ("opt/a", "file", "a\n"), ("opt/sub", "dir", None),
        ("opt/sub/b", "file", "b\n"), ("var", "dir", None),
        ("var/log", "symlink", "/tmp/log"), ("usr", "dir", None),
        ("usr/fifo", "fifo", None), ("usr/x", "file", "x", {"uid": 1000, "gid": 100, "mode": 0o4750}),
    ])
    top = tar_bytes([
        ("etc", "dir", None), ("etc/.wh.gone", "file", ""),
        ("opt", "dir", None, {"mode": 0o700}), ("opt/.wh..wh..opq", "file", ""),
        ("opt/new", "file", "new\n"),
        ("usr", "dir", None), ("usr/xattr", "file", "x",
                               {"pax": {"SCHILY.xattr.user.test": "hello"}}),
        ("usr/link", "hardlink", "usr/xattr"),
    ])
    img = Image([base, top], compress="gzip")
    push(tmp_path, oci_registry, "multi", [img], tag="v1")
    wharf.run("pull", "-q", f"{oci_registry.hostport}/multi:v1")
    check_layers(wharf, img)
    ids = chain_ids([sha256(base), sha256(top)])
    top_dir = wharf.layer_dir(ids[1])
    assert os.getxattr(os.path.join(top_dir, "usr", "xattr"), "user.test") == b"hello"
    st = os.lstat(os.path.join(top_dir, "etc", "gone"))
    assert st.st_rdev == 0 and (st.st_mode & 0o170000) == 0o020000
    # an overlay mount of the two layers is what a container would see
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    import subprocess
    lower = f"{top_dir}:{wharf.layer_dir(ids[0])}"
    r = subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower}",
                        str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"overlay mount not possible here: {r.stderr.decode()}")
    try:
        assert sorted(os.listdir(mnt / "etc")) == ["keep"]
        assert sorted(os.listdir(mnt / "opt")) == ["new"]
        assert (mnt / "usr" / "x").read_text() == "x"
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


@pytest.mark.parametrize("compress", ["zstd", "none"])
def test_pull_zstd_and_uncompressed(tmp_path, oci_registry, wharf, compress):
    img = Image([tar_bytes([("f", "file", "data " * 1000)]),
                 tar_bytes([("g", "file", "more")])], compress=compress)
    from imgutil import push_raw
    push_raw(oci_registry.url, f"c-{compress}", img)
    wharf.run("pull", "-q", f"{oci_registry.hostport}/c-{compress}")
    check_layers(wharf, img)
    # the layers arrived as built (zstd / plain tar), and are kept so
    info = wharf.json("image", "inspect", f"{oci_registry.hostport}/c-{compress}")[0]
    assert info["Digest"] == img.manifest.digest
    for layer in img.layers:
        with open(os.path.join(wharf.root, "blobs", "sha256", layer.digest[7:]), "rb") as f:
            assert f.read() == layer.data


def test_pull_by_tag_and_by_digest(tmp_path, oci_registry, wharf):
    img = Image([tar_bytes([("hello", "file", "world\n")])])
    push(tmp_path, oci_registry, "app", [img], tag="1.0")
    ref = f"{oci_registry.hostport}/app@{img.manifest.digest}"
    assert wharf.out("pull", "-q", ref).strip() == img.config.digest
    info = wharf.json("image", "inspect", ref)[0]
    assert info["RepoTags"] == []          # pulled by digest: no name
    assert wharf.out("pull", "-q", f"{oci_registry.hostport}/app:1.0").strip() == img.config.digest
    info = wharf.json("image", "inspect", f"{oci_registry.hostport}/app:1.0")[0]
    assert info["RepoTags"] == [f"{oci_registry.hostport}/app:1.0"]
    # a digest that is not the manifest's is refused
    bad = f"{oci_registry.hostport}/app@sha256:{'0' * 64}"
    r = wharf.run("pull", bad, check=False)
    assert r.returncode != 0
    assert b"not" in r.stderr or b"404" in r.stderr or b"unknown" in r.stderr.lower()


def test_two_platform_index(tmp_path, oci_registry, wharf):
    amd = Image([tar_bytes([("arch", "file", "amd64\n")])], arch="amd64")
    arm = Image([tar_bytes([("arch", "file", "arm64\n")])], arch="arm64")
    top = push(tmp_path, oci_registry, "multiarch", [amd, arm], index=True)
    assert wharf.out("pull", "-q", f"{oci_registry.hostport}/multiarch").strip() == amd.config.digest
    assert wharf.out("pull", "-q", "--platform", "linux/arm64",
                     f"{oci_registry.hostport}/multiarch").strip() == arm.config.digest
    check_layers(wharf, arm)
    info = wharf.json("image", "inspect", arm.config.digest)[0]
    assert info["Architecture"] == "arm64"
    assert f"{oci_registry.hostport}/multiarch@{top.digest}" in info["RepoDigests"]
    r = wharf.run("pull", "--platform", "linux/s390x", f"{oci_registry.hostport}/multiarch",
                  check=False)
    assert r.returncode != 0 and b"linux/s390x" in r.stderr and b"linux/amd64" in r.stderr


def test_layer_already_present_is_not_fetched(tmp_path, oci_registry, wharf):
    shared = tar_bytes([("shared", "file", "s" * 5000)])
    a = Image([shared, tar_bytes([("a", "file", "a")])])
    b = Image([shared, tar_bytes([("b", "file", "b")])])
    push(tmp_path, oci_registry, "a", [a])
    push(tmp_path, oci_registry, "b", [b])
    wharf.run("pull", "-q", f"{oci_registry.hostport}/a")
    d = wharf.layer_dir(sha256(shared))
    ino = os.stat(os.path.join(d, "shared")).st_ino
    # delete the shared blob from the registry: pulling b must not need it
    import urllib.request
    req = urllib.request.Request(f"{oci_registry.url}/v2/b/blobs/{b.layers[0].digest}",
                                 method="DELETE")
    urllib.request.urlopen(req)
    wharf.run("pull", "-q", f"{oci_registry.hostport}/b")
    assert os.stat(os.path.join(d, "shared")).st_ino == ino   # unpacked once
    images = wharf.json("images", "--format", "json")
    assert len(images) == 2


def test_short_names_go_through_search_registries(tmp_path, oci_registry, wharf):
    img = Image([tar_bytes([("s", "file", "short")])])
    push(tmp_path, oci_registry, "lib/short", [img])
    r = wharf.run("pull", "lib/short", check=False)
    assert r.returncode == 125
    assert b"no unqualified-search-registries" in r.stderr
    from imgutil import Wharf
    from wharfutil import free_port
    w = Wharf(str(tmp_path / "search"), search=[f"127.0.0.1:{free_port()}", oci_registry.hostport])
    # the first search registry is down: a transport error, not "not found",
    # so it is reported rather than skipped
    r = w.run("pull", "lib/short", check=False)
    assert r.returncode == 125 and b"connect" in r.stderr.lower()
    w2 = Wharf(str(tmp_path / "search2"), search=[oci_registry.hostport])
    assert w2.out("pull", "-q", "lib/short").strip() == img.config.digest
    assert w2.json("image", "inspect", "lib/short")[0]["RepoTags"] == \
        [f"{oci_registry.hostport}/lib/short:latest"]
