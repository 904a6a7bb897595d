"""Garbage collection, case by case: what is kept (tags, index children,
referrers of live subjects, blobs another repository uses, anything within
the grace period), what goes, dry runs, the bytes reported, and a run with
and without a server on the data directory."""
import json
import os
import socket
import sqlite3
import stat
import subprocess

import pytest

from regclient import OCI_INDEX, OCI_MANIFEST, Client, desc, sha256
from wharfutil import bin_path, wait_for


def blob_file(data_dir, digest):
    alg, hexd = digest.split(":")
    return os.path.join(str(data_dir), "blobs", alg, hexd[:2], hexd)


def gc(data_dir, *args):
    p = subprocess.run([bin_path("wharf-registry"), "gc", "--data", str(data_dir), "--json",
                        *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture
def reg(registry_factory):
    # No schedule: the tests run GC themselves.
    return registry_factory(extra_args=["--gc-interval", "0", "--gc-grace", "0"])


def pulls_identical(c, repo, digest, body, blobs):
    r = c.req("GET", f"/v2/{repo}/manifests/{digest}", headers={"Accept": "*/*"})
    assert r.status_code == 200 and r.content == body
    for b in blobs:
        r = c.req("GET", f"/v2/{repo}/blobs/{sha256(b)}")
        assert r.status_code == 200 and r.content == b


def image(c, repo, tag, layers):
    config = json.dumps({"os": "linux", "architecture": "amd64", "tag": tag,
                         "n": os.urandom(4).hex()}).encode()
    body = c.image(repo, layers=layers, config=config)
    r = c.put_manifest(repo, tag, body)
    assert r.status_code == 201, r.text
    return body, sha256(body), [config, *layers]


def test_gc_dry_run_removes_nothing_and_reports_the_bytes(reg):
    c = Client(reg.url)
    body, d, blobs = image(c, "dry/app", "v1", [b"dry layer one " * 50, b"dry layer two"])
    orphan = c.push_blob("dry/app", b"uploaded, never referenced")
    assert c.req("DELETE", "/v2/dry/app/manifests/v1").status_code == 202
    want_bytes = len(body) + sum(len(b) for b in blobs) + len(b"uploaded, never referenced")

    dry = gc(reg.data_dir, "--grace", "0", "--delete-untagged", "--dry-run")
    assert dry["dry_run"] is True
    assert (dry["manifests"], dry["blob_links"], dry["files"]) == (1, 4, 4)
    assert dry["bytes_freed"] == want_bytes
    # Nothing went.
    pulls_identical(c, "dry/app", d, body, blobs)
    assert os.path.exists(blob_file(reg.data_dir, orphan))

    real = gc(reg.data_dir, "--grace", "0", "--delete-untagged")
    assert real["dry_run"] is False
    assert (real["manifests"], real["blob_links"], real["files"]) == (1, 4, 4)
    assert real["bytes_freed"] == want_bytes
    assert c.req("GET", f"/v2/dry/app/manifests/{d}").status_code == 404
    for b in blobs:
        assert c.req("HEAD", f"/v2/dry/app/blobs/{sha256(b)}").status_code == 404
        assert not os.path.exists(blob_file(reg.data_dir, sha256(b)))
    assert not os.path.exists(blob_file(reg.data_dir, orphan))
    # A second run finds nothing.
    again = gc(reg.data_dir, "--grace", "0", "--delete-untagged")
    assert (again["manifests"], again["files"], again["bytes_freed"]) == (0, 0, 0)


def test_gc_keeps_untagged_manifests_by_default(reg):
    """Like ECR and Distribution: an image pushed by digest, or whose tag
    moved, stays pullable by digest until it is deleted (or a lifecycle
    policy expires it); only blobs nothing references go."""
    c = Client(reg.url)
    body, d, blobs = image(c, "keep/app", "v1", [b"kept layer"])
    body2, d2, blobs2 = image(c, "keep/app", "v1", [b"second layer"])  # the tag moves
    orphan = c.push_blob("keep/app", b"an orphan")
    rep = gc(reg.data_dir, "--grace", "0")
    assert rep["manifests"] == 0
    assert rep["files"] == 1 and rep["bytes_freed"] == len(b"an orphan")
    pulls_identical(c, "keep/app", d, body, blobs)
    pulls_identical(c, "keep/app", d2, body2, blobs2)
    assert c.req("HEAD", f"/v2/keep/app/blobs/{orphan}").status_code == 404
    assert not os.path.exists(blob_file(reg.data_dir, orphan))
    # Deleting the manifest makes its blobs garbage.
    assert c.req("DELETE", f"/v2/keep/app/manifests/{d}").status_code == 202
    rep = gc(reg.data_dir, "--grace", "0")
    assert rep["files"] == 2  # its config and layer; nothing of v1's current image
    pulls_identical(c, "keep/app", d2, body2, blobs2)


def test_gc_keeps_index_children(reg):
    c = Client(reg.url)
    children = []
    for arch in ("amd64", "arm64"):
        config = json.dumps({"architecture": arch, "os": "linux"}).encode()
        layer = f"layer for {arch}".encode()
        body = c.image("idx/app", layers=(layer,), config=config)
        d = sha256(body)
        assert c.put_manifest("idx/app", d, body).status_code == 201
        children.append((body, d, [config, layer]))
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        dict(desc(OCI_MANIFEST, b), platform={"architecture": a, "os": "linux"})
        for (b, _, _), a in zip(children, ("amd64", "arm64"))]}).encode()
    assert c.put_manifest("idx/app", "multi", index, OCI_INDEX).status_code == 201

    rep = gc(reg.data_dir, "--grace", "0", "--delete-untagged")
    assert rep["manifests"] == 0 and rep["files"] == 0
    for body, d, blobs in children:
        pulls_identical(c, "idx/app", d, body, blobs)

    assert c.req("DELETE", "/v2/idx/app/manifests/multi").status_code == 202
    rep = gc(reg.data_dir, "--grace", "0", "--delete-untagged")
    assert rep["manifests"] == 3 and rep["files"] == 4
    for _, d, _ in children:
        assert c.req("GET", f"/v2/idx/app/manifests/{d}").status_code == 404


