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

/// An audit event to write in the same statement as the change it records.
pub struct Event<'a> {
    pub org: OrgCtx,
    pub actor: Actor,
    pub action: &'a str,
    pub target_type: &'a str,
    pub metadata: serde_json::Value,
}

/// Wraps `sql` — a statement returning the one changed row, `id` included —
/// so the same statement also writes `event` with that row as its target:
/// one round trip instead of two, and still nothing logged if the change
/// fails. `values` are `sql`'s parameters; the event's are appended.
pub fn with_event(sql: &str, values: &mut Vec<sea_orm::Value>, event: Event<'_>) -> String {
    let first = values.len() + 1;
    values.extend([
        event.org.org_id.into(),
        event.actor.user_id.into(),
        event.actor.api_key_id.into(),
        event.action.into(),
        event.target_type.into(),
        event.metadata.into(),
    ]);
    let p = |i: usize| format!("${}", first + i);
    format!(
        "WITH changed AS ({sql}),
              logged AS (INSERT INTO audit_events (org_id, actor_user_id, actor_api_key_id, action, target_type, target_id, metadata)
                         SELECT {}, {}, {}, {}, {}, changed.id, {} FROM changed)
         SELECT * FROM changed",
        p(0),
        p(1),
        p(2),
        p(3),
        p(4),
        p(5)
    )
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
