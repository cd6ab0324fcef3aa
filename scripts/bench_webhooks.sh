#!/usr/bin/env bash
# The webhook benchmark (bench/webhooks): verified, durably stored, deduplicated Stripe
# events per second and their p50/p99 latency, for
#   Settle on SQLite        settle serve, POST /api/webhooks/stripe/bench
#   Settle on PostgreSQL    the same, over a throwaway PostgreSQL (scripts/pg.sh)
#   the Node.js baseline    bench/webhooks/baseline: express + stripe.webhooks.constructEvent
#                           + an INSERT ... ON CONFLICT DO NOTHING into the same PostgreSQL
# each driven by bench_webhooks (distinct events, each signed when it is sent) with the
# same connections, warm-up and duration, first with new events, then redelivering events
# already stored (the duplicate path). After each receiver the events stored in its
# database are counted against the new-event answers it gave. Writes the "Webhooks" section
# of docs/performance.md (bench/webhooks/report.py). Everything listens on 127.0.0.1 only,
# every step is bounded in time, and the servers are stopped however the run ends.
#   scripts/bench_webhooks.sh [BUILD_DIR]   BUILD_DIR configured with -DSETTLE_BENCH=ON
# Environment: SETTLE_BENCH_SECONDS (10), SETTLE_BENCH_CONNECTIONS (32), SETTLE_BENCH_OUT
# (docs/performance.md), SETTLE_BENCH_FIXTURE (../shared/stripe/fixtures3.json).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=$(cd "${1:-build-bench}" && pwd)
settle="$build/settle"
generator="$build/bench/bench_webhooks"
for exe in "$settle" "$generator"; do
  [ -x "$exe" ] || { echo "bench_webhooks: $exe is missing; build with -DSETTLE_BENCH=ON (make bench)" >&2; exit 1; }
done
command -v node >/dev/null && command -v npm >/dev/null || { echo "bench_webhooks: node and npm are needed (make deps)" >&2; exit 1; }
fixture=${SETTLE_BENCH_FIXTURE:-$root/../shared/stripe/fixtures3.json}
[ -f "$fixture" ] || { echo "bench_webhooks: Stripe's fixtures3.json not found at $fixture (SETTLE_BENCH_FIXTURE)" >&2; exit 1; }

seconds=${SETTLE_BENCH_SECONDS:-10}
connections=${SETTLE_BENCH_CONNECTIONS:-32}
out=${SETTLE_BENCH_OUT:-docs/performance.md}
warmup_seconds=3
workers=8           # settle serve's default, as in the API benchmark
generator_threads=1 # the load generator shares the machine's cores with the receiver
duplicate_pool=2000 # the duplicate run redelivers the first 2,000 events of the new-event run

results="$build/bench-results/webhooks"
pgdir="$build/bench-webhooks-pg"
rm -rf "$results"
mkdir -p "$results"

(cd bench/webhooks/baseline && npm ci --silent --no-audit --no-fund >/dev/null)

receiver_pid=""
pg_started=""
stop_receiver() {
  if [ -n "$receiver_pid" ]; then
    kill "$receiver_pid" 2>/dev/null || true
    wait "$receiver_pid" 2>/dev/null || true
    receiver_pid=""
  fi
}
cleanup() {
  stop_receiver
  if [ -n "$pg_started" ]; then scripts/pg.sh stop "$pgdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# Waits until LOG shows PATTERN's port (the receiver at $receiver_pid listens), prints it.
wait_port() {
  local log=$1 pattern=$2 port
  for _ in $(seq 1 300); do
    port=$(grep -o "$pattern" "$log" | grep -o '[0-9]*$' || true)
    if [ -n "$port" ]; then echo "$port"; return 0; fi
    kill -0 "$receiver_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench_webhooks: the receiver did not start; see $log" >&2
  cat "$log" >&2
  return 1
}

# CPU time (clock ticks) used so far by process PID, and by the PostgreSQL server (the
# postmaster and its backends) when one runs.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pg_ticks() {
  local pm total=0 pid
  [ -n "$pg_started" ] && [ -f "$pgdir/data/postmaster.pid" ] || { echo 0; return; }
  pm=$(head -n1 "$pgdir/data/postmaster.pid")
  # The postmaster and its children (field 4 of /proc/PID/stat is the parent's pid).
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}
    pid=${pid%/stat}
    if [ "$pid" = "$pm" ] || [ "$(awk '{print $4}' "$stat" 2>/dev/null)" = "$pm" ]; then
      total=$((total + $(cpu_ticks "$pid" 2>/dev/null || echo 0)))
    fi
  done
  echo "$total"
}

