//! `Idempotency-Key` for mutations: the same key and the same body within
//! 24 h replays the first response; the same key with another body is
//! CONFLICT. Keys are scoped to the org (or to the user when there is none).
//!
//! The key row is inserted at the start of the request's transaction and the
//! response stored before commit, so a concurrent duplicate waits on the
//! unique index until the first commits (then replays it) or rolls back
//! (then runs itself): exactly one write either way.

use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::tenancy::RequestCtx;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

pub enum Idempotency {
    /// First use: run, then store the response under this row.
    Fresh(Uuid),
    /// Seen before with the same body: send this.
    Replay(serde_json::Value),
}

/// A digest of what makes two requests "the same body".
pub fn request_hash(req: &async_graphql::Request) -> String {
    let canonical = serde_json::json!({
        "query": req.query,
        "operationName": req.operation_name,
        "variables": serde_json::to_value(&req.variables).unwrap_or_default(),
    });
    crate::crypto::sha256_hex(canonical.to_string().as_bytes())
}

pub async fn begin(tx: &Tx, ctx: &RequestCtx, key: &str, hash: &str) -> AppResult<Idempotency> {
    if key.chars().count() > 255 {
        return Err(AppError::validation(
            "Idempotency-Key",
            "Idempotency-Key must be at most 255 characters",
        ));
    }
    let org_id = ctx.org.map(|o| o.org_id);
    let user_id = match org_id {
        Some(_) => None,
        None => Some(ctx.require_user()?),
    };
    let conflict_target = if org_id.is_some() {
        "(org_id, key) WHERE org_id IS NOT NULL"
    } else {
        "(user_id, key) WHERE org_id IS NULL"
    };
    let scope_filter = if org_id.is_some() {
        "org_id = $1 AND key = $3"
    } else {
        "org_id IS NULL AND user_id = $2 AND key = $3"
    };
    // Expired keys make room for a new use of the same key.
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("DELETE FROM idempotency_keys WHERE {scope_filter} AND created_at < now() - interval '24 hours'"),
        [org_id.into(), user_id.into(), key.into()],
    ))
    .await?;
    let inserted = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "INSERT INTO idempotency_keys (org_id, user_id, key, request_hash) VALUES ($1, $2, $3, $4)
                 ON CONFLICT {conflict_target} DO NOTHING RETURNING id"
            ),
            [org_id.into(), user_id.into(), key.into(), hash.into()],
        ))
        .await?;
    if let Some(row) = inserted {
        return Ok(Idempotency::Fresh(row.try_get("", "id")?));
    }
    let existing = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT request_hash, response FROM idempotency_keys WHERE {scope_filter}"),
            [org_id.into(), user_id.into(), key.into()],
        ))
        .await?
        .ok_or_else(|| AppError::conflict("this Idempotency-Key is in use by a request that is still running"))?;
    let stored_hash: String = existing.try_get("", "request_hash")?;
    if stored_hash != hash {
        return Err(AppError::conflict(
            "this Idempotency-Key was used with a different request body",
        ));
    }
    let response: Option<serde_json::Value> = existing.try_get("", "response")?;
    response
        .map(Idempotency::Replay)
        .ok_or_else(|| AppError::conflict("this Idempotency-Key is in use by a request that is still running"))
}

pub async fn finish(tx: &Tx, id: Uuid, response: &serde_json::Value) -> AppResult<()> {
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE idempotency_keys SET response = $2 WHERE id = $1",
        [id.into(), response.clone().into()],
    ))
    .await?;
    Ok(())
}
