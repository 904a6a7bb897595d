"""The registry benchmark (run through bench/registry.sh).

Three servers on loopback with the same content:
  distribution  Debian's docker-registry 2.8 with its own config (filesystem
                storage, in-memory blob descriptor cache as in Debian's
                default config, delete enabled, access log off, log warn)
  nginx         the same manifest and blob bytes as static files
                (2 workers, sendfile, access log off)
  wharf         build/wharf-registry serve (2 threads, --log-level warn)

Measurements, each on every server in turn after a warm-up:
  manifest GET by tag   wrk -t2 -c64 (peak RSS sampled during the load)
  blob HEAD             ab -k -i -c64 (Debian's wrk 4.1 hangs on HEAD)
  477 B blob GET        wrk -t2 -c64 (peak RSS sampled)
  128 MiB blob GET      wrk -t2 -c4 --timeout 60s, bytes/s
  128 MiB upload        POST, then curl -T PUT ?digest= of a new random blob (its
                        digest computed before the clock starts), best of 3; and
                        the server's CPU time per upload
  skopeo push / pull    an image of four 128 MiB gzip layers; the blob-info
                        cache is removed and a new repository used each run
Prints one table with the ratios wharf/nginx and wharf/distribution."""
import gzip
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
DUR = int(os.environ.get("DUR", "10"))
MT = "application/vnd.oci.image.manifest.v1+json"
ACCEPT = "Accept: " + MT
BIG = 128 << 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def log(msg):
    print(f"== {msg}", file=sys.stderr, flush=True)