# Runs the load generator against URL: new events (fresh.json, and the CPU time the
# receiver and the database server spent on them in cpu.json), then redeliveries of the
# first $duplicate_pool of them (duplicate.json).
measure() {
  local dir=$1 url=$2 secret=$3 prefix r0 d0
  prefix="evt_bench_$(date +%s)_${RANDOM}_"
  echo "  new events: $url"
  r0=$(cpu_ticks "$receiver_pid")
  d0=$(pg_ticks)
  timeout $((warmup_seconds + seconds + 60)) "$generator" --url "$url" --secret "$secret" --fixture "$fixture" \
    --id-prefix "$prefix" --mode fresh --connections "$connections" --threads "$generator_threads" \
    --warmup "$warmup_seconds" --seconds "$seconds" >"$dir/fresh.json" ||
    { echo "bench_webhooks: the new-event run had errors:" >&2; cat "$dir/fresh.json" >&2; exit 1; }
  python3 -c 'import json, os, sys; t = os.sysconf("SC_CLK_TCK"); print(json.dumps({"receiverCpuSeconds": int(sys.argv[1]) / t, "databaseCpuSeconds": int(sys.argv[2]) / t}))' \
    "$(( $(cpu_ticks "$receiver_pid") - r0 ))" "$(( $(pg_ticks) - d0 ))" >"$dir/cpu.json"
  local accepted
  accepted=$(json_field "$dir/fresh.json" accepted)
  [ "$accepted" -ge "$duplicate_pool" ] || { echo "bench_webhooks: only $accepted events stored" >&2; exit 1; }
  echo "  redeliveries"
  timeout $((warmup_seconds + seconds + 60)) "$generator" --url "$url" --secret "$secret" --fixture "$fixture" \
    --id-prefix "$prefix" --mode duplicate --pool "$duplicate_pool" --connections "$connections" \
    --threads "$generator_threads" --warmup "$warmup_seconds" --seconds "$seconds" >"$dir/duplicate.json" ||
    { echo "bench_webhooks: the redelivery run had errors:" >&2; cat "$dir/duplicate.json" >&2; exit 1; }
}

# Checks that the database holds exactly the events answered as new (COUNT in FILE).
check_stored() {
  local dir=$1 stored=$2 accepted
  accepted=$(json_field "$dir/fresh.json" accepted)
  echo "$stored" >"$dir/stored.txt"
  if [ "$stored" != "$accepted" ]; then
    echo "bench_webhooks: $dir: $stored events stored, $accepted answered as new" >&2
    exit 1
  fi
  echo "  stored: $stored events, as many as answered new"
}

secret="whsec_$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"

# Settle on one backend: a fresh database with one workspace whose webhook secret is set
# through the API, as an ADMIN would.
run_settle() {
  local backend=$1 db=$2 dir="$results/settle-$1"
  mkdir -p "$dir"
  echo "== Settle on $backend"
  "$settle" workspace create --db "$db" --name "Webhook bench" --subdomain bench \
    --admin-email admin@bench.example.com >"$dir/workspace.json" 2>"$dir/workspace.log"
  local key port
  key=$(json_field "$dir/workspace.json" apiKey)
  SETTLE_MASTER_KEY_FILE="$results/master.key" SETTLE_MASTER_KEY="" \
    "$settle" serve --db "$db" --port 0 --workers "$workers" >"$dir/server.log" 2>&1 &
  receiver_pid=$!
  port=$(wait_port "$dir/server.log" 'serving on http://127\.0\.0\.1:[0-9]*')
  curl -sf -X PUT -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d "{\"webhookSecrets\":[\"$secret\"]}" "http://127.0.0.1:$port/rest/settings/stripe" >/dev/null
  measure "$dir" "http://127.0.0.1:$port/api/webhooks/stripe/bench" "$secret"
  stop_receiver
}

# The Node.js baseline over database URL DB.
run_baseline() {
  local db=$1 dir="$results/node-baseline"
  mkdir -p "$dir"
  echo "== Node.js baseline (express + stripe.webhooks.constructEvent + pg)"
  DATABASE_URL="$db" WEBHOOK_SECRET="$secret" PORT=0 node bench/webhooks/baseline/server.js >"$dir/server.log" 2>&1 &
  receiver_pid=$!
  local port
  port=$(wait_port "$dir/server.log" 'listening on http://127\.0\.0\.1:[0-9]*')
  measure "$dir" "http://127.0.0.1:$port/webhook" "$secret"
  stop_receiver
}

psql_at() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)

run_settle sqlite "sqlite:$results/settle.db"
check_stored "$results/settle-sqlite" \
  "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM stripe_events").fetchone()[0])' "$results/settle.db")"

pg_port=${SETTLE_BENCH_PG_PORT:-$((40000 + RANDOM % 20000))}
pg_started=1
if ! pg_url=$(scripts/pg.sh start "$pgdir" "$pg_port"); then
  echo "bench_webhooks: could not start PostgreSQL; see $pgdir" >&2; cat "$pgdir"/*.log >&2 || true; exit 1
fi
pg_base=${pg_url%/*}
psql_at "$pg_url" "CREATE DATABASE webhooks_settle"
psql_at "$pg_url" "CREATE DATABASE webhooks_node"
run_settle postgres "$pg_base/webhooks_settle"
check_stored "$results/settle-postgres" "$(psql_at "$pg_base/webhooks_settle" 'SELECT count(*) FROM stripe_events')"
run_baseline "$pg_base/webhooks_node"
check_stored "$results/node-baseline" "$(psql_at "$pg_base/webhooks_node" 'SELECT count(*) FROM stripe_events')"
pg_version=$(psql_at "$pg_url" 'SHOW server_version')
scripts/pg.sh stop "$pgdir"
pg_started=""
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 bench/webhooks/report.py --results "$results" --out "$out" --seconds "$seconds" \
  --warmup-seconds "$warmup_seconds" --connections "$connections" --generator-threads "$generator_threads" \
  --workers "$workers" --duplicate-pool "$duplicate_pool" --load-before "$load_before" --load-after "$load_after" \
  --wall-seconds "$(( $(date +%s) - started ))" --pg-version "$pg_version" \
  --sqlite-version "$(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)')" \
  --node-version "$(node --version)" --baseline-package bench/webhooks/baseline/package.json
echo "bench_webhooks: wrote the Webhooks section of $out (raw figures in $results)"
