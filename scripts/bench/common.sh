# Helpers shared by scripts/bench*.sh. Sourced after scripts/lib.sh.
#
# Every process a benchmark starts is recorded with `started PID` and
# stopped (TERM, then KILL after 10 s) by `stop_started` on exit: nothing
# else is ever signalled.

BENCH="$ROOT/scripts/bench"
STARTED_PIDS=()

started() { STARTED_PIDS+=("$1"); }

stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_started() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  STARTED_PIDS=()
}

# The release binary: $BIN if set, else built (a no-op when up to date).
release_bin() {
  if [ -n "${BIN:-}" ]; then
    [ -x "$BIN" ] || die "BIN=$BIN is not an executable"
    return
  fi
  ensure_rust
  log "building the release binary (a no-op when it is up to date)"
  (cd "$ROOT" && cargo build --release --bin campaign-studio)
  BIN="$CARGO_TARGET_DIR/release/campaign-studio"
}

# A fresh (or kept, with SKIP_SEED=1) database $1 on the loopback Postgres
# that lib.sh finds or starts; sets APP_URL, OWNER_URL, DB_ADMIN_URL.
bench_database() {
  local db=$1 fresh=$2
  unset DATABASE_URL MIGRATION_DATABASE_URL
  CS_DATABASE="$db" ensure_postgres
  local host
  host=$(python3 -c 'import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).hostname)' "$PG_ADMIN_URL")
  case "$host" in 127.*|localhost|::1) ;; *) die "benchmarks run against a loopback Postgres only (got $host)";; esac
  DB_ADMIN_URL=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/"+sys.argv[2]).geturl())' "$PG_ADMIN_URL" "$db")
  APP_URL="$DATABASE_URL"
  OWNER_URL="$MIGRATION_DATABASE_URL"
  if [ "${DB_TRANSPORT:-tcp}" = unix ]; then
    APP_URL=$(unix_url "$APP_URL")
  fi
  if [ "$fresh" = 1 ]; then
    log "creating a fresh database $db"
    admin_psql -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
    admin_psql -c "CREATE DATABASE $db OWNER cs_owner" >/dev/null
    MIGRATION_DATABASE_URL="$OWNER_URL" DATABASE_URL="$APP_URL" "$BIN" migrate >/dev/null
  fi
  # The server runs from these settings only, nothing from the caller's shell.
  unset DATABASE_URL MIGRATION_DATABASE_URL REDIS_URL
}

# $1 with its host and port replaced by the Postgres server's Unix socket
# (the same server: its port, the first of its socket directories that
# holds that port's socket), percent-encoded as libpq, tokio-postgres and
# node-postgres all read it.
unix_url() {
  local port dirs
  port=$(admin_psql -c "SHOW port")
  dirs=$(admin_psql -c "SHOW unix_socket_directories")
  python3 - "$1" "$port" "$dirs" <<'PY'
import os, sys, urllib.parse as u
url, port, dirs = sys.argv[1], sys.argv[2], sys.argv[3]
found = [d.strip() for d in dirs.split(",") if os.path.exists(os.path.join(d.strip(), f".s.PGSQL.{port}"))]
if not found:
    sys.exit(f"no Unix socket for port {port} in {dirs}")
p = u.urlparse(url)
auth = p.netloc.rsplit("@", 1)[0] + "@" if "@" in p.netloc else ""
print(p._replace(netloc=f"{auth}{u.quote(found[0], safe='')}:{port}").geturl())
PY
}

db_psql() { psql "$DB_ADMIN_URL" -X -v ON_ERROR_STOP=1 -qAt "$@"; }

# Rows the mutations made (bench-...) and their audit events. audit_events
# is append-only even for the owner (a trigger): the superuser deletes with
# triggers off for this session only (session_replication_role).
cleanup_mutations() {
  db_psql <<'SQL' >/dev/null
SET session_replication_role = replica;
DELETE FROM audit_events WHERE action = 'campaign.create' AND metadata->>'name' LIKE 'bench-%';
DELETE FROM campaigns WHERE name LIKE 'bench-%';
SET session_replication_role = DEFAULT;
VACUUM ANALYZE campaigns;
VACUUM ANALYZE audit_events;
SQL
}

wait_http() { # URL PID LOGFILE: until POST {__typename} answers
  local url=$1 pid=$2 logf=$3
  for _ in $(seq 200); do
    if curl -fsS -m 2 -H 'Content-Type: application/json' -d '{"query":"{ __typename }"}' "$url" >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  tail -20 "$logf" >&2 || true
  die "no answer from $url (log: $logf)"
}

# Peak resident memory (VmHWM) of a process, in MiB.
peak_rss_mib() {
  awk '/^VmHWM:/{printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "-"
}

# CPU ticks (user+system) of a process; of the whole host (busy, total).
proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
host_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }

