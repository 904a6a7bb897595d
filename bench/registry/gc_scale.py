"""bench/registry/gc_scale.py N: time `wharf-registry gc --delete-untagged`
on a metadata store of N image manifests made directly in SQLite (one
repository; each manifest has its own config and layer and shares one base
layer; half are tagged; every row two hours old, so past the grace period).
Runs a dry run, a real run and a run with nothing left to do. The blob
files are not created: the figures are the metadata side of GC. Not a test.

    /usr/bin/python3 bench/registry/gc_scale.py 50000     (BUILD=build by default)
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("BUILD", "build"), "wharf-registry")
MT = "application/vnd.oci.image.manifest.v1+json"


def h(s):
    return "sha256:" + hashlib.sha256(s.encode()).hexdigest()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    d = tempfile.mkdtemp(prefix="wh-gc-scale-")
    try:
        # `repo quota` creates the metadata schema (and GC's tables).
        subprocess.run([BIN, "repo", "quota", "scale/app", "--data", d], check=True,
                       capture_output=True)
        then = time.time_ns() - 7200 * 10**9
        db = sqlite3.connect(os.path.join(d, "meta.db"))
        with db:
            db.execute("INSERT INTO repos(id, name, created_at) VALUES(1, 'scale/app', ?)", (then,))
            base = h("base")
            db.execute("INSERT INTO blobs VALUES(1, ?, 1000, ?)", (base, then))
            for i in range(n):
                cfg, layer = h(f"c{i}"), h(f"l{i}")
                raw = json.dumps({"schemaVersion": 2, "mediaType": MT,
                                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                             "digest": cfg, "size": 100},
                                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                              "digest": x, "size": 1000} for x in (base, layer)]})
                md = "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
                db.execute("INSERT INTO blobs VALUES(1, ?, 100, ?)", (cfg, then))
                db.execute("INSERT INTO blobs VALUES(1, ?, 1000, ?)", (layer, then))
                db.execute("INSERT INTO manifests(repo_id, digest, media_type, size, raw, pushed_at) "
                           "VALUES(1, ?, ?, ?, ?, ?)", (md, MT, len(raw), raw.encode(), then))
                if i % 2 == 0:
                    db.execute("INSERT INTO tags VALUES(1, ?, ?, ?)", (f"t{i}", md, then))
        db.close()
        for name, args in (("dry run", ["--dry-run"]), ("run", []), ("nothing left", [])):
            t = time.time()
            out = subprocess.run([BIN, "gc", "--data", d, "--json", "--delete-untagged", *args],
                                 capture_output=True, text=True, check=True).stdout.strip()
            print(f"{name}: {time.time() - t:.2f} s {out}", flush=True)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
