"""Hostile input: every malformed name, reference, digest, header and
query gets a 4xx with the spec's error body — never a 500, never a path."""
import socket

import pytest

from regclient import sha256

ZERO = "sha256:" + "0" * 64


@pytest.mark.parametrize("path,status,code", [
    ("/v2/" + "a" * 256 + "/tags/list", 400, "NAME_INVALID"),
    ("/v2/" + "/".join(["a" * 60] * 5) + "/tags/list", 400, "NAME_INVALID"),
    ("/v2/a/%2e%2e/b/tags/list", 400, "NAME_INVALID"),
    ("/v2/a/%00/b/tags/list", 400, "NAME_INVALID"),
    ("/v2/caf%C3%A9/tags/list", 400, "NAME_INVALID"),
    ("/v2/a/manifests/" + "t" * 129, 400, "TAG_INVALID"),
    ("/v2/a/manifests/sha256:" + "0" * 1000, 400, "DIGEST_INVALID"),
    ("/v2/a/manifests/sha256:" + "A" * 64, 400, "DIGEST_INVALID"),
    ("/v2/a/blobs/sha512:" + "0" * 64, 400, "DIGEST_INVALID"),
    ("/v2/a/blobs/uploads/..%2f..%2fmeta.db", 404, "NOT_FOUND"),
    ("/v2/a/blobs/uploads/..%2fx", 404, "NOT_FOUND"),
    ("/v2/a/blobs/uploads/0000000-0000-4000-8000-000000000000%2e", 404, "BLOB_UPLOAD_UNKNOWN"),
    ("/v2/a/blobs/uploads/" + "f" * 36, 404, "BLOB_UPLOAD_UNKNOWN"),
    ("/v2/a/tags/list?n=99999999999999999999999", 400, "PAGINATION_NUMBER_INVALID"),
    ("/v2/_catalog?n=%20", 400, "PAGINATION_NUMBER_INVALID"),
    ("/v2/a/referrers/" + ZERO + "?artifactType=" + "x" * 5000, 200, None),
])
def test_malformed_requests(sclient, path, status, code):
    r = sclient.req("GET", path)
    assert r.status_code == status, r.text
    assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    if code:
        assert r.json()["errors"][0]["code"] == code
        assert "/blobs/sha256/" not in r.text and "meta.db" not in r.text


@pytest.mark.parametrize("cr", ["0-18446744073709551615", "99999999999999999999-1",
                                "1-0", "-", "bytes */*", "0-0-0"])
def test_hostile_content_range(sclient, cr):
    loc = sclient.open_session("hostile/cr")
    r = sclient.req("PATCH", loc, data=b"x", headers={"Content-Range": cr})
    assert r.status_code in (400, 416), r.text
    assert r.json()["errors"][0]["code"] in ("BLOB_UPLOAD_INVALID", "SIZE_INVALID")
    assert sclient.req("GET", loc).headers["Range"] == "0-0"


@pytest.mark.parametrize("body", [b"", b"null", b"[]", b'{"schemaVersion":"2"}',
                                  b'{"schemaVersion":2,"config":[],"layers":{}}',
                                  b'{"schemaVersion":2,"mediaType":7}', b"\xff\xfe{}",
                                  b'{"a":' * 5000 + b"1" + b"}" * 5000])
def test_hostile_manifests(sclient, body):
    r = sclient.put_manifest("hostile/m", "v1", body)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["code"] == "MANIFEST_INVALID"


def test_raw_garbage_request_lines(shared_registry):
    for raw in (b"GET /v2/\x00 HTTP/1.1\r\n\r\n", b"BREW /v2/ HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /v2/" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"):
        s = socket.create_connection(("127.0.0.1", shared_registry.port), timeout=5)
        s.sendall(raw)
        data = s.recv(4096)
        s.close()
        assert data.startswith(b"HTTP/1.1 ") or data == b"", data[:100]
    # still serving
    import requests
    assert requests.get(shared_registry.url + "/v2/").status_code == 200


def test_digest_in_upload_put_is_validated_before_reading(sclient):
    loc = sclient.open_session("hostile/put")
    r = sclient.req("PUT", loc + "?digest=sha256:../../etc/passwd", data=b"x")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    r = sclient.req("PUT", loc + f"?digest={sha256(b'x')}", data=b"x")
    assert r.status_code == 201


def test_large_headers_fit_and_oversized_ones_get_431(sclient):
    # libmicrohttpd's per-connection pool (16 KiB, server.c) holds the
    # request headers: a 12 KB bearer token must still be served, a
    # 64 KB header block refused with 431, and the server carry on.
    r = sclient.req("GET", "/v2/", headers={"Authorization": "Bearer " + "t" * 12000})
    assert r.status_code == 200, r.text
    r = sclient.req("GET", "/v2/", headers={"X-Big": "b" * 65536})
    assert r.status_code == 431
    assert sclient.req("GET", "/v2/").status_code == 200
