#!/usr/bin/env bash
# Lead webhook ingestion benchmark: signed deliveries per second and latency.
#
# Starts the server on a fresh database, creates an org, a campaign, a lead
# source and 3 scoring rules through the API, pre-signs N deliveries (each a
# new lead: unique externalId, utm.campaign attributing it to the campaign),
# then runs wrk against POST /webhooks/leads/{sourceId} and prints req/s,
# p50, p99, and the Postgres round trips one delivery costs (the server's
# X-Db-Statements header: every statement of both transactions, BEGIN and
# COMMIT included).
#
#   scripts/bench-webhooks.sh                 release build, 32 connections, 20 s
#   PROFILE=debug scripts/bench-webhooks.sh   debug build (no 8-minute release build)
#   CONNECTIONS=64 DURATION=30s THREADS=2 REQUESTS=200000 BENCH_REDIS=1 KEEP_DB=1 ...
#   BIN=path/to/campaign-studio scripts/bench-webhooks.sh   a binary built beforehand
#
# The rate limit is raised out of the way (WEBHOOK_RATE_PER_SECOND /
# WEBHOOK_BURST); BENCH_REDIS=1 keeps it on, through Redis, to measure its cost.
source "$(dirname "$0")/lib.sh"

PROFILE="${PROFILE:-release}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-20s}"
REQUESTS="${REQUESTS:-150000}"
POOL="${DB_POOL_SIZE:-16}"

ensure_rust
ensure_postgres
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl

cd "$ROOT"
if [ -n "${BIN:-}" ]; then
  log "using $BIN as it is"
elif [ "$PROFILE" = release ]; then
  log "building campaign-studio (release; the first build takes several minutes)"
  cargo build -q --release --bin campaign-studio
else
  log "building campaign-studio (debug: figures are far below a release build's)"
  cargo build -q --bin campaign-studio
fi
BIN="${BIN:-$CARGO_TARGET_DIR/$PROFILE/campaign-studio}"

WORK=$(mktemp -d)
DB="cs_bench_$(date +%s)_$$"
with_db() { python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/"+sys.argv[2]).geturl())' "$1" "$2"; }
OWNER_URL=$(with_db "$MIGRATION_DATABASE_URL" "$DB")
APP_URL=$(with_db "$DATABASE_URL" "$DB")
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  if [ "${KEEP_DB:-0}" != 1 ]; then
    psql "$(with_db "$MIGRATION_DATABASE_URL" postgres)" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log "fresh database $DB"
psql "$(with_db "$MIGRATION_DATABASE_URL" postgres)" -qc "CREATE DATABASE $DB" >/dev/null
MIGRATION_DATABASE_URL="$OWNER_URL" DATABASE_URL="$APP_URL" "$BIN" migrate >/dev/null

PORT=$(free_port)
export JWT_SECRET="bench-jwt-secret-0123456789abcdef"
export SECRET_KEY="bench-secret-key-0123456789abcdef"
SERVER_ENV=(
  BIND_ADDR="127.0.0.1:$PORT" DATABASE_URL="$APP_URL" WORKERS=0 DB_POOL_SIZE="$POOL"
  STORAGE_DIR="$WORK/objects" RUST_LOG=warn LOG_FORMAT=json APP_ENV=production
  WEBHOOK_RATE_PER_SECOND=1000000 WEBHOOK_BURST=1000000
)
if [ "${BENCH_REDIS:-0}" = 1 ]; then
  ensure_redis
  SERVER_ENV+=(REDIS_URL="$REDIS_URL")
else
  SERVER_ENV+=(REDIS_URL=)
fi
log "starting the server on 127.0.0.1:$PORT (pool $POOL)"
env "${SERVER_ENV[@]}" "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$WORK/server.log"; die "the server did not start"; }

TOKEN=$(JWT_SECRET="$JWT_SECRET" "$BIN" token --email bench@example.com)
log "creating an org, a campaign, a lead source and 3 scoring rules"
python3 - "$PORT" "$TOKEN" "$WORK/setup.json" <<'PY'
import json, sys, urllib.request
port, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
def gql(query, variables=None, org=None):
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    if org:
        headers["x-org-id"] = org
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", method="POST", headers=headers,
                                 data=json.dumps({"query": query, "variables": variables or {}}).encode())
    body = json.load(urllib.request.urlopen(req))
    if body.get("errors"):
        sys.exit(f"GraphQL error: {body['errors']}")
    return body["data"]
org = gql("mutation($i: CreateOrgInput!) { createOrg(input: $i) { org { id } } }",
          {"i": {"name": "Bench", "slug": "bench"}})["createOrg"]["org"]["id"]
