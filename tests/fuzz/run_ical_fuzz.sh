#!/usr/bin/env bash
# Builds the iCal libFuzzer target with clang (ASan + UBSan) when its sources changed, then
# fuzzes for a bounded time. Registered as the CTest test fuzz.ical (label long); the clang
# toolchain comes from scripts/deps-long.sh, which `scripts/test --long` runs.
# Usage: run_ical_fuzz.sh REPO_ROOT WORK_DIR   (ICAL_FUZZ_SECONDS, default 60)
set -euo pipefail
root=${1:?usage: run_ical_fuzz.sh REPO_ROOT WORK_DIR}
work=${2:?usage: run_ical_fuzz.sh REPO_ROOT WORK_DIR}
seconds=${ICAL_FUZZ_SECONDS:-60}
cxx=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$cxx" ]; then
  echo "run_ical_fuzz.sh: clang++ not found; install it with scripts/deps-long.sh" >&2
  exit 1
fi
mkdir -p "$work/corpus"
bin="$work/ical_fuzz"
sources=("$root/tests/fuzz/ical_fuzz.cc" "$root"/src/core/ical/*.cc "$root/src/core/assert.cc"
         "$root/src/core/status.cc")
sources=($(printf '%s\n' "${sources[@]}" | grep -v '_test\.cc$'))
rebuild=0
[ -x "$bin" ] || rebuild=1
for f in "${sources[@]}" "$root"/src/core/ical/*.h; do
  [ "$f" -nt "$bin" ] && rebuild=1
done
if [ $rebuild = 1 ]; then
  echo "building $bin with $cxx"
  "$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root" "${sources[@]}" -lfmt -o "$bin.tmp"
  mv "$bin.tmp" "$bin"
fi
# New inputs go to the work corpus (first directory); the seeds in the tree stay read-only.
cd "$work"
"$bin" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -dict="$root/tests/fuzz/ical.dict" -print_final_stats=1 corpus "$root/tests/fuzz/corpus/ical"
