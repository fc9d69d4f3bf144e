//! Running one claimed job: its steps in order, progress events, charges,
//! cancellation at step boundaries, and how a job finishes.

use super::events::{self, NewEvent};
use crate::db::{Enter, Tx};
use crate::domain::campaign::{CampaignAction, transition};
use crate::error::{AppError, AppResult};
use crate::events::Event;
use crate::repo::job::JobRow;
use crate::repo::{self, ledger};
use crate::state::AppState;
use sea_orm::ConnectionTrait;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use uuid::Uuid;

/// Why a step (or a job) stopped.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt: a provider or the database had a bad moment.
    #[error("{0}")]
    Retryable(String),
    /// Would fail again: no more attempts.
    #[error("{0}")]
    Fatal(String),
    #[error("cancelled")]
    Cancelled,
    /// This worker is shutting down: the job goes back to the queue.
    #[error("handed back")]
    HandedBack,
    /// The lease expired and another worker may hold the job now.
    #[error("lease lost")]
    LeaseLost,
}

impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(_) | AppError::Db(_) => {
                e.log();
                JobError::Retryable("a temporary failure (see the server log)".into())
            }
            other => JobError::Fatal(other.to_string()),
        }
    }
}

impl From<sea_orm::DbErr> for JobError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::from(e).into()
    }
}

/// One step of a job. Steps must be idempotent: everything a step commits
/// is keyed so that running it again after a crash adds nothing twice.
#[async_trait::async_trait]
pub trait Step: Send + Sync {
    /// What the progress events call it (CONTEXT, ANGLES, ...).
    fn name(&self) -> &'static str;
    /// Share of the job's progress (relative to the other steps).
    fn weight(&self) -> f32 {
        1.0
    }
    async fn run(&self, run: &mut JobRun) -> Result<(), JobError>;
}

/// The running job, as its steps see it.
pub struct JobRun {
    pub state: AppState,
    pub job: JobRow,
    pub org_id: Uuid,
    /// Progress at the start of the current step, and the step's share.
    pub(crate) base: f32,
    pub(crate) span: f32,
    pub(crate) step: &'static str,
    pub(crate) shutdown: tokio::sync::watch::Receiver<bool>,
    pub(crate) lease_lost: Arc<AtomicBool>,
    pending: Vec<Event>,
}

impl JobRun {
    pub(crate) fn new(
        state: AppState,
        job: JobRow,
        shutdown: tokio::sync::watch::Receiver<bool>,
        lease_lost: Arc<AtomicBool>,
    ) -> Self {
        let org_id = job.org_id;
        Self {
            state,
            job,
            org_id,
            base: 0.0,
            span: 0.0,
            step: "",
            shutdown,
            lease_lost,
            pending: Vec::new(),
        }
    }

    /// A transaction in the job's org.
    pub async fn begin(&self) -> AppResult<Tx> {
        Ok(Tx::begin(&self.state.pool, &Enter::Org { org_id: self.org_id })
            .await?
            .0)
    }

    /// Commits and then publishes the events the transaction stored.
    pub async fn commit(&mut self, tx: Tx) -> AppResult<()> {
        tx.commit().await?;
        let events = std::mem::take(&mut self.pending);
        self.state.events.publish(events).await;
        Ok(())
    }

    pub async fn event(&mut self, db: &impl ConnectionTrait, e: NewEvent<'_>) -> AppResult<()> {
        let msg = events::append(db, self.org_id, self.job.id, e).await?;
        self.pending.push(Event::Job(msg));
        Ok(())
    }

    /// STEP_PROGRESS: `done` of the current step (0..1).
    pub async fn progress(&mut self, db: &impl ConnectionTrait, done: f32, message: Option<String>) -> AppResult<()> {
        let p = self.base + self.span * done.clamp(0.0, 1.0);
        let step = self.step;
        self.event(
            db,
            NewEvent {
                r#type: "STEP_PROGRESS",
                step: Some(step),
                progress: Some(p),
                message,
                artifact: None,
            },
        )
        .await
    }

