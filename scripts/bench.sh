#!/usr/bin/env bash
# The API benchmark (bench/api), on SQLite and on a throwaway PostgreSQL: seeds a workspace
# with 100,000 invoices, then measures, each against a baseline of the same run,
#   GET  /healthz                  the HTTP floor (same server, no database)
#   GET  /rest/invoices?filter=... a selective filtered, ordered page of 50
#   POST /rest/invoices            a draft invoice with two line items
# over loopback with wrk, plus the same list and create called in-process (bench_api: no
# HTTP). Writes docs/performance.md. Everything listens on 127.0.0.1 only, every step is
# bounded in time, and the server and PostgreSQL are stopped however the run ends.
# Then the webhook benchmark (scripts/bench_webhooks.sh, bench/webhooks), which writes the
# "Webhooks" section of the same file, and the workflow benchmark (scripts/bench_workflows.sh,
# bench/workflows: record-triggered WF-010 runs per second against plain creates), which
# writes its "Workflows" section, and the document benchmark (scripts/bench_docs.sh,
# bench/docs: invoice PDFs against JSON of the same invoice), its "Documents" section, and
# the list benchmark (scripts/bench_lists.sh: the web UI's invoice lists at a million
# invoices, with their plans), its "Lists" section.
#   scripts/bench.sh [BUILD_DIR]    BUILD_DIR configured with -DSETTLE_BENCH=ON (make bench)
# Environment: SETTLE_BENCH_INVOICES (100000), SETTLE_BENCH_SECONDS (10 per scenario),
# SETTLE_BENCH_CONNECTIONS (32), SETTLE_BENCH_BACKENDS ("sqlite postgres"),
# SETTLE_BENCH_SUITES ("api lists webhooks workflows docs": which parts run), SETTLE_BENCH_OUT
# (docs/performance.md), SETTLE_BENCH_WORKFLOW_COMPANIES (2000) and
# SETTLE_BENCH_WORKFLOW_REPEATS (3) for scripts/bench_workflows.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=$(cd "${1:-build-bench}" && pwd)
settle="$build/settle"
bench_api="$build/bench/bench_api"
suites=${SETTLE_BENCH_SUITES:-api lists webhooks workflows docs}
in_suites() { [[ " $suites " == *" $1 "* ]]; }
# The API benchmark's tools (the other suites' scripts check their own).
if in_suites api; then
  for exe in "$settle" "$bench_api"; do
    [ -x "$exe" ] || { echo "bench: $exe is missing; build with -DSETTLE_BENCH=ON (make bench)" >&2; exit 1; }
  done
  command -v wrk >/dev/null || { echo "bench: wrk is not installed (make deps)" >&2; exit 1; }
fi

invoices=${SETTLE_BENCH_INVOICES:-100000}
seconds=${SETTLE_BENCH_SECONDS:-10}
connections=${SETTLE_BENCH_CONNECTIONS:-32}
backends=${SETTLE_BENCH_BACKENDS:-sqlite postgres}
out=${SETTLE_BENCH_OUT:-docs/performance.md}
warmup_seconds=3
wrk_threads=2
workers=8  # settle serve's default; the in-process baselines use as many threads
# "Open invoices in EUR over 5,000.00, largest first": about 5% of the seeded invoices.
list_filter='and(status[eq]:Open,currency[eq]:EUR,total[gte]:500000)'
list_order='total[DescNullsLast]'
list_limit=50
# The invoice every create makes; COMPANY_ID becomes the seeded company's id.
create_body='{"companyId":"COMPANY_ID","currency":"USD","lineItems":[{"description":"Implementation services","quantity":3,"unitAmount":12500},{"description":"Support plan","quantity":1,"unitAmount":49900}]}'

results="$build/bench-results"
pgdir="$build/bench-pg"
rm -rf "$results"
mkdir -p "$results"

server_pid=""
pg_started=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  if [ -n "$pg_started" ]; then scripts/pg.sh stop "$pgdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
list_path="/rest/invoices?filter=$(urlencode "$list_filter")&order_by=$(urlencode "$list_order")&limit=$list_limit"

