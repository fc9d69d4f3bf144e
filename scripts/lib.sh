# Shared bootstrap for scripts/*.sh: finds or starts what the project needs
# (PostgreSQL, Redis, an S3-compatible server, Node for the JS clients) and
# exports the settings the server and the tests read. Sourced, not run.
#
# Honours DATABASE_URL / MIGRATION_DATABASE_URL / REDIS_URL when set; else
# uses a running local server; else installs Debian's packages with apt and
# starts private instances under .local/ in the project.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/campaign-studio/target}"
mkdir -p "$LOCAL"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi
}

apt_install() {
  log "installing with apt: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 \
    || { as_root apt-get update -qq >/dev/null 2>&1; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null; }
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# ---------------------------------------------------------------- Postgres

pg_bin() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  [ -n "$v" ] && echo "/usr/lib/postgresql/$v/bin"
}

# Runs psql as a superuser of the server we use; PG_ADMIN_URL says how.
admin_psql() { psql "$PG_ADMIN_URL" -v ON_ERROR_STOP=1 -qAt "$@"; }

start_private_postgres() {
  local bin data port
  command -v psql >/dev/null && [ -n "$(pg_bin)" ] || apt_install postgresql postgresql-client
  bin=$(pg_bin)
  data="$LOCAL/pgdata"
  port_file="$LOCAL/pg.port"
  local runas=()
  if [ "$(id -u)" = 0 ]; then runas=(runuser -u postgres --); fi
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating a private PostgreSQL cluster in $data"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$LOCAL/pgdata"
    "${runas[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust --locale=C.UTF-8 >/dev/null
    free_port > "$port_file"
  fi
  port=$(cat "$port_file")
  if ! "${runas[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "starting the private PostgreSQL on 127.0.0.1:$port"
    "${runas[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off" start >/dev/null
  fi
  PG_ADMIN_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}

ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ] && [ -n "${MIGRATION_DATABASE_URL:-}" ]; then
    log "using DATABASE_URL and MIGRATION_DATABASE_URL from the environment"
    PG_ADMIN_URL="${PG_ADMIN_URL:-}"
    return
  fi
  command -v psql >/dev/null || apt_install postgresql-client
  if [ -n "${PG_ADMIN_URL:-}" ] && psql "$PG_ADMIN_URL" -qAtc 'select 1' >/dev/null 2>&1; then
    :
  elif psql "postgresql://postgres@127.0.0.1:5432/postgres" -qAtc 'select 1' >/dev/null 2>&1; then
    PG_ADMIN_URL="postgresql://postgres@127.0.0.1:5432/postgres"
  else
    start_private_postgres
  fi
  local hostport
  hostport=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(f"{p.hostname}:{p.port or 5432}")' "$PG_ADMIN_URL")
  # The owner (runs migrations, may create test databases) and the
  # application role (no superuser, no BYPASSRLS, owns nothing).
  admin_psql <<SQL >/dev/null
SET client_min_messages = warning;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cs_owner') THEN
    CREATE ROLE cs_owner LOGIN PASSWORD 'cs_owner' CREATEDB;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cs_app') THEN
    CREATE ROLE cs_app LOGIN PASSWORD 'cs_app' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END \$\$;
-- lets the owner drop test databases the application role is still connected to
GRANT pg_signal_backend TO cs_owner;
SQL
  local db="${CS_DATABASE:-campaign_studio}"
  if [ -z "$(admin_psql -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    admin_psql -c "CREATE DATABASE $db OWNER cs_owner" >/dev/null
  fi
  # TLS to a server on this machine protects nothing and costs a lot: the
  # Campaign API benchmark's Q1 ran 37% faster without it.
  local opts=""
  case "$hostport" in 127.*|localhost:*) opts="?sslmode=disable" ;; esac
  export MIGRATION_DATABASE_URL="postgres://cs_owner:cs_owner@$hostport/$db$opts"
  export DATABASE_URL="postgres://cs_app:cs_app@$hostport/$db$opts"
  export PG_ADMIN_URL
}

# ---------------------------------------------------------------- Redis

ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then return; fi
  if command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
    export REDIS_URL="redis://127.0.0.1:6379"
    return
  fi
  command -v redis-server >/dev/null || apt_install redis-server
  local port_file="$LOCAL/redis.port" port
  [ -f "$port_file" ] || free_port > "$port_file"
  port=$(cat "$port_file")
  if ! redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
    log "starting a private Redis on 127.0.0.1:$port"
    mkdir -p "$LOCAL/redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
      --dir "$LOCAL/redis" --logfile "$LOCAL/redis/redis.log" >/dev/null
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  fi
  export REDIS_URL="redis://127.0.0.1:$port"
}

# ---------------------------------------------------------------- S3 (tests)

S3S_VERSION=0.14.1

ensure_s3() {
  if [ -n "${TEST_S3_ENDPOINT:-}" ]; then return; fi
  if ! command -v s3s-fs >/dev/null || ! s3s-fs --version 2>/dev/null | grep -q "$S3S_VERSION"; then
    log "installing s3s-fs $S3S_VERSION (an S3-compatible server for the tests; a few minutes, once)"
    cargo install s3s-fs --version "$S3S_VERSION" --features binary --locked >/dev/null 2>&1 \
      || die "cannot install s3s-fs"
  fi
  local port dir
  port=$(free_port)
  dir="$LOCAL/s3"
  rm -rf "$dir" && mkdir -p "$dir"
  s3s-fs --host 127.0.0.1 --port "$port" --access-key testing --secret-key testingsecret "$dir" >"$LOCAL/s3.log" 2>&1 &
  S3_PID=$!
  for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  export TEST_S3_ENDPOINT="http://127.0.0.1:$port" TEST_S3_ACCESS_KEY=testing TEST_S3_SECRET_KEY=testingsecret
  export AWS_EC2_METADATA_DISABLED=true
}

# ---------------------------------------------------------------- Node (JS clients in tests)

ensure_node_deps() {
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  local js="$ROOT/tests/js"
  if [ ! -d "$js/node_modules" ] || [ "$js/package-lock.json" -nt "$js/node_modules/.installed" ]; then
    log "installing the JS test clients (graphql-http, graphql-ws)"
    (cd "$js" && npm ci --no-audit --no-fund --silent >/dev/null && touch node_modules/.installed)
  fi
}

# ---------------------------------------------------------------- Rust

ensure_rust() {
  command -v cargo >/dev/null || die "Rust is needed (cargo, rustc 1.95): https://rustup.rs"
}

# Development defaults for the server's secrets (never used in production:
# APP_ENV=production requires them to be set explicitly).
dev_secrets() {
  export JWT_SECRET="${JWT_SECRET:-dev-jwt-secret-change-me-0123456789}"
  export SECRET_KEY="${SECRET_KEY:-dev-secret-key-change-me-0123456789}"
}
