#!/usr/bin/env bash
# Stripe webhook signature suite: delivers events signed with the official Stripe SDK for
# Node (webhooks.generateTestHeaderString) to a real `settle serve` on a fresh database, on
# SQLite and, when SETTLE_TEST_PG is set (scripts/test.sh sets it), on PostgreSQL too.
# Usage: tests/webhooks/run.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
[ -x "$build/settle" ] || { echo "webhooks: $build/settle is missing (build the settle target)" >&2; exit 1; }
if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund >/dev/null; else npm install --silent --no-audit --no-fund >/dev/null; fi
# Each test file starts its own servers over its own databases, so files may run side by side.
SETTLE_BINARY="$build/settle" exec node --test --test-timeout=60000
