"""Crash safety by fault injection: the registry is SIGKILLed at each
fsync, rename and SQLite commit (with --sync full every commit is a WAL
fdatasync) of a blob upload and a manifest push in turn, by the LD_PRELOAD
shim crash_shim.c. After each kill it is restarted on the same data, and:

- everything acknowledged before the kill is there, byte for byte;
- the store is consistent: every tag names a manifest whose blobs are
  all readable, every blob file hashes to its name, every upload file
  belongs to a session;
- the same push, retried, succeeds and reads back identically."""
import hashlib
import os
import sqlite3

import pytest
import requests

from regclient import Client, OCI_MANIFEST, sha256
from wharfutil import BUILD_DIR, Registry, wait_for

SHIM = os.path.join(BUILD_DIR, "tests", "unit", "registry", "libwharf_crash_shim.so")
REPO = "crash/app"
CONFIG = b'{"architecture":"amd64","os":"linux"}'
LAYER = os.urandom(300_000)


def push(c, acked):
    """The push a client makes: a monolithic blob, a chunked blob, a
    manifest by tag. Appends what was acknowledged to `acked`."""
    r = c.req("POST", f"/v2/{REPO}/blobs/uploads/?digest={sha256(CONFIG)}", data=CONFIG)
    assert r.status_code == 201, r.text
    acked.append("config")
    r = c.req("POST", f"/v2/{REPO}/blobs/uploads/")
    assert r.status_code == 202, r.text
    loc = r.headers["Location"]
    half = len(LAYER) // 2
    r = c.req("PATCH", loc, data=LAYER[:half], headers={"Content-Range": f"0-{half - 1}"})
    assert r.status_code == 202, r.text
    r = c.req("PUT", r.headers["Location"] + f"?digest={sha256(LAYER)}", data=LAYER[half:],
              headers={"Content-Range": f"{half}-{len(LAYER) - 1}"})
    assert r.status_code == 201, r.text
    acked.append("layer")
    r = c.put_manifest(REPO, "v1", manifest())
    assert r.status_code == 201, r.text
    acked.append("manifest")


def manifest():
    import json
    return json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(CONFIG), "size": len(CONFIG)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha256(LAYER), "size": len(LAYER)}]}).encode()


def start(tmp_path, data, name, env):
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return Registry(data, tmp_path / f"{name}.log", ["--sync", "full"]).start()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def shim_env(**kw):
    env = {"LD_PRELOAD": SHIM, "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
           ":verify_asan_link_order=0"}
    env.update(kw)
    return env


def check_consistent(c, data):
    # every blob file's bytes match its name: nothing half-visible
    root = os.path.join(data, "blobs", "sha256")
    for sub in os.listdir(root) if os.path.isdir(root) else []:
        for name in os.listdir(os.path.join(root, sub)):
            with open(os.path.join(root, sub, name), "rb") as f:
                assert hashlib.sha256(f.read()).hexdigest() == name
    # every upload file belongs to a session, and the reverse
    db = sqlite3.connect(f"file:{data}/meta.db?mode=ro", uri=True)
    sessions = {r[0] for r in db.execute("SELECT id FROM uploads")}
    db.close()
    assert set(os.listdir(os.path.join(data, "uploads"))) == sessions
    # every tag names a complete manifest
    r = c.req("GET", f"/v2/{REPO}/tags/list")
    if r.status_code == 404:
        return
    for tag in r.json()["tags"]:
        m = c.req("GET", f"/v2/{REPO}/manifests/{tag}")
        assert m.status_code == 200
        body = m.json()
        for d in [body["config"]] + body["layers"]:
            b = c.req("GET", f"/v2/{REPO}/blobs/{d['digest']}")
            assert b.status_code == 200 and sha256(b.content) == d["digest"]


@pytest.fixture(scope="module")
def points(tmp_path_factory):
    """How many crash points the registry passes at start, and after the
    push (a dry run with the shim counting only)."""
    if not os.path.exists(SHIM):
        pytest.fail(f"{SHIM} is not built")
    tmp = tmp_path_factory.mktemp("crash-count")
    log = tmp / "points.log"
    reg = start(tmp, tmp / "data", "count", shim_env(WHARF_CRASH_LOG=str(log)))

    def count():
        return len(log.read_text().splitlines()) if log.exists() else 0
    n0 = count()
    push(Client(reg.url), [])
    n1 = count()
    assert reg.stop() == 0
    assert n1 - n0 >= 8, log.read_text()  # renames, fsyncs and commits were seen
    return n0, n1, log.read_text().splitlines()[n0:n1]


def test_crash_points_cover_the_push(points):
    n0, n1, ops = points
    kinds = {op.split()[0] for op in ops}
    assert "renameat" in kinds or "rename" in kinds   # blob into place
    assert "fsync" in kinds                            # blob bytes, directories
    assert "fdatasync" in kinds or len([o for o in ops if o.startswith("fsync")]) > 4


def test_kill_at_every_point_then_recover_and_retry(points, tmp_path):
    n0, n1, ops = points
    for k in range(n0 + 1, n1 + 1):
        data = tmp_path / f"data-{k}"
        reg = start(tmp_path, data, f"crash-{k}", shim_env(WHARF_CRASH_AT=str(k)))
        acked = []
        with pytest.raises((requests.ConnectionError, AssertionError)):
            push(Client(reg.url), acked)
        wait_for(lambda: reg.proc.poll() is not None, 10, what=f"kill at point {k}")
        assert reg.proc.returncode == -9, f"point {k} ({ops[k - n0 - 1]}): not killed"
        reg.stop()

        again = start(tmp_path, data, f"restart-{k}", {})
        try:
            c = Client(again.url)
            what = f"after a kill at point {k} ({ops[k - n0 - 1]}), acked {acked}"
            if "config" in acked:
                assert c.req("GET", f"/v2/{REPO}/blobs/{sha256(CONFIG)}").content == CONFIG, what
            if "layer" in acked:
                assert c.req("GET", f"/v2/{REPO}/blobs/{sha256(LAYER)}").content == LAYER, what
            check_consistent(c, str(data))
            done = []
            push(c, done)
            assert done == ["config", "layer", "manifest"], what
            assert c.req("GET", f"/v2/{REPO}/manifests/v1").content == manifest()
            check_consistent(c, str(data))
        finally:
            assert again.stop() == 0
