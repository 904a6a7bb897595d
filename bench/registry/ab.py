"""bench/registry-ab.sh: manifest GET by tag on two wharf-registry builds,
interleaved (A B A B …) so machine noise hits both alike. For checking that
a change (e.g. the per-request metrics) costs nothing measurable.

    bench/registry-ab.sh OLD_BINARY NEW_BINARY [ROUNDS] [SECONDS]
"""
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

MT = "application/vnd.oci.image.manifest.v1+json"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req) as r:
        return r.status


def start(binary, work, name):
    port = free_port()
    p = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data",
                          os.path.join(work, name), "--log-level", "warn"])
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            http("GET", url + "/v2/")
            break
        except OSError:
            time.sleep(0.05)
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    layer = os.urandom(477)
    for b in (config, layer):
        d = "sha256:" + hashlib.sha256(b).hexdigest()
        http("POST", f"{url}/v2/bench/app/blobs/uploads/?digest={d}", b)
    m = json.dumps({"schemaVersion": 2, "mediaType": MT,
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                               "size": len(config)},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                "digest": "sha256:" + hashlib.sha256(layer).hexdigest(),
                                "size": len(layer)}]}, indent=3).encode()
    http("PUT", f"{url}/v2/bench/app/manifests/v1", m, {"Content-Type": MT})
    return p, url


def wrk(url, secs):
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{secs}s", "-H", f"Accept: {MT}",
                          url + "/v2/bench/app/manifests/v1"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    old, new = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    secs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    work = tempfile.mkdtemp(prefix="wh-ab-")
    procs = []
    try:
        a, ua = start(old, work, "a")
        procs.append(a)
        b, ub = start(new, work, "b")
        procs.append(b)
        wrk(ua, 1), wrk(ub, 1)  # warm up
        ra, rb = [], []
        for i in range(rounds):
            ra.append(wrk(ua, secs))
            rb.append(wrk(ub, secs))
            print(f"round {i + 1}: old {ra[-1]:.0f} req/s, new {rb[-1]:.0f} req/s", flush=True)
        ma, mb = sorted(ra)[len(ra) // 2], sorted(rb)[len(rb) // 2]
        print(f"median: old {ma:.0f}, new {mb:.0f}, new/old {mb / ma:.3f}")
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
