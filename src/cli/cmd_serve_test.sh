#!/usr/bin/env bash
# `intsim serve` end to end on loopback: configuration and secret errors exit 2 and name what is
# wrong (never a secret's value); a good configuration serves /healthz and /metrics on an
# ephemeral port and SIGTERM stops it cleanly with exit 0.
# Usage: cmd_serve_test.sh PATH/TO/intsim
set -u
intsim=${1:?usage: cmd_serve_test.sh PATH/TO/intsim}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err"; exit 1; }

http_get() {  # http_get PORT PATH -> the whole response on stdout
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
  timeout 5 cat <&3
  exec 3<&-
}

cat >"$tmp/serve.json" <<JSON
{"listen": {"address": "127.0.0.1", "port": 0}, "store": {"path": "$tmp/intsim.db"},
 "secrets": {"stripe.webhook": "INTSIM_TEST_STRIPE_SECRET"}}
JSON

# A missing secret: exit 2, naming the variable.
env -u INTSIM_TEST_STRIPE_SECRET "$intsim" serve --config "$tmp/serve.json" 2>"$tmp/err"
[ $? -eq 2 ] || fail "missing secret: expected exit 2"
grep -q "environment variable INTSIM_TEST_STRIPE_SECRET is not set" "$tmp/err" ||
  fail "missing secret: the variable is not named"

# A bad configuration: exit 2, naming the file and the JSON pointer.
echo '{"store": {"path": "x.db"}, "listen": {"port": "http"}}' >"$tmp/bad.json"
"$intsim" serve --config "$tmp/bad.json" 2>"$tmp/err"
[ $? -eq 2 ] || fail "bad config: expected exit 2"
grep -q "$tmp/bad.json: /listen/port: expected a port number" "$tmp/err" ||
  fail "bad config: the error does not name the file and pointer"

# A good one: serve, answer, stop on SIGTERM.
secret="whsec_never_print_me_$$"
INTSIM_TEST_STRIPE_SECRET=$secret "$intsim" serve --config "$tmp/serve.json" 2>"$tmp/err" &
pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*"event":"serve.listening".*"port":"\([0-9]*\)".*/\1/p' "$tmp/err")
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || fail "serve did not log serve.listening"
http_get "$port" /healthz >"$tmp/healthz" || fail "cannot connect to port $port"
head -1 "$tmp/healthz" | grep -q "200 OK" || fail "/healthz did not answer 200"
http_get "$port" /metrics >"$tmp/metrics"
grep -q "^intsim_http_requests_total " "$tmp/metrics" || fail "/metrics lacks the server counters"
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "still running 5 s after SIGTERM"
wait "$pid"
status=$?
pid=
[ $status -eq 0 ] || fail "exit status $status after SIGTERM, expected 0"
grep -q '"event":"serve.stopping","signal":"SIGTERM"' "$tmp/err" || fail "no serve.stopping log"
grep -q '"event":"serve.stopped"' "$tmp/err" || fail "no serve.stopped log"
grep -q "$secret" "$tmp/err" && fail "the secret's value was printed"
[ -f "$tmp/intsim.db" ] || fail "the store was not created"
echo "serve test passed"
