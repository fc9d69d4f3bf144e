#!/usr/bin/env bash
# Runs Campaign Studio locally: makes sure PostgreSQL is reachable, applies
# migrations, creates a demo org and user, prints a dev token and the
# GraphiQL URL, then serves on 127.0.0.1:8080 (BIND_ADDR to change).
source "$(dirname "$0")/lib.sh"

ensure_rust
ensure_postgres
dev_secrets
export BIND_ADDR="${BIND_ADDR:-127.0.0.1:8080}"
export STORAGE_DIR="${STORAGE_DIR:-$ROOT/data/objects}"

log "building"
cargo build -q --bin campaign-studio
BIN="$CARGO_TARGET_DIR/debug/campaign-studio"

log "migrating"
"$BIN" migrate
"$BIN" seed --demo >/dev/null
TOKEN=$("$BIN" token --email demo@example.com)
ORG=$("$BIN" seed --demo --print-org)

cat <<MSG

  GraphiQL:   http://$BIND_ADDR/graphql
  Headers:    {"Authorization": "Bearer $TOKEN", "X-Org-Id": "$ORG"}

  (a dev token for demo@example.com, OWNER of the "Demo" org, valid 12 h)

MSG
exec "$BIN" serve
