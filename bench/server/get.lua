-- get.lua driver for wrk: GET $PATRON_BENCH_PATH ("member" or "points") of members read from
-- $PATRON_BENCH_MEMBERS, with the API key.
local key = os.getenv("PATRON_BENCH_KEY")
local what = os.getenv("PATRON_BENCH_PATH") or "member"
local members = {}
for line in io.lines(os.getenv("PATRON_BENCH_MEMBERS")) do members[#members + 1] = line end
local counter = 0
function request()
  counter = counter + 1
  local m = members[(counter * 7919) % #members + 1]
  local path = "/v1/members/" .. m
  if what == "points" then path = path .. "/points" end
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. key})
end