# Starts `settle serve` on a free port and sets server_port once it listens.
start_server() {
  local db=$1 log=$2
  "$settle" serve --db "$db" --port 0 --workers "$workers" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    server_port=$(grep -o 'serving on http://127\.0\.0\.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    [ -n "$server_port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: settle serve did not start; see $log" >&2
  cat "$log" >&2
  exit 1
}

# wrk against the running server: an untimed warm-up, then the measured run, whose figures
# (report.lua's BENCH_RESULT line) go to DIR/NAME.json.
measure_http() {
  local dir=$1 name=$2 script=$3 path=$4 url="http://127.0.0.1:$server_port$4"
  echo "  $name: $path"
  timeout $((warmup_seconds + 60)) wrk -t "$wrk_threads" -c "$connections" -d "${warmup_seconds}s" --timeout 10s \
    -s "bench/api/$script" "$url" >/dev/null
  timeout $((seconds + 60)) wrk -t "$wrk_threads" -c "$connections" -d "${seconds}s" --timeout 10s --latency \
    -s "bench/api/$script" "$url" >"$dir/$name.txt"
  grep '^BENCH_RESULT ' "$dir/$name.txt" | cut -d' ' -f2- >"$dir/$name.json"
  [ -s "$dir/$name.json" ] || { echo "bench: wrk gave no result for $name" >&2; cat "$dir/$name.txt" >&2; exit 1; }
}

run_backend() {
  local backend=$1 db=$2 dir="$results/$1"
  mkdir -p "$dir"
  echo "== $backend: seeding $invoices invoices"
  timeout 900 "$bench_api" seed --db "$db" --invoices "$invoices" >"$dir/seed.json" 2>"$dir/seed.log"
  local workspace company
  workspace=$(json_field "$dir/seed.json" workspaceId)
  company=$(json_field "$dir/seed.json" companyId)
  export SETTLE_BENCH_API_KEY
  SETTLE_BENCH_API_KEY=$(json_field "$dir/seed.json" apiKey)
  export SETTLE_BENCH_BODY=${create_body/COMPANY_ID/$company}

  echo "  list in-process"
  timeout $((seconds + 120)) "$bench_api" list --db "$db" --workspace "$workspace" --threads "$workers" \
    --seconds "$seconds" --filter "$list_filter" --order-by "$list_order" --limit "$list_limit" \
    >"$dir/list_inprocess.json" 2>"$dir/list_inprocess.log"

  start_server "$db" "$dir/server.log"
  measure_http "$dir" healthz get.lua /healthz
  measure_http "$dir" list get.lua "$list_path"
  measure_http "$dir" create post.lua /rest/invoices
  stop_server

  echo "  create in-process"
  timeout $((seconds + 120)) "$bench_api" create --db "$db" --workspace "$workspace" --threads "$workers" \
    --seconds "$seconds" --body "$SETTLE_BENCH_BODY" >"$dir/create_inprocess.json" 2>"$dir/create_inprocess.log"
}

if in_suites api; then
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  started=$(date +%s)
  for backend in $backends; do
    case "$backend" in
      sqlite)
        run_backend sqlite "sqlite:$results/sqlite.db"
        ;;
      postgres)
        pg_port=${SETTLE_BENCH_PG_PORT:-$((40000 + RANDOM % 20000))}
        pg_started=1
        if ! pg_url=$(scripts/pg.sh start "$pgdir" "$pg_port"); then
          echo "bench: could not start PostgreSQL; see $pgdir" >&2; cat "$pgdir"/*.log >&2 || true; exit 1
        fi
        run_backend postgres "$pg_url"
        scripts/pg.sh stop "$pgdir"
        pg_started=""
        ;;
      *) echo "bench: unknown backend '$backend'" >&2; exit 2 ;;
    esac
  done
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)

  # report.py rewrites the whole file: keep the webhooks and workflows sections, which it
  # does not write.
  webhooks_section=$(sed -n '/^<!-- webhooks:begin/,/^<!-- webhooks:end -->/p' "$out" 2>/dev/null || true)
  workflows_section=$(sed -n '/^<!-- workflows:begin/,/^<!-- workflows:end -->/p' "$out" 2>/dev/null || true)
  documents_section=$(sed -n '/^<!-- documents:begin/,/^<!-- documents:end -->/p' "$out" 2>/dev/null || true)
  lists_section=$(sed -n '/^<!-- lists:begin/,/^<!-- lists:end -->/p' "$out" 2>/dev/null || true)
  python3 bench/api/report.py --results "$results" --out "$out" --backends "$backends" \
    --invoices "$invoices" --seconds "$seconds" --warmup-seconds "$warmup_seconds" \
    --connections "$connections" --wrk-threads "$wrk_threads" --workers "$workers" \
    --list-filter "$list_filter" --list-order "$list_order" --list-limit "$list_limit" \
    --create-body "$create_body" --load-before "$load_before" --load-after "$load_after" \
    --wall-seconds "$(( $(date +%s) - started ))"
  [ -z "$webhooks_section" ] || printf '\n%s\n' "$webhooks_section" >>"$out"
  [ -z "$workflows_section" ] || printf '\n%s\n' "$workflows_section" >>"$out"
  [ -z "$documents_section" ] || printf '\n%s\n' "$documents_section" >>"$out"
  [ -z "$lists_section" ] || printf '\n%s\n' "$lists_section" >>"$out"
  echo "bench: wrote $out (raw figures in $results)"
fi

if in_suites lists; then
  # A million invoices per backend, its own PostgreSQL.
  scripts/bench_lists.sh "$build"
fi

if in_suites webhooks; then
  # Its own PostgreSQL: the API benchmark's is stopped by now.
  scripts/bench_webhooks.sh "$build"
fi

if in_suites workflows; then
  # Its own PostgreSQL too; in process, so neither settle nor wrk is needed for it.
  scripts/bench_workflows.sh "$build"
fi

if in_suites docs; then
  # In process; cairo and pango only.
  scripts/bench_docs.sh "$build"
fi
