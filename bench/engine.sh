#!/bin/sh
# bench/engine.sh: `run --rm IMG true` with wharf and with podman on the
# same local busybox image, in one hyperfine run (the commands one after
# the other, warm-up first), and the ratio of the medians; also wharf with
# --runtime crun, to show what the runtime behind the engine costs.
#
# podman 4.3.1 (Debian) with crun 1.8.1, private --root/--runroot,
# --network none and the --ulimit flags podman needs here; crun runs behind
# the wrapper PEERS.md describes (it refuses the hybrid cgroup layout),
# written in C, and every crun run here uses the same wrapper. wharf uses
# --network none too.
#
# Usage: bench/engine.sh [RUNS]   (default 30; needs root, hyperfine, podman)
set -eu
RUNS=${1:-30}
TOP=$(cd "$(dirname "$0")/.." && pwd)
WHARF=${WHARF:-$TOP/build/wharf}
T=$(mktemp -d /tmp/wharf-bench-engine.XXXXXX)
cleanup() {
  "$WHARF" --root "$T/w" --runroot "$T/wr" ps -aq 2>/dev/null | while read -r c; do
    "$WHARF" --root "$T/w" --runroot "$T/wr" rm -f "$c" >/dev/null 2>&1 || true
  done
  podman --root "$T/p" --runroot "$T/pr" --storage-driver overlay rmi -af >/dev/null 2>&1 || true
  grep -o "$T[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

# The crun wrapper (PEERS.md): crun in a private mount namespace where the
# v2 controller list is an empty file. Written in C (as in
# bench/runtime.sh): the sh + unshare + mount version PEERS.md shows costs
# ~8 ms per call, and podman calls its runtime several times per
# container, so it inflated podman's time (and flattered the ratio).
: > "$T/empty"
cat > "$T/crun.c" <<'C'
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>
int main(int argc, char **argv)
{
  (void) argc;
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
    perror("crun wrapper");
    return 125;
  }
  mount(EMPTY, "/sys/fs/cgroup/unified/cgroup.controllers", NULL, MS_BIND, NULL);
  argv[0] = (char *) CRUN;
  execv(CRUN, argv);
  perror(CRUN);
  return 127;
}
C
cc -O2 -DEMPTY="\"$T/empty\"" -DCRUN="\"$(command -v crun)\"" -o "$T/crun" "$T/crun.c"

# One busybox root file system tar, imported by both as localhost/bb:1.
mkdir -p "$T/rootfs/bin" "$T/rootfs/etc"
cp /bin/busybox "$T/rootfs/bin/busybox"
for a in sh true echo; do ln -s busybox "$T/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$T/rootfs/etc/passwd"
echo 'root:x:0:' > "$T/rootfs/etc/group"
tar -C "$T/rootfs" -cf "$T/bb.tar" .
"$WHARF" --root "$T/w" import "$T/bb.tar" localhost/bb:1 >/dev/null
P="podman --root $T/p --runroot $T/pr --storage-driver overlay --runtime $T/crun --cgroup-manager cgroupfs --events-backend none"
$P import "$T/bb.tar" localhost/bb:1 >/dev/null 2>&1

W="$WHARF --root $T/w --runroot $T/wr"
hyperfine -N -w 5 -r "$RUNS" --export-json "$T/r.json" \
  -n podman "$P run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 localhost/bb:1 true" \
  -n wharf "$W run --rm --network none localhost/bb:1 true" \
  -n wharf-crun "$W run --rm --network none --runtime $T/crun localhost/bb:1 true"

python3 - "$T/r.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
pod = r["podman"]["median"]
for name in ("podman", "wharf", "wharf-crun"):
    m = r[name]["median"]
    print(f"{name:12s} median {m * 1000:7.1f} ms   ratio to podman {m / pod:5.2f}")
PY
