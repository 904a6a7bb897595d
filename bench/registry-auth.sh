#!/bin/sh
# bench/registry-auth.sh: manifest GET by tag on wharf-registry with auth
# off, with --auth and HTTP basic credentials, and with --auth and a
# bearer token from /token (wrk -t2 -c64), rounds interleaved so machine
# noise hits all three alike; medians and ratios to auth off at the end.
# Not a test: compare ratios, never absolute rates across runs.
#
#   bench/registry-auth.sh              6 rounds of 5 s each
#   DUR=10 ROUNDS=3 bench/registry-auth.sh
# Both servers run for the whole benchmark; each round measures the three
# modes in a rotated order, and the server's CPU time per request (from
# /proc) is reported next to the rate: on a shared machine the rate
# swings with other load, the CPU cost per request much less.
#   BUILD=build-x bench/registry-auth.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec /usr/bin/python3 - "$ROOT" <<'PY'
import base64, hashlib, json, os, re, signal, statistics, subprocess, sys, tempfile, time
import urllib.request

root = sys.argv[1]
build = os.path.join(root, os.environ.get("BUILD", "build"))
DUR = int(os.environ.get("DUR", "5"))
ROUNDS = int(os.environ.get("ROUNDS", "6"))
ACCEPT = "Accept: application/vnd.oci.image.manifest.v1+json"
reg_bin = os.path.join(build, "wharf-registry")
tmp = tempfile.mkdtemp(prefix="wh-bench-auth-")
data = os.path.join(tmp, "data")

def req(method, url, body=None, headers=None):
    r = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(r) as resp:
        return resp.status, resp.read(), dict(resp.headers)

def start(auth, data):
    pf = os.path.join(tmp, f"port-{auth}")
    args = [reg_bin, "serve", "--listen", "127.0.0.1:0", "--data", data, "--port-file", pf,
            "--log-level", "warn"] + (["--auth", "--lifecycle-interval", "0"] if auth else [])
    p = subprocess.Popen(args)
    for _ in range(500):
        if os.path.exists(pf) and open(pf).read().strip():
            return p, f"http://127.0.0.1:{int(open(pf).read())}"
        time.sleep(0.01)
    raise SystemExit("registry did not start")

def cpu_ticks(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])  # utime + stime

def wrk(p, url, header=None):
    """(requests/s, server CPU microseconds per request)"""
    cmd = ["wrk", "-t2", "-c64", f"-d{DUR}s", "-H", ACCEPT]
    if header:
        cmd += ["-H", header]
    t0 = cpu_ticks(p.pid)
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    ticks = cpu_ticks(p.pid) - t0
    n = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps, ticks * 1e6 / os.sysconf("SC_CLK_TCK") / max(n, 1)

# one user with a password; the same image in two data directories (one
# server each, both running for the whole benchmark)
os.makedirs(data + "-auth")
subprocess.run([reg_bin, "user", "add", "bench", "--admin", "--password-stdin", "--no-key",
                "--data", data + "-auth"], input="bench-pw\n", text=True, check=True,
               stdout=subprocess.DEVNULL)
off_p, off_url = start(False, data)
auth_p, auth_url = start(True, data + "-auth")
basic = "Authorization: Basic " + base64.b64encode(b"bench:bench-pw").decode()
cfg = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
layer = os.urandom(1000)
for url, hdr in ((off_url, {}), (auth_url, {"Authorization": basic.split(": ")[1]})):
    def push_blob(b):
        d = "sha256:" + hashlib.sha256(b).hexdigest()
        req("POST", f"{url}/v2/bench/app/blobs/uploads/?digest={d}", b, hdr)
        return {"mediaType": "application/octet-stream", "digest": d, "size": len(b)}
    m = json.dumps({"schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": dict(push_blob(cfg),
                                   mediaType="application/vnd.oci.image.config.v1+json"),
                    "layers": [push_blob(layer)]}).encode()
    req("PUT", f"{url}/v2/bench/app/manifests/v1", m,
        dict(hdr, **{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
path = "/v2/bench/app/manifests/v1"
_, body, _ = req("GET", f"{auth_url}/token?service=wharf-registry&scope=repository:bench/app:pull",
                 headers={"Authorization": basic.split(": ")[1]})
bearer = "Authorization: Bearer " + json.loads(body)["token"]
runs = {"off": (off_p, off_url, None), "basic": (auth_p, auth_url, basic),
        "bearer": (auth_p, auth_url, bearer)}
for k, (p, url, h) in runs.items():  # warm-up
    subprocess.run(["wrk", "-t2", "-c16", "-d2s", "-H", ACCEPT] + (["-H", h] if h else []) +
                   [url + path], capture_output=True, check=True)
res = {k: [] for k in runs}
order = list(runs)
for rnd in range(ROUNDS):
    for k in order[rnd % 3:] + order[:rnd % 3]:  # rotate, so no mode always goes first
        p, url, h = runs[k]
        res[k].append(wrk(p, url + path, h))
    print(f"round {rnd + 1}: " + ", ".join(f"{k} {v[-1][0]:.0f}/s {v[-1][1]:.1f} us"
                                           for k, v in res.items()), flush=True)
for p in (off_p, auth_p):
    p.send_signal(signal.SIGTERM)
    p.wait(30)
off_rps = statistics.median(r for r, _ in res["off"])
off_cpu = statistics.median(c for _, c in res["off"])
print(f"\nmanifest GET by tag, wrk -t2 -c64 -d{DUR}s, median of {ROUNDS} rounds "
      f"(server CPU per request from /proc/PID/stat):")
for k, v in res.items():
    rps = statistics.median(r for r, _ in v)
    cpu = statistics.median(c for _, c in v)
    print(f"  auth {k:7s} {rps:9.0f} req/s ({rps / off_rps:.3f} of off)   "
          f"{cpu:6.1f} us CPU/request ({cpu / off_cpu:.3f} of off)")
subprocess.run(["rm", "-rf", tmp])
PY
