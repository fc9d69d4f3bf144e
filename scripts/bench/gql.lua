-- wrk script: POSTs a GraphQL body template with a random (org, campaign)
-- per request, and counts what did not succeed. Adapted from the peer
-- harness's load/gql.lua (shared/bench-peer).
--
-- env:
--   BENCH_BODY   file with the JSON body; placeholders __ORG_ID__
--                __CAMPAIGN_ID__ __RAND__ are filled per request
--   BENCH_IDS    file, one "org_uuid campaign_uuid" per line
--   BENCH_TOKEN  sent as "Authorization: Bearer <token>" (every server gets it)
--   BENCH_PATH   request path (default /graphql)
-- Every request also carries "X-Org-Id: <org>". A response that is not
-- 200, or whose body has "errors" or no "data", is counted; done() prints
-- one RESULT line that bench.sh parses.
local body_tpl, ids = nil, {}
local token = os.getenv("BENCH_TOKEN") or ""
local path = os.getenv("BENCH_PATH") or "/graphql"

local threads, tcount = {}, 0
function setup(thread)
  tcount = tcount + 1
  thread:set("tid", tcount)
  table.insert(threads, thread)
end

local function slurp(p)
  local f = assert(io.open(p, "r"), "cannot open " .. tostring(p))
  local s = f:read("*a"); f:close(); return s
end

function init(args)
  body_tpl = slurp(os.getenv("BENCH_BODY")):gsub("%s+$", "")
  for line in io.lines(os.getenv("BENCH_IDS")) do
    local o, c = line:match("^(%S+)%s+(%S+)")
    if o then ids[#ids + 1] = { o, c } end
  end
  math.randomseed(os.time() * 1000 + (tid or 0))
  counter, non200, gqlerr, seq = 0, 0, 0, 0
  first_bad = nil
end

function request()
  local r = ids[math.random(#ids)]
  seq = seq + 1
  local b = body_tpl:gsub("__ORG_ID__", r[1]):gsub("__CAMPAIGN_ID__", r[2])
                    :gsub("__RAND__", tid .. "-" .. seq .. "-" .. math.random(1e9))
  local h = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["X-Org-Id"] = r[1],
  }
  if token ~= "" then h["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", path, h, b)
end

function response(status, headers, body)
  counter = counter + 1
  if status ~= 200 then
    non200 = non200 + 1
    if not first_bad then first_bad = status .. " " .. body:sub(1, 200) end
  elseif body:find('"errors"', 1, true) or not body:find('"data"', 1, true) then
    gqlerr = gqlerr + 1
    if not first_bad then first_bad = body:sub(1, 200) end
  end
end

function done(summary, latency, requests)
  local n2, ge, cnt, bad = 0, 0, 0, nil
  for _, t in ipairs(threads) do
    n2 = n2 + (t:get("non200") or 0); ge = ge + (t:get("gqlerr") or 0); cnt = cnt + (t:get("counter") or 0)
    bad = bad or t:get("first_bad")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d checked=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non200=%d gql_errors=%d sock_err=%d\n",
    summary.requests, cnt, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, n2, ge, e.connect + e.read + e.write + e.timeout))
  if bad then io.write("FIRST_BAD " .. bad:gsub("\n", " ") .. "\n") end
end
