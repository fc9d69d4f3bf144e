#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, then the whole suite
# (unit tests and integration tests against real Postgres, Redis, an
# S3-compatible server and local stand-ins for LLM providers).
#
#   scripts/test.sh                 everything
#   scripts/test.sh -E 'test(rls)'  extra arguments go to cargo nextest
source "$(dirname "$0")/lib.sh"

ensure_rust
ensure_postgres
ensure_redis
ensure_s3
ensure_node_deps
trap '[ -n "${S3_PID:-}" ] && kill "$S3_PID" 2>/dev/null || true' EXIT

cd "$ROOT"
if [ "${SKIP_LINT:-0}" != 1 ]; then
  log "cargo fmt --check"
  cargo fmt --all -- --check
  log "cargo clippy"
  cargo clippy -q --workspace --all-targets -- -D warnings
fi

# Test databases are clones of a migrated template, each dropped by its
# test; a killed run cannot clean up, so drop leftovers older than two
# hours (the name carries the creation time; younger ones may belong to a
# run still going).
cutoff=$(( $(date +%s) - 7200 ))
psql "$MIGRATION_DATABASE_URL" -qAt -c "SELECT datname FROM pg_database WHERE datname ~ '^cs_t_[0-9]+_'" 2>/dev/null \
  | while read -r db; do
      created=${db#cs_t_}; created=${created%%_*}
      if [ "$created" -lt "$cutoff" ]; then
        psql "$MIGRATION_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
      fi
    done

export TEST_REDIS_URL="$REDIS_URL"
unset REDIS_URL
log "building the tests"
cargo build -q --bin campaign-studio
export CAMPAIGN_STUDIO_BIN="$CARGO_TARGET_DIR/debug/campaign-studio"
log "running the tests"
if command -v cargo-nextest >/dev/null; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
