"""Every row of the endpoint × case table in docs/registry.md, checked
against a running registry: each row's id names a scenario below, which
makes the request; the status and error code must be the table's.

A row without a scenario, or a scenario without a row, fails too, so the
table and the registry cannot drift apart."""
import json
import os
import re
import time

import pytest

from regclient import (Client, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST,
                      DOCKER_MANIFEST, desc, sha256)

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "registry.md")
ZERO = "sha256:" + "0" * 64


def table_rows():
    rows = []
    with open(DOC) as f:
        for line in f:
            m = re.match(r"\|\s*`([a-z0-9-]+)`\s*\|(.*)\|\s*(\d{3})\s*\|\s*([A-Z_]+|-)\s*\|\s*$",
                         line)
            if m:
                rows.append((m.group(1), int(m.group(3)), m.group(4)))
    return rows


SCENARIOS = {}


def scenario(name):
    def deco(fn):
        SCENARIOS[name] = fn
        return fn
    return deco


def session(c, repo):
    return c.open_session(repo)


@scenario("base-get")
def _(c, repo):
    return c.req("GET", "/v2/")


@scenario("blob-get")
def _(c, repo):
    d = c.push_blob(repo, b"blob-get")
    return c.req("GET", f"/v2/{repo}/blobs/{d}")


@scenario("blob-head")
def _(c, repo):
    d = c.push_blob(repo, b"blob-head")
    return c.req("HEAD", f"/v2/{repo}/blobs/{d}")


@scenario("blob-get-range")
def _(c, repo):
    d = c.push_blob(repo, b"0123456789")
    return c.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=2-5"})


@scenario("blob-get-range-unsatisfiable")
def _(c, repo):
    d = c.push_blob(repo, b"0123456789")
    return c.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=10-"})


@scenario("blob-get-unknown")
def _(c, repo):
    c.push_blob(repo, b"other")
    return c.req("GET", f"/v2/{repo}/blobs/{ZERO}")


@scenario("blob-get-other-repo")
def _(c, repo):
    d = c.push_blob(repo + "/a", b"only in a")
    return c.req("GET", f"/v2/{repo}/b/blobs/{d}")


@scenario("blob-get-bad-digest")
def _(c, repo):
    return c.req("GET", f"/v2/{repo}/blobs/sha256:xyz")


@scenario("blob-get-unsupported-alg")
def _(c, repo):
    return c.req("GET", f"/v2/{repo}/blobs/md5:" + "0" * 32)


@scenario("blob-get-bad-name")
def _(c, repo):
    return c.req("GET", f"/v2/Upper/Case/blobs/{ZERO}")


@scenario("blob-delete")
def _(c, repo):
    d = c.push_blob(repo, b"to delete")
    return c.req("DELETE", f"/v2/{repo}/blobs/{d}")


@scenario("blob-delete-unknown")
def _(c, repo):
    return c.req("DELETE", f"/v2/{repo}/blobs/{ZERO}")


@scenario("upload-post")
def _(c, repo):
    return c.req("POST", f"/v2/{repo}/blobs/uploads/")


@scenario("upload-post-monolithic")
def _(c, repo):
    return c.req("POST", f"/v2/{repo}/blobs/uploads/?digest={sha256(b'mono')}", data=b"mono")


@scenario("upload-post-monolithic-mismatch")
def _(c, repo):
    return c.req("POST", f"/v2/{repo}/blobs/uploads/?digest={sha256(b'x')}", data=b"y")


@scenario("upload-post-bad-digest")
def _(c, repo):
    return c.req("POST", f"/v2/{repo}/blobs/uploads/?digest=sha256:nothex", data=b"y")


@scenario("upload-post-bad-name")
def _(c, repo):
    return c.req("POST", "/v2/-bad-/blobs/uploads/")


@scenario("upload-mount")
def _(c, repo):
    d = c.push_blob(repo + "/src", b"mount me")
    return c.req("POST", f"/v2/{repo}/dst/blobs/uploads/?mount={d}&from={repo}/src")


@scenario("upload-mount-missing")
def _(c, repo):
    return c.req("POST", f"/v2/{repo}/dst/blobs/uploads/?mount={ZERO}&from={repo}/src")


@scenario("upload-mount-bad-from")
def _(c, repo):
    return c.req("POST", f"/v2/{repo}/blobs/uploads/?mount={ZERO}&from=Bad..Name")


@scenario("upload-patch")
def _(c, repo):
    return c.req("PATCH", session(c, repo), data=b"abc", headers={"Content-Range": "0-2"})


@scenario("upload-patch-streamed")
def _(c, repo):
    return c.req("PATCH", session(c, repo), data=b"abc")


