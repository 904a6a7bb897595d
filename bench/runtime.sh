#!/bin/bash
# bench/runtime.sh: wharf-runtime vs crun vs runc on one busybox bundle.
#   (a) `run` of /bin/true
#   (b) create -> start -> wait for exit -> delete
#   (c) peak RSS of `run` (GNU time)
# hyperfine -N (no shell), warm-up, RUNS runs each in ROUNDS alternating
# rounds; every runtime runs behind the same wrapper (a private mount
# namespace hiding the hybrid host's v2 controllers file, which crun needs
# here: ../shared/PEERS.md), so the wrapper's cost is the same for all;
# its own median is measured too and subtracted for the net ratios.
# Prints medians and ratios.
# Usage: bench/runtime.sh [BUILD_DIR]   (RUNS=100 WARMUP=10 ROUNDS=4 by default)
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

# the wrapper every runtime runs behind: PEERS.md's `unshare -m sh -c
# 'mount --bind ...'`, written in C so that its own cost (measured below
# and subtracted for the net figures) is small and steady
E="$TMP/empty"
: > "$E"
cat > "$TMP/wrap.c" <<'C'
/* wrap PROG ARGS...: private mount namespace, the empty file EMPTY bound
 * over the hybrid host's v2 cgroup.controllers (crun refuses hybrid
 * otherwise). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>
int main(int argc, char **argv)
{
  if (argc < 2) return 2;
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
    perror("wrap");
    return 125;
  }
  mount(EMPTY, "/sys/fs/cgroup/unified/cgroup.controllers", NULL, MS_BIND, NULL);
  execv(argv[1], argv + 1);
  perror(argv[1]);
  return 127;
}
C
cc -O2 -DEMPTY="\"$E\"" -o "$TMP/wrap" "$TMP/wrap.c"

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
# Runs go in ROUNDS alternating rounds (wharf, crun, runc, wharf, ...), so
# a slow spell of the shared machine (or the writeback of the bundle just
# made) does not land on one runtime's block; the medians are over all
# runs of all rounds. hyperfine's JSON has each run's wall, user and
# system time.
ROUNDS=${ROUNDS:-4}
PER=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
# median wall (ms) and mean CPU (user+system, children included: the
# container's process too; steadier than wall time on a loaded machine)
stats() {
  python3 - "$@" <<'PY'
import json, statistics, sys
t, c = [], []
for f in sys.argv[1:]:
    r = json.load(open(f))["results"][0]
    t += r["times"]
    c += [u + s for u, s in zip(r["user"], r["system"])] if isinstance(r["user"], list) \
        else [r["user"] + r["system"]] * len(r["times"])
print("%.4f %.4f" % (statistics.median(t) * 1000, statistics.mean(c) * 1000))
PY
}
for r in wharf crun runc w; do mkdir -p "$TMP/state-$r"; done
for round in $(seq "$ROUNDS"); do
  # the wrapper alone (running /bin/true): subtracted for the net ratios
  hyperfine -N --style none --warmup "$WARMUP" --runs "$PER" \
    --export-json "$TMP/w-$round.json" "$TMP/wrap /bin/true" >/dev/null
  for r in wharf crun runc; do
    bin=$(runtime_bin "$r")
    hyperfine -N --style none --warmup "$WARMUP" --runs "$PER" \
      --export-json "$TMP/a-$r-$round.json" \
      "$TMP/wrap $bin --root $TMP/state-$r run --bundle $TMP/bundle bench-a" >/dev/null
    hyperfine -N --style none --warmup "$WARMUP" --runs "$PER" \
      --export-json "$TMP/b-$r-$round.json" \
      "$TMP/wrap $TMP/cycle $bin $TMP/state-$r $TMP/bundle bench-b" >/dev/null
  done
done
for r in wharf crun runc; do
  bin=$(runtime_bin "$r")
  read -r A[$r] AC[$r] <<< "$(stats "$TMP"/a-$r-*.json)"
  read -r B[$r] BC[$r] <<< "$(stats "$TMP"/b-$r-*.json)"
  # peak RSS: the largest of 10 runs (GNU time, kB)
  max=0
  for i in $(seq 10); do
    k=$(/usr/bin/time -f %M "$TMP/wrap" "$bin" --root "$TMP/state-$r" run --bundle "$TMP/bundle" bench-a 2>&1 >/dev/null | tail -1)
    [ "$k" -gt "$max" ] && max=$k
  done
  RSS[$r]=$max
done

read -r W _ <<< "$(stats "$TMP"/w-*.json)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'wrapper alone: %.2f ms (median)\n' "$W"
printf '%-8s %10s %10s %12s %12s %14s\n' runtime "run ms" "cycle ms" "run CPU ms" "cycle CPU ms" "peak RSS MB"
for r in wharf crun runc; do
  printf '%-8s %10.2f %10.2f %12.2f %12.2f %14.2f\n' "$r" "${A[$r]}" "${B[$r]}" "${AC[$r]}" \
    "${BC[$r]}" "$(echo "${RSS[$r]} / 1024" | bc -l)"
done
printf '\nratios wharf/crun: run %.2f, cycle %.2f (CPU %.2f, %.2f), peak RSS %.2f\n' \
  "$(echo "${A[wharf]} / ${A[crun]}" | bc -l)" "$(echo "${B[wharf]} / ${B[crun]}" | bc -l)" \
  "$(echo "${AC[wharf]} / ${AC[crun]}" | bc -l)" "$(echo "${BC[wharf]} / ${BC[crun]}" | bc -l)" \
  "$(echo "${RSS[wharf]} / ${RSS[crun]}" | bc -l)"
printf 'net of the wrapper, wharf/crun: run %.2f, cycle %.2f\n' \
  "$(echo "(${A[wharf]} - $W) / (${A[crun]} - $W)" | bc -l)" \
  "$(echo "(${B[wharf]} - $W) / (${B[crun]} - $W)" | bc -l)"
printf 'ratios wharf/runc: run %.2f, cycle %.2f, peak RSS %.2f\n' \
  "$(echo "${A[wharf]} / ${A[runc]}" | bc -l)" "$(echo "${B[wharf]} / ${B[runc]}" | bc -l)" \
  "$(echo "${RSS[wharf]} / ${RSS[runc]}" | bc -l)"
