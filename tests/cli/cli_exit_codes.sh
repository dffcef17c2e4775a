#!/usr/bin/env bash
# The command's contract with scripts: help and version work, wrong words exit 2 with a message
# that names them, unbuilt commands say so, the smoke run is deterministic.
set -u
intsim=${1:?usage: cli_exit_codes.sh PATH/TO/intsim}
fail=0
expect() {  # expect STATUS PATTERN -- ARGS...
  local want=$1 pattern=$2; shift 3
  local out status
  out=$("$intsim" "$@" 2>&1); status=$?
  if [ "$status" != "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL: intsim $* -> exit $status (want $want), output:"; echo "$out" | head -5
    fail=1
  fi
}
expect 0 'usage: intsim' -- --help
expect 0 '^intsim [0-9]+\.[0-9]+\.[0-9]+' -- version
expect 2 "unknown command 'frobnicate'" -- frobnicate
expect 2 "unknown option '--sed'" -- smoke --sed 3
expect 2 "--seed expects a non-negative integer, got 'x'" -- smoke --seed x
expect 0 'trace_hash=[0-9a-f]{16}' -- smoke --seed 3
expect 0 'determinism check passed' -- smoke --seed 4 --check-determinism
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '{"name": "bad", "seeds": 0, "workload": {"chanels": []}}' > "$tmp/bad.json"
printf '{\n  "name": "broken",\n  "seeds": ,\n}\n' > "$tmp/broken.json"
expect 2 "bad.json: /seeds: expected an integer in \[1, 10000000\], got 0" -- run "$tmp/bad.json"
expect 2 "bad.json: /workload/chanels: unknown field" -- run "$tmp/bad.json"
expect 2 "broken.json:3: not valid JSON" -- run "$tmp/broken.json"
expect 2 "'no-such-suite' is neither a scenario file nor a suite" -- run no-such-suite
expect 2 "--seed and --seeds exclude each other" -- run smoke --seed 1 --seeds 2
expect 2 "--shard expects K/N" -- run smoke --shard 3/2
expect 2 "usage: intsim repro" -- repro "$tmp/bad.json"
a=$("$intsim" smoke --seed 5); b=$("$intsim" smoke --seed 5); c=$("$intsim" smoke --seed 6)
[ "$a" = "$b" ] || { echo "FAIL: same seed, different output"; fail=1; }
[ "$a" != "$c" ] || { echo "FAIL: different seeds, same output"; fail=1; }
[ $fail = 0 ] && echo "cli contract ok"
exit $fail
