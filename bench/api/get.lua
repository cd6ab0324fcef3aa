-- wrk script for GET scenarios: the URL comes from the command line; the request carries
-- `Authorization: Bearer $SETTLE_BENCH_API_KEY` when that variable is set.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local key = os.getenv("SETTLE_BENCH_API_KEY")
if key and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end