class Server:
    def __init__(self, name, cmd, port, cwd=None):
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.out = open(os.path.join(WORK, f"{name}.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT, cwd=cwd)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/v2/", timeout=1)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{name} did not start; see {self.out.name}")

    def pids(self):
        """The server's process and, for nginx, its workers."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout.split()
        return [self.proc.pid] + [int(p) for p in out]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def rss_kb(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class RssSampler:
    """Peak resident set size of a server's processes while a load runs."""

    def __init__(self, server):
        self.pids, self.peak, self.stop_ev = server.pids(), 0, threading.Event()
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        while not self.stop_ev.is_set():
            self.peak = max(self.peak, rss_kb(self.pids))
            time.sleep(0.1)

    def done(self):
        self.stop_ev.set()
        self.t.join()
        return self.peak / 1024.0


def http(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def push_blob(base, repo, data):
    st, h, _ = http("POST", f"{base}/v2/{repo}/blobs/uploads/")
    assert st == 202, st
    loc = h["Location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    st, _, body = http("PUT", f"{loc}{sep}digest={sha256(data)}", data,
                       {"Content-Type": "application/octet-stream"})
    assert st == 201, (st, body)


def cpu_s(pid):
    """User plus system CPU seconds of a process, all its threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def curl_upload(base, repo, path, digest):
    """POST, then PUT ?digest= with the file as body (curl -T streams it)."""
    st, h, _ = http("POST", f"{base}/v2/{repo}/blobs/uploads/")
    assert st == 202, st
    loc = h["Location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT",
                          "-H", "Content-Type: application/octet-stream", "-T", path,
                          f"{loc}{sep}digest={digest}"], capture_output=True, text=True).stdout
    assert out == "201", out


def wrk(url, conns=64, extra=(), timeout=None):
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{DUR}s", "-H", ACCEPT] + list(extra)
    if timeout:
        cmd += ["--timeout", timeout]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    tr = re.search(r"Transfer/sec:\s+([\d.]+)([KMG]?B)", out)
    mult = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[tr.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        log(f"warning: {non2xx.group(1)} error responses from {url}")
    return rps, float(tr.group(1)) * mult


def ab_head(url):
    out = subprocess.run(["ab", "-q", "-k", "-i", "-c64", "-t", str(DUR), "-n", "10000000",
                          "-H", ACCEPT, url], capture_output=True, text=True).stdout
    failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))
    if failed:
        log(f"warning: {failed} failed HEAD requests on {url}")
    return float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))


def main():
    global WORK
    WORK = tempfile.mkdtemp(prefix="wh-bench-")
    os.chmod(WORK, 0o755)  # nginx's workers run as www-data and must read it
    servers = []
    try:
        run(servers)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(WORK, ignore_errors=True)


def run(servers):
    # Other work on the machine moves every figure: say how busy it was.
    log("load average at start: " + open("/proc/loadavg").read().split()[0])
    ports = {n: free_port() for n in ("distribution", "nginx", "wharf")}
    dist_cfg = os.path.join(WORK, "distribution.yml")
    with open(dist_cfg, "w") as f:
        f.write(f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: {WORK}/distribution
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{ports['distribution']}
""")
    dist = Server("distribution", ["docker-registry", "serve", dist_cfg], ports["distribution"])
    servers.append(dist)
    wharf = Server("wharf", [os.path.join(BUILD, "wharf-registry"), "serve", "--listen",
                             f"127.0.0.1:{ports['wharf']}", "--data", f"{WORK}/wharf",
                             "--log-level", "warn"], ports["wharf"])
    servers.append(wharf)

    log("pushing the same content to distribution and wharf")
    small = os.urandom(477)
    big = os.urandom(BIG)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MT,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": sha256(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": sha256(b), "size": len(b)}
                                      for b in (small, big)]}, indent=3).encode()
    for s in (dist, wharf):
        for b in (config, small, big):
            push_blob(s.url, "bench/app", b)
        st, _, body = http("PUT", f"{s.url}/v2/bench/app/manifests/v1", manifest,
                           {"Content-Type": MT})
        assert st == 201, (s.name, st, body)
    nroot = os.path.join(WORK, "nginx-root", "v2", "bench", "app")
    os.makedirs(os.path.join(nroot, "manifests"))
    os.makedirs(os.path.join(nroot, "blobs"))
    with open(os.path.join(nroot, "manifests", "v1"), "wb") as f:
        f.write(manifest)
    for b in (config, small, big):
        with open(os.path.join(nroot, "blobs", sha256(b)), "wb") as f:
            f.write(b)
    os.makedirs(os.path.join(WORK, "nginx-tmp"))
    ncfg = os.path.join(WORK, "nginx.conf")
    with open(ncfg, "w") as f:
        f.write(f"""worker_processes 2;
daemon off;
pid {WORK}/nginx.pid;
error_log {WORK}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  default_type application/octet-stream;
  types {{ {MT} v1; }}
  client_body_temp_path {WORK}/nginx-tmp; proxy_temp_path {WORK}/nginx-tmp;
  fastcgi_temp_path {WORK}/nginx-tmp; uwsgi_temp_path {WORK}/nginx-tmp;
  scgi_temp_path {WORK}/nginx-tmp;
  server {{ listen 127.0.0.1:{ports['nginx']}; root {WORK}/nginx-root; }}
}}
""")
    ngx = Server("nginx", ["nginx", "-c", ncfg, "-e", f"{WORK}/nginx-error.log"], ports["nginx"])
    servers.append(ngx)
    trio = (ngx, dist, wharf)
    results = {}

    def record(what, unit, vals, better="higher"):
        results[what] = (unit, vals, better)
        log(f"{what}: " + ", ".join(f"{k} {v:.1f}" for k, v in vals.items() if v is not None))

    manifest_path = "/v2/bench/app/manifests/v1"
    small_path = f"/v2/bench/app/blobs/{sha256(small)}"
    big_path = f"/v2/bench/app/blobs/{sha256(big)}"
    for s in trio:  # warm up: page cache, connections, SQLite statements
        subprocess.run(["wrk", "-t2", "-c16", "-d2s", "-H", ACCEPT, s.url + manifest_path],
                       capture_output=True)
        subprocess.run(["curl", "-s", "-o", "/dev/null", s.url + big_path])

    vals, rss = {}, {}
    for s in trio:
        sampler = RssSampler(s)
        vals[s.name] = wrk(s.url + manifest_path)[0]
        rss[s.name] = sampler.done()
    record("manifest GET by tag (req/s)", "req/s", vals)
    record("peak RSS, manifest GET load (MB)", "MB", rss, "lower")

    vals = {s.name: ab_head(s.url + small_path) for s in trio}
    record("blob HEAD, ab -k (req/s)", "req/s", vals)

    vals, rss = {}, {}
    for s in trio:
        sampler = RssSampler(s)
        vals[s.name] = wrk(s.url + small_path)[0]
        rss[s.name] = sampler.done()
    record("477 B blob GET (req/s)", "req/s", vals)
    record("peak RSS, 477 B blob GET load (MB)", "MB", rss, "lower")

    vals = {s.name: wrk(s.url + big_path, conns=4, timeout="60s")[1] / 1e9 for s in trio}
    record("128 MiB blob GET (GB/s)", "GB/s", vals)

    log("monolithic 128 MiB uploads")
    upload = {"distribution": [], "wharf": []}
    cpu = {"distribution": [], "wharf": [], "curl": []}
    for i in range(3):
        data = os.urandom(BIG)
        path = os.path.join(WORK, "upload.bin")
        with open(path, "wb") as f:
            f.write(data)
        digest = sha256(data)  # the client's hashing is not the server's time
        for s in (dist, wharf):
            c0, k0 = cpu_s(s.proc.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            curl_upload(s.url, f"bench/up{i}", path, digest)
            upload[s.name].append(time.monotonic() - t0)
            k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[s.name].append(cpu_s(s.proc.pid) - c0)
            cpu["curl"].append(k1.ru_utime + k1.ru_stime - k0.ru_utime - k0.ru_stime)
        os.unlink(path)
    record("128 MiB upload with curl, best of 3 (s)", "s",
           {"nginx": None, **{k: min(v) for k, v in upload.items()}}, "lower")
    record("server CPU per 128 MiB upload, mean (s)", "s",
           {"nginx": None, **{k: sum(v) / len(v) for k, v in cpu.items() if k != "curl"}},
           "lower")
    log(f"curl's own CPU per upload: {sum(cpu['curl']) / len(cpu['curl']):.3f} s")

    skopeo_runs(dist, wharf, record)
    report(results)
    print("load average at start and end: see stderr; at end "
          + open("/proc/loadavg").read().split()[0])


def skopeo_runs(dist, wharf, record):
    log("building an image of four 128 MiB gzip layers")
    layout = os.path.join(WORK, "layout")
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def blob(data):
        d = sha256(data)
        with open(os.path.join(layout, "blobs", "sha256", d[7:]), "wb") as f:
            f.write(data)
        return d
    layers, diff_ids = [], []
    for i in range(4):
        raw = os.urandom(BIG)
        gz = gzip.compress(raw, compresslevel=0, mtime=0)  # valid gzip, quick to make
        diff_ids.append(sha256(raw))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": blob(gz), "size": len(gz)})
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    man = json.dumps({"schemaVersion": 2, "mediaType": MT,
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": blob(cfg), "size": len(cfg)},
                      "layers": layers}).encode()
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": MT, "digest": blob(man), "size": len(man),
             "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}, f)
    caches = ["/var/lib/containers/cache/blob-info-cache-v1.boltdb",
              os.path.expanduser("~/.local/share/containers/cache/blob-info-cache-v1.boltdb")]
    push, pull = {"distribution": [], "wharf": []}, {"distribution": [], "wharf": []}
    for i in range(2):
        for s in (dist, wharf):
            for c in caches:
                if os.path.exists(c):
                    os.unlink(c)
            dest = f"docker://127.0.0.1:{s.port}/bench/img{i}:v1"
            t0 = time.monotonic()
            subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", "--preserve-digests",
                            "--dest-tls-verify=false", f"oci:{layout}:v1", dest], check=True)
            push[s.name].append(time.monotonic() - t0)
            out = os.path.join(WORK, f"pull-{s.name}-{i}")
            t0 = time.monotonic()
            subprocess.run(["skopeo", "--insecure-policy", "copy", "-q",
                            "--src-tls-verify=false", dest, f"oci:{out}:v1"], check=True)
            pull[s.name].append(time.monotonic() - t0)
            shutil.rmtree(out)
    record("skopeo push 4 x 128 MiB, best of 2 (s)", "s",
           {"nginx": None, **{k: min(v) for k, v in push.items()}}, "lower")
    record("skopeo pull 4 x 128 MiB, best of 2 (s)", "s",
           {"nginx": None, **{k: min(v) for k, v in pull.items()}}, "lower")


def report(results):
    print()
    print(f"{'measurement':42} {'nginx':>10} {'distrib.':>10} {'wharf':>10} "
          f"{'w/nginx':>8} {'w/distr.':>8}")
    for what, (unit, v, better) in results.items():
        def fmt(x):
            return f"{x:10.1f}" if x is not None and x >= 10 else (
                f"{x:10.2f}" if x is not None else f"{'-':>10}")

        def ratio(a, b):
            return f"{a / b:8.2f}" if a is not None and b else f"{'-':>8}"
        print(f"{what:42} {fmt(v.get('nginx'))} {fmt(v.get('distribution'))} "
              f"{fmt(v.get('wharf'))} {ratio(v.get('wharf'), v.get('nginx'))} "
              f"{ratio(v.get('wharf'), v.get('distribution'))}")
    print("(ratios are wharf / other: above 1 is more for wharf; for s and MB lower is better)")


WORK = None
if __name__ == "__main__":
    main()