def test_gc_keeps_referrers_while_their_subject_lives(reg):
    c = Client(reg.url)
    subject, sd, sblobs = image(c, "ref/app", "v1", [b"subject layer"])
    sig = b"a signature"
    empty = b"{}"
    c.push_blob("ref/app", sig)
    c.push_blob("ref/app", empty)
    referrer = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.sig",
        "config": desc("application/vnd.oci.empty.v1+json", empty),
        "layers": [desc("application/vnd.example.sig", sig)],
        "subject": desc(OCI_MANIFEST, subject)}).encode()
    rd = sha256(referrer)
    assert c.put_manifest("ref/app", rd, referrer).status_code == 201

    rep = gc(reg.data_dir, "--grace", "0", "--delete-untagged")
    assert rep["manifests"] == 0 and rep["files"] == 0
    pulls_identical(c, "ref/app", rd, referrer, [sig, empty])
    listed = c.req("GET", f"/v2/ref/app/referrers/{sd}").json()["manifests"]
    assert [m["digest"] for m in listed] == [rd]

    # Subject untagged: it and its referrer go together.
    assert c.req("DELETE", "/v2/ref/app/manifests/v1").status_code == 202
    rep = gc(reg.data_dir, "--grace", "0", "--delete-untagged")
    assert rep["manifests"] == 2
    assert c.req("GET", f"/v2/ref/app/manifests/{rd}").status_code == 404
    assert c.req("GET", f"/v2/ref/app/manifests/{sd}").status_code == 404


def test_gc_keeps_a_blob_that_another_repository_references(reg):
    c = Client(reg.url)
    shared = b"a base layer both repositories use"
    _, da, _ = image(c, "share/a", "v1", [shared])
    body_b, db, blobs_b = image(c, "share/b", "v1", [shared])
    assert c.req("DELETE", f"/v2/share/a/manifests/{da}").status_code == 202
    rep = gc(reg.data_dir, "--grace", "0")
    # a's links to its config and the shared layer go; the shared file stays.
    assert rep["blob_links"] == 2 and rep["files"] == 1
    assert c.req("HEAD", f"/v2/share/a/blobs/{sha256(shared)}").status_code == 404
    assert os.path.exists(blob_file(reg.data_dir, sha256(shared)))
    pulls_identical(c, "share/b", db, body_b, blobs_b)


def test_gc_grace_period_protects_recent_content(reg):
    c = Client(reg.url)
    orphan = c.push_blob("grace/app", b"just uploaded")
    _, d, _ = image(c, "grace/app", "v1", [b"grace layer"])
    assert c.req("DELETE", "/v2/grace/app/manifests/v1").status_code == 202
    rep = gc(reg.data_dir, "--grace", "1h", "--delete-untagged")
    assert (rep["manifests"], rep["blob_links"], rep["files"]) == (0, 0, 0)
    assert c.req("HEAD", f"/v2/grace/app/blobs/{orphan}").status_code == 200
    assert c.req("HEAD", f"/v2/grace/app/manifests/{d}").status_code == 200


def test_gc_without_a_server_and_orphan_files(registry_factory, tmp_path):
    """The command runs GC itself when no server holds the directory; a
    blob file no repository links (a crash between the file's rename and
    its link) is found on disk and removed."""
    data = tmp_path / "offline"
    r = registry_factory(data_dir=data, extra_args=["--gc-interval", "0"])
    c = Client(r.url)
    body, d, blobs = image(c, "off/app", "v1", [b"offline layer"])
    assert r.stop() == 0
    stray = b"a file without a link"
    path = blob_file(data, sha256(stray))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(stray)
    os.utime(path, (1, 1))  # older than any grace
    rep = gc(data, "--grace", "1h")
    assert rep["files"] == 1 and rep["bytes_freed"] == len(stray)
    assert not os.path.exists(path)
    r.start()
    pulls_identical(Client(r.url), "off/app", d, body, blobs)


