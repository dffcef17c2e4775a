#!/usr/bin/env bash
# Installs the pinned npm libraries (npm ci from package-lock.json) into a work directory in
# the build tree, once per lock file, then runs serve_e2e.js in the given mode.
# Usage: run_serve_e2e.sh PATH/TO/intsim SOURCE_DIR WORK_DIR basic|crash
set -euo pipefail
intsim=$(realpath "${1:?usage: run_serve_e2e.sh PATH/TO/intsim SOURCE_DIR WORK_DIR MODE}")
src=${2:?source dir}
work=${3:?work dir}
mode=${4:?mode}
for tool in node npm sqlite3; do
  command -v "$tool" >/dev/null || { echo "serve_e2e: $tool is not installed" >&2; exit 1; }
done
mkdir -p "$work"
cp "$src/package.json" "$src/package-lock.json" "$src/serve_e2e.js" "$work/"
# Two tests share the work directory: install under a lock so they cannot race.
(
  flock 9
  if ! cmp -s "$src/package-lock.json" "$work/node_modules/.intsim-installed-lock" 2>/dev/null; then
    (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$src/package-lock.json" "$work/node_modules/.intsim-installed-lock"
  fi
) 9>"$work/.install.lock"
cd "$work"
exec node serve_e2e.js "$intsim" "$mode"
