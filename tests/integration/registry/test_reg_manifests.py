"""Manifests over real HTTP: exact bytes, the four media types, Accept,
digest checks, deletes, subjects and the referrers API."""
import hashlib
import json

import pytest

from regclient import (ALL_MANIFEST_TYPES, DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX,
                       OCI_MANIFEST, desc, sha256)


def test_pushed_bytes_are_served_exactly(client):
    body = client.image("m/exact")
    body = body.replace(b"\n", b"\r\n  ")  # odd but valid whitespace
    r = client.put_manifest("m/exact", "v1", body)
    assert r.status_code == 201, r.text
    d = sha256(body)
    assert r.headers["Docker-Content-Digest"] == d
    assert r.headers["Location"] == f"/v2/m/exact/manifests/{d}"
    for ref in ("v1", d):
        g = client.req("GET", f"/v2/m/exact/manifests/{ref}",
                       headers={"Accept": ALL_MANIFEST_TYPES})
        assert g.status_code == 200
        assert g.content == body
        assert g.headers["Content-Type"] == OCI_MANIFEST
        assert g.headers["Docker-Content-Digest"] == d
        h = client.req("HEAD", f"/v2/m/exact/manifests/{ref}")
        assert h.headers["Content-Length"] == str(len(body))
        assert h.headers["Docker-Content-Digest"] == d


@pytest.mark.parametrize("mt", [OCI_MANIFEST, DOCKER_MANIFEST])
def test_image_manifest_types_round_trip(client, mt):
    body, d = client.push_image("m/types", "t", mt=mt)
    g = client.req("GET", "/v2/m/types/manifests/t", headers={"Accept": mt})
    assert g.status_code == 200 and g.content == body and g.headers["Content-Type"] == mt


@pytest.mark.parametrize("list_mt,child_mt", [(OCI_INDEX, OCI_MANIFEST),
                                              (DOCKER_LIST, DOCKER_MANIFEST)])
def test_two_platform_index(client, list_mt, child_mt):
    children = []
    for arch in ("amd64", "arm64"):
        cfg = json.dumps({"architecture": arch, "os": "linux"}).encode()
        body = client.image("m/multi", layers=(arch.encode() * 10,), config=cfg, mt=child_mt)
        assert client.put_manifest("m/multi", sha256(body), body, child_mt).status_code == 201
        dsc = desc(child_mt, body)
        dsc["platform"] = {"architecture": arch, "os": "linux"}
        children.append(dsc)
    index = json.dumps({"schemaVersion": 2, "mediaType": list_mt, "manifests": children}).encode()
    r = client.put_manifest("m/multi", "latest", index, list_mt)
    assert r.status_code == 201, r.text
    g = client.req("GET", "/v2/m/multi/manifests/latest", headers={"Accept": list_mt})
    assert g.content == index and g.headers["Content-Type"] == list_mt
    for c in children:
        assert client.req("GET", f"/v2/m/multi/manifests/{c['digest']}").status_code == 200


def test_accept_negotiation(client):
    body, d = client.push_image("m/accept", "v1")
    ok = [None, "*/*", OCI_MANIFEST, f"{DOCKER_MANIFEST}, {OCI_MANIFEST};q=0.5",
          f"text/html, {OCI_MANIFEST}"]
    for a in ok:
        h = {"Accept": a} if a else {}
        if a is None:
            client.s.headers.pop("Accept", None)
        r = client.req("GET", "/v2/m/accept/manifests/v1", headers=h)
        assert r.status_code == 200, a
    # repeated Accept headers, as Docker sends them
    import http.client
    from urllib.parse import urlparse
    u = urlparse(client.url)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    conn.putrequest("GET", "/v2/m/accept/manifests/v1")
    conn.putheader("Accept", DOCKER_MANIFEST)
    conn.putheader("Accept", OCI_MANIFEST)
    conn.endheaders()
    assert conn.getresponse().status == 200
    conn.close()
    r = client.req("GET", "/v2/m/accept/manifests/v1", headers={"Accept": DOCKER_LIST})
    assert r.status_code == 404
    assert OCI_MANIFEST in r.json()["errors"][0]["message"]


def test_push_by_sha512_digest(client):
    body = client.image("m/sha512")
    d = "sha512:" + hashlib.sha512(body).hexdigest()
    r = client.put_manifest("m/sha512", d, body)
    assert r.status_code == 201, r.text
    assert client.req("GET", f"/v2/m/sha512/manifests/{d}").content == body


def test_delete_by_tag_keeps_the_manifest(client):
    body, d = client.push_image("m/deltag", "v1")
    client.put_manifest("m/deltag", "v2", body)
    assert client.req("DELETE", "/v2/m/deltag/manifests/v1").status_code == 202
    assert client.req("GET", "/v2/m/deltag/manifests/v1").status_code == 404
    assert client.req("GET", f"/v2/m/deltag/manifests/{d}").status_code == 200
    assert client.req("GET", "/v2/m/deltag/tags/list").json()["tags"] == ["v2"]


def test_delete_by_digest_removes_its_tags(client):
    body, d = client.push_image("m/deldig", "v1")
    client.put_manifest("m/deldig", "v2", body)
    other, d2 = client.push_image("m/deldig", "keep")
    assert client.req("DELETE", f"/v2/m/deldig/manifests/{d}").status_code == 202
    for ref in ("v1", "v2", d):
        assert client.req("GET", f"/v2/m/deldig/manifests/{ref}").status_code == 404
    assert client.req("GET", "/v2/m/deldig/tags/list").json()["tags"] == ["keep"]
    assert client.req("DELETE", f"/v2/m/deldig/manifests/{d}").status_code == 404


