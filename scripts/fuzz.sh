#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, clang with ASan and UBSan) in BUILD_DIR and runs
# each for SECONDS on a work copy of its seed corpus, one after the other with one worker.
# Prints one line per harness ("fuzz_list_query: 123456 executions, 0 crashes") and exits
# non-zero when any harness crashed or broke an invariant; the input that did it is kept in
# BUILD_DIR/fuzz-crashes/ and its path printed.
#   scripts/fuzz.sh [BUILD_DIR=build-fuzz] [SECONDS=60]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=${1:-build-fuzz}
seconds=${2:-60}
case "$dir" in /*) ;; *) dir="$root/$dir" ;; esac

mkdir -p "$dir/fuzz-corpus" "$dir/fuzz-crashes" "$dir/fuzz-logs" "$dir/fuzz-tmp"
# The build machine is shared: configure and build under the same lock as every build.
build_log="$dir/fuzz-logs/build.log"
if ! flock /tmp/settle-build.lock bash -c '
    set -e
    if [ ! -f "$1/build.ninja" ]; then
      cmake -S . -B "$1" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSETTLE_FUZZ=ON
    fi
    cmake --build "$1" -j 2' _ "$dir" >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  echo "fuzz: the build in $dir failed; see $build_log" >&2
  exit 1
fi

# Left behind by a harness that crashed (a clean exit removes its own).
rm -rf "$dir/fuzz-tmp"/settle-fuzz-*
status=0
ran=0
for harness in "$dir"/fuzz/fuzz_*; do
  [ -x "$harness" ] || continue
  name=$(basename "$harness")
  ran=$((ran + 1))
  corpus="$dir/fuzz-corpus/$name"
  mkdir -p "$corpus"
  # The committed seeds are copied, never written to: libFuzzer adds what it finds to the
  # work copy, which keeps growing from run to run.
  [ -d "fuzz/corpus/$name" ] && cp -n "fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -max_len=4096
        -artifact_prefix="$dir/fuzz-crashes/$name-")
  [ -f "fuzz/$name.dict" ] && args+=(-dict="fuzz/$name.dict")
  log="$dir/fuzz-logs/$name.log"
  before=$(ls "$dir/fuzz-crashes")
  TMPDIR="$dir/fuzz-tmp" UBSAN_OPTIONS=print_stacktrace=1 "$harness" "${args[@]}" "$corpus" >"$log" 2>&1
  rc=$?
  new_crashes=$(comm -13 <(echo "$before") <(ls "$dir/fuzz-crashes") | grep -v '^$')
  executions=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  count=$(printf '%s' "$new_crashes" | grep -c . || true)
  echo "$name: ${executions:-0} executions, $count crashes"
  if [ "$count" -gt 0 ]; then
    status=1
    while read -r crash; do
      echo "  crash input: $dir/fuzz-crashes/$crash (replay: $harness $dir/fuzz-crashes/$crash; log: $log)"
    done <<<"$new_crashes"
  elif [ "$rc" -ne 0 ]; then
    status=1
    echo "  exited with $rc and left no input; see $log"
  fi
done
if [ "$ran" -eq 0 ]; then
  echo "fuzz: no harness found in $dir/fuzz" >&2
  exit 1
fi
exit $status
