#!/usr/bin/env python3
"""Writes docs/performance.md from the raw figures scripts/bench.sh collected.

Per backend, RESULTS/<backend>/ holds seed.json (bench_api seed), healthz.json, list.json
and create.json (wrk, through bench/api/report.lua) and list_inprocess.json and
create_inprocess.json (bench_api list/create). Every figure is shown beside a baseline
measured in the same run, since the absolute numbers depend on the machine and on whatever
else it was doing.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from machine import cpu_model, memory_gib  # noqa: E402

BACKEND_TITLES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def load(path):
    with open(path) as f:
        return json.load(f)


def command_output(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def postgres_version():
    # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> "PostgreSQL 15.18"
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    words = command_output([binaries[-1], "--version"]).split() if binaries else []
    return f"PostgreSQL {words[2]}" if len(words) > 2 else "PostgreSQL"


def sqlite_version():
    version = command_output(["pkg-config", "--modversion", "sqlite3"])
    return f"SQLite {version}" if version else "SQLite"


def wrk_version():
    # "wrk debian/4.1.0-3+b2 [epoll] Copyright ..." -> "wrk debian/4.1.0-3+b2"
    words = command_output(["wrk", "-v"]).split()
    return " ".join(words[:2]) if words else "wrk"


def git_commit():
    commit = command_output(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    if command_output(["git", "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes in the working tree)"
    return commit


class Figure:
    """One scenario's throughput and latency, from wrk or from bench_api."""

    def __init__(self, per_second, p50_ms, p99_ms, count, errors):
        self.per_second, self.p50_ms, self.p99_ms = per_second, p50_ms, p99_ms
        self.count, self.errors = count, errors

    @staticmethod
    def from_wrk(d):
        seconds = d["durationUs"] / 1e6
        return Figure(d["requests"] / seconds, d["p50Us"] / 1000, d["p99Us"] / 1000, d["requests"], d["errors"])

    @staticmethod
    def from_inprocess(d):
        return Figure(d["opsPerSec"], d["p50Ms"], d["p99Ms"], d["ops"], 0)


