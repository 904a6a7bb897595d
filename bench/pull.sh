#!/bin/bash
# bench/pull.sh: time `wharf pull` against `podman pull` of the same image
# (four 128 MiB gzip layers of random data) from the same local registry,
# each into an empty store, one after the other, and print the ratio.
#
#   bench/pull.sh            (REGISTRY=wharf, the default, uses
#                             build/wharf-registry; REGISTRY=docker-registry
#                             uses Debian's CNCF Distribution)
#
# "Done" means the image is unpacked and registered, ready to run, for
# both. Durability is the same: neither fsyncs layer contents (podman's
# containers/storage does not, wharf does not); wharf's SQLite commit is
# fsync'd (WAL). Run it once or twice, not in a loop: the machine is shared.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WHARF=${WHARF:-$ROOT/build/wharf}
REGISTRY=${REGISTRY:-wharf}
LAYERS=${LAYERS:-4}
LAYER_MIB=${LAYER_MIB:-128}
CACHE=${CACHE:-/tmp/wharf-bench-pull-cache}
WORK=$(mktemp -d /tmp/wharf-bench-pull-XXXXXX)
# podman refuses a runroot longer than 50 characters
PRUN=$(mktemp -d /tmp/wbp-run-XXXXXX)
REGPID=""

cleanup() {
  if [ -n "$REGPID" ]; then kill "$REGPID" 2>/dev/null || true; wait "$REGPID" 2>/dev/null || true; fi
  podman --root "$WORK/podman" --runroot "$PRUN" --tmpdir "$WORK/podman-tmp" system reset -f >/dev/null 2>&1 || true
  rm -rf "$WORK" "$PRUN"
}
trap cleanup EXIT

[ -x "$WHARF" ] || { echo "build wharf first (make)" >&2; exit 1; }

# 1. the image: an OCI layout, made once and cached
if [ ! -f "$CACHE/layout/index.json" ]; then
  echo "generating $LAYERS x $LAYER_MIB MiB random gzip layers in $CACHE ..." >&2
  rm -rf "$CACHE"; mkdir -p "$CACHE"
  /usr/bin/python3 - "$CACHE" "$LAYERS" "$LAYER_MIB" <<'PY'
import hashlib, io, json, os, subprocess, sys, tarfile
cache, n, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lay = os.path.join(cache, "layout")
os.makedirs(os.path.join(lay, "blobs", "sha256"))
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(lay, "blobs", "sha256", d), "wb").write(data)
    return "sha256:" + d
layers, diffs = [], []
for i in range(n):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as t:
        ti = tarfile.TarInfo(f"data{i}.bin"); ti.size = mib << 20; ti.mtime = 1700000000
        t.addfile(ti, io.BytesIO(os.urandom(ti.size)))
    raw = bio.getvalue()
    diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
    gz = subprocess.run(["gzip", "-1", "-n", "-c"], input=raw, stdout=subprocess.PIPE, check=True).stdout
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(gz), "size": len(gz)})
cfg = json.dumps({"architecture": "amd64", "os": "linux", "created": "2026-11-23T00:00:00Z",
                  "config": {"Cmd": ["/bin/sh"]}, "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cfg), "size": len(cfg)},
                  "layers": layers}).encode()
md = put(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
           "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "bench"}}]},
          open(os.path.join(lay, "index.json"), "w"))
open(os.path.join(lay, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
fi

# 2. the registry, on a free loopback port
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ "$REGISTRY" = wharf ]; then
  "$ROOT/build/wharf-registry" serve --listen "127.0.0.1:$PORT" --data "$WORK/registry" \
    --log-level warn >"$WORK/registry.log" 2>&1 &
else
  cat >"$WORK/registry.yml" <<YML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/registry}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$PORT}
YML
  docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
fi
REGPID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null && break; sleep 0.1; done
REF="127.0.0.1:$PORT/bench/pull:latest"
skopeo copy --quiet --dest-tls-verify=false "oci:$CACHE/layout:bench" "docker://$REF"

# warm the registry's files into the page cache so neither side pays for it
find "$WORK/registry" -type f -exec cat {} + >/dev/null

echo '{"unqualified-search-registries": []}' >"$WORK/registries.json"

# 3. podman, then wharf, each into an empty store. Wall time and CPU time
# (user+sys of the command and its children, from GNU time): on a shared
# machine the CPU figure is the steadier one. `sync` between the runs so
# one side's dirty pages are not written back during the other's run.
sync
/usr/bin/time -f '%e %U %S' -o "$WORK/podman.time" \
  podman --root "$WORK/podman" --runroot "$PRUN" --tmpdir "$WORK/podman-tmp" --events-backend file --cgroup-manager cgroupfs \
  pull -q --tls-verify=false "$REF" >/dev/null
sync
/usr/bin/time -f '%e %U %S' -o "$WORK/wharf.time" \
  "$WHARF" --root "$WORK/wharf" --registries-conf "$WORK/registries.json" pull -q "$REF" >/dev/null

read -r p_real p_user p_sys <"$WORK/podman.time"
read -r w_real w_user w_sys <"$WORK/wharf.time"
p_cpu=$(echo "$p_user + $p_sys" | bc -l)
w_cpu=$(echo "$w_user + $w_sys" | bc -l)
printf 'image: %d x %d MiB gzip layers (random data), registry: %s, load: %s\n' \
  "$LAYERS" "$LAYER_MIB" "$REGISTRY" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'podman pull: %6.2f s wall  %6.2f s CPU\n' "$p_real" "$p_cpu"
printf 'wharf pull:  %6.2f s wall  %6.2f s CPU\n' "$w_real" "$w_cpu"
printf 'ratio wharf/podman: wall %.2f, CPU %.2f (target <= 0.50)\n' \
  "$(echo "$w_real / $p_real" | bc -l)" "$(echo "$w_cpu / $p_cpu" | bc -l)"
printf 'fsync of layer contents: neither (wharf: SQLite commit only); wharf also keeps\n'
printf 'the compressed blobs (for byte-identical push/save), podman does not\n'
