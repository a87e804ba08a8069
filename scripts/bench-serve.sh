#!/usr/bin/env bash
# Serving throughput: starts `rocmforge serve` on a free loopback port, runs `rocmforge bench-serve`
# against it (N concurrent streaming requests of ~250 prompt tokens and 128 output tokens, end of
# generation ignored, for N in $CONCURRENCY), stops the server; $REPS times (server restarted each
# time, so no prefix cache carries over). Prints bench-serve's table (or JSON with JSON=1).
#   scripts/bench-serve.sh [MODEL] [PROMPTS]
# Environment: ROCMFORGE (binary, default build/release/rocmforge), THREADS (server -t, 2),
# PARALLEL (--parallel, 64), CTX (-c, 512), CONCURRENCY (1,8,32,64), REPS (1), SERVER_CPUS and
# CLIENT_CPUS (taskset CPU lists; unset: no pinning), JSON (1: --json), SERVER_ARGS (more serve
# flags, e.g. "--batch-tokens 4096"), TEMPERATURE (the requests' sampling temperature, 0).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=${1:-$root/../shared/models/wp-25M-Q8_0.gguf}
prompts=${2:-$root/../shared/models/wp-val.txt}
bin=${ROCMFORGE:-$root/build/release/rocmforge}
pin() { local cpus=$1; shift; if [ -n "$cpus" ]; then taskset -c "$cpus" "$@"; else "$@"; fi; }
log=$(mktemp)
server=0
cleanup() { [ "$server" -gt 0 ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -f "$log"; }
trap cleanup EXIT
for rep in $(seq "${REPS:-1}"); do
  # Started as a plain background command (not through the pin function, whose subshell would be
  # what $! names and what kill stops, leaving the server running).
  server_pin=()
  [ -n "${SERVER_CPUS:-}" ] && server_pin=(taskset -c "$SERVER_CPUS")
  "${server_pin[@]}" "$bin" serve -m "$model" -t "${THREADS:-2}" --parallel "${PARALLEL:-64}" -c "${CTX:-512}" \
    --port 0 ${SERVER_ARGS:-} 2>"$log" >/dev/null &
  server=$!
  port=
  for _ in $(seq 600); do
    port=$(grep -o -m1 'listening on http://[^:]*:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "server did not start:" >&2; cat "$log" >&2; exit 1; }
  echo "# rep $rep: $bin serve -m $(basename "$model") -t ${THREADS:-2} --parallel ${PARALLEL:-64} -c ${CTX:-512} ${SERVER_ARGS:-}" >&2
  pin "${CLIENT_CPUS:-}" "$bin" bench-serve -m "$model" --prompts "$prompts" --port "$port" \
    --concurrency "${CONCURRENCY:-1,8,32,64}" --temperature "${TEMPERATURE:-0}" ${JSON:+--json}
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=0
done