    /// ARTIFACT: the step produced `kind` (Angle, Copy, Asset) `id`; also a
    /// campaignUpdated event for the job's campaign.
    pub async fn artifact(
        &mut self,
        db: &impl ConnectionTrait,
        kind: &'static str,
        id: Uuid,
        message: Option<String>,
    ) -> AppResult<()> {
        let step = self.step;
        self.event(
            db,
            NewEvent {
                r#type: "ARTIFACT",
                step: Some(step),
                progress: None,
                message,
                artifact: Some((kind, id)),
            },
        )
        .await?;
        if let Some(campaign_id) = self.job.campaign_id {
            self.pending.push(Event::CampaignUpdated {
                org_id: self.org_id,
                campaign_id,
            });
        }
        Ok(())
    }

    /// Charges `amount` for one produced unit (idempotent per unit), in the
    /// same transaction as the unit's output.
    pub async fn charge(&mut self, db: &impl ConnectionTrait, unit: &str, amount: i64) -> AppResult<()> {
        let (_, new) = ledger::charge(db, self.org_id, self.job.id, unit, amount).await?;
        if new {
            repo::exec(
                db,
                "UPDATE jobs SET credits_charged = credits_charged + $3 WHERE org_id = $1 AND id = $2",
                [
                    self.org_id.into(),
                    self.job.id.into(),
                    i32::try_from(amount).unwrap_or(i32::MAX).into(),
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// Stops at a step boundary if the job was cancelled, the worker is
    /// shutting down or the lease was lost.
    pub async fn checkpoint(&mut self) -> Result<(), JobError> {
        if self.lease_lost.load(Ordering::Relaxed) {
            return Err(JobError::LeaseLost);
        }
        let tx = self.begin().await?;
        let cancel = repo::one::<Flag>(
            &tx,
            "SELECT cancel_requested AS flag FROM jobs WHERE id = $1",
            [self.job.id.into()],
        )
        .await?;
        tx.commit().await?;
        if cancel.is_some_and(|f| f.flag) {
            return Err(JobError::Cancelled);
        }
        if *self.shutdown.borrow() {
            return Err(JobError::HandedBack);
        }
        Ok(())
    }
}

#[derive(sea_orm::FromQueryResult)]
struct Flag {
    flag: bool,
}

/// Keeps `jobs.credits_charged` equal to the ledger's charges for the job.
async fn sync_charged(db: &impl ConnectionTrait, org_id: Uuid, job_id: Uuid) -> AppResult<()> {
    repo::exec(
        db,
        "UPDATE jobs SET credits_charged = (SELECT coalesce(sum(-amount), 0)::int FROM credit_entries
                                             WHERE org_id = $1 AND job_id = $2 AND kind = 'CHARGE')
          WHERE org_id = $1 AND id = $2",
        [org_id.into(), job_id.into()],
    )
    .await?;
    Ok(())
}

/// Moves the job's campaign along, unless it moved elsewhere meanwhile
/// (archived during the run): then it stays where it is.
async fn campaign_after(db: &impl ConnectionTrait, job: &JobRow, action: CampaignAction) -> AppResult<Vec<Event>> {
    let Some(campaign_id) = job.campaign_id else {
        return Ok(vec![]);
    };
    let Some(c) = repo::campaign::lock(db, campaign_id).await? else {
        return Ok(vec![]);
    };
    match transition(c.status(), action) {
        Ok(to) if to != c.status() => {
            repo::campaign::set_status(db, campaign_id, to).await?;
            Ok(vec![Event::CampaignUpdated {
                org_id: job.org_id,
                campaign_id,
            }])
        }
        _ => Ok(vec![]),
    }
}

/// What a finished job does to its campaign.
fn on_success(kind: &str) -> Option<CampaignAction> {
    match kind {
        "GENERATE_CAMPAIGN" => Some(CampaignAction::GenerationSucceeded),
        "EXPORT_KIT" => Some(CampaignAction::ExportSucceeded),
        _ => None,
    }
}

fn on_failure(kind: &str) -> Option<CampaignAction> {
    (kind == "GENERATE_CAMPAIGN").then_some(CampaignAction::GenerationFailed)
}

/// Ends a job: releases what it did not spend, records the outcome, takes
/// it off the queue and stores the terminal event. Returns what to publish.
async fn finish(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    job: &JobRow,
    status: &'static str,
    error: Option<&str>,
) -> AppResult<Vec<Event>> {
    ledger::release(db, org_id, job.id).await?;
    sync_charged(db, org_id, job.id).await?;
    repo::exec(
        db,
        "UPDATE jobs SET status = $2, error = $3, finished_at = clock_timestamp(), current_step = NULL,
                progress = CASE WHEN $2 = 'SUCCEEDED' THEN 1 ELSE progress END
          WHERE id = $1",
        [job.id.into(), status.into(), error.map(str::to_string).into()],
    )
    .await?;
    repo::exec(db, "DELETE FROM job_queue WHERE job_id = $1", [job.id.into()]).await?;
    let msg = events::append(
        db,
        org_id,
        job.id,
        NewEvent {
            r#type: status,
            message: error.map(str::to_string),
            ..Default::default()
        },
    )
    .await?;
    let mut out = vec![Event::Job(msg)];
    let action = if status == "SUCCEEDED" {
        on_success(&job.kind)
    } else {
        on_failure(&job.kind)
    };
    if let Some(action) = action {
        out.extend(campaign_after(db, job, action).await?);
    }
    Ok(out)
}

pub(crate) async fn finish_succeeded(db: &impl ConnectionTrait, org_id: Uuid, job: &JobRow) -> AppResult<Vec<Event>> {
    finish(db, org_id, job, "SUCCEEDED", None).await
}

pub(crate) async fn finish_failed(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    job: &JobRow,
    error: &str,
) -> AppResult<Vec<Event>> {
    finish(db, org_id, job, "FAILED", Some(error)).await
}

pub(crate) async fn finish_cancelled(db: &impl ConnectionTrait, org_id: Uuid, job: &JobRow) -> AppResult<Vec<Event>> {
    finish(db, org_id, job, "CANCELLED", Some("cancelled")).await
}

/// Puts the job back on the queue after a failed attempt (RETRYING).
pub(crate) async fn retry_later(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    job: &JobRow,
    attempt: i32,
    error: &str,
) -> AppResult<Vec<Event>> {
    // 1 s, 4 s, 9 s ...: short, the failures we retry are transient.
    let delay = f64::from(attempt * attempt);
    repo::exec(
        db,
        "UPDATE job_queue SET lease_owner = NULL, lease_expires_at = NULL,
                run_after = now() + make_interval(secs => $2) WHERE job_id = $1",
        [job.id.into(), delay.into()],
    )
    .await?;
    repo::exec(
        db,
        "UPDATE jobs SET error = $2 WHERE id = $1",
        [job.id.into(), error.into()],
    )
    .await?;
    let msg = events::append(
        db,
        org_id,
        job.id,
        NewEvent {
            r#type: "RETRYING",
            message: Some(format!("attempt {attempt} failed: {error}")),
            ..Default::default()
        },
    )
    .await?;
    Ok(vec![Event::Job(msg)])
}

/// Gives the job back without counting the attempt (the worker is stopping).
pub(crate) async fn hand_back(db: &impl ConnectionTrait, job: &JobRow) -> AppResult<()> {
    repo::exec(
        db,
        "UPDATE job_queue SET lease_owner = NULL, lease_expires_at = NULL, run_after = now(),
                attempts = greatest(attempts - 1, 0) WHERE job_id = $1",
        [job.id.into()],
    )
    .await?;
    repo::exec(
        db,
        "UPDATE jobs SET attempts = greatest(attempts - 1, 0) WHERE id = $1",
        [job.id.into()],
    )
    .await?;
    Ok(())
}
