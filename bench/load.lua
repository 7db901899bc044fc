-- wrk script for bench/load.py: a viewer's mix of search, asset and lineage reads.
-- Paths come from the file named in LOAD_PATHS (one request path a line, written by
-- bench/load.py from the demo catalog); the token from LOAD_TOKEN. Every thread walks the list
-- from its own offset, so the 50 connections ask different things at the same moment.
-- Non-2xx answers are counted per thread and summed in done() (wrk's own error count leaves
-- out 3xx). done() prints one JSON line, prefixed "LOADJSON ", which bench/load.py reads.

local paths = {}
local threads = {}
local counter = 0

for line in io.lines(os.getenv("LOAD_PATHS")) do
  if line ~= "" then
    paths[#paths + 1] = line
  end
end

wrk.headers["Authorization"] = "Bearer " .. os.getenv("LOAD_TOKEN")
wrk.headers["Accept"] = "application/json"

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  non2xx = 0
  first_bad = ""
  counter = id * 7919
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == "" then
      first_bad = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local bad, sample = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    local first = thread:get("first_bad")
    if sample == "" and first ~= nil then
      sample = first
    end
  end
  sample = string.gsub(sample, '[%c"\\]', " ")
  io.write(string.format(
    'LOADJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "non2xx": %d, "socket_errors": %d, "first_bad": "%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, bad,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    sample
  ))
end
