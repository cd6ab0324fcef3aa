#!/usr/bin/env bash
# The web UI's tests: Vitest unit tests of the data layer and formatting, then the browser
# suite (playwright-core driving Debian's chromium, headless) against a real Settle and a
# real Stripe sandbox. Usage: tests/web/run.sh BUILD_DIR
# Screenshots and server logs go to BUILD_DIR/test-artifacts/web/.
set -euo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root/web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --silent --no-audit --no-fund >/dev/null
fi
status=0
npx vitest run || status=1
npm run --silent build >/dev/null || { echo "web build failed" >&2; exit 1; }
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "chromium is not installed (apt-get install chromium; make deps does it)" >&2
  exit 1
fi
mkdir -p "$build/test-artifacts/web"
SETTLE_BUILD="$build" node --test --test-concurrency=1 --test-reporter=spec "$root/tests/web/flow.test.mjs" || status=1
echo "screenshots: $build/test-artifacts/web/"
exit $status
