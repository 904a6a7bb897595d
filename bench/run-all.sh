#!/bin/bash
# Runs every benchmark in bench/ in turn (make bench). Each prints its own
# side-by-side figures and ratios; see docs/benchmarks.md.
set -uo pipefail
cd "$(dirname "$0")"
status=0
ran=0
for b in *.sh; do
  [ "$b" = "run-all.sh" ] && continue
  echo "=== bench/$b"
  bash "./$b" || { echo "bench/$b failed"; status=1; }
  ran=$((ran + 1))
done
[ "$ran" -eq 0 ] && echo "no benchmarks yet"
exit $status
