#!/usr/bin/env bash
# Installs what only the long tests need (scripts/test --long), so the default run stays lean:
# clang with libFuzzer and its sanitizer runtimes (libclang-rt-14-dev holds libclang_rt.fuzzer)
# for the fuzz targets under tests/fuzz, and Chromium, which renders the HTML report headless
# in tests/report. Only missing packages are installed. Safe to run again.
set -euo pipefail
packages=(clang libclang-rt-14-dev chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
