#!/usr/bin/env bash
# Installs the Debian packages intsim needs, only those missing. Safe to run again.
set -euo pipefail
packages=(
  cmake ninja-build g++ ccache pkg-config
  libboost1.81-dev librapidcheck-dev libgtest-dev libgmock-dev libfmt-dev nlohmann-json3-dev
  libssl-dev libsqlite3-dev libbenchmark-dev libical-dev
  nodejs sqlite3  # tests/serve, tests/interop: node and npm; the sqlite3 shell reads the store
)
exec "$(dirname "$0")/install-packages.sh" "${packages[@]}"
