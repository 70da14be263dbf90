#!/usr/bin/env bash
# Installs the Debian packages the build and the test suite need, when they
# are missing. Called by the Makefile; safe to run again (does nothing when
# everything is present). Needs root (or sudo) only when something is missing.
set -eu

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

for pkg in cmake make gcc pkg-config libcmocka-dev clang-14 libclang-rt-14-dev; do
  have_pkg "$pkg" || need+=("$pkg")
done
# Optional block codecs (STRATA_COMPRESSION_LZ4 / _ZSTD).
for pkg in liblz4-dev libzstd-dev; do
  have_pkg "$pkg" || need+=("$pkg")
done
# The rival engines of strata-bench (bench/), so that its smoke test in
# `make test` drives every backend, not only strata's.
for pkg in librocksdb-dev libleveldb-dev liblmdb-dev; do
  have_pkg "$pkg" || need+=("$pkg")
done


if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${need[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps: need root to install: ${need[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once if an install fails.
if ! $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
