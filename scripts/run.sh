#!/usr/bin/env bash
# `make run`: seeds the demo workspace (once; a fresh API key every run), starts the local
# Stripe sandbox, serves Settle, connects the demo workspace to the sandbox (a test key and
# a registered webhook endpoint, the first time) and stays in the foreground. Ctrl-C stops both.
set -euo pipefail
bin=$1 db=$2 port=$3 sandbox_port=$4
web_root=""
[ -f web/dist/index.html ] && web_root=web/dist
demo=$("$bin" demo --db "$db")
api_key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["apiKey"])' "$demo")
subdomain=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["subdomain"])' "$demo")
"$bin" stripe-sandbox --port "$sandbox_port" --state data/stripe-sandbox.json &
sandbox_pid=$!
SETTLE_STRIPE_API_BASE="http://127.0.0.1:$sandbox_port" SETTLE_PUBLIC_URL="http://127.0.0.1:$port" \
  "$bin" serve --db "$db" --port "$port" --web-root "$web_root" &
settle_pid=$!
trap 'kill $settle_pid $sandbox_pid 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
api() { curl -fsS -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' "$@"; }
# The sandbox keeps one account per key: a fixed demo key finds the same account every run.
settings=$(api "http://127.0.0.1:$port/rest/settings/stripe")
if ! grep -q '"configured":true' <<<"$settings"; then
  api -X PUT "http://127.0.0.1:$port/rest/settings/stripe" \
    -d '{"mode":"test","secretKey":"sk_test_phosdemo0sandbox0key000001","publishableKey":"pk_test_phosdemo0sandbox0key000001"}' >/dev/null
fi
if grep -q '"webhookEndpoint":null' <<<"$settings" || ! grep -q '"configured":true' <<<"$settings"; then
  api -X POST "http://127.0.0.1:$port/rest/stripe/webhook-endpoint" \
    -d "{\"url\":\"http://127.0.0.1:$port/api/webhooks/stripe/$subdomain\"}" >/dev/null
fi
python3 - "$demo" "$port" "$sandbox_port" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print(f"""
  Settle     http://127.0.0.1:{sys.argv[2]}
  Sign in    {d['adminEmail']} / {d['adminPassword']}   (workspace '{d['subdomain']}')
  API key    {d['apiKey']}
  Try        curl -H 'Authorization: Bearer {d['apiKey']}' http://127.0.0.1:{sys.argv[2]}/rest/quotes
  Stripe     sandbox on http://127.0.0.1:{sys.argv[3]} (docs/stripe-sandbox.md), connected to the demo
             workspace with a test key and a webhook endpoint
""")
PY
wait $settle_pid
