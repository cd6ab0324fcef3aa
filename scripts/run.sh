#!/usr/bin/env bash
# `make run`: seeds the demo workspace (once; a fresh API key every run), starts the local
# Stripe sandbox, then serves Settle in the foreground. Ctrl-C stops both.
set -euo pipefail
bin=$1 db=$2 port=$3 sandbox_port=$4
web_root=""
[ -f web/dist/index.html ] && web_root=web/dist
demo=$("$bin" demo --db "$db")
"$bin" stripe-sandbox --port "$sandbox_port" --state data/stripe-sandbox.json &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT
python3 - "$demo" "$port" "$sandbox_port" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print(f"""
  Settle     http://127.0.0.1:{sys.argv[2]}
  Sign in    {d['adminEmail']} / {d['adminPassword']}   (workspace '{d['subdomain']}')
  API key    {d['apiKey']}
  Try        curl -H 'Authorization: Bearer {d['apiKey']}' http://127.0.0.1:{sys.argv[2]}/rest/quotes
  Stripe     sandbox on http://127.0.0.1:{sys.argv[3]} (docs/stripe-sandbox.md)
""")
PY
SETTLE_STRIPE_API_BASE="http://127.0.0.1:$sandbox_port" "$bin" serve --db "$db" --port "$port" --web-root "$web_root"
