-- Replays one pre-built request on every keep-alive connection, for bench/kms_load.py.
--
-- Usage: wrk ... -s bench/wrk/signed_request.lua URL -- SPEC.lua
-- SPEC.lua is written by kms_load.py right before the run and returns
-- { method = ..., path = ..., headers = { Name = value, ... }, body = ... }:
-- a request already SigV4-signed with botocore, so its 5-minute window holds for the run.
-- No `request` function is defined, so wrk formats the request once per thread (a static
-- request) and spends no Lua time per request: wrk shares the cores with the server.
-- `done` prints one line, "WRK_JSON {...}", that kms_load.py parses (latencies in µs).

function init(args)
   local spec = dofile(args[1])
   wrk.method = spec.method
   wrk.path = spec.path
   wrk.body = spec.body
   wrk.headers = {}
   for name, value in pairs(spec.headers) do
      wrk.headers[name] = value
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
      '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
      '"latency_us":{"min":%.0f,"mean":%.1f,"max":%.0f,"stdev":%.1f,' ..
      '"p50":%.0f,"p75":%.0f,"p90":%.0f,"p99":%.0f,"p999":%.0f}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.max, latency.stdev,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9)))
end
