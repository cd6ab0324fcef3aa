#!/usr/bin/env bash
# The workflow benchmark (bench/workflows): record-triggered workflow runs per second, in
# process, against plain creates measured in the same run, on
#   SQLite        a fresh database file in the build directory
#   PostgreSQL    a throwaway server (scripts/pg.sh), its fresh settle_test database
# bench_workflows creates N companies that trigger nothing (the baseline), then N companies
# that each queue a run of the built-in WF-010 (welcome mail), and drains those runs with one
# runner thread; it checks that exactly N runs completed and N mails were queued. Each
# backend is measured R times, each time on a fresh database; the report gives the medians
# and the range of the ratios (the machine is shared, one run alone is noisy). Writes the
# "Workflows" section of docs/performance.md (the report is the Python at the end of this
# script), replacing the previous one in place or appending it at the end. PostgreSQL
# listens on 127.0.0.1 only, every step is bounded in time, and the server is stopped
# however the run ends.
#   scripts/bench_workflows.sh [BUILD_DIR]   BUILD_DIR configured with -DSETTLE_BENCH=ON
# Environment: SETTLE_BENCH_WORKFLOW_COMPANIES (2000 companies in each phase),
# SETTLE_BENCH_WORKFLOW_REPEATS (3 runs per backend), SETTLE_BENCH_OUT (docs/performance.md),
# SETTLE_BENCH_PG_PORT (a random free-ish port).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=$(cd "${1:-build-bench}" && pwd)
bench="$build/bench/bench_workflows"
[ -x "$bench" ] || { echo "bench_workflows: $bench is missing; build with -DSETTLE_BENCH=ON (make bench)" >&2; exit 1; }

companies=${SETTLE_BENCH_WORKFLOW_COMPANIES:-2000}
repeats=${SETTLE_BENCH_WORKFLOW_REPEATS:-3}
out=${SETTLE_BENCH_OUT:-docs/performance.md}
[[ "$companies" =~ ^[1-9][0-9]*$ ]] || { echo "bench_workflows: SETTLE_BENCH_WORKFLOW_COMPANIES must be a positive number" >&2; exit 2; }
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || { echo "bench_workflows: SETTLE_BENCH_WORKFLOW_REPEATS must be a positive number" >&2; exit 2; }
# Generous: a few thousand creates and runs take seconds to a minute on a shared machine.
limit_seconds=$((600 + companies / 5))

results="$build/bench-results/workflows"
pgdir="$build/bench-workflows-pg"
rm -rf "$results"
mkdir -p "$results"

