"""Helpers for the image tests: build layer tars, OCI layouts and images
by hand (so every byte is known), push them with skopeo, run wharf."""
import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile

from wharfutil import bin_path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def tar_bytes(entries):
    """entries: list of (name, kind, extra) with kind file/dir/symlink/
    hardlink/chardev/fifo; extra: data for files, target for links,
    (major, minor) for devices. Optional 4th item: dict of TarInfo attrs."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            name, kind, extra = e[0], e[1], e[2]
            attrs = e[3] if len(e) > 3 else {}
            ti = tarfile.TarInfo(name)
            ti.mtime = attrs.get("mtime", 1700000000)
            ti.mode = attrs.get("mode", 0o755 if kind == "dir" else 0o644)
            ti.uid = attrs.get("uid", 0)
            ti.gid = attrs.get("gid", 0)
            if "pax" in attrs:
                ti.pax_headers = attrs["pax"]
            data = None
            if kind == "file":
                data = extra if isinstance(extra, bytes) else extra.encode()
                ti.size = len(data)
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
            elif kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = extra
            elif kind == "hardlink":
                ti.type = tarfile.LNKTYPE
                ti.linkname = extra
            elif kind == "chardev":
                ti.type = tarfile.CHRTYPE
                ti.devmajor, ti.devminor = extra
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return bio.getvalue()


def gz(b):
    return gzip.compress(b, compresslevel=6, mtime=0)


def busybox_layer():
    """A busybox rootfs layer from Debian's busybox-static."""
    with open("/bin/busybox", "rb") as f:
        bb = f.read()
    entries = [("bin", "dir", None), ("bin/busybox", "file", bb, {"mode": 0o755}),
               ("bin/sh", "symlink", "busybox"), ("bin/ls", "hardlink", "bin/busybox"),
               ("etc", "dir", None), ("etc/passwd", "file", "root:x:0:0:root:/root:/bin/sh\n"),
               ("tmp", "dir", None, {"mode": 0o1777}),
               ("dev", "dir", None), ("dev/null", "chardev", (1, 3), {"mode": 0o666})]
    return tar_bytes(entries)


class Blob:
    def __init__(self, data, media_type):
        self.data = data
        self.media_type = media_type
        self.digest = sha256(data)

    def desc(self, **extra):
        d = {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}
        d.update(extra)
        return d


