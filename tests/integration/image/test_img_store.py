"""images, tag, rmi, image prune, history, system df on a pulled store."""
import os

from imgutil import Image, sha256, skopeo_push_layout, tar_bytes, write_layout


def pulled(tmp_path, reg, wharf, repo="app", layers=None):
    img = Image(layers or [tar_bytes([("f", "file", repo)])])
    layout = str(tmp_path / f"layout-{repo}")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{reg.hostport}/{repo}:latest")
    wharf.run("pull", "-q", f"{reg.hostport}/{repo}")
    return img


def test_images_table_json_quiet(tmp_path, oci_registry, wharf):
    img = pulled(tmp_path, oci_registry, wharf)
    table = wharf.out("images")
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["REPOSITORY", "TAG", "IMAGE", "ID"]
    assert lines[1].split()[0] == f"{oci_registry.hostport}/app"
    assert lines[1].split()[1] == "latest"
    assert lines[1].split()[2] == img.config.digest[7:19]
    assert wharf.out("images", "-q").split() == [img.config.digest[7:19]]
    j = wharf.json("images", "--format", "json")
    assert j[0]["Id"] == img.config.digest[7:]
    assert j[0]["Size"] == 3  # one file of 3 bytes
    assert j[0]["RepoDigests"] == [f"{oci_registry.hostport}/app@{img.manifest.digest}"]


def test_tag_and_rmi_by_name_then_id(tmp_path, oci_registry, wharf):
    img = pulled(tmp_path, oci_registry, wharf)
    wharf.run("tag", f"{oci_registry.hostport}/app", "mine:1", "other.example/x/y:2")
    names = wharf.json("image", "inspect", "mine:1")[0]["RepoTags"]
    assert sorted(names) == sorted([f"{oci_registry.hostport}/app:latest", "localhost/mine:1",
                                    "other.example/x/y:2"])
    out = wharf.out("rmi", "mine:1")
    assert out.strip() == "Untagged: localhost/mine:1"
    assert wharf.run("image", "inspect", "mine:1", check=False).returncode != 0
    # by id: everything goes, files too
    out = wharf.out("rmi", "-f", img.config.digest[7:19])
    assert f"Deleted: {img.config.digest}" in out
    assert wharf.json("images", "--format", "json") == []
    assert wharf.store_files() == []


def test_rmi_refuses_image_in_use_unless_forced(tmp_path, oci_registry, wharf):
    img = pulled(tmp_path, oci_registry, wharf)
    # containers arrive later; they register in image_users (the hook)
    import sqlite3
    db = sqlite3.connect(os.path.join(wharf.root, "wharf.db"))
    db.execute("INSERT INTO image_users (user, image_id) VALUES ('ctr1', ?)", (img.config.digest,))
    db.commit()
    db.close()
    r = wharf.run("rmi", f"{oci_registry.hostport}/app", check=False)
    assert r.returncode != 0 and b"in use by 1 container" in r.stderr
    wharf.run("rmi", "-f", f"{oci_registry.hostport}/app")
    assert wharf.json("images", "--format", "json") == []


def test_shared_layer_survives_rmi_of_one_image(tmp_path, oci_registry, wharf):
    shared = tar_bytes([("shared", "file", "s")])
    pulled(tmp_path, oci_registry, wharf, "one", [shared, tar_bytes([("a", "file", "a")])])
    pulled(tmp_path, oci_registry, wharf, "two", [shared, tar_bytes([("b", "file", "b")])])
    wharf.run("rmi", f"{oci_registry.hostport}/one")
    assert os.path.isfile(os.path.join(wharf.layer_dir(sha256(shared)), "shared"))
    assert len(wharf.json("images", "--format", "json")) == 1


def test_prune_removes_dangling_only(tmp_path, oci_registry, wharf):
    pulled(tmp_path, oci_registry, wharf, "keep")
    # pull by digest only: no name, so dangling
    img = Image([tar_bytes([("d", "file", "dangling")])])
    layout = str(tmp_path / "layout-d")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{oci_registry.hostport}/d:latest")
    wharf.run("pull", "-q", f"{oci_registry.hostport}/d@{img.manifest.digest}")
    assert len(wharf.json("images", "--format", "json")) == 2
    out = wharf.out("image", "prune")
    assert out.startswith("Deleted 1 image(s)")
    left = wharf.json("images", "--format", "json")
    assert [i["RepoTags"] for i in left] == [[f"{oci_registry.hostport}/keep:latest"]]
    wharf.run("image", "prune", "-a")
    assert wharf.json("images", "--format", "json") == []
    assert wharf.store_files() == []


def test_history_and_df(tmp_path, oci_registry, wharf):
    pulled(tmp_path, oci_registry, wharf, "h", [tar_bytes([("a", "file", "12345")]),
                                              tar_bytes([("b", "file", "1")])])
    h = wharf.json("image", "history", "--format", "json", f"{oci_registry.hostport}/h")
    assert [e["createdBy"] for e in h] == ["layer 1", "layer 0"]
    assert [e["size"] for e in h] == [1, 5]
    df = wharf.out("system", "df").splitlines()
    assert df[1].split()[:2] == ["Images", "1"]
    assert df[2].split()[:2] == ["Layers", "2"]


def test_unknown_image_is_a_clear_error(wharf):
    r = wharf.run("image", "inspect", "nosuch:1", check=False)
    assert r.returncode == 125
    assert b'image "nosuch:1" not known' in r.stderr


def test_readers_and_a_second_pull_run_during_a_pull(tmp_path, oci_registry, wharf):
    import subprocess
    from authproxy import Proxy
    from wharfutil import bin_path, wait_for
    img = Image([tar_bytes([("big", "file", os.urandom(2 << 20))])], compress="none")
    layout = str(tmp_path / "layout-slow")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{oci_registry.hostport}/slow:latest")
    p = Proxy(oci_registry.port, mode="none").start()
    p.slow_blobs = 0.05
    try:
        cmd = [bin_path("wharf"), "--root", wharf.root, "--registries-conf", wharf.conf,
               "pull", "-q", f"{p.hostport}/slow"]
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)]
        wait_for(lambda: any(f.startswith("tmp/") for f in wharf.store_files()), 10,
                 what="the pull to start")
        # a reader does not wait for the pull: it answers while the pull
        # is still downloading (the proxy sends 64 KiB per 50 ms)
        assert wharf.json("images", "--format", "json") == []
        assert procs[0].poll() is None
        # nor does a second pull of the same image: it is downloading too
        # (its own temporaries appear) while the first still runs
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        wait_for(lambda: len([f for f in wharf.store_files() if f.startswith("tmp/layer-")]) >= 2,
                 10, what="the second pull to start")
        assert procs[0].poll() is None
        for pr in procs:
            out, errout = pr.communicate(timeout=60)
            assert pr.returncode == 0, errout
            assert out.decode().strip() == img.config.digest
    finally:
        p.stop()
    assert len(wharf.json("images", "--format", "json")) == 1
    # and nothing but the registered files is left
    wharf.run("image", "prune")
    files = wharf.store_files()
    assert not [f for f in files if f.startswith("tmp/")]
    assert len([f for f in files if f.startswith("layers/")]) == 1
