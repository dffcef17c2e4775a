#!/usr/bin/env bash
# intsim serve against an Express receiver with the official stripe library, both verifying
# the Stripe signature, deduplicating on the event id and making the id durable (fsync) before
# the 200, on one core each, driven by wrk over loopback with the same distinct signed events.
# Prints requests per second, p99 latency and the ratio.
#
# Usage: bench/serve_bench.sh [PATH/TO/intsim]      (default: build/release/src/cli/intsim)
# Environment: DURATION_S (10), CONNECTIONS (50), EVENTS (distinct events, 600000),
#              WORK_DIR (build/serve-bench: npm install, events, stores; on the real disk so
#              that fsync costs what it costs; not /tmp, which may be tmpfs),
#              STORE_DIR (WORK_DIR: where both receivers keep their durable ids; a tmpfs such
#              as /dev/shm takes the disk out and measures the CPU path alone).
# Installs wrk (Debian) when missing; needs node and npm (scripts/deps.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
intsim=$(realpath "${1:-$root/build/release/src/cli/intsim}")
duration_s=${DURATION_S:-10}
connections=${CONNECTIONS:-50}
events=${EVENTS:-600000}
work=${WORK_DIR:-$root/build/serve-bench}
store_dir=${STORE_DIR:-$work}
[ -x "$intsim" ] || { echo "serve_bench: no intsim at $intsim (build it first)" >&2; exit 2; }

# The bench's own dependency (not the tests'): wrk from Debian.
if ! dpkg-query -W -f='${Status}' wrk 2>/dev/null | grep -q "install ok installed"; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
for tool in node npm wrk taskset; do
  command -v "$tool" >/dev/null || { echo "serve_bench: $tool is not installed" >&2; exit 2; }
done

mkdir -p "$work"
cp "$root/bench/express/package.json" "$root/bench/express/package-lock.json" \
  "$root/bench/express/receiver.js" "$root/bench/express/make_events.js" "$work/"
if ! cmp -s "$root/bench/express/package-lock.json" "$work/node_modules/.intsim-installed-lock" \
  2>/dev/null; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$root/bench/express/package-lock.json" "$work/node_modules/.intsim-installed-lock"
fi

export STRIPE_WEBHOOK_SECRET="whsec_bench_$$"
echo "signing $events distinct events with the stripe library..."
(cd "$work" && node make_events.js "$events" "$work/events.tsv")

pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; true; }
trap cleanup EXIT

wait_port() {  # wait_port PORT: until something accepts on it (10 s at most)
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "serve_bench: nothing listens on port $1" >&2
  exit 1
}

# run_wrk NAME PORT: prints "NAME rps p99_ms non2xx" and keeps wrk's output in $work/NAME.wrk.
run_wrk() {
  local name=$1 port=$2
  # The server gets core 0, wrk core 1 (the machine has two).
  taskset -c 1 wrk -t1 -c"$connections" -d"${duration_s}s" --latency \
    -s "$root/bench/serve_bench.lua" "http://127.0.0.1:$port" -- "$work/events.tsv" \
    >"$work/$name.wrk"
  local rps p99 non2xx total
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.wrk")
  p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000}
                         else if (v ~ /ms$/) {sub(/ms$/, "", v)}
                         else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}
                         printf "%.3f", v}' "$work/$name.wrk")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$work/$name.wrk")
  total=$(awk '/requests in/ {print $1}' "$work/$name.wrk")
  [ "${total:-0}" -le "$events" ] ||
    echo "serve_bench: $name: $total requests for $events events: some were duplicates" >&2
  echo "$name ${rps:-0} ${p99:-0} ${non2xx:-0} ${total:-0}"
}

port_intsim=18781
port_express=18782
mkdir -p "$store_dir"
rm -f "$store_dir"/intsim.db* "$store_dir/express.ids"
cat >"$work/serve.json" <<JSON
{"listen": {"address": "127.0.0.1", "port": $port_intsim}, "store": {"path": "$store_dir/intsim.db"},
 "secrets": {"stripe.webhook": "STRIPE_WEBHOOK_SECRET"}}
JSON
taskset -c 0 "$intsim" serve --config "$work/serve.json" 2>"$work/intsim.log" &
pid=$!
wait_port $port_intsim
read -r _ rps_i p99_i bad_i total_i < <(run_wrk intsim $port_intsim)
kill -TERM "$pid"
wait "$pid" || true
pid=
stored_i=$(sqlite3 "$store_dir/intsim.db" "SELECT count(*) FROM kv WHERE tbl='webhook_inbox'" 2>/dev/null ||
  echo "?")

(cd "$work" && exec taskset -c 0 node receiver.js $port_express "$store_dir/express.ids") \
  >"$work/express.log" 2>&1 &
pid=$!
wait_port $port_express
read -r _ rps_e p99_e bad_e total_e < <(run_wrk express $port_express)
kill -TERM "$pid"
wait "$pid" || true
pid=
stored_e=$(wc -l <"$store_dir/express.ids")

echo "stores in $store_dir; $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
printf '%-30s %12s %10s %10s %12s\n' "receiver ($connections connections)" "req/s" "p99 ms" \
  "non-2xx" "ids durable"
printf '%-30s %12.0f %10.3f %10s %12s\n' "intsim serve" "$rps_i" "$p99_i" "$bad_i" "$stored_i"
printf '%-30s %12.0f %10.3f %10s %12s\n' "express + stripe" "$rps_e" "$p99_e" "$bad_e" "$stored_e"
awk -v a="$rps_i" -v b="$rps_e" 'BEGIN { if (b > 0) printf "ratio intsim/express: %.1fx\n", a / b }'
