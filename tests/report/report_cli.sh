#!/usr/bin/env bash
# `intsim report`'s contract (fast): the four files, the printed path, and exit 2 with the
# problem named for bad input. Usage: report_cli.sh INTSIM REPO_ROOT OUT_DIR
set -u
intsim=$1
root=$2
out=$3
rm -rf "$out"
mkdir -p "$out"
results="$root/reports/testdata/small_results.json"
fail=0
expect() {  # expect WANT_STATUS PATTERN ARGS...
  local want=$1 pattern=$2
  shift 2
  local got
  got=$("$intsim" "$@" 2>&1)
  local status=$?
  if [ "$status" -ne "$want" ] || ! grep -qE -- "$pattern" <<<"$got"; then
    echo "FAIL: intsim $* -> exit $status (want $want, output matching '$pattern'):"
    echo "$got" | head -5
    fail=1
  fi
}
cd "$root"
expect 0 "^report: $out/a/report.html$" report "$results" -o "$out/a" --timelines 0
for f in report.html report.md results.json junit.xml; do
  [ -s "$out/a/$f" ] || { echo "FAIL: $f was not written"; fail=1; }
done
grep -q 'core-crashes seed 3: safety_violation' "$out/a/report.md" ||
  { echo "FAIL: report.md lacks the failing seed"; fail=1; }
expect 0 "^report: " report "$results" --out "$out/b" --baseline "$results" --timelines 0
grep -q '<section id="baseline">' "$out/b/report.html" ||
  { echo "FAIL: --baseline gave no comparison"; fail=1; }
expect 2 "usage: intsim report" report "$results"
expect 2 "usage: intsim report" report -o "$out/c"
expect 2 "no/such.json: cannot read the file" report no/such.json -o "$out/c"
expect 2 "baseline: .*no/such.json" report "$results" -o "$out/c" --baseline no/such.json
expect 2 "--timelines expects a non-negative integer" report "$results" -o "$out/c" --timelines x
expect 2 "not an intsim results file" report "$root/scenarios/core-crashes.json" -o "$out/c"
[ "$fail" -eq 0 ] && echo "intsim report: contract ok"
exit "$fail"
