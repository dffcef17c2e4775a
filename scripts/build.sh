#!/usr/bin/env bash
# Configures and builds one flavour: release (default) or asan (AddressSanitizer + UBSan).
# Usage: scripts/build.sh [release|asan] [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
case "$flavour" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DINTSIM_SANITIZE=ON -DINTSIM_BUILD_BENCH=OFF) ;;
  *) echo "scripts/build.sh: unknown flavour '$flavour' (release or asan)" >&2; exit 2 ;;
esac
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Paths relative to the checkout, so a clone in another folder (CI) hits the same cache entries.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
if [ ! -f "build/$flavour/build.ninja" ]; then
  cmake -S . -B "build/$flavour" -G Ninja "${flags[@]}" >/dev/null
fi
cmake --build "build/$flavour" -- "$@"
