//! The audit log: one row per state-changing mutation, written in the same
//! transaction as the change (so a rolled-back change leaves no entry).

use super::{all, exec};
use crate::graphql::relay::TimeCursor;
use crate::tenancy::{Actor, OrgCtx};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct AuditRow {
    pub id: Uuid,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub metadata: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[tracing::instrument(skip(db, metadata))]
pub async fn record(
    db: &impl ConnectionTrait,
    org: OrgCtx,
    actor: Actor,
    action: &str,
    target_type: &str,
    target_id: Option<Uuid>,
    metadata: serde_json::Value,
) -> Result<(), DbErr> {
    exec(
        db,
        "INSERT INTO audit_events (org_id, actor_user_id, actor_api_key_id, action, target_type, target_id, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            org.org_id.into(),
            actor.user_id.into(),
            actor.api_key_id.into(),
            action.into(),
            target_type.into(),
            target_id.into(),
            metadata.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Newest first, keyset on (at, id).
pub async fn list(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    after: Option<&TimeCursor>,
    fetch: i64,
) -> Result<Vec<AuditRow>, DbErr> {
    let (at, id) = after.map(|c| (Some(c.0), Some(c.1))).unwrap_or((None, None));
    all(
        db,
        "SELECT id, actor_user_id, actor_api_key_id, action, target_type, target_id, metadata, at
           FROM audit_events
          WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (at, id) < ($2, $3))
          ORDER BY at DESC, id DESC LIMIT $4",
        [org_id.into(), at.into(), id.into(), fetch.into()],
    )
    .await
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<AuditRow>, DbErr> {
    all(
        db,
        "SELECT id, actor_user_id, actor_api_key_id, action, target_type, target_id, metadata, at FROM audit_events WHERE id = ANY($1)",
        [ids.to_vec().into()],
    )
    .await
}

pub async fn count(db: &impl ConnectionTrait, org_id: Uuid) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct N {
        n: i64,
    }
    Ok(super::one::<N>(
        db,
        "SELECT count(*) AS n FROM audit_events WHERE org_id = $1",
        [org_id.into()],
    )
    .await?
    .map_or(0, |r| r.n))
}
