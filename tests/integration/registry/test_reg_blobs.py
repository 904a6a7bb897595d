"""Blob downloads and uploads over real HTTP: bytes, headers, Range edges,
chunk order, concurrency."""
import concurrent.futures
import os

import pytest

from regclient import Client, sha256


def test_blob_get_returns_exact_bytes_and_headers(client):
    data = os.urandom(300_000)
    d = client.push_blob("b/exact", data)
    r = client.req("GET", f"/v2/b/exact/blobs/{d}")
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["Docker-Content-Digest"] == d
    assert r.headers["Content-Length"] == str(len(data))
    assert r.headers["Accept-Ranges"] == "bytes"
    h = client.req("HEAD", f"/v2/b/exact/blobs/{d}")
    assert h.headers["Content-Length"] == str(len(data)) and h.content == b""


@pytest.mark.parametrize("rng,status,expect", [
    ("bytes=0-0", 206, (0, 1)),
    ("bytes=0-9", 206, (0, 10)),
    ("bytes=9-9", 206, (9, 10)),
    ("bytes=3-", 206, (3, 10)),
    ("bytes=-4", 206, (6, 10)),
    ("bytes=-100", 206, (0, 10)),
    ("bytes=5-100", 206, (5, 10)),
    ("bytes=10-", 416, None),
    ("bytes=10-12", 416, None),
    ("bytes=-0", 416, None),
    ("bytes=5-2", 200, (0, 10)),        # malformed: ignored
    ("bytes=0-1,4-5", 200, (0, 10)),    # several ranges: the whole blob
    ("items=0-1", 200, (0, 10)),        # other unit: ignored
])
def test_range_edges(sclient, rng, status, expect):
    data = b"0123456789"
    d = sclient.push_blob("b/range", data)
    r = sclient.req("GET", f"/v2/b/range/blobs/{d}", headers={"Range": rng})
    assert r.status_code == status, r.text
    if status == 416:
        assert r.headers["Content-Range"] == "bytes */10"
        return
    a, b = expect
    assert r.content == data[a:b]
    if status == 206:
        assert r.headers["Content-Range"] == f"bytes {a}-{b - 1}/10"


def test_empty_blob(client):
    d = client.push_blob("b/empty", b"")
    assert d == sha256(b"")
    r = client.req("GET", f"/v2/b/empty/blobs/{d}")
    assert r.status_code == 200 and r.content == b""


def test_chunked_upload_reports_progress_and_keeps_order(client):
    loc = client.open_session("b/chunks")
    chunks = [os.urandom(n) for n in (1, 1000, 65536, 7)]
    off = 0
    for c in chunks:
        r = client.req("PATCH", loc, data=c,
                       headers={"Content-Range": f"{off}-{off + len(c) - 1}"})
        assert r.status_code == 202, r.text
        off += len(c)
        assert r.headers["Range"] == f"0-{off - 1}"
        loc = r.headers["Location"]
        st = client.req("GET", loc)
        assert st.status_code == 204 and st.headers["Range"] == f"0-{off - 1}"
    # a repeated chunk is out of order now
    r = client.req("PATCH", loc, data=chunks[-1],
                   headers={"Content-Range": f"{off - 7}-{off - 1}"})
    assert r.status_code == 416 and r.headers["Range"] == f"0-{off - 1}"
    whole = b"".join(chunks)
    r = client.req("PUT", loc + f"?digest={sha256(whole)}")
    assert r.status_code == 201, r.text
    assert r.headers["Location"].endswith(sha256(whole))
    assert client.req("GET", r.headers["Location"]).content == whole
    # the session is gone once closed
    assert client.req("GET", loc).status_code == 404


def test_digest_mismatch_on_put_drops_the_session(client):
    loc = client.open_session("b/mismatch")
    client.req("PATCH", loc, data=b"abc")
    r = client.req("PUT", loc + f"?digest={sha256(b'abd')}")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    assert sha256(b"abc") in r.json()["errors"][0]["message"]
    assert client.req("GET", loc).status_code == 404
    assert client.req("HEAD", f"/v2/b/mismatch/blobs/{sha256(b'abd')}").status_code == 404


