#!/usr/bin/env bash
# Runs every suite. A throwaway PostgreSQL is started on a private loopback port so the
# storage and API suites run against both backends; it is stopped however the run ends.
set -uo pipefail
BUILD=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
pgdir="$root/$BUILD/pgtest"
pgport=${SETTLE_TEST_PG_PORT:-$(( 40000 + RANDOM % 20000 ))}
trap 'scripts/pg.sh stop "$pgdir"' EXIT
if ! SETTLE_TEST_PG=$(scripts/pg.sh start "$pgdir" "$pgport"); then
  echo "could not start PostgreSQL; see $pgdir" >&2; cat "$pgdir"/*.log >&2 || true; exit 1
fi
export SETTLE_TEST_PG
echo "PostgreSQL for tests: $SETTLE_TEST_PG"
status=0
(cd "$BUILD" && ctest --output-on-failure -j 2 --timeout 600) || status=1
# A short fuzz run of every harness on its corpus (the build-fuzz tree, clang); a crash fails.
echo "== fuzzing (${SETTLE_TEST_FUZZ_SECONDS:-10} s per harness)"
scripts/fuzz.sh "$BUILD-fuzz" "${SETTLE_TEST_FUZZ_SECONDS:-10}" || status=1
# Node suites (the Stripe sandbox conformance suite, the web UI) each have a run.sh.
for suite in tests/*/run.sh; do
  [ -x "$suite" ] || continue
  echo "== $suite"
  "$suite" "$root/$BUILD" || status=1
done
exit $status
