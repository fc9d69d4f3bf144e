#!/usr/bin/env bash
# What a Sync after every statement costs the database, measured without
# our server: Q1's four statements (pgbench's q1.sql) sent by a small
# client (scripts/bench/syncs) in tokio-postgres's shape (Bind, Execute,
# Sync for each statement: four ReadyForQuery answers, four sends by the
# backend) and in pgbench's (one Sync at the end of the pipeline), with
# pgbench itself beside them, in rounds taken in turn on the benchmark's
# database. See docs/performance.md, "What a Sync per statement costs".
#
#   scripts/bench-syncs.sh
#
# Each round prints, for each of the three: transactions/s, and the CPU per
# transaction of the client, of its database backends and of the whole
# host (µs); the summary gives the medians and each round's ratio of the
# per-statement shape to pgbench.
#
# Settings (environment, defaults in brackets):
#   ROUNDS [6] SECS [10] WARMUP [3] CONNS [32] (clients of all three)
#   BENCH_DB [cs_bench] SEED_ORGS [100] SEED_CAMPAIGNS [200] (seeded as
#   scripts/bench.sh does when it holds no data; Postgres over TCP)
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench/common.sh"

: "${ROUNDS:=6}" "${SECS:=10}" "${WARMUP:=3}" "${CONNS:=32}"
: "${BENCH_DB:=cs_bench}" "${SEED_ORGS:=100}" "${SEED_CAMPAIGNS:=200}"

OUT="$ROOT/results/syncs-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
trap 'stop_started' EXIT
trap 'exit 130' INT TERM

command -v pgbench >/dev/null || [ -x "$(pg_bin)/pgbench" ] || apt_install postgresql-client postgresql
PGBENCH_BIN=$(command -v pgbench || echo "$(pg_bin)/pgbench")
ensure_rust
log "building scripts/bench/syncs (a no-op when it is up to date)"
SYNCS_TARGET="${CARGO_TARGET_DIR%/}-syncs"
(cd "$BENCH/syncs" && CARGO_TARGET_DIR="$SYNCS_TARGET" cargo build --release --locked --quiet)
SYNCS_BIN="$SYNCS_TARGET/release/bench-syncs"

dev_secrets
bench_database "$BENCH_DB" 0
if [ "$(db_psql -c "SELECT count(*) FROM campaigns" 2>/dev/null || echo 0)" = 0 ]; then
  release_bin
  bench_database "$BENCH_DB" 1
  log "seeding $SEED_ORGS orgs x $SEED_CAMPAIGNS campaigns"
  DATABASE_URL="$APP_URL" "$BIN" seed --orgs "$SEED_ORGS" --campaigns "$SEED_CAMPAIGNS" >"$OUT/seed.txt"
  db_psql -c "VACUUM ANALYZE" >/dev/null
fi
SEED_ORGS=$(db_psql -c "SELECT count(*) FROM orgs")
SEED_CAMPAIGNS=$(db_psql -c "SELECT count(*) / greatest(count(DISTINCT org_id), 1) FROM campaigns WHERE name NOT LIKE 'bench-%'")
BENCH_USER=$(db_psql -c "SELECT id FROM users WHERE subject = 'dev|bench@seed.test'")
[ -n "$BENCH_USER" ] || die "no bench@seed.test user in $BENCH_DB"
read -r PG_HOST PG_PORT PG_DB PG_USER < <(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p.hostname, p.port or 5432, p.path.lstrip("/"), u.unquote(p.username or ""))' "$APP_URL")

run() { # contender seconds
  case "$1" in
    pgbench)
      "$PGBENCH_BIN" -n -M prepared -c "$CONNS" -j 2 -T "$2" -D user="$BENCH_USER" -D orgs="$SEED_ORGS" \
        -D campaigns="$SEED_CAMPAIGNS" -f "$BENCH/pgbench/q1.sql" "$APP_URL" |
        awk '/^number of transactions actually processed/ { split($NF, a, "/"); n = a[1] }
             /^tps = / { t = $3 } END { if (n == "") exit 1; print "RESULT shape=pgbench txs=" n " tps=" t }' ;;
    *) "$SYNCS_BIN" "$1" "$PG_HOST" "$PG_PORT" "$PG_DB" "$PG_USER" "$BENCH_USER" "$SEED_ORGS" "$SEED_CAMPAIGNS" "$CONNS" 0 "$2" ;;
  esac
}

declare -A TPS
round() { # contender round
  local c=$1 r=$2 f="$OUT/$1-$2.txt" hb0 ht0 hb1 ht1 n TIMEFORMAT='%3U %3S'
  read -r hb0 ht0 < <(host_ticks); db_watch_start "$OUT"
  { time run "$c" "$SECS" >"$f" 2>&1; } 2>"$f.cpu" || die "$c round $r failed: $(tail -3 "$f")"
  read -r hb1 ht1 < <(host_ticks); db_watch_stop "$OUT"
  n=$(kv "$(grep '^RESULT' "$f")" txs)
  TPS[$c.$r]=$(kv "$(grep '^RESULT' "$f")" tps)
  printf '  %-13s %9.0f tx/s  client %4s µs  db %4s µs  host %4s µs\n' "$c" "${TPS[$c.$r]}" \
    "$(us_per "$(time_ticks "$f.cpu")" "$n")" "$(us_per "$(db_spent "$OUT")" "$n")" "$(us_per $(( hb1 - hb0 )) "$n")"
}

log "warm-up: ${WARMUP}s each"
for c in per-statement one-sync pgbench; do run "$c" "$WARMUP" >/dev/null; done
{
  echo "Q1's statements, a Sync per statement or one per pipeline, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo -)"
  echo "$BENCH_DB: $SEED_ORGS orgs x $SEED_CAMPAIGNS campaigns; $CONNS connections each; $ROUNDS rounds of ${SECS}s, in turn"
  order=(per-statement one-sync pgbench) ratios="" oratios="" all_p="" all_o="" all_g=""
  for r in $(seq "$ROUNDS"); do
    echo "round $r"
    for i in 0 1 2; do round "${order[$(( (i + r - 1) % 3 ))]}" "$r"; done
    ratios+="$(awk -v a="${TPS[per-statement.$r]}" -v b="${TPS[pgbench.$r]}" 'BEGIN{printf "%.2f", a / b}') "
    oratios+="$(awk -v a="${TPS[one-sync.$r]}" -v b="${TPS[pgbench.$r]}" 'BEGIN{printf "%.2f", a / b}') "
    all_p+="${TPS[per-statement.$r]} "; all_o+="${TPS[one-sync.$r]} "; all_g+="${TPS[pgbench.$r]} "
  done
  printf 'median tx/s: per-statement %.0f, one-sync %.0f, pgbench %.0f\n' "$(median "$all_p")" "$(median "$all_o")" "$(median "$all_g")"
  echo "per-statement over pgbench by round: ${ratios% } (median $(median "$ratios"))"
  echo "one-sync over pgbench by round: ${oratios% } (median $(median "$oratios"))"
} | tee "$OUT/summary.txt"
log "summary: $OUT/summary.txt"
