"""Tags list and catalog pagination with ?n=, ?last= and Link."""
import re

from regclient import Client


def follow(c, path):
    """Walk Link headers; returns the pages."""
    pages = []
    while path:
        r = c.req("GET", path)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        link = r.headers.get("Link")
        if link:
            m = re.fullmatch(r'<([^>]+)>; rel="next"', link)
            assert m, link
            path = m.group(1)
        else:
            path = None
    return pages


def test_tags_are_sorted_and_paginated(client):
    body = client.image("l/tags")
    tags = ["b", "a", "C", "a1", "z", "0", "_x", "a.b", "a-b"]
    for t in tags:
        assert client.put_manifest("l/tags", t, body).status_code == 201
    r = client.req("GET", "/v2/l/tags/tags/list")
    assert r.json() == {"name": "l/tags", "tags": sorted(tags)}
    assert "Link" not in r.headers
    for n in (1, 2, 3, 8, 9, 10):
        pages = follow(client, f"/v2/l/tags/tags/list?n={n}")
        got = [t for p in pages for t in p["tags"]]
        assert got == sorted(tags), n
        assert all(len(p["tags"]) <= n for p in pages)
        assert len(pages) == -(-len(tags) // n) if len(tags) % n else len(tags) // n
    r = client.req("GET", "/v2/l/tags/tags/list?n=0")
    assert r.json()["tags"] == []
    r = client.req("GET", "/v2/l/tags/tags/list?last=z")
    assert r.json()["tags"] == []
    r = client.req("GET", "/v2/l/tags/tags/list?n=2&last=a")
    assert r.json()["tags"] == ["a-b", "a.b"]
    assert r.headers["Link"] == '</v2/l/tags/tags/list?n=2&last=a.b>; rel="next"'


def test_repository_with_no_tags_has_an_empty_list(client):
    client.push_blob("l/notags", b"x")
    r = client.req("GET", "/v2/l/notags/tags/list")
    assert r.status_code == 200 and r.json() == {"name": "l/notags", "tags": []}


def test_catalog_pagination(registry):
    c = Client(registry.url)
    repos = sorted(["a", "a/b", "a/b/c", "b", "lib/x", "lib/y", "z-z"])
    for name in repos:
        c.push_blob(name, b"x")
    assert c.req("GET", "/v2/_catalog").json() == {"repositories": repos}
    for n in (1, 3, 7):
        pages = follow(c, f"/v2/_catalog?n={n}")
        assert [x for p in pages for x in p["repositories"]] == repos
    r = c.req("GET", "/v2/_catalog?n=2&last=a/b")
    assert r.json()["repositories"] == ["a/b/c", "b"]
    assert r.headers["Link"] == '</v2/_catalog?n=2&last=b>; rel="next"'


def test_empty_catalog(registry):
    r = Client(registry.url).req("GET", "/v2/_catalog")
    assert r.json() == {"repositories": []}