gql("mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { id } } }",
    {"i": {"name": "Spring Launch", "brief": {"product": "Shoes", "audience": "Runners"},
           "locales": ["en"], "platforms": ["X"]}}, org)
src = gql("mutation { createLeadSource(input: { name: \"bench\" }) { leadSource { id } signingSecret } }",
          None, org)["createLeadSource"]
for rule in [
    {"name": "Corporate", "field": "email", "op": "contains", "value": "@acme.com", "scoreDelta": 10, "tag": "corporate"},
    {"name": "Big budget", "field": "attributes.budget", "op": "gt", "value": 1000, "scoreDelta": 20, "tag": "big"},
    {"name": "Paid", "field": "utm.medium", "op": "eq", "value": "cpc", "scoreDelta": 5},
]:
    gql("mutation($i: CreateLeadScoringRuleInput!) { createLeadScoringRule(input: $i) { rule { id } } }", {"i": rule}, org)
json.dump({"org": org, "source": src["leadSource"]["id"], "secret": src["signingSecret"]}, open(out, "w"))
PY
SOURCE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source"])' "$WORK/setup.json")

log "pre-signing $REQUESTS deliveries"
python3 - "$WORK/setup.json" "$REQUESTS" "$WORK/requests.tsv" <<'PY'
import hashlib, hmac, json, sys, time
setup, n, out = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
key, ts = setup["secret"].encode(), str(int(time.time()))
with open(out, "w") as f:
    for i in range(n):
        body = json.dumps({
            "externalId": f"bench-{i}", "name": f"Lead {i}",
            "email": f"lead{i}@{'acme.com' if i % 3 == 0 else 'example.com'}",
            "phone": f"+1555{i:07d}"[:13],
            "utm": {"campaign": "spring-launch", "source": "google", "medium": "cpc" if i % 2 else "email"},
            "attributes": {"budget": (i * 37) % 5000, "form": "landing-v2"},
        }, separators=(",", ":"))
        sig = "sha256=" + hmac.new(key, f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
        f.write(f"{ts}\t{sig}\t{body}\n")
PY

cat >"$WORK/bench.lua" <<'LUA'
-- Each thread sends its own slice of the pre-signed deliveries, in turn.
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local nthreads = tonumber(args[2])
  requests, i = {}, 0
  local n = 0
  for line in io.lines(args[1]) do
    if n % nthreads == id then
      local ts, sig, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", nil,
        { ["Content-Type"] = "application/json", ["X-Timestamp"] = ts, ["X-Signature"] = sig }, body)
    end
    n = n + 1
  end
end
function request()
  i = i % #requests + 1
  return requests[i]
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d errors_other=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
LUA

URL="http://127.0.0.1:$PORT/webhooks/leads/$SOURCE"
log "one delivery by hand: status and round trips"
python3 - "$WORK/setup.json" "$URL" <<'PY'
import hashlib, hmac, json, sys, time, urllib.request
setup, url = json.load(open(sys.argv[1])), sys.argv[2]
for label, ext in [("new lead", "probe-1"), ("same externalId again (update)", "probe-1")]:
    body = json.dumps({"externalId": ext, "email": "p@acme.com", "utm": {"campaign": "spring-launch", "medium": "cpc"},
                       "attributes": {"budget": 2000 if label == "new lead" else 10}}).encode()
    ts = str(int(time.time()))
    sig = "sha256=" + hmac.new(setup["secret"].encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"content-type": "application/json", "x-timestamp": ts, "x-signature": sig})
    resp = urllib.request.urlopen(req)
    print(f"  {label}: HTTP {resp.status}, {resp.headers['x-db-statements']} Postgres round trips, {resp.read().decode()}")
PY

log "wrk: $CONNECTIONS connections, $THREADS threads, $DURATION"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -s "$WORK/bench.lua" "$URL" -- "$WORK/requests.tsv" "$THREADS" | tee "$WORK/wrk.out"

ORG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["org"])' "$WORK/setup.json")
# RLS is forced for every role: count inside the org, as the app does.
LEADS=$(psql "$APP_URL" -qAt -c "BEGIN" -c "SELECT set_config('app.org_id', '$ORG', true)" \
  -c "SELECT count(*) FROM leads" -c "COMMIT" | sed -n 2p)
echo
grep '^RESULT' "$WORK/wrk.out" | sed 's/^RESULT /result: /'
echo "leads in the database: $LEADS"
echo "server: $PROFILE build, pool $POOL, rate limit $([ "${BENCH_REDIS:-0}" = 1 ] && echo 'on, Redis' || echo 'in process, raised'), 3 scoring rules"
