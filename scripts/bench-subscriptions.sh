#!/usr/bin/env bash
# Subscriptions benchmark: SUBSCRIBERS WebSocket clients following
# generation jobs with jobProgress, end-to-end event latency, events/s and
# server memory; first on one instance, then on two instances through Redis.
#
#   scripts/bench-subscriptions.sh
#   SUBSCRIBERS=100 JOBS=4 scripts/bench-subscriptions.sh      # smoke run
#   MODES=redis scripts/bench-subscriptions.sh                  # one mode
#
# Modes (MODES, default "single redis"):
#   single  one `campaign-studio serve` (WORKERS in-process workers, the
#           in-process event hub, no Redis) holds every socket;
#   redis   two `serve` instances (WORKERS=0, REDIS_URL) share the sockets
#           half and half, a `campaign-studio worker` process (WORKERS) runs
#           the jobs, and events go through a private redis-server started
#           here (not the machine's shared one: no cross-talk with tests).
#
# How (scripts/bench/ws_driver.mjs, Node + the `ws` package of tests/js):
#  1. a fresh database $SUB_DB (migrated, seeded with SUB_ORGS orgs whose
#     OWNER is bench@seed.test); credits granted with grantCredits and a
#     --platform-admin token;
#  2. the queue is held shut: job_queue.run_after defaults to 'infinity' in
#     this scratch database while the jobs are queued (the server's code is
#     untouched; a worker simply finds nothing ready);
#  3. JOBS campaigns, each with generateCampaign(includeImages: false);
#     SUBSCRIBERS sockets connect (connection_init with the Bearer JWT and
#     X-Org-Id), socket i subscribes to job i % JOBS with afterSeq: 0;
#  4. when every socket has received the stored QUEUED event (its
#     subscription is live), the queue opens (default now(), run_after =
#     now()) and the workers pick the jobs up (within their 0.5 s poll);
#  5. latency of each later event at each socket = receive time minus the
#     event's `at` (clock_timestamp() when the worker stored it, before its
#     transaction committed and the event was published), same machine
#     clock; every socket must get seq 1..last with no gap or duplicate,
#     ending in SUCCEEDED, or the run fails.
# Reports per mode: deliveries (socket x event) and stored events per second
# over the window from the first event stored to the last one received,
# latency p50/p90/p99/max, peak RSS (VmHWM) of each server process and its
# RSS once every socket was connected. Writes results/bench-subscriptions-<time>.txt.
#
# Settings: SUBSCRIBERS [1000] JOBS [40] LOCALES [en,es] ANGLES [3]
#   PLATFORMS [INSTAGRAM,FACEBOOK,LINKEDIN,X,TIKTOK] WORKERS [2] POOL [16]
#   MODES ["single redis"] SUB_DB [cs_bench_subs] SUB_ORGS [4] TIMEOUT_S [600]
#   BIN (default: the release build)
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench/common.sh"

: "${SUBSCRIBERS:=1000}" "${JOBS:=40}" "${LOCALES:=en,es}" "${ANGLES:=3}"
: "${PLATFORMS:=INSTAGRAM,FACEBOOK,LINKEDIN,X,TIKTOK}" "${WORKERS:=2}" "${POOL:=16}"
: "${MODES:=single redis}" "${SUB_DB:=cs_bench_subs}" "${SUB_ORGS:=4}" "${TIMEOUT_S:=600}"

STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$ROOT/results/bench-subscriptions-$STAMP"
mkdir -p "$OUT"
trap 'rc=$?; stop_started; [ $rc -eq 0 ] || log "bench-subscriptions.sh failed (exit $rc); raw outputs in $OUT"; exit $rc' EXIT
trap 'exit 130' INT TERM
# 1,000 sockets on each side, plus the pool and the files.
if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 8192 ]; then ulimit -n 8192; fi
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((SUBSCRIBERS + 512)) ] \
  || die "open files limit $(ulimit -n) is too low for $SUBSCRIBERS sockets"

release_bin
dev_secrets
ensure_node_deps
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' || die "Node 18 or later is needed (fetch)"
command -v redis-server >/dev/null || apt_install redis-server

