//! Jobs (what the API shows) and their progress events.

use super::{all, one};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct JobRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: String,
    pub status: String,
    pub campaign_id: Option<Uuid>,
    pub target_id: Option<Uuid>,
    pub input: serde_json::Value,
    pub attempts: i32,
    pub max_attempts: i32,
    pub cancel_requested: bool,
    pub progress: f32,
    pub current_step: Option<String>,
    pub error: Option<String>,
    pub credits_reserved: i32,
    pub credits_charged: i32,
    pub last_seq: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub const JOB_COLS: &str = "id, org_id, kind, status, campaign_id, target_id, input, attempts, max_attempts, \
     cancel_requested, progress, current_step, error, credits_reserved, credits_charged, last_seq, created_by, \
     created_at, started_at, finished_at";

#[derive(Clone, Debug, FromQueryResult)]
pub struct JobEventRow {
    pub job_id: Uuid,
    pub seq: i32,
    pub r#type: String,
    pub step: Option<String>,
    pub progress: f32,
    pub message: Option<String>,
    pub artifact_type: Option<String>,
    pub artifact_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

pub const EVENT_COLS: &str = "job_id, seq, type, step, progress, message, artifact_type, artifact_id, at";

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<JobRow>, DbErr> {
    all(
        db,
        &format!("SELECT {JOB_COLS} FROM jobs WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<JobRow>, DbErr> {
    one(db, &format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"), [id.into()]).await
}

pub async fn lock(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<JobRow>, DbErr> {
    one(
        db,
        &format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1 FOR UPDATE"),
        [id.into()],
    )
    .await
}

pub async fn events_after(db: &impl ConnectionTrait, job_id: Uuid, after_seq: i32) -> Result<Vec<JobEventRow>, DbErr> {
    all(
        db,
        &format!("SELECT {EVENT_COLS} FROM job_events WHERE job_id = $1 AND seq > $2 ORDER BY seq"),
        [job_id.into(), after_seq.into()],
    )
    .await
}

/// Jobs of a campaign that have not finished.
pub async fn active_for_campaign(db: &impl ConnectionTrait, campaign_id: Uuid) -> Result<Vec<JobRow>, DbErr> {
    all(
        db,
        &format!(
            "SELECT {JOB_COLS} FROM jobs WHERE campaign_id = $1 AND status IN ('QUEUED', 'RUNNING') ORDER BY created_at"
        ),
        [campaign_id.into()],
    )
    .await
}
