#!/usr/bin/env bash
# Conformance suite of the Stripe sandbox: drives `settle stripe-sandbox` with the
# official Stripe SDK for Node. Usage: tests/sandbox/run.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund >/dev/null; else npm install --silent --no-audit --no-fund >/dev/null; fi

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
log=$(mktemp -t stripe-sandbox.XXXXXX.log)
"$build/settle" stripe-sandbox --port "$port" >"$log" 2>&1 &
sandbox_pid=$!
cleanup() {
  kill "$sandbox_pid" 2>/dev/null || true
  wait "$sandbox_pid" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/_sandbox/state" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$sandbox_pid" 2>/dev/null; then echo "the sandbox exited:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.1
done

status=0
# One file at a time: fault injection and the clock are global to the sandbox.
STRIPE_SANDBOX_URL="http://127.0.0.1:$port" node --test --test-concurrency=1 || status=$?
if [ $status -ne 0 ]; then echo "sandbox log: $log" >&2; tail -50 "$log" >&2; else rm -f "$log"; fi
exit $status
