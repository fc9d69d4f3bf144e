#!/usr/bin/env bash
# Paired A/B rounds: two instances of the server (two builds, or one build
# with two settings) on the benchmark's database, loaded in turn by wrk with
# one of the campaign API's read queries, so a machine whose speed drifts
# lands on both alike. Compare the rounds, not runs taken minutes apart.
#
#   scripts/bench-ab.sh                                   # the release build against itself (the noise floor)
#   B_ENV="SERVER_THREADS=0" scripts/bench-ab.sh          # a setting
#   B_PREFIX="chrt -b 0" QUERY=q4 scripts/bench-ab.sh     # a scheduling policy, on Q4
#   A_BIN=/tmp/before/campaign-studio scripts/bench-ab.sh # the build before a change (A) against the current one (B)
#
# Each round prints, for each side: req/s, p99 ms, and the CPU per request
# of the server process and of its database backends (µs); the summary
# gives each side's median and B's req/s over A's in every round.
# The database ($BENCH_DB) is the one scripts/bench.sh seeds; it is seeded
# here the same way when it holds no data.
#
# Settings (environment, defaults in brackets):
#   QUERY [q1]  q1, q2, q3 or q4 (q3 writes: its rows are deleted after
#               every round, as scripts/bench.sh does)
#   ROUNDS [6] SECS [10] WARMUP [3] CONNS [32] THREADS [2] POOL [10]
#   A_BIN, B_BIN [the release build]   A_ENV, B_ENV ["" ] settings for each
#   A_PREFIX, B_PREFIX [""]            a command each server runs under
#   BENCH_DB [cs_bench] SEED_ORGS [100] SEED_CAMPAIGNS [200]
#   DB_TRANSPORT [tcp]  tcp (127.0.0.1) or unix (Postgres's Unix socket)
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench/common.sh"

: "${QUERY:=q1}" "${ROUNDS:=6}" "${SECS:=10}" "${WARMUP:=3}" "${CONNS:=32}" "${THREADS:=2}" "${POOL:=10}"
: "${BENCH_DB:=cs_bench}" "${SEED_ORGS:=100}" "${SEED_CAMPAIGNS:=200}"
: "${A_ENV:=}" "${B_ENV:=}" "${A_PREFIX:=}" "${B_PREFIX:=}"
case "$QUERY" in q1|q2|q3|q4) ;; *) die "QUERY must be q1, q2, q3 or q4 (got $QUERY)";; esac

OUT="$ROOT/results/ab-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
trap 'stop_started' EXIT
trap 'exit 130' INT TERM

command -v wrk >/dev/null || apt_install wrk
dev_secrets
release_bin
A_BIN=${A_BIN:-$BIN}
B_BIN=${B_BIN:-$BIN}
for b in "$A_BIN" "$B_BIN"; do [ -x "$b" ] || die "not an executable: $b"; done

bench_database "$BENCH_DB" 0
if [ "$(db_psql -c "SELECT count(*) FROM campaigns" 2>/dev/null || echo 0)" = 0 ]; then
  bench_database "$BENCH_DB" 1
  log "seeding $SEED_ORGS orgs x $SEED_CAMPAIGNS campaigns"
  DATABASE_URL="$APP_URL" "$A_BIN" seed --orgs "$SEED_ORGS" --campaigns "$SEED_CAMPAIGNS" >"$OUT/seed.txt"
  db_psql -c "VACUUM ANALYZE" >/dev/null
fi
bench_ids >"$OUT/ids.txt"
graphql_body "$BENCH/queries/ours/$QUERY.graphql" "$BENCH/queries/ours/$QUERY.vars.json" >"$OUT/body.json"
TOKEN=$(DATABASE_URL="$APP_URL" "$A_BIN" token --email bench@seed.test --ttl 21600)

start_side() { # side: starts its server, sets PORT_<side> and PID_<side>
  local side=$1 bin_var="${1}_BIN" env_var="${1}_ENV" prefix_var="${1}_PREFIX" port
  port=$(free_port)
  start_ours "$port" "$OUT/objects-$side" "$OUT/$side.log" "${!env_var}" "${!prefix_var}" "${!bin_var}"
  printf -v "PID_$side" '%s' "$OURS_PID"
  printf -v "PORT_$side" '%s' "$port"
  wait_http "http://127.0.0.1:$port/graphql" "$OURS_PID" "$OUT/$side.log"
  log "$side: ${!bin_var} on 127.0.0.1:$port${!env_var:+ with ${!env_var}}${!prefix_var:+ under ${!prefix_var}}"
}

load() { # side seconds outfile
  local port="PORT_$1"
  gql_load "$OUT/body.json" "http://127.0.0.1:${!port}" "$2" "$3"
}

declare -A RPS
round() { # side round
  local side=$1 r=$2 pid="PID_$1" f="$OUT/wrk-$1-$2.txt" p0 p1 res n bad
  p0=$(proc_ticks "${!pid}"); db_watch_start "$OUT"
  load "$side" "$SECS" "$f"
  p1=$(proc_ticks "${!pid}"); db_watch_stop "$OUT"
  [ "$QUERY" != q3 ] || cleanup_mutations
  res=$(grep '^RESULT' "$f") || die "$side round $r: wrk printed no result ($f)"
  bad=$(( $(kv "$res" non200) + $(kv "$res" gql_errors) + $(kv "$res" sock_err) ))
  [ "$bad" = 0 ] || die "$side round $r: $bad failed requests ($(grep '^FIRST_BAD' "$f" | cut -c11-200))"
  n=$(kv "$res" requests)
  RPS[$side.$r]=$(kv "$res" rps)
  printf '  %s  %9s req/s  p99 %6s ms  server %4s µs  db %4s µs\n' "$side" "${RPS[$side.$r]}" "$(kv "$res" p99_ms)" \
    "$(us_per $(( p1 - p0 )) "$n")" "$(us_per "$(db_spent "$OUT")" "$n")"
}

start_side A
start_side B
log "warm-up: ${WARMUP}s each"
load A "$WARMUP" /dev/null
load B "$WARMUP" /dev/null
[ "$QUERY" != q3 ] || cleanup_mutations
{
  echo "A/B on $QUERY, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo -)"
  echo "A: $A_BIN${A_ENV:+ with $A_ENV}${A_PREFIX:+ under $A_PREFIX}"
  echo "B: $B_BIN${B_ENV:+ with $B_ENV}${B_PREFIX:+ under $B_PREFIX}"
  echo "$ROUNDS rounds of ${SECS}s each, A then B, then B then A; wrk $CONNS connections, $THREADS threads; pool $POOL each"
  ratios="" a_all="" b_all=""
  for r in $(seq "$ROUNDS"); do
    # A first in odd rounds, B first in even ones, so the machine's drift
    # within a round does not always land on the same side. (The same
    # build against itself, always second: 0.86–1.15 of the first, median
    # 0.92; alternating: 0.95–1.18, median 0.99.)
    echo "round $r"
    if [ $(( r % 2 )) = 1 ]; then round A "$r"; round B "$r"; else round B "$r"; round A "$r"; fi
    ratios+="$(awk -v a="${RPS[A.$r]}" -v b="${RPS[B.$r]}" 'BEGIN{printf "%.2f", b / a}') "
    a_all+="${RPS[A.$r]} "; b_all+="${RPS[B.$r]} "
  done
  echo "median req/s: A $(median "$a_all"), B $(median "$b_all"); B/A by round: ${ratios% } (median $(median "$ratios"))"
} | tee "$OUT/summary.txt"
log "summary: $OUT/summary.txt"