bench_database "$SUB_DB" 1
DATABASE_URL="$APP_URL" "$BIN" seed --orgs "$SUB_ORGS" --campaigns 0 >"$OUT/seed.txt"
ORGS=$(db_psql -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM orgs")
TOKEN=$("$BIN" token --email bench@seed.test --ttl 21600)
ADMIN_TOKEN=$("$BIN" token --email billing@bench.test --platform-admin --ttl 21600)

gate_queue() { db_psql -c "ALTER TABLE job_queue ALTER COLUMN run_after SET DEFAULT 'infinity'" >/dev/null; }
open_queue() {
  db_psql -c "ALTER TABLE job_queue ALTER COLUMN run_after SET DEFAULT now()" \
    -c "UPDATE job_queue SET run_after = now() WHERE run_after = 'infinity'" >/dev/null
}

serve() { # name port [env...]: starts `campaign-studio serve`, sets PID_<name>
  local name=$1 port=$2
  shift 2
  (cd "$OUT" && exec env DATABASE_URL="$APP_URL" BIND_ADDR="127.0.0.1:$port" DB_POOL_SIZE="$POOL" APP_ENV=production \
    LOG_FORMAT=json RUST_LOG=warn STORAGE=fs STORAGE_DIR="$OUT/objects" "$@" "$BIN" serve) >"$OUT/$name.log" 2>&1 &
  printf -v "PID_$name" '%s' "$!"
  started "$!"
  wait_http "http://127.0.0.1:$port/graphql" "$!" "$OUT/$name.log"
}

declare -A ROW
run_mode() {
  local mode=$1
  local urls=() procs=() p port ready="$OUT/ready-$mode" drv="$OUT/driver-$mode.txt"
  gate_queue
  case "$mode" in
    single)
      port=$(free_port)
      serve single "$port" WORKERS="$WORKERS"
      urls=("$port"); procs=(single);;
    redis)
      local rport
      rport=$(free_port)
      redis-server --bind 127.0.0.1 --port "$rport" --save "" --appendonly no >"$OUT/redis.log" 2>&1 &
      started "$!"
      for _ in $(seq 50); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
      for p in a b; do
        port=$(free_port)
        serve "$p" "$port" WORKERS=0 REDIS_URL="redis://127.0.0.1:$rport"
        urls+=("$port"); procs+=("$p")
      done
      (cd "$OUT" && exec env DATABASE_URL="$APP_URL" WORKERS="$WORKERS" DB_POOL_SIZE="$POOL" APP_ENV=production LOG_FORMAT=json \
        RUST_LOG=warn STORAGE=fs STORAGE_DIR="$OUT/objects" REDIS_URL="redis://127.0.0.1:$rport" "$BIN" worker) \
        >"$OUT/worker.log" 2>&1 &
      PID_worker=$!
      started "$PID_worker"
      procs+=(worker);;
    *) die "unknown mode $mode";;
  esac
  local ws_urls
  ws_urls=$(printf 'ws://127.0.0.1:%s/graphql/ws,' "${urls[@]}")
  log "$mode: $SUBSCRIBERS subscribers, $JOBS jobs, over ${#urls[@]} instance(s)"
  rm -f "$ready"
  JS_DIR="$ROOT/tests/js" HTTP_URL="http://127.0.0.1:${urls[0]}/graphql" WS_URLS="${ws_urls%,}" TOKEN="$TOKEN" \
    ADMIN_TOKEN="$ADMIN_TOKEN" ORGS="$ORGS" SUBSCRIBERS="$SUBSCRIBERS" JOBS="$JOBS" LOCALES="$LOCALES" \
    ANGLES="$ANGLES" PLATFORMS="$PLATFORMS" READY_FILE="$ready" TIMEOUT_S="$TIMEOUT_S" \
    node "$BENCH/ws_driver.mjs" subscribers >"$drv" 2>"$OUT/driver-$mode.log" &
  local driver=$!
  started "$driver"
  while [ ! -f "$ready" ]; do
    kill -0 "$driver" 2>/dev/null || { cat "$OUT/driver-$mode.log" >&2; die "$mode: the driver stopped before its sockets were ready"; }
    sleep 0.2
  done
  local rss_conn=() t0 c0=() c1=() pid
  for p in "${procs[@]}"; do
    pid="PID_$p"
    rss_conn+=("$p $(awk '/^VmRSS:/{printf "%.0f", $2/1024}' "/proc/${!pid}/status") MiB")
    c0+=("$(proc_ticks "${!pid}")")
  done
  t0=$(date +%s.%N)
  open_queue
  wait "$driver" || { cat "$OUT/driver-$mode.log" >&2; die "$mode: the driver failed"; }
  local res hz peak=() i=0
  hz=$(getconf CLK_TCK)
  res=$(grep '^RESULT ' "$drv" | cut -c8-)
  [ -n "$res" ] || die "$mode: no result from the driver"
  local secs
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')
  for p in "${procs[@]}"; do
    pid="PID_$p"
    peak+=("$p $(peak_rss_mib "${!pid}") MiB, cpu $(awk -v a="${c0[$i]}" -v b="$(proc_ticks "${!pid}")" -v hz="$hz" -v t="$secs" \
      'BEGIN{printf "%.0f%%", 100*(b-a)/hz/t}')")
    i=$((i + 1))
  done
  ROW[$mode]=$(python3 - "$res" "$mode" "${#urls[@]}" <<'PY'
import json, sys
r, mode, n = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
l = r["latency_ms"]
f = lambda v: "-" if v is None else f"{v:.1f}"
print("\t".join([
    "one instance" if mode == "single" else f"{n} instances + Redis",
    str(r["live"]), str(r["jobs"]), str(r["events_stored"]), str(r["deliveries"]),
    f"{r['deliveries_per_s']:.0f}", f"{r['events_per_s']:.0f}",
    f(l["p50"]), f(l["p90"]), f(l["p99"]), f(l["max"]), f"{r['window_s']:.1f}",
]))
PY
)
  ROW_MEM[$mode]="$mode: RSS with every socket open: ${rss_conn[*]}; peak (VmHWM) and CPU while the jobs ran: $(IFS=';'; echo "${peak[*]}")"
  python3 - "$res" <<'PY' || FAILED+=("$mode: $(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["not_ready"], "sockets not live,", r["bad"], "with gaps/duplicates/errors or no SUCCEEDED; first:", r["first_problem"], "timed out:", r["timed_out"])' "$res")")
