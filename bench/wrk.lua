-- wrk script for bench/run.py. Environment:
--   BENCH_MODE   vary: POST a JSON body whose features differ on every request (cache misses)
--                fixed: POST one repeated body (cache hits after the first)
--                get: GET BENCH_PATH
--   BENCH_PATH   request path; BENCH_SEED: makes this run's varying inputs its own
--   BENCH_AUTH_NAME / BENCH_AUTH_VALUE: one credential header (Authorization or X-API-Key)
-- done() prints one line "BENCH_JSON {...}" that bench/run.py parses (latency in µs).

local mode = os.getenv("BENCH_MODE") or "get"
local path = os.getenv("BENCH_PATH") or "/"
local seed = tonumber(os.getenv("BENCH_SEED") or "0") % 1000000
local auth_name = os.getenv("BENCH_AUTH_NAME") or ""
local auth_value = os.getenv("BENCH_AUTH_VALUE") or ""

wrk.path = path
if auth_name ~= "" then
  wrk.headers[auth_name] = auth_value
end

local TAIL = "0.021, -0.044, -0.034, -0.043, -0.002, 0.019, -0.017]}"

if mode == "get" then
  wrk.method = "GET"
else
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"features": [0.038, 0.050, 0.061, ' .. TAIL
end

if mode == "vary" then
  local counter = 0
  -- Three features in the diabetes data's range [-0.1, 0.1]: two from a counter, one from
  -- the seed, so no two requests of a run (nor of two runs) send the same input.
  request = function()
    counter = counter + 1
    local body = string.format('{"features": [%.4f, %.4f, %.6f, %s',
      (counter % 2000) / 10000 - 0.1, (math.floor(counter / 2000) % 2000) / 10000 - 0.1,
      seed / 10000000 - 0.05, TAIL)
    return wrk.format(nil, nil, nil, body)
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
