#!/usr/bin/env bash
# Fails when a layer includes what DESIGN.md section 1 forbids it:
#   src/core    -> nothing but itself (no Boost.Asio/Beast, no sim/, models/, src/server, ...)
#   sim/        -> src/core only
#   models/     -> sim/ and src/core
#   src/server  -> src/core only (never sim/ or models/)
#   src/peers   -> models/ (and sim/'s Rng), src/server and src/core: the real-clock driver of
#                  the peer models for `intsim peers`; nothing inside those layers includes it
# Usage: check_layering.sh ROOT      (exit 1 and a list of offending lines on violation)
#        check_layering.sh --self-test
set -u

check() {
  local root=$1 bad=0
  rule() {  # rule DIR REGEX WHY
    local dir=$root/$1
    [ -d "$dir" ] || return 0
    local hits
    hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" "$dir" \
             --include='*.h' --include='*.cc' --include='*.hpp' --include='*.cpp' 2>/dev/null)
    if [ -n "$hits" ]; then
      echo "layering violation: $1 must not include $3:"
      echo "$hits" | sed "s|^$root/|  |"
      bad=1
    fi
  }
  rule src/core 'boost/asio|boost/beast|sim/|models/|src/server/|src/peers/|src/harness/|src/cli/' \
    'Boost.Asio/Beast, sim/, models/ or the outer layers'
  rule sim 'boost/asio|boost/beast|models/|src/server/|src/peers/|src/harness/|src/cli/' \
    'Asio/Beast, models/ or the outer layers'
  rule models 'boost/asio|boost/beast|src/server/|src/peers/|src/harness/|src/cli/' \
    'Asio/Beast or the outer layers'
  rule src/server 'sim/|models/|src/peers/|src/harness/|src/cli/' \
    'sim/, models/, src/peers or the harness'
  rule src/peers 'src/harness/|src/cli/' 'the harness or the CLI'
  return $bad
}

if [ "${1:-}" = "--self-test" ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/src/core" "$tmp/sim"
  echo '#include "src/core/time.h"' > "$tmp/src/core/ok.h"
  echo '#include "src/core/time.h"' > "$tmp/sim/ok.h"
  check "$tmp" >/dev/null || { echo "self-test: a clean tree was reported"; exit 1; }
  for bad in '#include <boost/asio.hpp>' '#include "sim/scheduler.h"' '#  include "models/x.h"' \
             '#include "src/peers/stripe_peer.h"'; do
    echo "$bad" > "$tmp/src/core/bad.h"
    if check "$tmp" >/dev/null; then echo "self-test: missed: $bad"; exit 1; fi
  done
  echo "self-test passed"
  exit 0
fi

check "${1:?usage: check_layering.sh ROOT | --self-test}" && echo "layering ok"
