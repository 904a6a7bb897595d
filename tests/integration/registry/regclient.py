"""A small OCI Distribution client over raw HTTP, for the registry suites."""
import hashlib
import json
import os

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
ALL_MANIFEST_TYPES = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST])


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def desc(mt, data):
    return {"mediaType": mt, "digest": sha256(data), "size": len(data)}


class Client:
    """Raw HTTP calls of the distribution API, no client library."""

    def __init__(self, url):
        self.url = url
        self.s = requests.Session()

    def req(self, method, path, **kw):
        return self.s.request(method, self.url + path, **kw)

    def push_blob(self, repo, data):
        d = sha256(data)
        r = self.req("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data=data)
        assert r.status_code == 201, r.text
        return d

    def open_session(self, repo):
        r = self.req("POST", f"/v2/{repo}/blobs/uploads/")
        assert r.status_code == 202, r.text
        return r.headers["Location"]

    def image(self, repo, layers=(b"layer one",), config=None, mt=OCI_MANIFEST,
              push_blobs=True, extra=None):
        """An image manifest (bytes) whose blobs are pushed to repo."""
        config = config if config is not None else json.dumps(
            {"architecture": "amd64", "os": "linux", "n": os.urandom(4).hex()}).encode()
        docker = mt == DOCKER_MANIFEST
        if push_blobs:
            for b in (config, *layers):
                self.push_blob(repo, b)
        m = {"schemaVersion": 2, "mediaType": mt,
             "config": desc(DOCKER_CONFIG if docker else OCI_CONFIG, config),
             "layers": [desc(DOCKER_LAYER if docker else OCI_LAYER, l) for l in layers]}
        if extra:
            m.update(extra)
        return json.dumps(m, indent=1).encode()

    def put_manifest(self, repo, ref, body, mt=OCI_MANIFEST):
        return self.req("PUT", f"/v2/{repo}/manifests/{ref}", data=body,
                        headers={"Content-Type": mt})

    def push_image(self, repo, tag, **kw):
        mt = kw.get("mt", OCI_MANIFEST)
        body = self.image(repo, **kw)
        r = self.put_manifest(repo, tag, body, mt)
        assert r.status_code == 201, r.text
        return body, sha256(body)


def error_code(r):
    return r.json()["errors"][0]["code"]


