-- wrk script: POSTs a GraphQL body template with a random (org, campaign)
-- per request, and counts what did not succeed. Adapted from the peer
-- harness's load/gql.lua (shared/bench-peer).
--
-- env:
--   BENCH_BODY   file with the JSON body; placeholders __ORG_ID__
--                __CAMPAIGN_ID__ (the request's pair) and __RAND__ (unique
--                per request) are filled in
--   BENCH_IDS    file, one "org_uuid campaign_uuid" per line
--   BENCH_TOKEN  sent as "Authorization: Bearer <token>" (every server gets it)
--   BENCH_PATH   request path (default /graphql)
-- Every request also carries "X-Org-Id: <org>". A response that is not
-- 200, or whose body has "errors" or no "data", is counted; done() prints
-- one RESULT line that bench.sh parses.
-- The load generator shares the two cores with the server and Postgres, so
-- its own work per request is kept near nothing: every request is formatted
-- once in init(), one per (org, campaign) pair, and request() only picks
-- one. __RAND__ is filled with a fixed-width value, so a request that has
-- it is its precomputed pieces joined around that value.
local token = os.getenv("BENCH_TOKEN") or ""
local path = os.getenv("BENCH_PATH") or "/graphql"
local RAND_WIDTH = 21 -- "%02d%010d%09d": thread, sequence, random
local MARK = string.rep("~", RAND_WIDTH)

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

-- Splits s at every plain occurrence of sep.
local function split(s, sep)
  local out, i = {}, 1
  while true do
    local a, b = s:find(sep, i, true)
    if not a then out[#out + 1] = s:sub(i); return out end
    out[#out + 1] = s:sub(i, a - 1)
    i = b + 1
  end
end

local reqs, n, has_rand = {}, 0, false

function init(args)
  local body_tpl = slurp(os.getenv("BENCH_BODY")):gsub("%s+$", "")
  assert(not body_tpl:find(MARK, 1, true), "body contains the __RAND__ marker")
  has_rand = body_tpl:find("__RAND__", 1, true) ~= nil
  body_tpl = body_tpl:gsub("__RAND__", MARK)
  for line in io.lines(os.getenv("BENCH_IDS")) do
    local o, c = line:match("^(%S+)%s+(%S+)")
    if o then
      local b = body_tpl:gsub("__ORG_ID__", o):gsub("__CAMPAIGN_ID__", c)
      local h = {
        ["Content-Type"] = "application/json",
        ["Accept"] = "application/json",
        ["X-Org-Id"] = o,
      }
      if token ~= "" then h["Authorization"] = "Bearer " .. token end
      local r = wrk.format("POST", path, h, b)
      n = n + 1
      reqs[n] = has_rand and split(r, MARK) or r
    end
  end
  assert(n > 0, "no ids in BENCH_IDS")
  math.randomseed(os.time() * 1000 + (tid or 0))
  counter, non200, gqlerr, seq = 0, 0, 0, 0
  first_bad = nil
end

function request()
  local r = reqs[math.random(n)]
  if not has_rand then return r end
  seq = seq + 1
  local v = string.format("%02d%010d%09d", tid % 100, seq, math.random(1e9) - 1)
  return table.concat(r, v)
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
