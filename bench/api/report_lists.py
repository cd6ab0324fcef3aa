#!/usr/bin/env python3
"""Writes the "Lists" section of docs/performance.md from what scripts/bench_lists.sh
collected: per backend, RESULTS/<backend>/ holds seed.json, server.json, healthz-c1/cN.json
and, per list i, list-i.json (what it asks), list-i-c1/cN.json (wrk) and list-i.plan.json
(bench_api explain)."""
import argparse
import datetime
import json
import os
import platform
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from machine import cpu_model, git_commit, memory_gib, write_section  # noqa: E402

BEGIN = "<!-- lists:begin (written by scripts/bench_lists.sh) -->"
END = "<!-- lists:end -->"
TITLES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
P50_TARGET_MS, P99_TARGET_MS = 5.0, 20.0


def load(path):
    with open(path) as f:
        return json.load(f)


def wrk(path):
    d = load(path)
    seconds = d["durationUs"] / 1e6
    return {"rps": d["requests"] / seconds, "p50": d["p50Us"] / 1000, "p99": d["p99Us"] / 1000,
            "requests": d["requests"], "errors": d["errors"]}


def num(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}" if x >= 10 else f"{x:,.2f}"


def mib(kib):
    return f"{kib / 1024:,.0f} MiB"


def main():
    ap = argparse.ArgumentParser()
    for name in ("results", "out", "backends", "invoices", "companies", "seconds", "connections", "workers",
                 "load-before", "load-after", "wall-seconds", "build-type"):
        ap.add_argument("--" + name, required=True)
    a = ap.parse_args()
    backends = a.backends.split()
    invoices, connections = int(a.invoices), int(a.connections)
    mem = memory_gib()
    lines = [BEGIN, "## Lists", "",
             "Written by `make bench` (`scripts/bench_lists.sh`, then `bench/api/report_lists.py`). The invoice "
             "lists the web UI makes, each a page of 50 with its `totalCount`, at a million invoices, beside "
             "`GET /healthz` (the HTTP floor: same server, no database) measured the same way in the same run.", "",
             f"- **When**: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {git_commit()}; this part "
             f"took {int(a.wall_seconds)} s.",
             f"- **Machine**: {os.cpu_count()} cores, {cpu_model()}"
             + (f", {mem:.0f} GiB RAM" if mem else "") + f", Linux {platform.release()}; wrk runs on the same cores.",
             f"- **Load average** (1, 5, 15 min): {a.load_before} before, {a.load_after} after (the latter "
             "includes the benchmark's own load).",
             f"- **Data**: one workspace with {invoices:,} invoices over two years for {int(a.companies):,} "
             "companies (20% Draft, 30% Open, 50% Paid; 70% USD, 30% EUR; two line items and a timeline event "
             "each), written by `bench_api seed` (bulk_load.hpp: one reused prepared INSERT on SQLite, COPY on "
             "PostgreSQL, then planner statistics).",
             f"- **Server**: `settle serve --workers {a.workers}`, {a.build_type} build. SQLite in WAL mode with "
             "`synchronous=NORMAL` (the server's settings); PostgreSQL started by `scripts/pg.sh` with `fsync=off` "
             "(these are reads: fsync does not enter them).",
             f"- **Load**: for each list, wrk with 1 connection ({a.seconds} s: the latency of one user at a time) "
             f"and with {connections} connections ({a.seconds} s: throughput with every worker busy), each after "
             "a 1 s warm-up.",
             "- **totalCount** is exact up to 10,000 matches; above that the count stops at 10,000 and "
             "`pageInfo.totalCountExact` is false (the UI shows \"10,000+\").",
             f"- **Targets** (issue 12): p50 under {P50_TARGET_MS:g} ms and p99 under {P99_TARGET_MS:g} ms at 1 "
             "connection; a row that misses one is marked **✗**.", ""]
    plans = []
    for backend in backends:
        d = os.path.join(a.results, backend)
        seed, server = load(os.path.join(d, "seed.json")), load(os.path.join(d, "server.json"))
        h1, hn = wrk(os.path.join(d, "healthz-c1.json")), wrk(os.path.join(d, "healthz-cN.json"))
        title = TITLES.get(backend, backend)
        lines += [f"### {title}", "",
                  f"Seeded in {seed['seconds']:.1f} s. `settle serve` started (migrations checked, statistics "
                  f"refreshed, listening) in {server['startupMs']:,} ms; RSS {mib(server['idleRssKiB'])} idle, "
                  f"{mib(server['rssAfterKiB'])} after the list load (peak {mib(server['peakRssKiB'])}).", "",
                  "| list | matches | p50 ms (1 conn) | p99 ms (1 conn) | req/s (1 conn) | "
                  f"req/s ({connections} conn) | p99 ms ({connections} conn) | req/s ÷ `/healthz` ({connections} conn) |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
                  f"| `GET /healthz` (baseline) | — | {h1['p50']:.2f} | {h1['p99']:.2f} | {num(h1['rps'])} | "
                  f"{num(hn['rps'])} | {hn['p99']:.2f} | 1 |"]
        for i in range(server["lists"]):
            meta = load(os.path.join(d, f"list-{i}.json"))
            body = load(os.path.join(d, f"list-{i}.body.json"))
            c1, cn = wrk(os.path.join(d, f"list-{i}-c1.json")), wrk(os.path.join(d, f"list-{i}-cN.json"))
            errors = c1["errors"] + cn["errors"]
            exact = body.get("pageInfo", {}).get("totalCountExact", True)
            matches = f"{body['totalCount']:,}" + ("" if exact else "+")
            if c1["requests"] == 0 or cn["requests"] == 0:
                # Not one answer within the measurement: slower than its whole length.
                lines.append(f"| {meta['name']} **✗** (no answer within {a.seconds} s) | {matches} | "
                             f"> {float(a.seconds) * 1000:,.0f} | — | — | — | — | — |")
            else:
                miss = c1["p50"] >= P50_TARGET_MS or c1["p99"] >= P99_TARGET_MS
                lines.append(f"| {meta['name']}{' **✗**' if miss else ''}"
                             f"{' (errors: ' + str(errors) + ')' if errors else ''} | "
                             f"{matches} | {c1['p50']:.2f} | {c1['p99']:.2f} | {num(c1['rps'])} | {num(cn['rps'])} | "
                             f"{cn['p99']:.1f} | {cn['rps'] / hn['rps']:.3f} |")
            plan = load(os.path.join(d, f"list-{i}.plan.json"))["plan"]
            plans.append((title, meta, plan))
        lines.append("")
    lines += ["### The requests and their plans", "",
              "Each list as requested (`limit=50`), and the plan the database chose for its page and its count "
              "(`bench_api explain`, which runs `EXPLAIN QUERY PLAN` on SQLite and `EXPLAIN` on PostgreSQL over "
              "the statements `Records::list` makes).", ""]
    for title, meta, plan in plans:
        lines += [f"<details><summary>{title}: {meta['name']}</summary>", "",
                  f"`filter={meta['filter']}` `order_by={meta['orderBy']}`" if meta["filter"]
                  else f"`order_by={meta['orderBy']}`", "", "```", *plan, "```", "", "</details>", ""]
    lines.append(END)
    write_section(a.out, BEGIN, END, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
