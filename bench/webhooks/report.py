#!/usr/bin/env python3
"""Writes the "Webhooks" section of docs/performance.md from the figures that
scripts/bench_webhooks.sh collected (bench_webhooks' JSON per receiver and run).

The section sits between two marker comments and replaces the previous one in place (or is
appended when the file has none), so that the rest of the file, written by
bench/api/report.py, is kept as it is."""
import argparse
import datetime
import json
import os
import platform
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from machine import cpu_model, git_commit, memory_gib, write_section  # noqa: E402

BEGIN = "<!-- webhooks:begin (written by bench/webhooks/report.py) -->"
END = "<!-- webhooks:end -->"
TARGET_RATIO = 10

RECEIVERS = [
    ("settle-sqlite", "Settle, SQLite"),
    ("settle-postgres", "Settle, PostgreSQL"),
    ("node-baseline", "Node.js baseline, PostgreSQL"),
]


def load(path):
    with open(path) as f:
        return json.load(f)


def fmt_int(n):
    return f"{n:,.0f}"


def fmt_ms(ms):
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def fmt_ratio(r):
    return f"{r:.1f}" if r >= 1 else f"{r:.2f}"


def table(rows, baseline, kind):
    out = [
        f"| receiver | {kind}/s | p50 ms | p99 ms | requests | errors | ÷ baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label in RECEIVERS:
        r = rows[key]
        ratio = "1 (baseline)" if key == "node-baseline" else fmt_ratio(r["rps"] / baseline["rps"])
        out.append(
            f"| {label} | {fmt_int(r['rps'])} | {fmt_ms(r['p50Ms'])} | {fmt_ms(r['p99Ms'])} | "
            f"{fmt_int(r['requests'])} | {r['errors']} | {ratio} |"
        )
    return out


def limits(cpu, fresh):
    def total(k):
        return (cpu[k]["receiverCpuSeconds"] + cpu[k]["databaseCpuSeconds"]) * 1e6 / max(fresh[k]["accepted"], 1)

    base = total("node-baseline")
    return [
        "",
        "Why not: the baseline is not slow at this work. Per new event it used "
        f"{base:,.0f} µs of CPU (Node.js and PostgreSQL together, table below); ten times its throughput on the "
        f"same two cores would leave Settle about {base / TARGET_RATIO:,.0f} µs per event for HTTP, the HMAC and the "
        f"JSON check of a {fresh['node-baseline']['bodyBytes'] / 1024:.1f} KB body and a durable insert, and the "
        f"machine was shared with other work. Settle used {total('settle-sqlite'):,.0f} µs on SQLite and "
        f"{total('settle-postgres'):,.0f} µs on PostgreSQL, which includes work the baseline does not do: "
        "Settle's inbox processor applies every stored event during the run. In a profile of the SQLite run (perf, "
        "2026-11-23, at commit 071238f) the processor took about 29% of the server's CPU samples (it reads the "
        "settings, parses the whole event and updates its row twice, a transaction each), the receive path's "
        "inserts and commits (WAL writes, checkpoints) about 27%, Boost.Beast and the worker hand-off about 19%, "
        "the HMAC (libsodium's portable SHA-256) about 8% and the JSON pass about 4%. On PostgreSQL the statement "
        "log showed the processor's three transactions per event beside the receive path's one per batch of about "
        "four events, which is why that row trails the baseline: its database server does twice the baseline's "
        "work per event. Done for this benchmark: "
        "the secrets and the subdomain's workspace read from memory (three transactions per delivery became one), "
        "one SAX pass instead of a JSON tree, SQLite writers queued on a mutex instead of sleeping in the busy "
        "handler, group commit of concurrent inserts; then (commits 5ec1953 and 57464d4) the processor "
        "claims and finishes batches of 20 events in two transactions with the Stripe client cached and runs at "
        "a lower priority, and SQLite memory-maps its file, which removed the page copies that a re-profile "
        "showed as the largest single cost (~15%). Neither moved events/s beyond the noise of this shared "
        "machine: the load generator signs and sends every 6 KB event on the same two cores, and context "
        "switches between the server's threads and it are now the largest item. Ten times an efficient "
        "baseline is not within reach of this machine; a dedicated receiver host with the generator elsewhere "
        "would be the fair setting for that target.",
        "",
    ]


def cpu_rows(cpu, fresh):
    def per_event(k):
        n = max(fresh[k]["accepted"], 1)
        return cpu[k]["receiverCpuSeconds"] * 1e6 / n, cpu[k]["databaseCpuSeconds"] * 1e6 / n

    base_total = sum(per_event("node-baseline"))
    rows = []
    for key, label in RECEIVERS:
        rec, db = per_event(key)
        total = rec + db
        ratio = "1 (baseline)" if key == "node-baseline" else fmt_ratio(base_total / total)
        rows.append(f"| {label} | {rec:,.0f} | {'—' if key == 'settle-sqlite' else f'{db:,.0f}'} | {total:,.0f} | {ratio} |")
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--results", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--warmup-seconds", type=float, required=True)
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--generator-threads", type=int, required=True)
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--duplicate-pool", type=int, required=True)
    p.add_argument("--load-before", required=True)
    p.add_argument("--load-after", required=True)
    p.add_argument("--wall-seconds", type=int, required=True)
    p.add_argument("--pg-version", required=True)
    p.add_argument("--sqlite-version", required=True)
    p.add_argument("--node-version", required=True)
    p.add_argument("--baseline-package", required=True)
    a = p.parse_args()

    fresh = {k: load(os.path.join(a.results, k, "fresh.json")) for k, _ in RECEIVERS}
    cpu = {k: load(os.path.join(a.results, k, "cpu.json")) for k, _ in RECEIVERS}
    dup = {k: load(os.path.join(a.results, k, "duplicate.json")) for k, _ in RECEIVERS}
    stored = {}
    for k, _ in RECEIVERS:
        with open(os.path.join(a.results, k, "stored.txt")) as f:
            stored[k] = int(f.read().strip())
    deps = load(a.baseline_package)["dependencies"]
    base = fresh["node-baseline"]
    body_bytes = base["bodyBytes"]
    now = datetime.datetime.now(datetime.timezone.utc)
    ratios = {k: fresh[k]["rps"] / base["rps"] for k in ("settle-sqlite", "settle-postgres")}
    met = all(r >= TARGET_RATIO for r in ratios.values())

    lines = [
        BEGIN,
        "## Webhooks",
        "",
        "Written by `make bench` (`scripts/bench_webhooks.sh`, then `bench/webhooks/report.py`).",
        "How many Stripe events a receiver verifies, stores durably and deduplicates per second, against a",
        "minimal Node.js handler written as Stripe's documentation shows it, measured in the same run.",
        "",
        f"- **When**: {now:%Y-%m-%d %H:%M} UTC, commit {git_commit()}; the webhook benchmark took {a.wall_seconds} s.",
        f"- **Machine**: {os.cpu_count()} cores, {cpu_model()}, {round(memory_gib() or 0)} GiB RAM, Linux {platform.release()}; "
        "the load generator runs on the same cores as the receiver.",
        f"- **Load average** (1, 5, 15 min): {a.load_before} before, {a.load_after} after "
        "(the latter includes the benchmark's own load).",
        f"- **Events**: `invoice.paid` events whose `data.object` is Stripe's own invoice fixture "
        f"(`fixtures3.json`), pretty-printed as Stripe sends them, {fmt_int(body_bytes)} bytes each. Every request "
        "is a distinct event (its own `evt_` id) with a `Stripe-Signature: t=<now>,v1=<HMAC-SHA256>` header "
        "made when it is sent, so every request is verified and stored as a new event.",
        f"- **Load**: `bench_webhooks` (bench/webhooks, C++/Boost.Beast) with {a.connections} keep-alive connections "
        f"on {a.generator_threads} thread over 127.0.0.1, closed-loop, {a.warmup_seconds:g} s warm-up then "
        f"{a.seconds:g} s timed, for each receiver in turn. Any answer other than 200 with the expected "
        "`duplicate` flag counts as an error.",
        f"- **Settle**: `settle serve --workers {a.workers}` (Release build), `POST /api/webhooks/stripe/bench`: "
        "the workspace's signing secrets (sealed at rest), the signature check, the event's JSON, then the "
        "`INSERT ... ON CONFLICT DO NOTHING` committed before the answer (deliveries that arrive while another "
        "one's insert commits share the next transaction: group commit). Its background processor (the Stripe "
        "sync) applies each new event meanwhile, on the same cores (the bench workspace has no Stripe key, so each "
        "event is marked `ignored`): that work is part of the figures.",
        f"- **Baseline**: `bench/webhooks/baseline/server.js`, Node.js {a.node_version}, one process as in Stripe's "
        f"docs: express {deps['express']} with `express.raw({{type: 'application/json'}})`, stripe "
        f"{deps['stripe']} `stripe.webhooks.constructEvent(req.body, sig, secret)`, then an `INSERT ... ON CONFLICT "
        f"(event_id) DO NOTHING` through pg {deps['pg']} (a pool of 10) awaited before the 200.",
        f"- **Durability**: every receiver answers 200 only after its insert committed. SQLite {a.sqlite_version} "
        "runs as the server configures it: WAL with `synchronous=NORMAL`, so a committed event survives a crash of "
        "the process but the WAL is fsynced only at checkpoints, and a power loss may lose the last commits. "
        f"PostgreSQL {a.pg_version} is the throwaway server of `scripts/pg.sh` with `fsync=off`, "
        "`synchronous_commit=off` and `full_page_writes=off`, for Settle and the baseline alike: production "
        "settings would lower both PostgreSQL rows.",
        "- **Stored**: after each receiver's runs its database was counted: "
        + ", ".join(f"{label} {fmt_int(stored[k])} events" for k, label in RECEIVERS)
        + ", each exactly the number of answers `duplicate: false` it gave (warm-up included); the redeliveries "
        "stored nothing.",
        "- **Why the baseline writes to PostgreSQL in both comparisons**: Node.js 20 has no built-in SQLite "
        "(`node:sqlite` came in Node 22), and the native drivers (better-sqlite3, sqlite3) need a compiled addon "
        "whose prebuilt binaries and headers are downloaded from outside the npm registry, which this machine "
        "cannot reach. node-sqlite3-wasm (WebAssembly, durable: its file system layer fsyncs) installs from the "
        "registry, but it managed about 2,900 single-row inserts per second on its own in a quick trial, so as a "
        "baseline it would measure the WebAssembly port rather than a Node.js handler; the PostgreSQL baseline is "
        "the faster, and so the stricter, comparison.",
        "",
        "### New events",
        "",
        *table(fresh, base, "events"),
        "",
        f"Target: at least {TARGET_RATIO}× the baseline's throughput. "
        + (
            "**Met** on both backends"
            if met
            else "**Not met**: "
            + ", ".join(
                f"{label.split(', ')[1]} {fmt_ratio(ratios[k])}×" for k, label in RECEIVERS[:2]
            )
        )
        + ".",
        "",
        *([] if met else limits(cpu, fresh)),
        "### CPU time per new event",
        "",
        "CPU time the receiver process and the PostgreSQL server (all its processes) used during the new-event "
        "run (warm-up included), divided by the events stored in it. Less sensitive than events/s to what else the "
        "shared machine was doing; the load generator's own CPU time is not counted.",
        "",
        "| receiver | receiver µs/event | PostgreSQL µs/event | total µs/event | baseline's total ÷ this |",
        "| --- | ---: | ---: | ---: | ---: |",
        *cpu_rows(cpu, fresh),
        "",
        "### Redeliveries (the duplicate path)",
        "",
        f"The same receivers, the first {fmt_int(a.duplicate_pool)} events of the new-event run sent again in a "
        "cycle, each re-signed with a fresh timestamp as Stripe signs a redelivery: verified, recognised as stored, "
        "answered `duplicate: true`.",
        "",
        *table(dup, dup["node-baseline"], "events"),
        "",
        "p50/p99 are latencies under saturation (closed loop: they include the wait for a free worker or for the "
        "event loop), not those of an idle server. Raw figures stay in `build-bench/bench-results/webhooks/`; "
        "`SETTLE_BENCH_SECONDS` and `SETTLE_BENCH_CONNECTIONS` change the run, `scripts/bench_webhooks.sh "
        "build-bench` runs this part alone.",
        END,
    ]
    section = "\n".join(lines) + "\n"

    write_section(a.out, BEGIN, END, section)


if __name__ == "__main__":
    main()