def test_cancelled_upload_is_unknown_afterwards(client):
    loc = client.open_session("b/cancel")
    client.req("PATCH", loc, data=b"partial")
    assert client.req("DELETE", loc).status_code == 204
    assert client.req("PATCH", loc, data=b"more").status_code == 404
    assert client.req("DELETE", loc).status_code == 404


def test_streamed_put_of_a_large_blob(client):
    data = os.urandom(8 << 20)
    loc = client.open_session("b/large")

    def gen():
        for i in range(0, len(data), 1 << 20):
            yield data[i:i + (1 << 20)]
    r = client.req("PATCH", loc, data=gen())  # chunked transfer encoding
    assert r.status_code == 202, r.text
    r = client.req("PUT", r.headers["Location"] + f"?digest={sha256(data)}")
    assert r.status_code == 201
    got = client.req("GET", f"/v2/b/large/blobs/{sha256(data)}")
    assert got.content == data


def test_sha512_blob(client):
    import hashlib
    data = b"sha512 content"
    d = "sha512:" + hashlib.sha512(data).hexdigest()
    r = client.req("POST", f"/v2/b/sha512/blobs/uploads/?digest={d}", data=data)
    assert r.status_code == 201, r.text
    assert client.req("GET", f"/v2/b/sha512/blobs/{d}").content == data


def test_cross_repository_mount_shares_the_blob(client):
    data = os.urandom(1000)
    d = client.push_blob("b/mount-src", data)
    r = client.req("POST", f"/v2/b/mount-dst/blobs/uploads/?mount={d}&from=b/mount-src")
    assert r.status_code == 201
    assert r.headers["Docker-Content-Digest"] == d
    assert client.req("GET", f"/v2/b/mount-dst/blobs/{d}").content == data
    # deleting from one repository leaves the other's link
    assert client.req("DELETE", f"/v2/b/mount-src/blobs/{d}").status_code == 202
    assert client.req("HEAD", f"/v2/b/mount-src/blobs/{d}").status_code == 404
    assert client.req("GET", f"/v2/b/mount-dst/blobs/{d}").content == data


def test_mount_of_missing_blob_opens_a_session(client):
    r = client.req("POST", "/v2/b/m2/blobs/uploads/?mount=" + sha256(b"nope") + "&from=b/m1")
    assert r.status_code == 202
    loc = r.headers["Location"]
    assert client.req("PUT", loc + f"?digest={sha256(b'nope')}", data=b"nope").status_code == 201


def test_sixteen_clients_push_the_same_blob_at_once(registry):
    data = os.urandom(2 << 20)
    d = sha256(data)

    def push(i):
        c = Client(registry.url)
        if i % 2:
            r = c.req("POST", f"/v2/b/same/blobs/uploads/?digest={d}", data=data)
            return r.status_code
        loc = c.open_session("b/same")
        half = len(data) // 2
        c.req("PATCH", loc, data=data[:half], headers={"Content-Range": f"0-{half - 1}"})
        r = c.req("PUT", loc + f"?digest={d}", data=data[half:],
                  headers={"Content-Range": f"{half}-{len(data) - 1}"})
        return r.status_code
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        codes = list(ex.map(push, range(16)))
    assert codes == [201] * 16
    c = Client(registry.url)
    assert c.req("GET", f"/v2/b/same/blobs/{d}").content == data
    blobs = os.path.join(registry.data_dir, "blobs", "sha256", d[7:9])
    assert os.listdir(blobs) == [d[7:]]
    assert os.listdir(os.path.join(registry.data_dir, "uploads")) == []


def test_upload_of_another_repository_is_not_usable(client):
    loc = client.open_session("b/owner")
    other = loc.replace("/b/owner/", "/b/thief/")
    assert client.req("PUT", other + f"?digest={sha256(b'')}").status_code == 404
    assert client.req("DELETE", other).status_code == 404
    assert client.req("GET", loc).status_code == 204