class Image:
    """A single-platform image built in memory: layer tars (uncompressed)
    plus how each is compressed."""

    def __init__(self, layer_tars, compress="gzip", arch="amd64", os_="linux",
                 cmd=("/bin/sh",), created="2026-11-23T10:00:00Z"):
        self.layer_tars = list(layer_tars)
        self.layers = []
        for t in self.layer_tars:
            if compress == "gzip":
                self.layers.append(Blob(gz(t), OCI_LAYER_GZIP))
            elif compress == "zstd":
                z = subprocess.run(["zstd", "-q", "-c"], input=t, stdout=subprocess.PIPE,
                                   check=True).stdout
                self.layers.append(Blob(z, OCI_LAYER_ZSTD))
            else:
                self.layers.append(Blob(t, OCI_LAYER_TAR))
        cfg = {
            "created": created, "architecture": arch, "os": os_,
            "config": {"Cmd": list(cmd), "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [sha256(t) for t in self.layer_tars]},
            "history": [{"created": created, "created_by": f"layer {i}"}
                        for i in range(len(self.layer_tars))],
        }
        self.config = Blob(json.dumps(cfg, sort_keys=True).encode(), OCI_CONFIG)
        man = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": self.config.desc(), "layers": [l.desc() for l in self.layers]}
        self.manifest = Blob(json.dumps(man).encode(), OCI_MANIFEST)
        self.platform = {"architecture": arch, "os": os_}

    def blobs(self):
        return self.layers + [self.config, self.manifest]


def write_layout(path, images, tag="latest", index_of=None):
    """An OCI layout dir holding images; with index_of (list of Image), the
    tag names an index of those images."""
    os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def put(b):
        with open(os.path.join(path, "blobs", "sha256", b.digest[7:]), "wb") as f:
            f.write(b.data)

    manifests = []
    for img in images:
        for b in img.blobs():
            put(b)
    if index_of:
        idx = {"schemaVersion": 2, "mediaType": OCI_INDEX,
               "manifests": [i.manifest.desc(platform=i.platform) for i in index_of]}
        ib = Blob(json.dumps(idx).encode(), OCI_INDEX)
        put(ib)
        manifests.append(ib.desc(annotations={"org.opencontainers.image.ref.name": tag}))
        top = ib
    else:
        img = images[0]
        manifests.append(img.manifest.desc(
            annotations={"org.opencontainers.image.ref.name": tag}))
        top = img.manifest
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": manifests}, f)
    return top


def skopeo_push_layout(layout, tag, dest, multi=False):
    cmd = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false"]
    if multi:
        cmd.append("--all")
    cmd += [f"oci:{layout}:{tag}", f"docker://{dest}"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def push_raw(url, repo, img, tag="latest"):
    """Push an Image over raw HTTP (POST then PUT per blob, then the
    manifest), so its blobs arrive exactly as built: skopeo would compress
    uncompressed layers on the way."""
    import requests
    for b in img.layers + [img.config]:
        r = requests.post(f"{url}/v2/{repo}/blobs/uploads/")
        assert r.status_code == 202, r.text
        loc = r.headers["Location"]
        if loc.startswith("/"):
            loc = url + loc
        r = requests.put(loc + ("&" if "?" in loc else "?") + f"digest={b.digest}", data=b.data,
                         headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 201, r.text
    r = requests.put(f"{url}/v2/{repo}/manifests/{tag}", data=img.manifest.data,
                     headers={"Content-Type": img.manifest.media_type})
    assert r.status_code == 201, r.text


def tree_matches_tar(root, tar_data):
    """Compare an unpacked layer dir with its tar, entry by entry: type,
    content, mode, owner, link target, device numbers, mtime. Returns a
    list of differences (empty when equal)."""
    diffs = []
    with tarfile.open(fileobj=io.BytesIO(tar_data)) as t:
        members = t.getmembers()
        seen = set()
        for m in members:
            name = os.path.normpath(m.name.lstrip("/"))
            if name == ".":
                continue
            base = os.path.basename(name)
            parent = os.path.dirname(name)
            if base == ".wh..wh..opq":
                p = os.path.join(root, parent)
                try:
                    v = os.getxattr(p, "trusted.overlay.opaque")
                except OSError:
                    v = None
                if v != b"y":
                    diffs.append(f"{parent}: not marked opaque")
                continue
            if base.startswith(".wh."):
                p = os.path.join(root, parent, base[4:])
                st = os.lstat(p) if os.path.lexists(p) else None
                if not st or not (st.st_mode & 0o170000 == 0o020000 and st.st_rdev == 0):
                    diffs.append(f"{name}: no whiteout device")
                continue
            seen.add(name)
            p = os.path.join(root, name)
            if not os.path.lexists(p):
                diffs.append(f"{name}: missing")
                continue
            st = os.lstat(p)
            if m.islnk():
                # a hard link shares its target's inode: only the link is checked
                target = os.path.join(root, os.path.normpath(m.linkname.lstrip("/")))
                if not os.path.samefile(p, target):
                    diffs.append(f"{name}: not a hard link to {m.linkname}")
                continue
            if (st.st_mode & 0o7777) != (m.mode & 0o7777) and not m.issym():
                diffs.append(f"{name}: mode {oct(st.st_mode & 0o7777)} != {oct(m.mode)}")
            if st.st_uid != m.uid or st.st_gid != m.gid:
                diffs.append(f"{name}: owner {st.st_uid}:{st.st_gid} != {m.uid}:{m.gid}")
            if not m.isdir() and int(st.st_mtime) != int(m.mtime):
                diffs.append(f"{name}: mtime {st.st_mtime} != {m.mtime}")
            if m.isfile() and not m.islnk():
                with open(p, "rb") as f:
                    if f.read() != t.extractfile(m).read():
                        diffs.append(f"{name}: content differs")
            elif m.islnk():
                target = os.path.join(root, os.path.normpath(m.linkname.lstrip("/")))
                if not os.path.samefile(p, target):
                    diffs.append(f"{name}: not a hard link to {m.linkname}")
            elif m.issym():
                if os.readlink(p) != m.linkname:
                    diffs.append(f"{name}: symlink to {os.readlink(p)} != {m.linkname}")
            elif m.isdir():
                if not os.path.isdir(p) or os.path.islink(p):
                    diffs.append(f"{name}: not a directory")
            elif m.ischr():
                if os.major(st.st_rdev) != m.devmajor or os.minor(st.st_rdev) != m.devminor:
                    diffs.append(f"{name}: device numbers differ")
            elif m.isfifo():
                if st.st_mode & 0o170000 != 0o010000:
                    diffs.append(f"{name}: not a fifo")
        # nothing more than the tar holds
        for dirpath, dirnames, filenames in os.walk(root):
            for n in dirnames + filenames:
                rel = os.path.relpath(os.path.join(dirpath, n), root)
                if rel not in seen and not os.path.lexists(os.path.join(root, rel)) is False:
                    st = os.lstat(os.path.join(root, rel))
                    if st.st_mode & 0o170000 == 0o020000 and st.st_rdev == 0:
                        continue  # whiteout
                    if rel not in seen:
                        diffs.append(f"{rel}: not in the tar")
    return diffs


class Wharf:
    """Runs build/wharf with a private --root and registries config."""

    def __init__(self, tmp, search=()):
        self.root = os.path.join(tmp, "wharf-root")
        self.conf = os.path.join(tmp, "registries.json")
        self.home = os.path.join(tmp, "home")
        os.makedirs(self.home, exist_ok=True)
        with open(self.conf, "w") as f:
            json.dump({"unqualified-search-registries": list(search)}, f)
        self.env = dict(os.environ, HOME=self.home)
        self.env.pop("XDG_CONFIG_HOME", None)
        self.env.pop("DOCKER_CONFIG", None)

    def run(self, *args, check=True, timeout=120, input=None):
        cmd = [bin_path("wharf"), "--root", self.root, "--registries-conf", self.conf] + \
            [str(a) for a in args]
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, env=self.env,
                           input=input)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}):\n"
                                 f"{p.stderr.decode(errors='replace')}")
        return p

    def out(self, *args, **kw):
        return self.run(*args, **kw).stdout.decode()

    def json(self, *args):
        return json.loads(self.out(*args))

    def layer_dir(self, chain_id):
        return os.path.join(self.root, "layers", chain_id.split(":", 1)[1])

    def store_files(self):
        """Everything under blobs/, layers/ and tmp/ (for 'nothing left')."""
        out = []
        for sub in ("blobs/sha256", "layers", "tmp"):
            p = os.path.join(self.root, sub)
            if os.path.isdir(p):
                out += [f"{sub}/{n}" for n in os.listdir(p)]
        return out
