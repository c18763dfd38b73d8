-- wrk script: POSTs one realistic web-vitals beacon (the shape in DESIGN.md) per request
-- to /api/rum as application/json. The `id` and `sessionId` vary per request so every
-- event is distinct (no (sessionId, id) replacement); each wrk thread has its own id space.
--
--   wrk -t1 -c32 -d10s -s bench/wrk/post_beacon.lua http://127.0.0.1:9797/api/rum
--
-- The load generator shares the 2 cores with the server, so its own cost matters: the
-- requests are pre-built in init() (997 variants of metric, value, page, user agent and
-- connection, HTTP head included, with fixed-width id fields so Content-Length is fixed),
-- and request() only splices two zero-padded counters in.
--
-- PW_FORWARDED=1 in the environment adds "X-Forwarded-For: 198.51.100.1, 203.0.X.Y" (997
-- client addresses), so a server with http.trusted_proxies: [127.0.0.1] walks the header
-- and rate-limits per client: the full cost of rum.rate_limit_per_ip (auth_cost_bench.py).
local forwarded = os.getenv("PW_FORWARDED") == "1"

local variants = {}
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
  local host = wrk.host .. ":" .. wrk.port
  local now_ms = os.time() * 1000
  for i = 0, 996 do
    local name = names[(i % #names) + 1]
    local value
    if name == "CLS" then
      value = string.format("%.4f", (i % 300) / 1000)
    else
      value = string.format("%.1f", 200 + (i * 37) % 4000)
    end
    -- The body around the two 10-digit fields: id "v4-T-NNNNNNNNNN", session "...-T-NNNNNNNNNN".
    local pre = string.format('{"type":"vital","name":"%s","value":%s,"rating":"good","delta":%s,"id":"v4-%d-',
                              name, value, value, thread_id)
    local mid = string.format('","navigationType":"navigate","sessionId":"1700000000000-t%d-', thread_id)
    local post = string.format('","url":"https://shop.example%s","timestamp":%d,"userAgent":"%s",' ..
                               '"connection":"%s","deviceMemory":8,"hardwareConcurrency":8}',
                               pages[(math.floor(i / 5) % #pages) + 1], now_ms, agents[(i % #agents) + 1], conns[(i % #conns) + 1])
    local length = #pre + 10 + #mid + 10 + #post
    local xff = ""
    if forwarded then  -- one of 997 client addresses behind a proxy
      xff = "\r\nX-Forwarded-For: 198.51.100.1, 203.0." .. math.floor(i / 256) .. "." .. (i % 256)
    end
    local head = "POST " .. wrk.path .. " HTTP/1.1\r\nHost: " .. host ..
                 "\r\nContent-Type: application/json" .. xff .. "\r\nContent-Length: " .. length .. "\r\n\r\n"
    variants[i + 1] = { head .. pre, mid, post }
  end
end

function request()
  counter = counter + 1
  local v = variants[(counter % 997) + 1]
  return v[1] .. string.format("%010d", counter) .. v[2] .. string.format("%010d", math.floor(counter / 5)) .. v[3]
end
