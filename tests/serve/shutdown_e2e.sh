#!/usr/bin/env bash
# `intsim serve` stopping and backpressure, end to end over loopback (bash and /dev/tcp only).
# The writer's slow disk is simulated with INTSIM_SERVE_FAULT_COMMIT_DELAY_MS (src/cli/cmd_serve.cc).
#   drain      SIGTERM while a webhook's flush is in flight: its 200 is still given, exit 0
#   deadline   SIGTERM with a client stuck halfway through a request (read timeout 60 s): the
#              process stops at shutdown.drain_timeout_ms anyway, logs serve.drain_timeout, exit 0
#   forced     a second SIGTERM during the drain stops at once: serve.forced_stop, exit 143
#   closing    past the deadline only the commit in flight is waited for; a second SIGTERM then
#              stops at once too
#   overload   with the flush in flight older than store.flush_age_ms_max, a new webhook is
#              answered 503 with Retry-After at once while /healthz still answers 200
# Needs openssl (to sign the Stripe events).
# Usage: shutdown_e2e.sh PATH/TO/intsim
set -u
intsim=${1:?usage: shutdown_e2e.sh PATH/TO/intsim}
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err"
  exit 1
}

secret="whsec_shutdown_e2e_$$"
# webhook PORT EVENT_ID OUTFILE: a Stripe customer.created event, signed as Stripe signs (HMAC
# of "<t>.<body>" with the endpoint secret): one inbox row to write, no outbound work after it.
webhook() {
  local fd t body sig
  t=$(date +%s)
  body="{\"id\":\"$2\",\"object\":\"event\",\"type\":\"customer.created\",\"created\":$t,\"livemode\":false,\"data\":{\"object\":{\"id\":\"cus_$2\",\"object\":\"customer\"}}}"
  sig=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.* //')
  exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nStripe-Signature: t=%s,v1=%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$t" "$sig" "${#body}" "$body" >&"$fd"
  timeout 10 cat <&"$fd" >"$3"
  exec {fd}<&-
}
get() {  # get PORT PATH OUTFILE
  local fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&"$fd"
  timeout 5 cat <&"$fd" >"$3"
  exec {fd}<&-
}
now_ms() { date +%s%3N; }

# start NAME JSON_EXTRA [ENV=VALUE...]: serve with a fresh store; sets pid and port.
start() {
  local name=$1 extra=$2
  shift 2
  mkdir -p "$tmp/$name"
  cat >"$tmp/$name/serve.json" <<JSON
{"listen": {"address": "127.0.0.1", "port": 0}, "store": {"path": "$tmp/$name/intsim.db"$extra},
 "http": {"read_timeout_ms": 60000}, "secrets": {"stripe.webhook": "INTSIM_E2E_STRIPE_SECRET"},
 "shutdown": {"drain_timeout_ms": $DRAIN_MS}}
JSON
  # Emptied here, not by the child's redirection: the loop below would otherwise race it and
  # read the previous run's serve.listening (its port long closed) on a slow start (ASan).
  : >"$tmp/err"
  env INTSIM_E2E_STRIPE_SECRET="$secret" "$@" "$intsim" serve --config "$tmp/$name/serve.json" 2>>"$tmp/err" &
  pid=$!
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's/.*"event":"serve.listening".*"port":"\([0-9]*\)".*/\1/p' "$tmp/err")
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || fail "$name: serve did not log serve.listening"
}
# wait_exit SECONDS: waits for the server to exit; sets status (or fails past the bound).
wait_exit() {
  local i
  for i in $(seq $(($1 * 20))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && fail "still running $1 s after the signal"
  wait "$pid"
  status=$?
  pid=
}

# drain: the held answer of the flush in flight is given before the process exits.
DRAIN_MS=10000
start drain "" INTSIM_SERVE_FAULT_COMMIT_DELAY_MS=1500
webhook "$port" evt_drain "$tmp/drain/answer" &
client=$!
sleep 0.5  # the event is read and its flush is in flight
kill -TERM "$pid"
wait_exit 10
wait "$client"
[ $status -eq 0 ] || fail "drain: exit status $status, expected 0"
head -1 "$tmp/drain/answer" | grep -q " 200 " || fail "drain: the held event was not answered 200: $(head -1 "$tmp/drain/answer")"
grep -q '"event":"serve.drain_timeout"' "$tmp/err" && fail "drain: timed out within the deadline"
grep -q '"event":"serve.stopped".*"drain":"complete"' "$tmp/err" || fail "drain: no serve.stopped with drain complete"
echo "shutdown e2e drain: passed"

# deadline: a client stuck halfway through its request keeps a connection open for the read
# timeout (60 s); the drain deadline stops the process anyway.
DRAIN_MS=300
start deadline ""
exec {stuck}<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /api/bookings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"gue' >&"$stuck"
sleep 0.2
t0=$(now_ms)
kill -TERM "$pid"
wait_exit 5
elapsed=$(($(now_ms) - t0))
exec {stuck}<&-
[ $status -eq 0 ] || fail "deadline: exit status $status, expected 0"
grep -q '"event":"serve.drain_timeout".*"connections_open":"1"' "$tmp/err" ||
  fail "deadline: no serve.drain_timeout naming the open connection"
grep -q '"event":"serve.stopped".*"drain":"timed_out"' "$tmp/err" || fail "deadline: no serve.stopped"
[ "$elapsed" -ge 250 ] || fail "deadline: stopped after $elapsed ms, before the 300 ms deadline"
echo "shutdown e2e deadline: passed (stopped $elapsed ms after SIGTERM)"

# forced: a second signal does not wait for the drain.
DRAIN_MS=60000
start forced ""
exec {stuck}<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /api/bookings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"gue' >&"$stuck"
sleep 0.2
kill -TERM "$pid"
sleep 0.3
kill -0 "$pid" 2>/dev/null || fail "forced: stopped after one signal with a connection open"
kill -TERM "$pid"
wait_exit 3
exec {stuck}<&-
[ $status -eq 143 ] || fail "forced: exit status $status, expected 143 (128 + SIGTERM)"
grep -q '"event":"serve.forced_stop","signal":"SIGTERM","connections_open":"1"' "$tmp/err" ||
  fail "forced: no serve.forced_stop"
echo "shutdown e2e forced: passed"

# closing: past the deadline the process waits only for the commit in flight (here 3 s), and a
# second signal cuts that short too; the held answer is never given.
DRAIN_MS=300
start closing "" INTSIM_SERVE_FAULT_COMMIT_DELAY_MS=3000
webhook "$port" evt_closing "$tmp/closing/answer" &
client=$!
sleep 0.5
kill -TERM "$pid"
sleep 0.8
grep -q '"event":"serve.drain_timeout".*"responses_waiting":"1"' "$tmp/err" ||
  fail "closing: no serve.drain_timeout naming the held answer"
kill -0 "$pid" 2>/dev/null || fail "closing: did not wait for the commit in flight"
kill -TERM "$pid"
wait_exit 1
wait "$client"
[ $status -eq 143 ] || fail "closing: exit status $status, expected 143"
grep -q '"event":"serve.forced_stop","signal":"SIGTERM","while":"closing the store"' "$tmp/err" ||
  fail "closing: no serve.forced_stop"
grep -q " 200 " "$tmp/closing/answer" && fail "closing: answered 200 though the stop cut its commit short"
echo "shutdown e2e closing: passed"

# overload: the store is behind (a commit takes 2 s, the bound is 300 ms): a new webhook is
# refused at once, a read of /healthz is not, and the held one is still answered.
DRAIN_MS=10000
start overload ', "flush_age_ms_max": 300' INTSIM_SERVE_FAULT_COMMIT_DELAY_MS=2000
webhook "$port" evt_first "$tmp/overload/first" &
client=$!
sleep 0.6
t0=$(now_ms)
webhook "$port" evt_second "$tmp/overload/second"
elapsed=$(($(now_ms) - t0))
head -1 "$tmp/overload/second" | grep -q " 503 " ||
  fail "overload: the event past the bound got $(head -1 "$tmp/overload/second")"
grep -qi "^Retry-After: 1" "$tmp/overload/second" || fail "overload: no Retry-After"
[ "$elapsed" -lt 1000 ] || fail "overload: the refusal took $elapsed ms (it waited for the flush)"
get "$port" /healthz "$tmp/overload/healthz"
head -1 "$tmp/overload/healthz" | grep -q " 200 " || fail "overload: /healthz did not answer 200"
get "$port" /metrics "$tmp/overload/metrics"
grep -q '^intsim_requests_refused_total{peer="store",outcome="overloaded"} 1' "$tmp/overload/metrics" ||
  fail "overload: /metrics does not count the refusal"
wait "$client"
head -1 "$tmp/overload/first" | grep -q " 200 " || fail "overload: the held event got $(head -1 "$tmp/overload/first")"
grep -q '"event":"serve.overloaded","reason":"flush_age_ms_max"' "$tmp/err" || fail "overload: no serve.overloaded"
kill -TERM "$pid"
wait_exit 10
[ $status -eq 0 ] || fail "overload: exit status $status"
echo "shutdown e2e overload: passed (refused in $elapsed ms)"
