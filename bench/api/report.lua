-- Shared by the wrk scripts of bench/api: when a run ends, prints its figures as one line
--   BENCH_RESULT {"requests":..,"durationUs":..,"p50Us":..,"p99Us":..,"maxUs":..,"errors":..}
-- after wrk's own report, for scripts/bench.sh to collect. `errors` counts HTTP statuses
-- above 399 plus connect/read/write/timeout socket errors; a figure with errors is not valid.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,"errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status + e.connect + e.read + e.write + e.timeout))
end
