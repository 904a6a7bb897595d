"""GC while clients push and pull: pushers (uploads, cross-repository
mounts, tags deleted to make garbage, manifests by digest), pullers, and
GC runs back to back with no grace period, through the command and the
server's own schedule. Every image whose push was acknowledged and whose
tag was not deleted must pull byte-identical, during the run and after."""
import json
import os
import random
import subprocess
import threading
import time

from regclient import OCI_MANIFEST, Client, desc, sha256
from wharfutil import bin_path

DURATION = 6.0


class Stop(Exception):
    pass


def upload(c, repo, data, mount_from=None):
    d = sha256(data)
    if mount_from:
        r = c.req("POST", f"/v2/{repo}/blobs/uploads/?mount={d}&from={mount_from}")
        if r.status_code == 201:
            return
        assert r.status_code == 202, r.text
        # Not there to mount (GC took it): upload into the session opened.
        loc = r.headers["Location"]
        r = c.s.put(c.url + loc + ("&" if "?" in loc else "?") + f"digest={d}", data=data)
        assert r.status_code == 201, r.text
        return
    r = c.req("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data=data)
    assert r.status_code == 201, r.text


def push(c, repo, tag, blobs, base_from):
    """One image; returns (body, digest) or None if GC took a blob before
    the manifest came (the push then fails cleanly with
    MANIFEST_BLOB_UNKNOWN, as a client would see it)."""
    config, layers = blobs[0], blobs[1:]
    upload(c, repo, config)
    for i, layer in enumerate(layers):
        upload(c, repo, layer, mount_from=base_from if i == 0 else None)
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": desc("application/vnd.oci.image.config.v1+json", config),
                       "layers": [desc("application/vnd.oci.image.layer.v1.tar", x)
                                  for x in layers]}).encode()
    r = c.put_manifest(repo, tag, body)
    if r.status_code in (400, 404) and r.json()["errors"][0]["code"] == "MANIFEST_BLOB_UNKNOWN":
        return None
    assert r.status_code == 201, r.text
    return body, sha256(body)


def check_pull(c, repo, ref, body, blobs):
    r = c.req("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": OCI_MANIFEST})
    assert r.status_code == 200, f"{repo}:{ref}: {r.status_code} {r.text}"
    assert r.content == body, f"{repo}:{ref}: manifest bytes differ"
    for b in blobs:
        r = c.req("GET", f"/v2/{repo}/blobs/{sha256(b)}")
        assert r.status_code == 200, f"{repo}:{ref} blob {sha256(b)}: {r.status_code} {r.text}"
        assert r.content == b, f"{repo}:{ref} blob {sha256(b)}: bytes differ"


def test_gc_runs_while_clients_push_and_pull(registry_factory):
    reg = registry_factory(extra_args=["--gc-interval", "1", "--gc-grace", "0",
                                       "--gc-delete-untagged", "--log-level", "warn"])
    stop = threading.Event()
    lock = threading.Lock()
    live = []          # (repo, tag, body, blobs) acknowledged and kept
    errors = []
    stats = {"pushed": 0, "retried": 0, "pulled": 0, "garbage": 0, "gc_runs": 0, "freed": 0}
    base = {r: os.urandom(3000) for r in ("conc/a", "conc/b")}

    def guard(fn):
        def run(*a):
            try:
                fn(*a)
            except Exception as e:  # noqa: BLE001 - reported by the test
                errors.append(f"{fn.__name__}: {e!r}")
                stop.set()
        return run

    @guard
    def pusher(n):
        c = Client(reg.url)
        rnd = random.Random(n)
        repo = ("conc/a", "conc/b")[n % 2]
        other = ("conc/a", "conc/b")[(n + 1) % 2]
        i = 0
        while not stop.is_set():
            i += 1
            tag = f"p{n}-{i}"
            blobs = [json.dumps({"os": "linux", "n": f"{n}-{i}"}).encode(),
                     base[other],  # mounted from the other repository when there
                     os.urandom(rnd.choice((100, 5000, 40000, 150000)))]
            res = None
            while not res and not stop.is_set():
                res = push(c, repo, tag, blobs, other)
                if not res:
                    with lock:
                        stats["retried"] += 1
            if not res:
                break  # stopped while GC kept winning: nothing acknowledged
            body, digest = res
            check_pull(c, repo, tag, body, blobs)
            if i % 2 == 0:
                # Garbage: the tag goes, so the image's own blobs do too.
                assert c.req("DELETE", f"/v2/{repo}/manifests/{tag}").status_code == 202
                with lock:
                    stats["garbage"] += 1
            else:
                with lock:
                    live.append((repo, tag, body, blobs))
                    stats["pushed"] += 1

    @guard
    def puller(n):
        c = Client(reg.url)
        rnd = random.Random(100 + n)
        while not stop.is_set():
            with lock:
                pick = rnd.choice(live) if live else None
            if not pick:
                time.sleep(0.01)
                continue
            repo, tag, body, blobs = pick
            check_pull(c, repo, tag, body, blobs)
            with lock:
                stats["pulled"] += 1

    @guard
    def collector():
        while not stop.is_set():
            p = subprocess.run([bin_path("wharf-registry"), "gc", "--data", reg.data_dir,
                                "--grace", "0", "--delete-untagged", "--json"],
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
            rep = json.loads(p.stdout)
            with lock:
                stats["gc_runs"] += 1
                stats["freed"] += rep["bytes_freed"]
            # Back to back would leave a push no window to finish: with no
            # grace period every run takes the blobs of pushes in flight.
            stop.wait(0.3)

    threads = [threading.Thread(target=pusher, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=puller, args=(n,)) for n in range(2)]
    threads.append(threading.Thread(target=collector))
    for t in threads:
        t.start()
    stop.wait(DURATION)
    stop.set()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert stats["pushed"] > 5 and stats["gc_runs"] > 3 and stats["pulled"] > 5, stats
    assert stats["freed"] > 0, stats

    # After a last run nothing acknowledged is missing.
    subprocess.run([bin_path("wharf-registry"), "gc", "--data", reg.data_dir, "--grace", "0",
                    "--delete-untagged"], check=True, capture_output=True, timeout=60)
    c = Client(reg.url)
    for repo, tag, body, blobs in live:
        check_pull(c, repo, tag, body, blobs)
    # And what was deleted is gone from disk: only live blobs (plus the
    # two bases, which every live image references) remain.
    want = {sha256(b) for _, _, _, blobs in live for b in blobs}
    on_disk = set()
    for root, _, files in os.walk(os.path.join(reg.data_dir, "blobs")):
        on_disk.update("sha256:" + f for f in files)
    assert on_disk == want
    print(stats)
