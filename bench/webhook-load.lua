-- wrk script for bench/webhook-load.sh: replays pre-signed webhook deliveries (each sent once),
-- records the publication id of every 202 and counts the other answers.
-- File format (REQUESTS env var): delivery id, timestamp, signature, body; tab-separated lines.
-- The HMACs are computed by bench/WebhookLoad.java over timestamp.delivery_id.body (the signed
-- delivery id is why each line carries its own id: re-using a signature under another id is refused).

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end

function init(args)
  path = args[1]
  nthreads = tonumber(args[2])
  reqs = {}
  local n = 0
  for line in io.lines(os.getenv("REQUESTS")) do
    n = n + 1
    if n % nthreads == index - 1 then
      local id, ts, sig, body = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)")
      table.insert(reqs, wrk.format("POST", path, {
        ["Content-Type"] = "application/json",
        ["X-Powernode-Delivery"] = id,
        ["X-Powernode-Timestamp"] = ts,
        ["X-Powernode-Signature"] = sig,
      }, body))
    end
  end
  i = 0
  accepted = 0
  other = 0
  ids = io.open(os.getenv("IDS_DIR") .. "/ids-" .. index, "w")
end

function request()
  i = i + 1
  if i > #reqs then
    -- out of pre-signed requests: the run's throughput figure would be wrong
    io.stderr:write("webhook-load.lua: ran out of requests; raise the request count\n")
    wrk.thread:stop()
    i = #reqs
  end
  return reqs[i]
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
    local id = body:match('"publication_id":"([^"]+)"')
    if id then ids:write(id, "\n") end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    o = o + t:get("other")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("webhook acceptance (wrk): %d requests, %d accepted (202), %d other, %d socket errors\n",
    summary.requests, a, o, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("  throughput: %.0f req/s over %.1f s\n", summary.requests / secs, secs))
  io.write(string.format("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
