#!/bin/sh
# bench/registry-auth.sh: manifest GET by tag on wharf-registry with auth
# off, with --auth and HTTP basic credentials, and with --auth and a
# bearer token from /token (wrk -t2 -c64), rounds interleaved so machine
# noise hits all three alike; medians and ratios to auth off at the end.
# Not a test: compare ratios, never absolute rates across runs.
#
#   bench/registry-auth.sh              3 rounds of 10 s each
#   DUR=5 ROUNDS=2 bench/registry-auth.sh
#   BUILD=build-x bench/registry-auth.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec /usr/bin/python3 - "$ROOT" <<'PY'
import base64, hashlib, json, os, re, signal, statistics, subprocess, sys, tempfile, time
import urllib.request

root = sys.argv[1]
build = os.path.join(root, os.environ.get("BUILD", "build"))
DUR = int(os.environ.get("DUR", "10"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
ACCEPT = "Accept: application/vnd.oci.image.manifest.v1+json"
reg_bin = os.path.join(build, "wharf-registry")
tmp = tempfile.mkdtemp(prefix="wh-bench-auth-")
data = os.path.join(tmp, "data")

def req(method, url, body=None, headers=None):
    r = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(r) as resp:
        return resp.status, resp.read(), dict(resp.headers)

def start(auth):
    pf = os.path.join(tmp, "port")
    if os.path.exists(pf):
        os.unlink(pf)
    args = [reg_bin, "serve", "--listen", "127.0.0.1:0", "--data", data, "--port-file", pf,
            "--log-level", "warn"] + (["--auth", "--lifecycle-interval", "0"] if auth else [])
    p = subprocess.Popen(args)
    for _ in range(500):
        if os.path.exists(pf) and open(pf).read().strip():
            return p, f"http://127.0.0.1:{int(open(pf).read())}"
        time.sleep(0.01)
    raise SystemExit("registry did not start")

def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(30)

def wrk(url, header=None):
    cmd = ["wrk", "-t2", "-c64", f"-d{DUR}s", "-H", ACCEPT]
    if header:
        cmd += ["-H", header]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

# one user with a password, one image
subprocess.run([reg_bin, "user", "add", "bench", "--admin", "--password-stdin", "--no-key",
                "--data", data], input="bench-pw\n", text=True, check=True,
               stdout=subprocess.DEVNULL)
p, url = start(False)
cfg = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
layer = os.urandom(1000)
def push_blob(b):
    d = "sha256:" + hashlib.sha256(b).hexdigest()
    req("POST", f"{url}/v2/bench/app/blobs/uploads/?digest={d}", b)
    return {"mediaType": "application/octet-stream", "digest": d, "size": len(b)}
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(push_blob(cfg), mediaType="application/vnd.oci.image.config.v1+json"),
                "layers": [push_blob(layer)]}).encode()
req("PUT", f"{url}/v2/bench/app/manifests/v1", m,
    {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
stop(p)
path = "/v2/bench/app/manifests/v1"
basic = "Authorization: Basic " + base64.b64encode(b"bench:bench-pw").decode()
res = {"off": [], "basic": [], "bearer": []}
for rnd in range(ROUNDS):
    p, url = start(False)
    wrk(url + path) if rnd == 0 else None  # warm-up
    res["off"].append(wrk(url + path))
    stop(p)
    p, url = start(True)
    _, body, _ = req("GET", f"{url}/token?service=wharf-registry&scope=repository:bench/app:pull",
                     headers={basic.split(": ")[0]: basic.split(": ")[1]})
    tok = json.loads(body)["token"]
    res["basic"].append(wrk(url + path, basic))
    res["bearer"].append(wrk(url + path, "Authorization: Bearer " + tok))
    stop(p)
    print(f"round {rnd + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in res.items()),
          flush=True)
off = statistics.median(res["off"])
print(f"\nmanifest GET by tag, wrk -t2 -c64 -d{DUR}s, median of {ROUNDS} rounds:")
for k, v in res.items():
    med = statistics.median(v)
    print(f"  auth {k:7s} {med:9.0f} req/s  ratio to off {med / off:.3f}")
subprocess.run(["rm", "-rf", tmp])
PY
