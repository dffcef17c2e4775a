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
# Besides the table it prints intsim's group commit as the server saw it (flushes, webhooks per
# flush, mean flush from seal to answer) and each receiver's CPU time during the run, on a CPU and
# runnable-but-waiting: the latter is the part of its core other processes took.
#
# Measured 2026-11-28 on the 2-core development VM when it was quiet (load average 1.1 to 1.6,
# no builds running), 50 connections, 10 s, after the answers were serialized in one buffer and
# the event id read without a parser (CPU per webhook 19.5 -> 17.4 us):
#                  intsim req/s  p99 ms   Express req/s  p99 ms   ratio
#   tmpfs run 1          58,574   1.30          11,040   23.0     5.3x
#   tmpfs run 2          56,551   1.34          10,944   21.8     5.2x
#   tmpfs run 3          58,852   1.35          11,362   23.1     5.2x
#   disk  run 1          35,539   2.04           9,710   24.7     3.7x
#   disk  run 2          35,302   2.16           9,714   23.7     3.6x
# CPU per webhook (all threads' CPU time / requests): intsim 17.4 us on tmpfs, 24 us on disk;
# Express 90 to 100 us. So on tmpfs the issue's target (40,000/s on one core, 5x Express, p99
# under 2 ms) is met; on this VM's disk it is not: each flush's fdatasync costs 0.3 to 0.5 ms and
# kernel CPU (12% of the core in ext4_sync_file), and the commit thread's hand-offs cost context
# switches (9%), for 35,000/s and 3.7x. Under other engineers' builds the same binary gives
# 35,000 to 50,000/s on tmpfs with p99 4 to 6 ms: what limits it then is the time its threads
# spend runnable while other processes hold core 0 (the "waiting" figure below).
# (Earlier the same day, before the double-buffered group commit: 13,000 to 18,000/s on tmpfs,
# p99 10 to 13 ms, 1.5x to 2.1x; 5,300 to 10,700/s on disk.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
intsim=$(realpath "${1:-$root/build/release/src/cli/intsim}")
duration_s=${DURATION_S:-10}
connections=${CONNECTIONS:-50}
events=${EVENTS:-600000}
work=$(realpath -m "${WORK_DIR:-$root/build/serve-bench}")
store_dir=$(realpath -m "${STORE_DIR:-$work}")
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

# sched_ms PID: "<ms on a CPU> <ms runnable but waiting for one>" summed over the process's
# threads (/proc/PID/task/*/schedstat): the waiting is the share of its core that other
# processes took, which on a shared machine says how much of a figure is the machine.
sched_ms() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null |
    awk '{run += $1; wait += $2} END {printf "%d %d\n", run / 1e6, wait / 1e6}'
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
read -r cpu0_i wait0_i < <(sched_ms "$pid")
read -r _ rps_i p99_i bad_i total_i < <(run_wrk intsim $port_intsim)
read -r cpu1_i wait1_i < <(sched_ms "$pid")
# Group commit as the server saw it: flushes, webhooks per flush, mean flush (commit + fsync).
flushes_i=$( (exec 3<>/dev/tcp/127.0.0.1/$port_intsim && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 &&
  cat <&3) | awk '/^intsim_group_commits_total\{.*outcome="ok"/ {n = $2}
    /^intsim_group_commit_batches_total\{.*outcome="ok"/ {b = $2}
    /^intsim_group_commit_latency_seconds_sum\{/ {s = $2}
    END {if (n > 0) printf "%d flushes, %.1f webhooks each, %.2f ms each", n, b / n, s * 1000 / n}')
kill -TERM "$pid"
wait "$pid" || true
pid=
stored_i=$(sqlite3 "$store_dir/intsim.db" "SELECT count(*) FROM kv WHERE tbl='webhook_inbox'" 2>/dev/null ||
  echo "?")

(cd "$work" && exec taskset -c 0 node receiver.js $port_express "$store_dir/express.ids") \
  >"$work/express.log" 2>&1 &
pid=$!
wait_port $port_express
read -r cpu0_e wait0_e < <(sched_ms "$pid")
read -r _ rps_e p99_e bad_e total_e < <(run_wrk express $port_express)
read -r cpu1_e wait1_e < <(sched_ms "$pid")
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
echo "intsim group commit: ${flushes_i:-?}"
echo "cpu ms during the run (all threads; waiting = runnable while others held its core):"
echo "  intsim   $((cpu1_i - cpu0_i)) on cpu, $((wait1_i - wait0_i)) waiting"
echo "  express  $((cpu1_e - cpu0_e)) on cpu, $((wait1_e - wait0_e)) waiting"
