-- earn.lua / redeem.lua driver for wrk: POST …/points/{earn|redeem} on members read from
-- $PATRON_BENCH_MEMBERS (one member number a line), each request with a fresh Idempotency-Key
-- (thread id + counter), so every request is a real durable write.
local key = os.getenv("PATRON_BENCH_KEY")
local op = os.getenv("PATRON_BENCH_OP") or "earn"
local members = {}
for line in io.lines(os.getenv("PATRON_BENCH_MEMBERS")) do members[#members + 1] = line end
local nthreads = 0
function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end
local counter = 0
function request()
  counter = counter + 1
  local m = members[(counter * 7919 + (tid or 0)) % #members + 1]
  return wrk.format("POST", "/v1/members/" .. m .. "/points/" .. op, {
    ["Authorization"] = "Bearer " .. key,
    ["Idempotency-Key"] = "bench-" .. op .. "-" .. (tid or 0) .. "-" .. os.time() .. "-" .. counter,
    ["Content-Type"] = "application/json",
  }, '{"points":1}')
end
