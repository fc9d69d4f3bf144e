#!/usr/bin/env bash
# Generation benchmark: one GENERATE_CAMPAIGN of 5 locales (en, es, fr, de,
# pt) x 10 angles x 5 platforms (50 angles, 250 copies) with the built-in
# provider and no images, timed from the mutation to the terminal event, and
# split into our own code versus the database.
#
#   scripts/bench-generation.sh
#   RUNS=1 scripts/bench-generation.sh            # smoke run
#   PERF=1 scripts/bench-generation.sh            # + a perf profile of one run
#
# How the time is split (honestly, from three independent measurements):
#  1. Wall time W: the driver (scripts/bench/ws_driver.mjs generate) opens
#     its WebSocket first, then times generateCampaign until the terminal
#     event arrives on jobProgress. `serve` runs with WORKERS=1 (the job is
#     claimed at once, on the in-process notification). Each run is a new
#     campaign with its own product name, so the step cache never answers
#     for it (no run is cheaper than the first). Median of RUNS runs.
#  2. CPU: user+system time of the server process (our code: GraphQL,
#     generation, sqlx, tokio, event fan-out) and of the Postgres backends of
#     the scratch database (the database's own work), each over the run,
#     from /proc. CPU < W means waiting (round trips, scheduling).
#  3. Statements: one more run with log_min_duration_statement = 0 set on
#     the scratch database only (the server's log shows every statement with
#     the time Postgres spent on it); round trips N = simple statements +
#     extended-protocol parses and executes, server time S = the sum of the
#     logged durations. A trivial statement's round trip r (pgbench SELECT 1,
#     one client, extended protocol, as cs_app) prices the protocol and
#     network part: database time ~ S + N x r, our code ~ W - (S + N x r).
#     That run is only used for N and S (logging slows Postgres down).
#     Needs the Postgres log to be readable here (pg_current_logfile() or the
#     postmaster's stderr); otherwise this part is skipped and said so.
#  PERF=1 also samples the server with `perf record` during one more run
#  and prints the top of `perf report` (where our own CPU time goes).
# Units: jobs.credits_charged (1 per angle, 1 per copy), job_events, angles
# and copies rows. Writes results/bench-generation-<time>.txt.
#
# Settings: RUNS [3] LOCALES [en,es,fr,de,pt] ANGLES [10]
#   PLATFORMS [INSTAGRAM,FACEBOOK,LINKEDIN,X,TIKTOK] GEN_DB [cs_bench_gen]
#   PERF [0] POOL [16] BIN (default: the release build)
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/bench/common.sh"

: "${RUNS:=3}" "${LOCALES:=en,es,fr,de,pt}" "${ANGLES:=10}"
: "${PLATFORMS:=INSTAGRAM,FACEBOOK,LINKEDIN,X,TIKTOK}" "${GEN_DB:=cs_bench_gen}" "${PERF:=0}" "${POOL:=16}"

STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$ROOT/results/bench-generation-$STAMP"
mkdir -p "$OUT"
trap 'rc=$?; stop_started; [ $rc -eq 0 ] || log "bench-generation.sh failed (exit $rc); raw outputs in $OUT"; exit $rc' EXIT
trap 'exit 130' INT TERM

release_bin
dev_secrets
ensure_node_deps
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' || die "Node 18 or later is needed (fetch)"
PGBENCH_BIN=$(command -v pgbench || echo "$(pg_bin)/pgbench")
[ -x "$PGBENCH_BIN" ] || apt_install postgresql-client postgresql
unset LLM_BASE_URL LLM_API_KEY LLM_MODEL IMAGE_MODEL

bench_database "$GEN_DB" 1
DATABASE_URL="$APP_URL" "$BIN" seed --orgs 1 --campaigns 0 >"$OUT/seed.txt"
ORG=$(db_psql -c "SELECT id FROM orgs LIMIT 1")
TOKEN=$("$BIN" token --email bench@seed.test --ttl 21600)
ADMIN_TOKEN=$("$BIN" token --email billing@bench.test --platform-admin --ttl 21600)

PORT=$(free_port)
log "starting the server (WORKERS=1)"
(cd "$OUT" && exec env DATABASE_URL="$APP_URL" BIND_ADDR="127.0.0.1:$PORT" WORKERS=1 DB_POOL_SIZE="$POOL" APP_ENV=production \
  LOG_FORMAT=json RUST_LOG=warn STORAGE=fs STORAGE_DIR="$OUT/objects" "$BIN" serve) >"$OUT/server.log" 2>&1 &
SERVER=$!
started "$SERVER"
wait_http "http://127.0.0.1:$PORT/graphql" "$SERVER" "$OUT/server.log"

