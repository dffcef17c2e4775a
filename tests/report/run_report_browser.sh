#!/usr/bin/env bash
# The report in a real browser (CTest label long). Runs a small, deliberately failing scenario
# through `intsim run`, renders the report again with `intsim report --baseline`, opens the HTML
# from file:// in headless Chromium, and fails when:
#   - the browser logs any console message (the page has no script: every message is an error,
#     such as a resource it tried to fetch or markup it could not parse),
#   - the DOM the browser built lacks the summary, any of the five charts or the timeline,
#   - the screenshot was not written.
# The screenshot stays in OUT_DIR (under the build tree) as the test's artefact.
# Usage: run_report_browser.sh INTSIM REPO_ROOT OUT_DIR
set -euo pipefail
intsim=$(realpath "$1")
root=$(realpath "$2")
out=$3
"$root/scripts/deps-long.sh"
browser=$(command -v chromium || true)
[ -n "$browser" ] || { echo "FAIL: chromium is not installed (scripts/deps-long.sh)"; exit 1; }
rm -rf "$out"
mkdir -p "$out"
out=$(realpath "$out")
cd "$root"

# 1. A run: exit 3 is the liveness failure the scenario is built to have.
set +e
"$intsim" run tests/report/report-demo.json --jobs 1 --out "$out/run" >"$out/run.log" 2>&1
rc=$?
set -e
if [ "$rc" -ne 3 ]; then
  echo "FAIL: the demo run should fail its convergence oracle (exit 3), got exit $rc"
  cat "$out/run.log"
  exit 1
fi
grep -q "^report: $out/run/report.html$" "$out/run.log" ||
  { echo "FAIL: intsim run did not print the report's path"; cat "$out/run.log"; exit 1; }

# 2. The same results through `intsim report`, with themselves as the baseline.
"$intsim" report "$out/run/results.json" -o "$out/report" --baseline "$out/run/results.json" \
  >"$out/report.log"
html="$out/report/report.html"
for f in report.html report.md results.json junit.xml; do
  [ -s "$out/report/$f" ] || { echo "FAIL: intsim report did not write $f"; exit 1; }
done

flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
       --user-data-dir="$out/profile" --window-size=1280,2400)

# 3. The DOM as Chromium parsed it.
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$html" >"$out/dom.html" 2>"$out/dom.log"
fail=0
need() {  # need COUNT_MIN PATTERN WHAT
  local n
  n=$(grep -o -- "$2" "$out/dom.html" | wc -l)
  if [ "$n" -lt "$1" ]; then
    echo "FAIL: $3: expected at least $1 of '$2' in the DOM, found $n"
    fail=1
  fi
}
need 1 '<section id="summary"' "the summary"
need 1 '<section id="failures"' "the failing seeds"
need 1 '<section id="baseline"' "the baseline comparison"
for chart in retries convergence latency conflicts duplicates; do
  need 1 "data-chart=\"$chart\"" "the $chart chart"
done
need 1 'class="timeline"' "a failing seed's timeline"
need 1 'class="msg"' "message arrows in the timeline"
need 1 'class="witness-band"' "a highlighted witness"
# Self-contained: nothing for the browser to fetch (the SVG namespace is a name, not a fetch).
for bad in '<script' '<link' ' src=' 'url(http' '<img'; do
  if grep -qF -- "$bad" "$out/dom.html"; then
    echo "FAIL: the page refers to something outside itself: '$bad'"
    fail=1
  fi
done

# 4. Console messages and the screenshot.
timeout 120 "$browser" "${flags[@]}" --enable-logging=stderr --v=0 \
  --screenshot="$out/report.png" "file://$html" >"$out/screenshot.log" 2>&1 || true
# Chromium logs every console message as "INFO:CONSOLE:<line>] ..." (or CONSOLE(<line>) in
# older releases).
if grep -E ':CONSOLE[:(]|Uncaught|Failed to load resource' "$out/screenshot.log" "$out/dom.log"; then
  echo "FAIL: the page logged console messages (above)"
  fail=1
fi
if [ ! -s "$out/report.png" ] || [ "$(head -c 8 "$out/report.png" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
  echo "FAIL: no PNG screenshot at $out/report.png"
  cat "$out/screenshot.log"
  fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "report rendered in Chromium without console messages; screenshot: $out/report.png"