@scenario("upload-patch-out-of-order")
def _(c, repo):
    loc = session(c, repo)
    c.req("PATCH", loc, data=b"abc", headers={"Content-Range": "0-2"})
    return c.req("PATCH", loc, data=b"def", headers={"Content-Range": "5-7"})


@scenario("upload-patch-bad-range")
def _(c, repo):
    return c.req("PATCH", session(c, repo), data=b"abc", headers={"Content-Range": "zero-two"})


@scenario("upload-patch-range-length-mismatch")
def _(c, repo):
    return c.req("PATCH", session(c, repo), data=b"abc", headers={"Content-Range": "0-9"})


@scenario("upload-patch-unknown")
def _(c, repo):
    return c.req("PATCH", f"/v2/{repo}/blobs/uploads/00000000-0000-4000-8000-000000000000",
                 data=b"x")


@scenario("upload-patch-other-repo")
def _(c, repo):
    loc = session(c, repo + "/a")
    return c.req("PATCH", loc.replace(f"/{repo}/a/", f"/{repo}/b/"), data=b"x")


@scenario("upload-put")
def _(c, repo):
    loc = session(c, repo)
    c.req("PATCH", loc, data=b"chunked")
    return c.req("PUT", loc + f"?digest={sha256(b'chunked')}")


@scenario("upload-put-with-last-chunk")
def _(c, repo):
    loc = session(c, repo)
    c.req("PATCH", loc, data=b"first,")
    return c.req("PUT", loc + f"?digest={sha256(b'first,last')}", data=b"last",
                 headers={"Content-Range": "6-9"})


@scenario("upload-put-no-digest")
def _(c, repo):
    return c.req("PUT", session(c, repo), data=b"x")


@scenario("upload-put-mismatch")
def _(c, repo):
    return c.req("PUT", session(c, repo) + f"?digest={sha256(b'other')}", data=b"x")


@scenario("upload-get")
def _(c, repo):
    return c.req("GET", session(c, repo))


@scenario("upload-get-unknown")
def _(c, repo):
    return c.req("GET", f"/v2/{repo}/blobs/uploads/not-a-uuid")


@scenario("upload-delete")
def _(c, repo):
    return c.req("DELETE", session(c, repo))


@scenario("upload-delete-unknown")
def _(c, repo):
    return c.req("DELETE", f"/v2/{repo}/blobs/uploads/00000000-0000-4000-8000-000000000000")


@scenario("upload-expired")
def _(c, repo, factory):
    reg = factory(extra_args=["--upload-expiry", "1s"])
    c2 = Client(reg.url)
    loc = session(c2, repo)
    time.sleep(1.5)
    return c2.req("PATCH", loc, data=b"late")


@scenario("manifest-put-tag")
def _(c, repo):
    return c.put_manifest(repo, "v1", c.image(repo))


@scenario("manifest-put-digest")
def _(c, repo):
    body = c.image(repo)
    return c.put_manifest(repo, sha256(body), body)


@scenario("manifest-put-docker")
def _(c, repo):
    return c.put_manifest(repo, "d1", c.image(repo, mt=DOCKER_MANIFEST), DOCKER_MANIFEST)


@scenario("manifest-put-index")
def _(c, repo):
    body = c.image(repo)
    c.put_manifest(repo, sha256(body), body)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                        "manifests": [desc(OCI_MANIFEST, body)]}).encode()
    return c.put_manifest(repo, "multi", index, OCI_INDEX)


@scenario("manifest-put-digest-mismatch")
def _(c, repo):
    return c.put_manifest(repo, ZERO, c.image(repo))


@scenario("manifest-put-invalid-json")
def _(c, repo):
    return c.put_manifest(repo, "v1", b"{not json")


@scenario("manifest-put-bad-media-type")
def _(c, repo):
    return c.put_manifest(repo, "v1", c.image(repo), "text/plain")


@scenario("manifest-put-media-type-conflict")
def _(c, repo):
    return c.put_manifest(repo, "v1", c.image(repo), DOCKER_MANIFEST)


@scenario("manifest-put-bad-descriptor")
def _(c, repo):
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": {"mediaType": OCI_CONFIG, "digest": "sha256:12", "size": 2},
                       "layers": []}).encode()
    return c.put_manifest(repo, "v1", body)


@scenario("manifest-put-blob-unknown")
def _(c, repo):
    return c.put_manifest(repo, "v1", c.image(repo, push_blobs=False))


@scenario("manifest-put-index-child-unknown")
def _(c, repo):
    child = c.image(repo)  # blobs pushed, manifest itself not
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                        "manifests": [desc(OCI_MANIFEST, child)]}).encode()
    return c.put_manifest(repo, "multi", index, OCI_INDEX)


