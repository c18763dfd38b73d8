-- wrk script: POSTs one realistic web-vitals beacon (the shape in DESIGN.md) per request
-- to /api/rum as application/json. The `id` (and value) vary per request so every event
-- is distinct (no (sessionId, id) replacement); each wrk thread and connection gets its
-- own id space.
--
--   wrk -t1 -c32 -d10s -s bench/wrk/post_beacon.lua http://127.0.0.1:9797/api/rum

local counter = 0
local threads = {}
thread_id = 0  -- global: setup() overrides it per thread with thread:set

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local names = { "LCP", "INP", "CLS", "FCP", "TTFB" }
local pages = { "/", "/products/42", "/products/1337?ref=home", "/cart", "/checkout/step/2" }
local conns = { "4g", "3g", "wifi", "4g" }
local agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
}

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local i = counter
  local name = names[(i % #names) + 1]
  local value
  if name == "CLS" then
    value = string.format("%.4f", (i % 300) / 1000)
  else
    value = string.format("%.1f", 200 + (i * 37) % 4000)
  end
  local body = string.format(
    '{"type":"vital","name":"%s","value":%s,"rating":"good","delta":%s,"id":"v4-%d-%d",' ..
    '"navigationType":"navigate","sessionId":"1700000000000-t%d-%d","url":"https://shop.example%s",' ..
    '"timestamp":%d,"userAgent":"%s","connection":"%s","deviceMemory":8,"hardwareConcurrency":8}',
    name, value, value, thread_id, i, thread_id, math.floor(i / 5), pages[(i % #pages) + 1],
    os.time() * 1000, agents[(i % #agents) + 1], conns[(i % #conns) + 1])
  return wrk.format(nil, nil, nil, body)
end
