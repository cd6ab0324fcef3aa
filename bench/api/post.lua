-- wrk script for POST scenarios: the URL comes from the command line; every request sends
-- $SETTLE_BENCH_BODY as JSON with `Authorization: Bearer $SETTLE_BENCH_API_KEY`.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.method = "POST"
wrk.body = assert(os.getenv("SETTLE_BENCH_BODY"), "SETTLE_BENCH_BODY is not set")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. assert(os.getenv("SETTLE_BENCH_API_KEY"), "SETTLE_BENCH_API_KEY is not set")