HZ=$(getconf CLK_TCK)
backend_ticks() { # CPU ticks of every backend connected to GEN_DB, "pid ticks" per line
  local pid
  for pid in $(db_psql -c "SELECT pid FROM pg_stat_activity WHERE datname = '$GEN_DB' AND pid <> pg_backend_pid()"); do
    echo "$pid $(proc_ticks "$pid")"
  done
}
ticks_delta() { # before-file after-file -> total ticks (new backends count from 0)
  awk 'NR==FNR{b[$1]=$2; next} {d += $2 - ($1 in b ? b[$1] : 0)} END{print d+0}' "$1" "$2"
}

one_run() { # name -> RESULT json in $OUT/run-<name>.json, with CPU figures added
  local name=$1 s0 s1
  backend_ticks >"$OUT/pg0-$name"
  s0=$(proc_ticks "$SERVER")
  JS_DIR="$ROOT/tests/js" HTTP_URL="http://127.0.0.1:$PORT/graphql" WS_URLS="ws://127.0.0.1:$PORT/graphql/ws" \
    TOKEN="$TOKEN" ADMIN_TOKEN="$ADMIN_TOKEN" ORGS="$ORG" LOCALES="$LOCALES" ANGLES="$ANGLES" PLATFORMS="$PLATFORMS" \
    node "$BENCH/ws_driver.mjs" generate >"$OUT/driver-$name.txt" 2>"$OUT/driver-$name.log" \
    || { cat "$OUT/driver-$name.log" >&2; die "run $name: the driver failed"; }
  s1=$(proc_ticks "$SERVER")
  backend_ticks >"$OUT/pg1-$name"
  local res
  res=$(grep '^RESULT ' "$OUT/driver-$name.txt" | cut -c8-)
  python3 - "$res" "$(( (s1 - s0) * 1000 / HZ ))" "$(( $(ticks_delta "$OUT/pg0-$name" "$OUT/pg1-$name") * 1000 / HZ ))" \
    >"$OUT/run-$name.json" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
r["server_cpu_ms"], r["postgres_cpu_ms"] = int(sys.argv[2]), int(sys.argv[3])
print(json.dumps(r))
PY
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["terminal"] == "SUCCEEDED" and not r["errors"] and not r["gaps"] and not r["dups"] else 1)' \
    "$OUT/run-$name.json" || die "run $name did not succeed cleanly: $(cat "$OUT/run-$name.json")"
  local job
  job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job"])' "$OUT/run-$name.json")
  db_psql -F '|' -c "SELECT j.status, j.credits_reserved, j.credits_charged,
      round(extract(epoch FROM j.started_at - j.created_at) * 1000), round(extract(epoch FROM j.finished_at - j.started_at) * 1000),
      (SELECT count(*) FROM job_events e WHERE e.job_id = j.id),
      (SELECT count(*) FROM angles a WHERE a.campaign_id = j.campaign_id),
      (SELECT count(*) FROM copies c WHERE c.campaign_id = j.campaign_id)
    FROM jobs j WHERE j.id = '$job'" >"$OUT/job-$name.txt"
  log "run $name: $(cat "$OUT/run-$name.json")"
}

# -- timed runs (no statement logging)
for i in $(seq "$RUNS"); do one_run "$i"; done

# -- round trip of a trivial statement
printf 'SELECT 1;\n' >"$OUT/select1.sql"
"$PGBENCH_BIN" -n -M prepared -c 1 -j 1 -T 3 -f "$OUT/select1.sql" "$APP_URL" >"$OUT/rtt.txt" 2>&1
RTT_MS=$(awk '/latency average/{print $4}' "$OUT/rtt.txt")

