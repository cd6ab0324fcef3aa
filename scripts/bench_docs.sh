#!/usr/bin/env bash
# The document benchmark (bench/docs): a one-page and a 200-line invoice PDF rendered in
# process by src/docs, against serialising the same invoice as the API's JSON in the same
# run. Runs bench_docs R times and writes the "Documents" section of docs/performance.md
# (medians and ranges), replacing the previous one in place or appending it.
#   scripts/bench_docs.sh [BUILD_DIR]   BUILD_DIR configured with -DSETTLE_BENCH=ON
# Environment: SETTLE_BENCH_DOCS_ITERATIONS (300 renders of the one-page invoice a run, a fifth
# of that of the long one), SETTLE_BENCH_DOCS_REPEATS (3), SETTLE_BENCH_OUT (docs/performance.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=$(cd "${1:-build-bench}" && pwd)
bench="$build/bench/bench_docs"
[ -x "$bench" ] || { echo "bench_docs: $bench is missing; build with -DSETTLE_BENCH=ON (make bench)" >&2; exit 1; }
iterations=${SETTLE_BENCH_DOCS_ITERATIONS:-300}
repeats=${SETTLE_BENCH_DOCS_REPEATS:-3}
out=${SETTLE_BENCH_OUT:-docs/performance.md}
[[ "$iterations" =~ ^[1-9][0-9]*$ ]] || { echo "bench_docs: SETTLE_BENCH_DOCS_ITERATIONS must be a positive number" >&2; exit 2; }
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || { echo "bench_docs: SETTLE_BENCH_DOCS_REPEATS must be a positive number" >&2; exit 2; }
results="$build/bench-results/docs"
rm -rf "$results"
mkdir -p "$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq 1 "$repeats"); do
  echo "== documents, run $i of $repeats"
  timeout 600 "$bench" --iterations "$iterations" >"$results/run-$i.json"
  cat "$results/run-$i.json"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$results" "$out" "$repeats" "$load_before" "$load_after" "$(pkg-config --modversion cairo)" "$(pkg-config --modversion pango)" <<'PY'
import datetime
import json
import os
import platform
import sys

sys.path.insert(0, "bench")
from machine import cpu_model, git_commit, memory_gib, write_section  # noqa: E402

results, out, repeats, load_before, load_after, cairo, pango = sys.argv[1:]
repeats = int(repeats)
BEGIN = "<!-- documents:begin (written by scripts/bench_docs.sh) -->"
END = "<!-- documents:end -->"
runs = []
for i in range(1, repeats + 1):
    with open(os.path.join(results, f"run-{i}.json")) as f:
        runs.append(json.load(f))


def median(xs):
    xs = sorted(xs)
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


def ms(us):
    return f"{us / 1000:.2f} ms"


def span(xs, f):
    return f"{f(min(xs))}–{f(max(xs))}"


now = datetime.datetime.now(datetime.timezone.utc)
lines = [
    BEGIN,
    "## Documents",
    "",
    "Written by `make bench` (`scripts/bench_docs.sh`, which runs `bench_docs` from bench/docs). How long Settle",
    "takes to draw an invoice PDF in process (cairo + pango, fonts embedded and subset, the payment link as a link",
    "and a QR code), against serialising the same invoice as the API's JSON in the same run (what",
    "`GET /rest/invoices/{id}` does with it). One thread; the targets are a one-page invoice under 5 ms and about",
    "30 KB, a 200-line invoice under 50 ms.",
    "",
    f"- **When**: {now:%Y-%m-%d %H:%M} UTC, commit {git_commit()}; {repeats} runs of "
    f"{runs[0]['iterations']} renders of the one-page invoice and {max(20, runs[0]['iterations'] // 5)} of the long one each.",
    f"- **Machine**: {os.cpu_count()} cores, {cpu_model()}, {round(memory_gib() or 0)} GiB RAM, Linux {platform.release()}; "
    f"load average {load_before} before, {load_after} after.",
    f"- **Libraries**: cairo {cairo}, pango {pango}, DejaVu Sans (Debian's fonts-dejavu-core).",
    "",
    "| invoice | pages | size | render p50 (median) | p50 range | render p99 (median) | JSON p50 | PDF ÷ JSON (median) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
]
for key, label in (("onePage", "1 line"), ("twoHundredLines", "200 lines")):
    r = [run[key] for run in runs]
    p50 = [x["pdfP50Us"] for x in r]
    lines.append(
        f"| {label} | {r[0]['pages']} | {r[0]['pdfBytes'] / 1024:.1f} KB | {ms(median(p50))} | {span(p50, ms)} | "
        f"{ms(median([x['pdfP99Us'] for x in r]))} | {median([x['jsonP50Us'] for x in r]):.1f} µs | "
        f"{median([x['ratio'] for x in r]):,.0f}× |"
    )
lines += [
    "",
    "The ratio says what a PDF costs in the API's own currency: one PDF is that many JSON answers of the same",
    "invoice. These are the costs of a draft's PDF, drawn on each request, and of a finalized document's first",
    "one: a finalized document's PDF is stored when first made and served from the database after that.",
    END,
]
write_section(out, BEGIN, END, "\n".join(lines) + "\n")
print(f"bench_docs: wrote the Documents section of {out}")
PY
