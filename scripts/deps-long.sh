#!/usr/bin/env bash
# Installs what only the long tests need (scripts/test --long), so the default run stays lean:
# clang with libFuzzer and its sanitizer runtimes (libclang-rt-14-dev holds libclang_rt.fuzzer)
# for the fuzz targets under tests/fuzz, and Chromium, which renders the HTML report headless
# in tests/report. Only missing packages are installed. Safe to run again.
set -euo pipefail
packages=(clang libclang-rt-14-dev chromium)
exec "$(dirname "$0")/install-packages.sh" "${packages[@]}"
