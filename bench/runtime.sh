#!/bin/bash
# bench/runtime.sh: wharf-runtime vs crun vs runc on one busybox bundle.
#   (a) `run` of /bin/true
#   (b) create -> start -> wait for exit -> delete
#   (c) peak RSS of `run` (GNU time)
# hyperfine -N (no shell), warm-up, RUNS runs each; every runtime runs
# behind the same wrapper (a private mount namespace hiding the hybrid
# host's v2 controllers file, which crun needs here: ../shared/PEERS.md),
# so the wrapper's cost is the same for all. Prints medians and ratios.
# Usage: bench/runtime.sh [BUILD_DIR]   (RUNS=100 WARMUP=10 by default)
set -euo pipefail

BUILD=${1:-build}
RUNS=${RUNS:-100}
WARMUP=${WARMUP:-10}
WHARF=$(readlink -f "$BUILD/wharf-runtime")
for t in hyperfine crun runc busybox /usr/bin/time cc; do
  command -v "$t" >/dev/null || { echo "runtime.sh: $t is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$WHARF" ] || { echo "runtime.sh: $WHARF is not built" >&2; exit 1; }

TMP=$(mktemp -d /tmp/wrt-bench.XXXXXX)
cleanup() {
  for r in wharf crun runc; do
    for id in bench-a bench-b; do
      "$TMP/wrap" "$(runtime_bin $r)" --root "$TMP/state-$r" delete --force "$id" >/dev/null 2>&1 || true
    done
  done
  rm -rf "$TMP"
}
runtime_bin() { case $1 in wharf) echo "$WHARF";; crun) command -v crun;; runc) command -v runc;; esac; }
trap cleanup EXIT

# the bundle: busybox-static as /bin/busybox plus applet links, config
# from `crun spec`, terminal off, running /bin/true
mkdir -p "$TMP/bundle/rootfs/bin" "$TMP/bundle/rootfs/proc" "$TMP/bundle/rootfs/dev" \
         "$TMP/bundle/rootfs/sys"
cp /bin/busybox "$TMP/bundle/rootfs/bin/busybox"
for a in $(busybox --list); do
  [ "$a" = busybox ] || ln -sf busybox "$TMP/bundle/rootfs/bin/$a"
done
(cd "$TMP/bundle" && crun spec)
python3 - "$TMP/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open(p, "w"), indent=1)
PY

# the wrapper every runtime runs behind
E="$TMP/empty"
: > "$E"
cat > "$TMP/wrap" <<W
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount --bind $E /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; exec "\$@"' sh "\$@"
W
chmod +x "$TMP/wrap"

# (b) needs a waiter for a process that is not our child: a subreaper
cat > "$TMP/cycle.c" <<'C'
/* cycle RUNTIME ROOT BUNDLE ID: create, start, wait for init (adopted as
 * a subreaper), delete. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
static void run(char **argv)
{
  pid_t p = fork();
  if (p == 0) { execv(argv[0], argv); _exit(127); }
  int st;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st)) { fprintf(stderr, "%s %s failed\n", argv[0], argv[3]); exit(1); }
}
int main(int argc, char **argv)
{
  if (argc != 5) return 2;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  char *create[] = { argv[1], "--root", argv[2], "create", "--bundle", argv[3], argv[4], NULL };
  char *start[] = { argv[1], "--root", argv[2], "start", argv[4], NULL };
  char *del[] = { argv[1], "--root", argv[2], "delete", argv[4], NULL };
  run(create);
  run(start);
  while (wait(NULL) > 0) ;   /* the container's init, adopted */
  run(del);
  return 0;
}
C
cc -O2 -o "$TMP/cycle" "$TMP/cycle.c"

declare -A A B AC BC RSS
med() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['results'][0]['median']*1000)" "$1"; }
# CPU (user+system, children included: the container's process too) is
# steadier than wall time on a loaded machine
cpu() { python3 -c "import json,sys;r=json.load(open(sys.argv[1]))['results'][0];print((r['user']+r['system'])*1000)" "$1"; }
for r in wharf crun runc; do
  bin=$(runtime_bin "$r")
  mkdir -p "$TMP/state-$r"
  hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/a-$r.json" \
    "$TMP/wrap $bin --root $TMP/state-$r run --bundle $TMP/bundle bench-a" >/dev/null
  hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/b-$r.json" \
    "$TMP/wrap $TMP/cycle $bin $TMP/state-$r $TMP/bundle bench-b" >/dev/null
  A[$r]=$(med "$TMP/a-$r.json")
  B[$r]=$(med "$TMP/b-$r.json")
  AC[$r]=$(cpu "$TMP/a-$r.json")
  BC[$r]=$(cpu "$TMP/b-$r.json")
  # peak RSS: the largest of 10 runs (GNU time, kB)
  max=0
  for i in $(seq 10); do
    k=$(/usr/bin/time -f %M "$TMP/wrap" "$bin" --root "$TMP/state-$r" run --bundle "$TMP/bundle" bench-a 2>&1 >/dev/null | tail -1)
    [ "$k" -gt "$max" ] && max=$k
  done
  RSS[$r]=$max
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %10s %10s %12s %12s %14s\n' runtime "run ms" "cycle ms" "run CPU ms" "cycle CPU ms" "peak RSS MB"
for r in wharf crun runc; do
  printf '%-8s %10.2f %10.2f %12.2f %12.2f %14.2f\n' "$r" "${A[$r]}" "${B[$r]}" "${AC[$r]}" \
    "${BC[$r]}" "$(echo "${RSS[$r]} / 1024" | bc -l)"
done
printf '\nratios wharf/crun: run %.2f, cycle %.2f (CPU %.2f, %.2f), peak RSS %.2f\n' \
  "$(echo "${A[wharf]} / ${A[crun]}" | bc -l)" "$(echo "${B[wharf]} / ${B[crun]}" | bc -l)" \
  "$(echo "${AC[wharf]} / ${AC[crun]}" | bc -l)" "$(echo "${BC[wharf]} / ${BC[crun]}" | bc -l)" \
  "$(echo "${RSS[wharf]} / ${RSS[crun]}" | bc -l)"
printf 'ratios wharf/runc: run %.2f, cycle %.2f, peak RSS %.2f\n' \
  "$(echo "${A[wharf]} / ${A[runc]}" | bc -l)" "$(echo "${B[wharf]} / ${B[runc]}" | bc -l)" \
  "$(echo "${RSS[wharf]} / ${RSS[runc]}" | bc -l)"