pg_started=""
cleanup() {
  if [ -n "$pg_started" ]; then scripts/pg.sh stop "$pgdir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bench_workflows on the empty database URL DB; its JSON goes to $results/BACKEND-I.json.
run() {
  local backend=$1 i=$2 db=$3 name="$results/$1-$2"
  echo "== $backend, run $i of $repeats: $companies plain creates, $companies WF-010 creates, drain"
  if ! timeout "$limit_seconds" "$bench" --db "$db" --companies "$companies" >"$name.json" 2>"$name.log"; then
    echo "bench_workflows: $backend run $i failed:" >&2
    cat "$name.log" "$name.json" >&2
    exit 1
  fi
  cat "$name.json"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)

for i in $(seq 1 "$repeats"); do
  run sqlite "$i" "sqlite:$results/sqlite-$i.db"
done

pg_port=${SETTLE_BENCH_PG_PORT:-$((40000 + RANDOM % 20000))}
pg_started=1
if ! pg_url=$(scripts/pg.sh start "$pgdir" "$pg_port"); then
  echo "bench_workflows: could not start PostgreSQL; see $pgdir" >&2; cat "$pgdir"/*.log >&2 || true; exit 1
fi
psql_at() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
pg_base=${pg_url%/*}
for i in $(seq 1 "$repeats"); do
  psql_at "$pg_url" "CREATE DATABASE workflows_$i"
  run postgres "$i" "$pg_base/workflows_$i"
done
pg_version=$(psql_at "$pg_url" 'SHOW server_version')
scripts/pg.sh stop "$pgdir"
pg_started=""
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$results" "$out" "$companies" "$repeats" "$load_before" "$load_after" "$(( $(date +%s) - started ))" \
  "$pg_version" "$(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)')" <<'PY'
import datetime
import json
import os
import platform
import sys

sys.path.insert(0, "bench")
from machine import cpu_model, git_commit, memory_gib, write_section  # noqa: E402

results, out, companies, repeats, load_before, load_after, wall, pg_version, sqlite_version = sys.argv[1:]
companies = int(companies)
repeats = int(repeats)
BEGIN = "<!-- workflows:begin (written by scripts/bench_workflows.sh) -->"
END = "<!-- workflows:end -->"
BACKENDS = [("sqlite", "SQLite"), ("postgres", "PostgreSQL")]


def fmt_rate(r):
    return f"{r:,.0f}" if r >= 100 else f"{r:.1f}"


def fmt_ratio(r):
    return f"{r:.2f}" if r < 10 else f"{r:.1f}"


def median(xs):
    xs = sorted(xs)
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


ROWS = [
    ("plain company creates (baseline: no run queued)", "baselineCreatesPerSec", None),
    ("creates that each queue a WF-010 run", "triggeredCreatesPerSec", "createRatio"),
    ("runs drained (one runner thread)", "runsPerSecDrain", "drainRatio"),
    ("end to end (triggered creates + drain)", "runsPerSecEndToEnd", "endToEndRatio"),
]


def table(runs):
    out = [
        f"| measured | per second (median) | range of the {len(runs)} runs | ÷ baseline (median) | ÷ baseline, range |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, rate, ratio in ROWS:
        rates = [r[rate] for r in runs]
        cells = [label, fmt_rate(median(rates)), f"{fmt_rate(min(rates))}–{fmt_rate(max(rates))}"]
        if ratio is None:
            cells += ["1 (baseline)", "—"]
        else:
            ratios = [r[ratio] for r in runs]
            cells += [fmt_ratio(median(ratios)), f"{fmt_ratio(min(ratios))}–{fmt_ratio(max(ratios))}"]
        out.append("| " + " | ".join(cells) + " |")
    return out


data = {}
for key, _ in BACKENDS:
    data[key] = []
    for i in range(1, repeats + 1):
        with open(os.path.join(results, f"{key}-{i}.json")) as f:
            r = json.load(f)
        if not (r["companies"] == r["runsCompleted"] == r["mailsQueued"] == companies):
            sys.exit(f"bench_workflows: {key} run {i}: {r['runsCompleted']} runs, {r['mailsQueued']} mails of {companies}")
        data[key].append(r)

now = datetime.datetime.now(datetime.timezone.utc)
lines = [
    BEGIN,
    "## Workflows",
    "",
    "Written by `make bench` (`scripts/bench_workflows.sh`, which runs `bench_workflows` from bench/workflows).",
    "How many record-triggered workflow runs Settle completes per second, against plain creates of the same",
    "records measured in the same run, in process (no HTTP).",
    "",
    f"- **When**: {now:%Y-%m-%d %H:%M} UTC, commit {git_commit()}; the workflow benchmark took {wall} s.",
    f"- **Machine**: {os.cpu_count()} cores, {cpu_model()}, {round(memory_gib() or 0)} GiB RAM, Linux {platform.release()}.",
    f"- **Load average** (1, 5, 15 min): {load_before} before, {load_after} after "
    "(the latter includes the benchmark's own load).",
    f"- **Data**: {repeats} runs per backend, each on a fresh database (SQLite: a new file; PostgreSQL: a new "
    f"database on the same server) with one workspace, the built-in workflows installed and {companies:,} "
    "people (with email addresses) created first, untimed. Each ratio is taken within its own run; the tables "
    "give the medians of the runs and their range.",
    f"- **Backends**: SQLite {sqlite_version} in WAL mode with `synchronous=NORMAL` (the server's own settings), "
    f"on a file in the build directory; PostgreSQL {pg_version} started by `scripts/pg.sh` on a private loopback "
    "port with `fsync=off`, `synchronous_commit=off` and `full_page_writes=off`, so its figures are higher than a "
    "durable production setup would give. Both through a pool of 4 connections, used from one thread.",
    f"- **Checked**: every run ended with exactly {companies:,} WF-010 runs `COMPLETED` and {companies:,} welcome "
    "mails in the outbox, and the plain creates queued none.",
    "",
]
for key, label in BACKENDS:
    runs = data[key]
    create, drain, e2e = (median([r[k] for r in runs]) for k in ("createRatio", "drainRatio", "endToEndRatio"))
    lines += [f"### {label}", "", *table(runs), ""]
    lines.append(
        f"Medians: a triggered create runs at {fmt_ratio(create)}× the rate of a plain one; a run drains at "
        f"{fmt_ratio(drain)}× it (one run costs about {1 / drain:.1f} plain creates), and a create with its run, "
        f"end to end, at {fmt_ratio(e2e)}× (about {1 / e2e:.1f} plain creates)."
    )
    lines.append("")
lines += [
    "### Reading the figures",
    "",
    f"- **Baseline**: {companies:,} `Records::create` calls of a company without `primaryContactId`, one after "
    "the other from one thread. WF-010's trigger (`RECORD_CREATED` on companies, filter "
    "`primaryContactId[is]:NOT_NULL`) is still evaluated in each create's transaction but does not match, so "
    "nothing is queued: this is the cost of a create with the workflow engine attached.",
    f"- **Triggered creates**: {companies:,} companies with a `primaryContactId`; each create also inserts its "
    "queued WF-010 run in the same transaction. Its ratio is the share of create throughput left once a "
    "workflow fires on every create.",
    "- **Drain**: then one runner thread (as the server's one background runner) calls `Engine::process_due(20)` "
    "(up to 20 due runs a call) until no run is due. Each run claims its row, executes WF-010's three steps, "
    "`FIND_RECORDS` (the primary contact, by id), `FILTER` (the contact has an email address) and "
    "`SEND_EMAIL` (renders the welcome mail and queues it in the outbox; nothing is sent during the run), "
    "storing every step's row with its input and output, and marks the run `COMPLETED`. Its ratio is runs "
    "per second over plain creates per second; its inverse is how many plain creates' worth of work one run is.",
    "- **End to end**: runs completed per second of triggered creates plus drain (all the creates first, then "
    "the drain, on one thread): the rate of create-and-welcome when one thread does both.",
    "- The per-workflow and per-workspace run limits (600 and 3,000 runs a minute by default) are lifted for "
    "the benchmark, or most of the triggers would be throttled; in production those limits, not these "
    "figures, bound a burst.",
    "- **Noise**: the phases of a run follow one another, so when the other work on the shared machine changes "
    "during a run its ratios move too; a wide range in a table means that happened, and the medians are the "
    "figures to compare between runs. The absolute rates move more than the ratios.",
    "",
    "Raw figures stay in `build-bench/bench-results/workflows/`; `SETTLE_BENCH_WORKFLOW_COMPANIES` and "
    "`SETTLE_BENCH_WORKFLOW_REPEATS` change the run, `scripts/bench_workflows.sh build-bench` (or `SETTLE_BENCH_SUITES=workflows scripts/bench.sh`) "
    "runs this part alone.",
    END,
]
section = "\n".join(lines) + "\n"

write_section(out, BEGIN, END, section)
PY
echo "bench_workflows: wrote the Workflows section of $out (raw figures in $results)"
