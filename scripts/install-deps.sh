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

# wharf-runtime's pure cgroup v2 tier (tests/integration/runtime/
# test_rt_cgroup_v2.py) boots Debian's kernel under qemu: only its
# boot/vmlinuz-* is kept here, taken from the linux-image package that
# linux-image-amd64 depends on (not installed: it would replace the host's).
KERNEL_CACHE=/var/cache/wharf-test
have_kernel() { compgen -G "$KERNEL_CACHE/vmlinuz-*" >/dev/null; }

if [ "${1:-}" = "--check" ]; then
  have_kernel || missing+=("kernel($KERNEL_CACHE/vmlinuz-*)")
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "missing: ${missing[*]}"; exit 1
fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# older test runs downloaded the whole package into the cache
$SUDO rm -f "$KERNEL_CACHE"/linux-image-*.deb

# Prints the versioned package behind linux-image-amd64 (e.g.
# linux-image-6.1.0-56-amd64), or nothing when apt knows none.
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

fetch_kernel() {
  local pkg tmp
  $SUDO mkdir -p "$KERNEL_CACHE"
  tmp=$($SUDO mktemp -d "$KERNEL_CACHE/fetch.XXXXXX")
  # apt lists may be absent or old on a fresh machine: refresh them once
  pkg=$(kernel_package)
  if [ -z "$pkg" ] || ! (cd "$tmp" && $SUDO apt-get download -q "$pkg") \
       >>/tmp/wharf-install-deps.log 2>&1; then
    $SUDO apt-get update -q >>/tmp/wharf-install-deps.log 2>&1
    pkg=$(kernel_package)
    if [ -z "$pkg" ] || ! (cd "$tmp" && $SUDO apt-get download -q "$pkg") \
         >>/tmp/wharf-install-deps.log 2>&1; then
      $SUDO rm -rf "$tmp"
      tail -30 /tmp/wharf-install-deps.log >&2
      echo "install-deps: could not download ${pkg:-the package linux-image-amd64 depends on} (log: /tmp/wharf-install-deps.log)" >&2
      exit 1
    fi
  fi
  $SUDO dpkg-deb -x "$tmp"/linux-image-*.deb "$tmp/x"
  local vm
  for vm in "$tmp"/x/boot/vmlinuz-*; do
    [ -e "$vm" ] && $SUDO cp "$vm" "$KERNEL_CACHE/"
  done
  $SUDO rm -rf "$tmp"
  have_kernel || { echo "install-deps: $pkg holds no boot/vmlinuz-*" >&2; exit 1; }
  echo "install-deps: kernel for the cgroup v2 tests in $KERNEL_CACHE"
}

if [ ${#missing[@]} -eq 0 ]; then
  have_kernel || fetch_kernel
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
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
have_kernel || fetch_kernel
echo "install-deps: done"
