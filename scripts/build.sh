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
if [ ! -f "build/$flavour/build.ninja" ]; then
  cmake -S . -B "build/$flavour" -G Ninja "${flags[@]}" >/dev/null
fi
cmake --build "build/$flavour" -- "$@"