def test_gc_writes_audit_lines_and_metrics(reg):
    c = Client(reg.url)
    _, d, blobs = image(c, "obs/app", "v1", [b"observed layer"])
    assert c.req("DELETE", "/v2/obs/app/manifests/v1").status_code == 202
    rep = gc(reg.data_dir, "--grace", "0", "--delete-untagged")
    assert rep["manifests"] == 1
    with open(os.path.join(reg.data_dir, "audit.log")) as f:
        lines = [json.loads(line) for line in f]
    gm = [x for x in lines if x["event"] == "gc_manifest"]
    assert [(x["repository"], x["digest"]) for x in gm] == [("obs/app", d)]
    summary = [x for x in lines if x["event"] == "gc"][-1]
    assert summary["bytes_freed"] == rep["bytes_freed"]
    assert summary["files"] == rep["files"] == len(blobs)
    text = c.req("GET", "/metrics").text
    assert 'wharf_registry_gc_runs_total{result="ok",dry_run="false"} 1\n' in text
    assert f"wharf_registry_gc_bytes_freed_total {rep['bytes_freed']}\n" in text


def test_gc_finishes_a_queue_left_by_an_interrupted_run(registry_factory, tmp_path):
    """A run that stopped between committing its metadata and deleting the
    files (a crash) leaves the digests queued in gc_pending: the next run
    deletes those files even though they are younger than the grace period,
    and keeps a queued blob that a push linked again meanwhile."""
    data = tmp_path / "queue"
    r = registry_factory(data_dir=data, extra_args=["--gc-interval", "0"])
    c = Client(r.url)
    body, d, blobs = image(c, "q2/app", "v1", [b"a relinked layer"])
    assert r.stop() == 0
    stray = b"queued by a run that crashed"
    path = blob_file(data, sha256(stray))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(stray)
    db = sqlite3.connect(os.path.join(data, "meta.db"))
    with db:
        db.executemany("INSERT INTO gc_pending(digest) VALUES(?)",
                       [(sha256(stray),), (sha256(blobs[1]),)])
    db.close()
    rep = gc(data, "--grace", "1h")
    assert rep["files"] == 1 and rep["bytes_freed"] == len(stray)
    assert rep["kept_relinked"] == 1
    assert not os.path.exists(path)
    db = sqlite3.connect(os.path.join(data, "meta.db"))
    assert db.execute("SELECT count(*) FROM gc_pending").fetchone()[0] == 0
    db.close()
    r.start()
    pulls_identical(Client(r.url), "q2/app", d, body, blobs)


def test_gc_schedule_in_serve(registry_factory, tmp_path):
    """serve runs GC on its own every --gc-interval; settings also come
    from a config file."""
    cfg = tmp_path / "registry.conf"
    cfg.write_text("gc-interval = 1\ngc-grace = 0\ngc-delete-untagged = true\n")
    r = registry_factory(extra_args=["--config", str(cfg)])
    c = Client(r.url)
    orphan = c.push_blob("sched/app", b"collected by the schedule")
    _, d, _ = image(c, "sched/app", "v1", [b"scheduled layer"])
    assert c.req("DELETE", "/v2/sched/app/manifests/v1").status_code == 202
    wait_for(lambda: not os.path.exists(blob_file(r.data_dir, orphan)), timeout=15,
             what="the scheduled run to remove the orphan blob")
    wait_for(lambda: c.req("GET", f"/v2/sched/app/manifests/{d}").status_code == 404,
             timeout=15, what="the scheduled run to remove the untagged manifest")
    def runs():
        text = c.req("GET", "/metrics").text
        assert 'wharf_registry_gc_runs_total{result="error",dry_run="false"} 0\n' in text
        return int(text.split('wharf_registry_gc_runs_total{result="ok",dry_run="false"} ')[1]
                   .split("\n")[0])
    # A run counts once it has ended (its files may be gone before that).
    wait_for(lambda: runs() >= 1, timeout=15, what="a scheduled run to be counted")


def test_gc_control_socket_refuses_bad_requests(reg):
    """The socket is for the server's own user only; what it reads is
    still checked: a bad request gets an error line and the server goes
    on."""
    path = os.path.join(reg.data_dir, "gc.sock")
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0
    dfd = os.open(reg.data_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for req in (b"rm -rf /\n", b"gc grace_ns=-5\n", b"gc dry_run=1 extra=1\n",
                    b"x" * 1000, b""):
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(f"/proc/self/fd/{dfd}/gc.sock")
                s.sendall(req)
                s.shutdown(socket.SHUT_WR)
                assert s.recv(4096).startswith(b"error: "), req
    finally:
        os.close(dfd)
    assert Client(reg.url).req("GET", "/v2/").status_code == 200
    rep = gc(reg.data_dir, "--dry-run")
    assert rep["dry_run"] is True
