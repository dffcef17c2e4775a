#!/usr/bin/env bash
# Installs the Debian packages intsim needs, only those missing. Safe to run again.
set -euo pipefail
packages=(
  cmake ninja-build g++ ccache pkg-config
  libboost1.81-dev librapidcheck-dev libgtest-dev libgmock-dev libfmt-dev nlohmann-json3-dev
  libssl-dev libsqlite3-dev libbenchmark-dev libical-dev
  nodejs sqlite3  # tests/serve, tests/interop: node and npm; the sqlite3 shell reads the store
)
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
