#!/bin/sh
# bench/registry.sh: wharf-registry against CNCF Distribution (Debian's
# docker-registry) and nginx serving the same bytes as static files, each
# measurement run on the three in turn in one run, ratios printed at the
# end. Not a test: timings vary on a shared machine, compare ratios.
#
#   bench/registry.sh               full run (about 5 minutes)
#   DUR=5 bench/registry.sh         shorter load phases
#   BUILD=build-x bench/registry.sh another build directory
#
# The work is in bench/registry/bench.py; see there for each measurement.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec /usr/bin/python3 "$ROOT/bench/registry/bench.py" "$@"
