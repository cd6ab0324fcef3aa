#!/usr/bin/env bash
# The list benchmark (bench/api): the invoice lists the web UI makes, at a million invoices,
# on SQLite and on a throwaway PostgreSQL. Per backend: `bench_api seed` makes the data set
# (timed), `settle serve` starts on it (start-up time and idle RSS), then for each list
#   bench_api explain   the database's plan of its page and count statements
#   wrk -c 1            latency of one client at a time (p50, p99)
#   wrk -c CONNECTIONS  throughput with all connections busy
# each beside GET /healthz measured the same way in the same run (the HTTP floor), and the
# server's RSS after the load. Writes the "Lists" section of docs/performance.md.
#   scripts/bench_lists.sh [BUILD_DIR]   BUILD_DIR configured with -DSETTLE_BENCH=ON
# Environment: SETTLE_BENCH_LIST_INVOICES (1000000), SETTLE_BENCH_LIST_COMPANIES (10000),
# SETTLE_BENCH_LIST_SECONDS (5 per measurement), SETTLE_BENCH_CONNECTIONS (32),
# SETTLE_BENCH_BACKENDS ("sqlite postgres"), SETTLE_BENCH_OUT (docs/performance.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=$(cd "${1:-build-bench}" && pwd)
settle="$build/settle"
bench_api="$build/bench/bench_api"
for exe in "$settle" "$bench_api"; do
  [ -x "$exe" ] || { echo "bench_lists: $exe is missing; build with -DSETTLE_BENCH=ON (make bench)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "bench_lists: wrk is not installed (make deps)" >&2; exit 1; }

invoices=${SETTLE_BENCH_LIST_INVOICES:-1000000}
companies=${SETTLE_BENCH_LIST_COMPANIES:-10000}
seconds=${SETTLE_BENCH_LIST_SECONDS:-5}
connections=${SETTLE_BENCH_CONNECTIONS:-32}
backends=${SETTLE_BENCH_BACKENDS:-sqlite postgres}
out=${SETTLE_BENCH_OUT:-docs/performance.md}
workers=8
results="$build/bench-results/lists"
pgdir="$build/bench-lists-pg"
rm -rf "$results"
mkdir -p "$results"

server_pid=""
pg_started=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pg_started" ]; then scripts/pg.sh stop "$pgdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# The lists: name | filter | order_by. COMPANY, DUE_FROM and DUE_TO are filled in per run.
# A search for a number fragment that matches a handful of invoices is the hard case of
# text search (every row must be looked at unless an index finds the few).
lists=(
  "all, newest first||createdAt[DescNullsLast]"
  "by status (Open), newest first|status[eq]:Open|createdAt[DescNullsLast]"
  "by company, newest first|companyId[eq]:COMPANY|createdAt[DescNullsLast]"
  "due in a 30-day range, by due date|and(dueDate[gte]:DUE_FROM,dueDate[lte]:DUE_TO)|dueDate[AscNullsFirst]"
  "EUR over 5,000.00, largest first|and(currency[eq]:EUR,total[gte]:500000)|total[DescNullsLast]"
  "Open EUR over 5,000.00, largest first|and(status[eq]:Open,currency[eq]:EUR,total[gte]:500000)|total[DescNullsLast]"
  "search a number fragment (a few matches)|or(invoiceNumber[ilike]:\"%-12345%\",notes[ilike]:\"%-12345%\")|createdAt[DescNullsLast]"
  "search a common fragment|or(invoiceNumber[ilike]:\"%INV-%\",notes[ilike]:\"%INV-%\")|createdAt[DescNullsLast]"
  "sorted by number, last first||invoiceNumber[DescNullsLast]"
  "sorted by status||status[AscNullsFirst]"
  "sorted by company||companyId[AscNullsFirst]"
  "sorted by total, largest first||total[DescNullsLast]"
  "sorted by amount due, largest first||amountDue[DescNullsLast]"
  "sorted by due date, latest first||dueDate[DescNullsLast]"
  "sorted by issue date||issueDate[AscNullsFirst]"
  "page 2 of all, newest first (keyset)||createdAt[DescNullsLast]|PAGE2"
)

measure() {  # DIR NAME CONNECTIONS PATH
  local dir=$1 name=$2 c=$3 url="http://127.0.0.1:$server_port$4" threads=1
  [ "$c" -gt 1 ] && threads=2
  timeout 60 wrk -t "$threads" -c "$c" -d 1s --timeout 10s -s bench/api/get.lua "$url" >/dev/null
  timeout $((seconds + 60)) wrk -t "$threads" -c "$c" -d "${seconds}s" --timeout 10s --latency \
    -s bench/api/get.lua "$url" >"$dir/$name.txt"
  grep '^BENCH_RESULT ' "$dir/$name.txt" | cut -d' ' -f2- >"$dir/$name.json"
  [ -s "$dir/$name.json" ] || { echo "bench_lists: wrk gave no result for $name" >&2; cat "$dir/$name.txt" >&2; exit 1; }
}

run_backend() {
  local backend=$1 db=$2 dir="$results/$1"
  mkdir -p "$dir"
  echo "== lists, $backend: seeding $invoices invoices for $companies companies"
  timeout 1200 "$bench_api" seed --db "$db" --invoices "$invoices" --companies "$companies" \
    >"$dir/seed.json" 2>"$dir/seed.log"
  local workspace company
  workspace=$(json_field "$dir/seed.json" workspaceId)
  company=$(json_field "$dir/seed.json" companyId)
  export SETTLE_BENCH_API_KEY
  SETTLE_BENCH_API_KEY=$(json_field "$dir/seed.json" apiKey)
  local due_from due_to
  due_from=$(date -u -d '-365 days' +%F)
  due_to=$(date -u -d '-336 days' +%F)

  local started_ns log="$dir/server.log"
  started_ns=$(date +%s%N)
  "$settle" serve --db "$db" --port 0 --workers "$workers" >"$log" 2>&1 &
  server_pid=$!
  server_port=""
  for _ in $(seq 1 600); do
    server_port=$(grep -o 'serving on http://127\.0\.0\.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    [ -n "$server_port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$server_port" ] || { echo "bench_lists: settle serve did not start; see $log" >&2; cat "$log" >&2; exit 1; }
  local startup_ms=$(( ($(date +%s%N) - started_ns) / 1000000 ))
  sleep 2
  local idle_rss
  idle_rss=$(rss_kib "$server_pid")

  measure "$dir" healthz-c1 1 /healthz
  measure "$dir" healthz-cN "$connections" /healthz
  local i=0 index=()
  for entry in "${lists[@]}"; do
    IFS='|' read -r name filter order extra <<<"$entry"
    filter=${filter//COMPANY/$company}
    filter=${filter//DUE_FROM/$due_from}
    filter=${filter//DUE_TO/$due_to}
    local path="/rest/invoices?order_by=$(urlencode "$order")&limit=50"
    [ -n "$filter" ] && path+="&filter=$(urlencode "$filter")"
    if [ "$extra" = PAGE2 ]; then
      local cursor
      cursor=$(curl -sf -H "Authorization: Bearer $SETTLE_BENCH_API_KEY" "http://127.0.0.1:$server_port$path" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["pageInfo"]["endCursor"])')
      path+="&starting_after=$(urlencode "$cursor")"
    fi
    echo "  $name"
    curl -sf -H "Authorization: Bearer $SETTLE_BENCH_API_KEY" "http://127.0.0.1:$server_port$path" >"$dir/list-$i.body.json"
    timeout 120 "$bench_api" explain --db "$db" --workspace "$workspace" --filter "$filter" --order-by "$order" \
      >"$dir/list-$i.plan.json" 2>"$dir/list-$i.plan.log"
    measure "$dir" "list-$i-c1" 1 "$path"
    measure "$dir" "list-$i-cN" "$connections" "$path"
    python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1], "filter": sys.argv[2], "orderBy": sys.argv[3], "path": sys.argv[4]}))' \
      "$name" "$filter" "$order" "$path" >"$dir/list-$i.json"
    i=$((i + 1))
  done
  python3 -c 'import json,sys; print(json.dumps({"startupMs": int(sys.argv[1]), "idleRssKiB": int(sys.argv[2]), "rssAfterKiB": int(sys.argv[3]), "peakRssKiB": int(sys.argv[4]), "lists": int(sys.argv[5])}))' \
    "$startup_ms" "$idle_rss" "$(rss_kib "$server_pid")" "$(hwm_kib "$server_pid")" "$i" >"$dir/server.json"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  du -sk "${db#sqlite:}" 2>/dev/null | cut -f1 >"$dir/db-kib.txt" || true
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
for backend in $backends; do
  case "$backend" in
    sqlite) run_backend sqlite "sqlite:$results/sqlite.db" ;;
    postgres)
      pg_port=${SETTLE_BENCH_PG_PORT:-$((40000 + RANDOM % 20000))}
      pg_started=1
      if ! pg_url=$(scripts/pg.sh start "$pgdir" "$pg_port"); then
        echo "bench_lists: could not start PostgreSQL; see $pgdir" >&2; exit 1
      fi
      run_backend postgres "$pg_url"
      scripts/pg.sh stop "$pgdir"
      pg_started=""
      ;;
    *) echo "bench_lists: unknown backend '$backend'" >&2; exit 2 ;;
  esac
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 bench/api/report_lists.py --results "$results" --out "$out" --backends "$backends" \
  --invoices "$invoices" --companies "$companies" --seconds "$seconds" --connections "$connections" \
  --workers "$workers" --load-before "$load_before" --load-after "$load_after" \
  --wall-seconds "$(( $(date +%s) - started ))" --build-type "$(grep -o 'CMAKE_BUILD_TYPE:STRING=.*' "$build/CMakeCache.txt" | cut -d= -f2)"
echo "bench_lists: wrote the Lists section of $out (raw figures in $results)"