# -- the statement profile, from one more run with log_min_duration_statement = 0
PGLOG=""
DATA_DIR=$(db_psql -c "SHOW data_directory")
CUR=$(db_psql -c "SELECT pg_current_logfile()")
if [ -n "$CUR" ]; then
  case "$CUR" in /*) PGLOG=$CUR;; *) PGLOG="$DATA_DIR/$CUR";; esac
elif [ -r "$DATA_DIR/postmaster.pid" ]; then
  PGLOG=$(readlink "/proc/$(head -1 "$DATA_DIR/postmaster.pid")/fd/2" 2>/dev/null || true)
fi
PROFILE=""
if [ -n "$PGLOG" ] && [ -r "$PGLOG" ] && [ -f "$PGLOG" ]; then
  db_psql -c "ALTER DATABASE $GEN_DB SET log_min_duration_statement = 0" >/dev/null
  # new sessions only: restart the server so that its pool reconnects
  stop_pid "$SERVER"
  (cd "$OUT" && exec env DATABASE_URL="$APP_URL" BIND_ADDR="127.0.0.1:$PORT" WORKERS=1 DB_POOL_SIZE="$POOL" APP_ENV=production \
    LOG_FORMAT=json RUST_LOG=warn STORAGE=fs STORAGE_DIR="$OUT/objects" "$BIN" serve) >>"$OUT/server.log" 2>&1 &
  SERVER=$!
  started "$SERVER"
  wait_http "http://127.0.0.1:$PORT/graphql" "$SERVER" "$OUT/server.log"
  OFFSET=$(stat -c %s "$PGLOG")
  one_run logged
  sleep 1
  tail -c +"$((OFFSET + 1))" "$PGLOG" | grep -a "@$GEN_DB " >"$OUT/statements.log" || true
  db_psql -c "ALTER DATABASE $GEN_DB RESET log_min_duration_statement" >/dev/null
  PROFILE=$(awk '
    / duration: / {
      for (i = 1; i <= NF; i++) if ($i == "duration:") { d = $(i + 1); kind = $(i + 3) }
      total += d
      if (kind == "statement:") { simple++; rt++ }
      else if (kind == "execute") { exec_++; rt++ }
      else if (kind == "parse") { parse++; rt++ }
      else if (kind == "bind") { bind++ }
    }
    END { printf "%d %.1f %d %d %d", rt, total, simple, exec_, parse }' "$OUT/statements.log")
else
  log "the Postgres log is not readable here ($PGLOG): no statement profile"
fi

# -- optional perf profile of one more run
if [ "$PERF" = 1 ]; then
  command -v perf >/dev/null || apt_install linux-perf
  perf record -F 999 -o "$OUT/perf.data" -p "$SERVER" >"$OUT/perf-record.log" 2>&1 &
  PERF_PID=$!
  started "$PERF_PID"
  sleep 1
  one_run perf
  kill -INT "$PERF_PID" 2>/dev/null || true
  wait "$PERF_PID" 2>/dev/null || true
  perf report -i "$OUT/perf.data" --stdio --sort dso,symbol 2>/dev/null | grep -v '^#' | grep -v '^$' \
    | sed -E 's/ {2,}/  /g' | cut -c1-160 | head -30 >"$OUT/perf-top.txt" || true
fi

TXT="$ROOT/results/bench-generation-$STAMP.txt"
python3 - "$OUT" "$RUNS" "${RTT_MS:-}" "$PROFILE" "$LOCALES" "$ANGLES" "$PLATFORMS" <<'PY' | tee "$TXT"
import json, os, statistics, sys
out, runs, rtt, profile, locales, angles, platforms = sys.argv[1:8]
runs = [json.load(open(os.path.join(out, f"run-{i}.json"))) for i in range(1, int(runs) + 1)]
jobs = [open(os.path.join(out, f"job-{i}.txt")).read().strip().split("|") for i in range(1, len(runs) + 1)]
med = lambda k: statistics.median(r[k] for r in runs)
W = med("wall_ms")
print(f"Generation benchmark: GENERATE_CAMPAIGN {locales} x {angles} angles x {platforms.count(',') + 1} platforms, "
      f"built-in provider, no images; {len(runs)} run(s), host {os.cpu_count()} cores")
print()
print("run  wall ms  mutation ms  queued->started ms  started->finished ms  events  credits  angles  copies  server CPU ms  postgres CPU ms")
for i, (r, j) in enumerate(zip(runs, jobs), 1):
    status, reserved, charged, wait_ms, run_ms, events, n_angles, n_copies = j
    print(f"{i:<4} {r['wall_ms']:>7.0f}  {r['mutation_ms']:>11.1f}  {wait_ms:>17}  {run_ms:>20}  {events:>6}  {charged:>7}  "
          f"{n_angles:>6}  {n_copies:>6}  {r['server_cpu_ms']:>13}  {r['postgres_cpu_ms']:>15}")
print()
srv, pg = med("server_cpu_ms"), med("postgres_cpu_ms")
print(f"median wall {W:.0f} ms; server process CPU {srv:.0f} ms ({100 * srv / W:.0f}% of wall), "
      f"Postgres backends CPU {pg:.0f} ms ({100 * pg / W:.0f}% of wall)")
if profile and rtt:
    n, s, simple, execs, parses = profile.split()
    n, s, r = int(n), float(s), float(rtt)
    db = s + n * r
    print(f"statements (logged run): {n} round trips ({simple} simple incl. BEGIN+tenant and COMMIT, {execs} executes, "
          f"{parses} parses), {s:.0f} ms inside Postgres; trivial round trip r = {r:.3f} ms")
    print(f"estimate: database {db:.0f} ms (= {s:.0f} + {n} x {r:.3f}) = {100 * db / W:.0f}% of the median wall; "
          f"our code and waiting {W - db:.0f} ms = {100 * (W - db) / W:.0f}%")
else:
    print("statement profile: not available (Postgres log not readable here)")
perf = os.path.join(out, "perf-top.txt")
if os.path.exists(perf):
    print()
    print("perf (server process, one run, self time by symbol):")
    print(open(perf).read().rstrip())
PY
log "table: $TXT; raw outputs: $OUT"
