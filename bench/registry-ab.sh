#!/bin/sh
# bench/registry-ab.sh OLD NEW [ROUNDS] [SECONDS]: manifest GET by tag on two
# wharf-registry binaries, interleaved; prints each round and the median
# ratio. Not a test. See bench/registry/ab.py.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec /usr/bin/python3 "$ROOT/bench/registry/ab.py" "$@"
