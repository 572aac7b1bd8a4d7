-- order.lua — wrk driver: POST /v1/orders (record an order, which earns points and growth by the
-- programme's rules, so every request runs the tier check's growth sum) on members read from
-- $PATRON_BENCH_MEMBERS, each with a fresh order number and Idempotency-Key (thread id + time +
-- counter), so every request is a real durable write.
local key = os.getenv("PATRON_BENCH_KEY")
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
  local id = "bench-" .. (tid or 0) .. "-" .. os.time() .. "-" .. counter
  return wrk.format("POST", "/v1/orders", {
    ["Authorization"] = "Bearer " .. key,
    ["Idempotency-Key"] = id,
    ["Content-Type"] = "application/json",
  }, '{"order_no":"' .. id .. '","member":"' .. m .. '","channel":"app",' ..
     '"lines":[{"sku":"S1","qty":1,"unit_cents":100}]}')
end
