//! Durable jobs.
//!
//! A job is two rows: `jobs` (what the API shows, under the org's RLS) and
//! `job_queue` (what workers claim). Both are written in the transaction of
//! the change that causes the job, together with the credit reservation: no
//! job without a reservation, no reservation without a job. Workers claim
//! with `FOR UPDATE SKIP LOCKED` and a lease they heart-beat; a worker that
//! dies leaves the lease to expire and another worker picks the job up.
//! Steps are idempotent (their outputs and charges are keyed), so a retried
//! job continues where the last attempt committed.

pub mod events;
pub mod pricing;
mod run;
pub mod steps;
mod worker;

pub use run::{JobError, JobRun, Step};
pub use worker::{Worker, WorkerPool};

use crate::error::{AppError, AppResult};
use crate::events::{Event, JobEventMsg};
use crate::repo::job::JobRow;
use crate::repo::{self, ledger};
use crate::tenancy::Actor;
use events::NewEvent;
use sea_orm::ConnectionTrait;
use std::sync::Arc;
use uuid::Uuid;

/// Wakes this process's idle workers when a job was queued here (workers
/// elsewhere find it on their next poll).
#[derive(Clone, Default)]
pub struct JobSignal(Arc<tokio::sync::Notify>);

impl JobSignal {
    pub fn notify(&self) {
        self.0.notify_waiters();
    }
    pub async fn notified(&self) {
        self.0.notified().await;
    }
}

/// A job to queue.
pub struct NewJob {
    pub kind: &'static str,
    pub campaign_id: Option<Uuid>,
    pub target_id: Option<Uuid>,
    pub input: serde_json::Value,
    /// Worst-case credits, reserved now.
    pub cost: i64,
}

/// Queues a job in `db`'s transaction: the job row, its credit reservation
/// (INSUFFICIENT_CREDITS fails the whole transaction), the queue row and the
/// QUEUED event. Returns the row and the event to publish after commit.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    actor: Actor,
    job: NewJob,
) -> AppResult<(JobRow, JobEventMsg)> {
    let job_id = Uuid::new_v4();
    let cost = i32::try_from(job.cost).map_err(|_| AppError::validation("input", "this request is too large"))?;
    repo::exec(
        db,
        "INSERT INTO jobs (org_id, id, kind, campaign_id, target_id, input, credits_reserved, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            org_id.into(),
            job_id.into(),
            job.kind.into(),
            job.campaign_id.into(),
            job.target_id.into(),
            job.input.into(),
            cost.into(),
            actor.user_id.into(),
        ],
    )
    .await?;
    if job.cost > 0 {
        ledger::reserve(db, org_id, job_id, job.cost, actor).await?;
    }
    repo::exec(
        db,
        "INSERT INTO job_queue (org_id, job_id) VALUES ($1, $2)",
        [org_id.into(), job_id.into()],
    )
    .await?;
    let event = events::append(
        db,
        org_id,
        job_id,
        NewEvent {
            r#type: "QUEUED",
            progress: Some(0.0),
            ..Default::default()
        },
    )
    .await?;
    let row = repo::job::get(db, job_id).await?.ok_or(AppError::NotFound("job"))?;
    Ok((row, event))
}

/// Asks every unfinished job of a campaign to stop at its next step boundary.
pub async fn request_cancel_for_campaign(db: &impl ConnectionTrait, campaign_id: Uuid) -> Result<(), AppError> {
    repo::exec(
        db,
        "UPDATE jobs SET cancel_requested = true WHERE campaign_id = $1 AND status IN ('QUEUED', 'RUNNING')",
        [campaign_id.into()],
    )
    .await?;
    Ok(())
}

/// `cancelJob`: a job no worker holds is cancelled at once (in `db`'s
/// transaction); a running one stops at its next step boundary.
pub async fn cancel(db: &impl ConnectionTrait, org_id: Uuid, job_id: Uuid) -> AppResult<(JobRow, Vec<Event>)> {
    let job = repo::job::lock(db, job_id).await?.ok_or(AppError::NotFound("job"))?;
    if matches!(job.status.as_str(), "SUCCEEDED" | "FAILED" | "CANCELLED") {
        return Err(AppError::conflict(format!(
            "the job has already finished ({})",
            job.status
        )));
    }
    repo::exec(
        db,
        "UPDATE jobs SET cancel_requested = true WHERE id = $1",
        [job_id.into()],
    )
    .await?;
    // Held by a live worker? Then it stops itself at the next boundary.
    let held = repo::one::<worker::Held>(
        db,
        "SELECT (lease_owner IS NOT NULL AND lease_expires_at > now()) AS held FROM job_queue WHERE job_id = $1 FOR UPDATE",
        [job_id.into()],
    )
    .await?
    .is_some_and(|h| h.held);
    let mut published = Vec::new();
    if !held {
        published = run::finish_cancelled(db, org_id, &job).await?;
    }
    let job = repo::job::get(db, job_id).await?.ok_or(AppError::NotFound("job"))?;
    Ok((job, published))
}