def test_retag_moves_the_tag(client):
    a, da = client.push_image("m/retag", "v")
    b, db = client.push_image("m/retag", "v")
    assert da != db
    assert client.req("GET", "/v2/m/retag/manifests/v").content == b


def test_missing_blob_message_names_the_digest(client):
    body = client.image("m/missing", layers=(b"never pushed",), push_blobs=False)
    r = client.put_manifest("m/missing", "v1", body)
    assert r.status_code == 404
    assert r.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN"
    msg = r.json()["errors"][0]["message"]
    assert "sha256:" in msg
    assert client.req("GET", "/v2/m/missing/manifests/v1").status_code == 404


def test_size_limit_is_configurable(registry_factory):
    from regclient import Client
    reg = registry_factory(extra_args=["--max-manifest-size", "1K"])
    c = Client(reg.url)
    small = c.image("m/limit")
    assert len(small) < 1024
    assert c.put_manifest("m/limit", "ok", small).status_code == 201
    big = c.image("m/limit", extra={"annotations": {"x": "y" * 2000}})
    r = c.put_manifest("m/limit", "big", big)
    assert r.status_code == 413 and "1024" in r.json()["errors"][0]["message"]
    # without Content-Length (chunked): caught while streaming
    r = c.req("PUT", "/v2/m/limit/manifests/big2", data=iter([big[:600], big[600:]]),
              headers={"Content-Type": OCI_MANIFEST})
    assert r.status_code == 413


def test_invalid_json_message_has_position(client):
    r = client.put_manifest("m/json", "v1", b'{"schemaVersion": 2,\n "x": }')
    assert r.status_code == 400
    assert "line" in r.json()["errors"][0]["message"]


def test_subject_header_and_referrers(client):
    subject_body, subject = client.push_image("m/refs", "app")
    artifacts = []
    for i, at in enumerate(["application/vnd.example.sig", "application/vnd.example.sbom",
                            "application/vnd.example.sig"]):
        empty = b"{}"
        client.push_blob("m/refs", empty)
        layer = f"payload {i}".encode()
        client.push_blob("m/refs", layer)
        m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": at,
             "config": desc("application/vnd.oci.empty.v1+json", empty),
             "layers": [desc("application/octet-stream", layer)],
             "subject": desc(OCI_MANIFEST, subject_body),
             "annotations": {"n": str(i)}}
        body = json.dumps(m).encode()
        r = client.put_manifest("m/refs", sha256(body), body)
        assert r.status_code == 201, r.text
        assert r.headers["OCI-Subject"] == subject
        artifacts.append((sha256(body), at, len(body), str(i)))
    r = client.req("GET", f"/v2/m/refs/referrers/{subject}")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == OCI_INDEX
    idx = r.json()
    assert idx["schemaVersion"] == 2 and idx["mediaType"] == OCI_INDEX
    got = sorted((m["digest"], m["artifactType"], m["size"], m["annotations"]["n"])
                 for m in idx["manifests"])
    assert got == sorted(artifacts)
    assert all(m["mediaType"] == OCI_MANIFEST for m in idx["manifests"])
    assert "OCI-Filters-Applied" not in r.headers
    f = client.req("GET", f"/v2/m/refs/referrers/{subject}",
                   params={"artifactType": "application/vnd.example.sig"})
    assert f.headers["OCI-Filters-Applied"] == "artifactType"
    assert sorted(m["digest"] for m in f.json()["manifests"]) == sorted(
        a[0] for a in artifacts if a[1].endswith("sig"))
    # deleting a referrer removes it from the index
    client.req("DELETE", f"/v2/m/refs/manifests/{artifacts[0][0]}")
    r = client.req("GET", f"/v2/m/refs/referrers/{subject}")
    assert len(r.json()["manifests"]) == 2


def test_referrer_without_artifact_type_uses_config_media_type(client):
    subject_body, subject = client.push_image("m/refs2", "app")
    cfg = b'{"kind":"sig"}'
    client.push_blob("m/refs2", cfg)
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
         "config": desc("application/vnd.example.config+json", cfg), "layers": [],
         "subject": desc(OCI_MANIFEST, subject_body)}
    body = json.dumps(m).encode()
    assert client.put_manifest("m/refs2", "sig", body).status_code == 201
    idx = client.req("GET", f"/v2/m/refs2/referrers/{subject}").json()
    assert idx["manifests"][0]["artifactType"] == "application/vnd.example.config+json"


def test_subject_need_not_exist(client):
    ghost = "sha256:" + "ab" * 32
    cfg = b"{}"
    client.push_blob("m/ghost", cfg)
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/x",
         "config": desc("application/vnd.oci.empty.v1+json", cfg), "layers": [],
         "subject": {"mediaType": OCI_MANIFEST, "digest": ghost, "size": 10}}
    r = client.put_manifest("m/ghost", "a", json.dumps(m).encode())
    assert r.status_code == 201 and r.headers["OCI-Subject"] == ghost
    assert len(client.req("GET", f"/v2/m/ghost/referrers/{ghost}").json()["manifests"]) == 1
