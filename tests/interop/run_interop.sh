#!/usr/bin/env bash
# The npm interop test: installs the pinned official libraries (npm ci, from package-lock.json)
# into a work directory in the build tree, once per lock file, then runs interop.js.
# Usage: run_interop.sh PATH/TO/intsim SOURCE_DIR WORK_DIR
set -euo pipefail
intsim=$(realpath "${1:?usage: run_interop.sh PATH/TO/intsim SOURCE_DIR WORK_DIR}")
src=${2:?source dir}
work=${3:?work dir}
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "webhook_interop: $tool is not installed" >&2; exit 1; }
done
mkdir -p "$work"
cp "$src/package.json" "$src/package-lock.json" "$src/interop.js" "$work/"
# npm ci only when the lock changed since the last install (it wipes node_modules each time).
if ! cmp -s "$src/package-lock.json" "$work/node_modules/.intsim-installed-lock" 2>/dev/null; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$src/package-lock.json" "$work/node_modules/.intsim-installed-lock"
fi
cd "$work"
exec node interop.js "$intsim"
