#!/bin/bash
# Installs every build, test and benchmark dependency of wharf from Debian's
# packages. Only what is missing is installed, so a second run takes seconds.
# Usage: scripts/install-deps.sh [--check]   (--check: list missing, exit 1 if any)
set -euo pipefail

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
  libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libssl-dev
  libsqlite3-dev libarchive-dev libzstd-dev zlib1g-dev libseccomp-dev
  libcap-dev libmnl-dev libnftables-dev libcmocka-dev libcrypt-dev
  # tests
  python3-pytest python3-requests python3-botocore awscli
  skopeo podman umoci crun runc containerd busybox-static
  iproute2 nftables curl jq util-linux procps psmisc openssl
  zstd   # image tests: zstd-compressed layers
  qemu-system-x86   # wharf-runtime's pure cgroup v2 test tier boots a kernel
  # benchmarks
  hyperfine wrk apache2-utils nginx-light docker-registry time
  bc     # bench/pull.sh
)

missing=()
for p in "${PACKAGES[@]}"; do
  # dpkg-query prints "install ok installed" only for a fully installed package
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ "${1:-}" = "--check" ]; then
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "missing: ${missing[*]}"; exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# apt lists may be absent on a fresh machine; refresh them once if an install fails
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/wharf-install-deps.log 2>&1; then
  $SUDO apt-get update -q >>/tmp/wharf-install-deps.log 2>&1
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/wharf-install-deps.log 2>&1 || {
    tail -30 /tmp/wharf-install-deps.log >&2
    echo "install-deps: apt-get install failed (log: /tmp/wharf-install-deps.log)" >&2
    exit 1
  }
fi
# nginx and containerd packages may start services on install; the tests and
# benchmarks start their own instances with private configs.
for svc in nginx containerd docker-registry; do
  if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done
echo "install-deps: done"