@scenario("manifest-put-too-large")
def _(c, repo):
    big = c.image(repo, extra={"annotations": {"pad": "x" * (4 * 1024 * 1024)}},
                  push_blobs=False)
    return c.put_manifest(repo, "big", big)


@scenario("manifest-put-bad-tag")
def _(c, repo):
    return c.put_manifest(repo, ".dot-first", c.image(repo))


@scenario("manifest-put-bad-name")
def _(c, repo):
    return c.put_manifest("a//b", "v1", b"{}")


@scenario("manifest-get-tag")
def _(c, repo):
    c.push_image(repo, "v1")
    return c.req("GET", f"/v2/{repo}/manifests/v1")


@scenario("manifest-get-digest")
def _(c, repo):
    _, d = c.push_image(repo, "v1")
    return c.req("GET", f"/v2/{repo}/manifests/{d}")


@scenario("manifest-head")
def _(c, repo):
    c.push_image(repo, "v1")
    return c.req("HEAD", f"/v2/{repo}/manifests/v1")


@scenario("manifest-get-unknown")
def _(c, repo):
    c.push_image(repo, "v1")
    return c.req("GET", f"/v2/{repo}/manifests/v2")


@scenario("manifest-get-bad-digest")
def _(c, repo):
    return c.req("GET", f"/v2/{repo}/manifests/sha256:short")


@scenario("manifest-get-not-accepted")
def _(c, repo):
    c.push_image(repo, "v1")
    return c.req("GET", f"/v2/{repo}/manifests/v1", headers={"Accept": DOCKER_MANIFEST})


@scenario("manifest-delete-tag")
def _(c, repo):
    c.push_image(repo, "v1")
    return c.req("DELETE", f"/v2/{repo}/manifests/v1")


@scenario("manifest-delete-digest")
def _(c, repo):
    _, d = c.push_image(repo, "v1")
    return c.req("DELETE", f"/v2/{repo}/manifests/{d}")


@scenario("manifest-delete-unknown")
def _(c, repo):
    return c.req("DELETE", f"/v2/{repo}/manifests/{ZERO}")


@scenario("tags-list")
def _(c, repo):
    c.push_image(repo, "v1")
    return c.req("GET", f"/v2/{repo}/tags/list")


@scenario("tags-list-unknown-repo")
def _(c, repo):
    return c.req("GET", f"/v2/{repo}/never/tags/list")


@scenario("tags-list-bad-n")
def _(c, repo):
    c.push_image(repo, "v1")
    return c.req("GET", f"/v2/{repo}/tags/list?n=-1")


@scenario("catalog")
def _(c, repo):
    return c.req("GET", "/v2/_catalog?n=5")


@scenario("catalog-bad-n")
def _(c, repo):
    return c.req("GET", "/v2/_catalog?n=lots")


@scenario("referrers")
def _(c, repo):
    return c.req("GET", f"/v2/{repo}/referrers/{ZERO}")


@scenario("referrers-filtered")
def _(c, repo):
    return c.req("GET", f"/v2/{repo}/referrers/{ZERO}?artifactType=application/x.sig")


@scenario("referrers-bad-digest")
def _(c, repo):
    return c.req("GET", f"/v2/{repo}/referrers/latest")


@scenario("route-unknown")
def _(c, repo):
    return c.req("GET", "/v2/a/unknown/thing")


@scenario("method-not-allowed")
def _(c, repo):
    return c.req("POST", f"/v2/{repo}/manifests/v1")


ROWS = table_rows()


def test_table_and_scenarios_match():
    ids = [r[0] for r in ROWS]
    assert len(ids) == len(set(ids)), "duplicate ids in the table"
    assert len(ids) > 50
    assert sorted(set(ids) - set(SCENARIOS)) == [], "rows without a scenario"
    assert sorted(set(SCENARIOS) - set(ids)) == [], "scenarios without a row"


@pytest.mark.parametrize("row_id,status,code", ROWS, ids=[r[0] for r in ROWS])
def test_row(row_id, status, code, sclient, registry_factory):
    fn = SCENARIOS[row_id]
    repo = "table/" + row_id
    if fn.__code__.co_argcount == 3:
        r = fn(sclient, repo, registry_factory)
    else:
        r = fn(sclient, repo)
    assert r.status_code == status, r.text
    if code == "-":
        if r.request.method != "HEAD" and r.content and r.status_code >= 400:
            pytest.fail(f"unexpected error body {r.text}")
    else:
        assert r.json()["errors"][0]["code"] == code
        assert r.json()["errors"][0]["message"]
        assert "/" + "var" not in r.text and "data" + "/" not in r.text  # no paths leak
