//! Progress events: stored in `job_events` with a gap-free per-job `seq`
//! (the job row is the counter, updated in the same transaction, so two
//! writers can never take the same number), published after commit.

use crate::error::AppResult;
use crate::events::JobEventMsg;
use crate::repo::one;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

/// An event about to be stored.
#[derive(Clone, Debug, Default)]
pub struct NewEvent<'a> {
    pub r#type: &'a str,
    pub step: Option<&'a str>,
    /// New overall progress (0..1); `None` keeps the job's current value.
    pub progress: Option<f32>,
    pub message: Option<String>,
    pub artifact: Option<(&'a str, Uuid)>,
}

#[derive(FromQueryResult)]
struct Stored {
    seq: i32,
    progress: f32,
    at: DateTime<Utc>,
}

/// Stores an event (and the job's progress/current step) in `db`'s
/// transaction; returns it for publishing after commit.
pub async fn append(db: &impl ConnectionTrait, org_id: Uuid, job_id: Uuid, e: NewEvent<'_>) -> AppResult<JobEventMsg> {
    let stored: Stored = one(
        db,
        "WITH j AS (
           UPDATE jobs SET last_seq = last_seq + 1,
                  progress = coalesce($3, progress),
                  current_step = CASE WHEN $4::text IS NULL THEN current_step ELSE $4 END
            WHERE org_id = $1 AND id = $2
            RETURNING last_seq, progress)
         INSERT INTO job_events (org_id, job_id, seq, type, step, progress, message, artifact_type, artifact_id)
         SELECT $1, $2, j.last_seq, $5, $4, j.progress, $6, $7, $8 FROM j
         RETURNING seq, progress, at",
        [
            org_id.into(),
            job_id.into(),
            e.progress.into(),
            e.step.map(str::to_string).into(),
            e.r#type.into(),
            e.message.clone().into(),
            e.artifact.map(|(t, _)| t.to_string()).into(),
            e.artifact.map(|(_, id)| id).into(),
        ],
    )
    .await?
    .ok_or(crate::error::AppError::NotFound("job"))?;
    Ok(JobEventMsg {
        org_id,
        job_id,
        seq: stored.seq,
        r#type: e.r#type.to_string(),
        step: e.step.map(str::to_string),
        progress: stored.progress,
        message: e.message,
        artifact_type: e.artifact.map(|(t, _)| t.to_string()),
        artifact_id: e.artifact.map(|(_, id)| id),
        at: stored.at,
    })
}
