"""Build OCI image layouts on disk for the client tests: a busybox-static
root filesystem as one gzip layer, optionally for several platforms under
one index. Written by hand (the layout is a few JSON files and blobs)."""
import gzip
import hashlib
import io
import json
import os
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
BUSYBOX = "/bin/busybox"


def _digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def _write_blob(layout, data):
    d = _digest(data)
    p = os.path.join(layout, "blobs", "sha256", d[7:])
    with open(p, "wb") as f:
        f.write(data)
    return {"digest": d, "size": len(data)}


def busybox_layer(extra=b""):
    """(gzip bytes, diff_id) of a rootfs with bin/busybox and bin/sh."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in ("bin", "etc"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 0
            t.addfile(ti)
        with open(BUSYBOX, "rb") as f:
            data = f.read()
        ti = tarfile.TarInfo("bin/busybox")
        ti.size, ti.mode, ti.mtime = len(data), 0o755, 0
        t.addfile(ti, io.BytesIO(data))
        ln = tarfile.TarInfo("bin/sh")
        ln.type, ln.linkname, ln.mtime = tarfile.SYMTYPE, "busybox", 0
        t.addfile(ln)
        ti = tarfile.TarInfo("etc/marker")
        ti.size, ti.mtime = len(extra), 0
        t.addfile(ti, io.BytesIO(extra))
    tar = raw.getvalue()
    return gzip.compress(tar, mtime=0), _digest(tar)


def make_layout(layout, tag="latest", platforms=(("amd64", "linux"),)):
    """Write an OCI layout; with several platforms the tag names an index.
    Returns the bytes of what the tag names."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    manifests = []
    for arch, os_ in platforms:
        layer, diff_id = busybox_layer(f"{arch}/{os_}".encode())
        ldesc = _write_blob(layout, layer)
        ldesc["mediaType"] = OCI_LAYER_GZIP
        config = json.dumps({
            "architecture": arch, "os": os_, "created": "2026-01-01T00:00:00Z",
            "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "ocilayout.py"}],
        }, separators=(",", ":")).encode()
        cdesc = _write_blob(layout, config)
        cdesc["mediaType"] = OCI_CONFIG
        m = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                        "config": cdesc, "layers": [ldesc]}, indent=2).encode()
        mdesc = _write_blob(layout, m)
        mdesc["mediaType"] = OCI_MANIFEST
        mdesc["platform"] = {"architecture": arch, "os": os_}
        manifests.append((mdesc, m))
    if len(manifests) == 1:
        top_desc, top = manifests[0]
        top_desc = dict(top_desc)
        top_desc.pop("platform")
    else:
        top = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                          "manifests": [d for d, _ in manifests]}, indent=2).encode()
        top_desc = _write_blob(layout, top)
        top_desc["mediaType"] = OCI_INDEX
    top_desc["annotations"] = {"org.opencontainers.image.ref.name": tag}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top_desc]}, f)
    return top