# "pid ticks" of each Postgres backend serving $BENCH_DB (both servers'
# pools; only the one under load is busy).
db_snapshot() {
  local pids
  pids=$(pgrep -d ' ' -f "^postgres: .* $BENCH_DB " || true)
  [ -n "$pids" ] || return 0
  # One reader for all of them: this runs twice a second beside the load,
  # on the same two cores. (A backend gone meanwhile is skipped.)
  (cd /proc && awk '{print $1, $14 + $15}' $(printf '%s/stat ' $pids) 2>/dev/null) || true
}

# Snapshots the backends every half second until killed (into $1). A
# backend can exit before the end snapshot: an idle one the other server's
# pool closes, or ours when wrk stops mid-request (a transaction cut off is
# closed with its connection), taking its counter with it; its last reading
# here keeps what it spent.
db_watch() {
  while :; do db_snapshot; sleep 0.5; done >"$1"
}

# The backends' CPU over one run, in files under $1: db_watch_start before
# the run, db_watch_stop after it, then db_spent prints the ticks they spent.
db_watch_start() {
  db_snapshot >"$1/db-ticks-0"
  db_watch "$1/db-ticks-run" &
  DB_WATCHER=$!
}
db_watch_stop() {
  db_snapshot >"$1/db-ticks-1"
  kill "$DB_WATCHER" 2>/dev/null; wait "$DB_WATCHER" 2>/dev/null || true
}
db_spent() { db_delta "$1/db-ticks-0" "$1/db-ticks-run" "$1/db-ticks-1"; }

# Ticks the backends spent from the start snapshot ($1) to their last
# reading in the later ones ($2...); a backend born meanwhile counts whole.
db_delta() {
  awk 'FILENAME == ARGV[1] { a[$1] = $2; next }
       $2 > 0 && $2 > m[$1] { m[$1] = $2 }
       END { for (p in m) d += m[p] - ((p in a) ? a[p] : 0); print d + 0 }' "$@"
}

# Ticks of CPU (user + system) in a file bash's `time` wrote with
# TIMEFORMAT='%3U %3S'.
time_ticks() { awk -v hz="$(getconf CLK_TCK)" 'NF == 2 {t = ($1 + $2) * hz} END {printf "%d", t}' "$1"; }

# Starts our server as every benchmark runs it, in the background, and sets
# OURS_PID: the application role on $APP_URL, no job workers, $POOL
# connections, production settings, objects on disk.
#   start_ours PORT OBJECTS_DIR LOG [SETTINGS] [PREFIX] [BIN]
# SETTINGS (more NAME=value) and PREFIX (a command it runs under) are word lists.
start_ours() {
  local port=$1 objects=$2 log=$3 settings=${4:-} prefix=${5:-} bin=${6:-$BIN}
  mkdir -p "$objects"
  # shellcheck disable=SC2086 # the settings and the prefix are word lists
  (cd "$OUT" && exec env DATABASE_URL="$APP_URL" BIND_ADDR="127.0.0.1:$port" WORKERS=0 DB_POOL_SIZE="$POOL" \
    APP_ENV=production LOG_FORMAT=json RUST_LOG=warn STORAGE=fs STORAGE_DIR="$objects" $settings \
    $prefix "$bin" serve) >"$log" 2>&1 &
  OURS_PID=$!
  started "$OURS_PID"
}

# wrk with gql.lua: BODY (a request body file, see gql.lua) against BASE
# (http://host:port) for SECS seconds, $CONNS connections, $THREADS threads;
# its output into OUT. Ids from $OUT/ids.txt, the token from $TOKEN.
gql_load() { # body base secs out
  BENCH_BODY="$1" BENCH_IDS="$OUT/ids.txt" BENCH_TOKEN="$TOKEN" BENCH_PATH=/graphql \
    wrk -t"$THREADS" -c"$CONNS" -d"${3}s" --timeout 10s -s "$BENCH/gql.lua" "$2" >"$4" 2>&1 || true
}

us_per() { # ticks requests -> microseconds of CPU per request
  awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN{ if (n + 0 == 0) print "-"; else printf "%.0f", 1e6 * t / hz / n }'
}

# The value of key $2 in a "k=v k=v" line $1 (gql.lua's RESULT line).
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1==k{print $2}'; }

# The median of a space-separated list of numbers (the lower middle one).
median() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '{a[NR]=$1} END{if (NR) print a[int((NR + 1) / 2)]}'; }

# "org campaign" per line, every seeded campaign: the pairs gql.lua picks from.
bench_ids() {
  db_psql -F ' ' -c "SELECT org_id, id FROM campaigns WHERE name NOT LIKE 'bench-%' ORDER BY org_id, id"
}

# A GraphQL request body (JSON) from a query file $1 and its variables file
# $2, if there is one.
graphql_body() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
q, v = sys.argv[1], sys.argv[2]
print(json.dumps({"query": open(q).read(), "variables": json.load(open(v)) if os.path.exists(v) else {}}))
PY
}