import json, sys
r = json.loads(sys.argv[1])
sys.exit(1 if r["not_ready"] or r["bad"] or r["timed_out"] or r["live"] != r["sockets"] else 0)
PY
  log "$mode: $res"
  stop_started
}

declare -A ROW_MEM
FAILED=()
for m in $MODES; do run_mode "$m"; done

TXT="$ROOT/results/bench-subscriptions-$STAMP.txt"
{
  echo "Subscriptions benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)"
  echo "host: $(nproc) cores; $SUBSCRIBERS sockets, $JOBS GENERATE_CAMPAIGN jobs ($LOCALES x $ANGLES angles x $(tr ',' '\n' <<<"$PLATFORMS" | wc -l) platforms, no images), $WORKERS workers, pool $POOL"
  echo
  {
    printf 'mode\tsockets\tjobs\tevents\tdeliveries\tdeliveries/s\tevents/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\twindow s\n'
    for m in $MODES; do echo "${ROW[$m]:-}"; done
  } | column -t -s $'\t'
  echo
  for m in $MODES; do echo "${ROW_MEM[$m]:-}"; done
  echo "latency = receive time at the client - the event's 'at' (stored by the worker, before commit and publish)"
  if [ ${#FAILED[@]} -gt 0 ]; then echo; echo "FAILED:"; printf '  %s\n' "${FAILED[@]}"; fi
} | tee "$TXT"
log "table: $TXT; raw outputs: $OUT"
[ ${#FAILED[@]} -eq 0 ] || die "some subscribers missed events or failed: these figures are not valid"