def number(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def ms(x):
    return f"{x:.2f}" if x < 10 else f"{x:.0f}"


def ratio(x):
    return f"{x:.2g}" if x < 0.1 else f"{x:.2f}"


def backend_section(name, d, args):
    title = BACKEND_TITLES.get(name, name)
    healthz = Figure.from_wrk(d["healthz"])
    http_list = Figure.from_wrk(d["list"])
    http_create = Figure.from_wrk(d["create"])
    in_list = Figure.from_inprocess(d["list_inprocess"])
    in_create = Figure.from_inprocess(d["create_inprocess"])
    seed = d["seed"]
    matched = d["list_inprocess"].get("totalCount")

    def row(scenario, f, vs_healthz, vs_inprocess):
        return (f"| {scenario} | {number(f.per_second)} | {ms(f.p50_ms)} | {ms(f.p99_ms)} | {f.count:,} "
                f"| {f.errors} | {vs_healthz} | {vs_inprocess} |")

    lines = [
        f"## {title}",
        "",
        f"{seed['invoices']:,} invoices seeded in {seed['seconds']:.1f} s; the list filter matches "
        f"{matched:,} of them.",
        "",
        "| scenario | req/s | p50 ms | p99 ms | requests | errors | req/s ÷ `/healthz` | req/s ÷ in-process |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        row("`GET /healthz` (HTTP floor, no database)", healthz, "1 (baseline)", "—"),
        row(f"`GET /rest/invoices` filtered, page of {args.list_limit}", http_list,
            ratio(http_list.per_second / healthz.per_second), ratio(http_list.per_second / in_list.per_second)),
        row("`POST /rest/invoices` (draft, 2 lines)", http_create,
            ratio(http_create.per_second / healthz.per_second),
            ratio(http_create.per_second / in_create.per_second)),
        row("`Records::list` in-process (no HTTP)", in_list, ratio(in_list.per_second / healthz.per_second),
            "1 (baseline)"),
        row("`Records::create` in-process (no HTTP)", in_create, ratio(in_create.per_second / healthz.per_second),
            "1 (baseline)"),
        "",
        f"One filtered list costs as much as {healthz.per_second / http_list.per_second:,.0f} `/healthz` "
        f"requests and one create as much as {healthz.per_second / http_create.per_second:,.0f}. "
        f"Over HTTP the list reaches {http_list.per_second / in_list.per_second:.0%} of the in-process rate "
        f"and the create {http_create.per_second / in_create.per_second:.0%}.",
        "",
    ]
    return lines, {"healthz": healthz, "list": http_list, "create": http_create,
                   "list_inprocess": in_list, "create_inprocess": in_create}


def cross_backend_section(figures):
    if "sqlite" not in figures or "postgres" not in figures:
        return []
    sq, pg = figures["sqlite"], figures["postgres"]
    names = [("healthz", "`GET /healthz`"), ("list", "`GET /rest/invoices` filtered"),
             ("create", "`POST /rest/invoices`"), ("list_inprocess", "`Records::list` in-process"),
             ("create_inprocess", "`Records::create` in-process")]
    lines = [
        "## PostgreSQL against SQLite (same run)",
        "",
        "| scenario | req/s PostgreSQL ÷ SQLite | p99 PostgreSQL ÷ SQLite |",
        "| --- | ---: | ---: |",
    ]
    for key, label in names:
        lines.append(f"| {label} | {ratio(pg[key].per_second / sq[key].per_second)} "
                     f"| {ratio(pg[key].p99_ms / sq[key].p99_ms)} |")
    lines.append("")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--results", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--backends", required=True)
    for name in ("invoices", "seconds", "warmup-seconds", "connections", "wrk-threads", "workers", "list-limit",
                 "wall-seconds"):
        p.add_argument("--" + name, type=int, required=True)
    for name in ("list-filter", "list-order", "create-body", "load-before", "load-after"):
        p.add_argument("--" + name, required=True)
    args = p.parse_args()

    backends = args.backends.split()
    data = {}
    for b in backends:
        data[b] = {k: load(os.path.join(args.results, b, k + ".json"))
                   for k in ("seed", "healthz", "list", "create", "list_inprocess", "create_inprocess")}

    cores = os.cpu_count() or 1
    load_before = [float(x) for x in args.load_before.split()]
    mem = memory_gib()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    out = [
        "# Performance",
        "",
        "Written by `make bench` (`scripts/bench.sh`, then `bench/api/report.py`); do not edit by hand, re-run it.",
        "Absolute figures depend on the machine and on what else it was doing, so each one stands beside a",
        "baseline measured in the same run, and the ratios are what to compare between runs.",
        "",
        "## The run",
        "",
        f"- **When**: {now}, commit {git_commit()}; the whole benchmark took {args.wall_seconds} s.",
        f"- **Machine**: {cores} cores, {cpu_model()}"
        + (f", {mem:.0f} GiB RAM" if mem else "") + f", Linux {platform.release()}.",
        f"- **Load average** (1, 5, 15 min): {args.load_before} before the run, {args.load_after} after it "
        "(the latter includes the benchmark's own load).",
        f"- **Data**: one workspace per backend with {args.invoices:,} invoices over two years (20% Draft, "
        "30% Open, 50% Paid; 70% USD, 30% EUR; two line items and a timeline event each) for 200 companies, "
        "written by `bench_api seed` with batched INSERTs.",
        f"- **Load**: {wrk_version()} with {args.wrk_threads} threads and "
        f"{args.connections} keep-alive connections over 127.0.0.1, {args.seconds} s per scenario after a "
        f"{args.warmup_seconds} s warm-up; `settle serve --workers {args.workers}` (Release build). wrk runs on "
        "the same cores as the server.",
        f"- **Filtered list**: `filter={args.list_filter}&order_by={args.list_order}&limit={args.list_limit}` "
        "(the response also carries `totalCount`, so every request counts the matching invoices).",
        f"- **Create**: `POST /rest/invoices` with `{args.create_body}`.",
        f"- **In-process baselines**: `bench_api list` / `bench_api create` call `Records::list` / "
        f"`Records::create` from {args.workers} threads (as many as the server's workers) with no HTTP, JSON "
        "request parsing or authentication.",
        f"- **Backends**: {sqlite_version()} in WAL mode with `synchronous=NORMAL` (the server's own settings), on a file "
        f"in the build directory; {postgres_version()} started by `scripts/pg.sh` on a private loopback port, "
        "which runs it with `fsync=off`, `synchronous_commit=off` and `full_page_writes=off`, so its write "
        "figures are higher than a durable production setup would give.",
        "",
    ]
    if load_before and load_before[0] > 0.25 * cores:
        out += [
            f"**The machine was shared**: its load average was already {load_before[0]:.2f} on {cores} cores "
            "before the run (other builds and tests). The absolute figures are therefore lower and noisier than "
            "on an idle machine; the ratios against the same-run baselines are the figures to rely on.",
            "",
        ]

    figures = {}
    for b in backends:
        lines, figs = backend_section(b, data[b], args)
        out += lines
        figures[b] = figs
    out += cross_backend_section(figures)

    out += [
        "## Reading the figures",
        "",
        "- **req/s** is the throughput with all connections busy (wrk is closed-loop: each connection sends "
        "its next request when the previous answer arrives), so **p50/p99** include the time a request waits "
        "for a free worker; they are latencies under saturation, not of an idle server. wrk does not correct "
        "for coordinated omission.",
        "- **÷ `/healthz`** compares a scenario with the cheapest request the same server answers in the same "
        "run: the HTTP stack alone. It tells how much of the server's capacity one such request takes.",
        "- **÷ in-process** compares the HTTP figure with the same domain call made directly: the share "
        "left after the HTTP stack, API-key authentication, parsing and JSON rendering. A value near 1 "
        "means the database work dominates.",
        "- **requests** is the number of requests (or calls) timed: with a few hundred, p99 rests on the "
        "slowest handful and moves a lot between runs.",
        "- **errors** counts HTTP statuses of 400 and above and socket errors; a row with errors is not a "
        "valid figure.",
        "- The creates run after the list scenarios and add draft invoices, which the list filter (Open) "
        "does not match; the in-process create runs last.",
        "",
        "## Reproduce",
        "",
        "```sh",
        "make bench   # installs wrk and PostgreSQL if missing, builds build-bench (Release, -DSETTLE_BENCH=ON),",
        "             # runs scripts/bench.sh build-bench and rewrites this file",
        "```",
        "",
        "`SETTLE_BENCH_SECONDS`, `SETTLE_BENCH_CONNECTIONS`, `SETTLE_BENCH_INVOICES` and `SETTLE_BENCH_BACKENDS` "
        "change the run; the raw wrk and `bench_api` output stays in `build-bench/bench-results/`.",
        "",
    ]
    with open(args.out, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
