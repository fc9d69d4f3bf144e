//! Workers: claim a job with a lease, heart-beat it, run its steps, finish it.

use super::run::{self, JobError, JobRun};
use super::steps;
use crate::db::{Enter, Tx};
use crate::error::AppResult;
use crate::events::Event;
use crate::repo::{self, one};
use crate::state::AppState;
use sea_orm::FromQueryResult;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

#[derive(FromQueryResult)]
pub(crate) struct Held {
    pub(crate) held: bool,
}

#[derive(FromQueryResult, Debug)]
struct Claim {
    job_id: Uuid,
    org_id: Uuid,
    attempts: i32,
    /// Who held it before: set when the previous attempt died holding it.
    previous: Option<String>,
}

/// Takes the next ready job (or one whose lease expired) and leases it.
/// Runs in a worker transaction (`app.worker`): the queue holds no tenant
/// content; the job itself is then read in its org's context.
async fn claim(state: &AppState, me: &str) -> AppResult<Option<Claim>> {
    let (tx, _) = Tx::begin(&state.pool, &Enter::Worker).await?;
    let lease = state.config.job_lease.as_secs_f64();
    let claim: Option<Claim> = one(
        &tx,
        "WITH c AS (
           SELECT job_id, lease_owner AS previous FROM job_queue
            WHERE run_after <= now() AND (lease_expires_at IS NULL OR lease_expires_at < now())
            ORDER BY run_after, job_id LIMIT 1 FOR UPDATE SKIP LOCKED)
         UPDATE job_queue q SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2),
                attempts = q.attempts + 1
           FROM c WHERE q.job_id = c.job_id
         RETURNING q.job_id, q.org_id, q.attempts, c.previous",
        [me.into(), lease.into()],
    )
    .await?;
    tx.commit().await?;
    Ok(claim)
}

/// Extends the lease; false when another worker took the job over.
async fn heartbeat(state: &AppState, org_id: Uuid, job_id: Uuid, me: &str) -> AppResult<bool> {
    let (tx, _) = Tx::begin(&state.pool, &Enter::Org { org_id }).await?;
    let n = repo::exec(
        &tx,
        "UPDATE job_queue SET lease_expires_at = now() + make_interval(secs => $3) WHERE job_id = $1 AND lease_owner = $2",
        [job_id.into(), me.into(), state.config.job_lease.as_secs_f64().into()],
    )
    .await?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Do we still hold the job? (checked, under lock, before finishing it)
async fn still_ours(tx: &Tx, job_id: Uuid, me: &str) -> AppResult<bool> {
    #[derive(FromQueryResult)]
    struct Owner {
        lease_owner: Option<String>,
    }
    let o: Option<Owner> = one(
        tx,
        "SELECT lease_owner FROM job_queue WHERE job_id = $1 FOR UPDATE",
        [job_id.into()],
    )
    .await?;
    Ok(o.and_then(|o| o.lease_owner).as_deref() == Some(me))
}

async fn publish(state: &AppState, events: Vec<Event>) {
    state.events.publish(events).await;
}

/// Marks the job started (or retried) and decides whether it may run.
async fn start(state: &AppState, c: &Claim) -> AppResult<Option<crate::repo::job::JobRow>> {
    let (tx, _) = Tx::begin(&state.pool, &Enter::Org { org_id: c.org_id }).await?;
    let Some(job) = repo::job::lock(&tx, c.job_id).await? else {
        tx.rollback().await?;
        return Ok(None);
    };
    let mut out: Vec<Event> = Vec::new();
    if matches!(job.status.as_str(), "SUCCEEDED" | "FAILED" | "CANCELLED") {
        repo::exec(&tx, "DELETE FROM job_queue WHERE job_id = $1", [job.id.into()]).await?;
        tx.commit().await?;
        return Ok(None);
    }
    if job.cancel_requested {
        out.extend(run::finish_cancelled(&tx, c.org_id, &job).await?);
        tx.commit().await?;
        publish(state, out).await;
        return Ok(None);
    }
    if c.attempts > job.max_attempts {
        let why = format!(
            "gave up after {} attempts: {}",
            job.max_attempts,
            job.error.as_deref().unwrap_or("the worker stopped")
        );
        out.extend(run::finish_failed(&tx, c.org_id, &job, &why).await?);
        tx.commit().await?;
        publish(state, out).await;
        return Ok(None);
    }
    repo::exec(
        &tx,
        "UPDATE jobs SET status = 'RUNNING', attempts = $2, started_at = coalesce(started_at, clock_timestamp()) WHERE id = $1",
        [job.id.into(), c.attempts.into()],
    )
    .await?;
    let event = if job.started_at.is_none() {
        Some(("STARTED", None))
    } else if c.previous.is_some() {
        Some((
            "RETRYING",
            Some(format!("attempt {} (the previous worker stopped)", c.attempts)),
        ))
    } else {
        None
    };
    if let Some((kind, message)) = event {
        let msg = super::events::append(
            &tx,
            c.org_id,
            job.id,
            super::events::NewEvent {
                r#type: kind,
                message,
                ..Default::default()
            },
        )
        .await?;
        out.push(Event::Job(msg));
    }
    let job = repo::job::get(&tx, job.id).await?;
    tx.commit().await?;
    publish(state, out).await;
    Ok(job)
}

/// Runs a claimed job to an outcome.
async fn run_claimed(state: &AppState, me: &str, c: Claim, shutdown: watch::Receiver<bool>) {
    let job = match start(state, &c).await {
        Ok(Some(job)) => job,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(job_id = %c.job_id, error = %e, "could not start a job; its lease will expire");
            return;
        }
    };
    let lease_lost = Arc::new(AtomicBool::new(false));
    let beat = {
        let (state, me, lost) = (state.clone(), me.to_string(), lease_lost.clone());
        let every = state.config.job_lease / 3;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match heartbeat(&state, c.org_id, c.job_id, &me).await {
                    Ok(true) => {}
                    Ok(false) => {
                        lost.store(true, Ordering::Relaxed);
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
                }
            }
        })
    };
    let span = tracing::info_span!("job", job_id = %job.id, kind = %job.kind, attempt = c.attempts);
    let _enter = span.enter();
    let mut run = JobRun::new(state.clone(), job.clone(), shutdown, lease_lost.clone());
    let outcome = run_steps(&mut run).await;
    beat.abort();
    if let Err(e) = conclude(state, me, &job, c.attempts, outcome).await {
        tracing::warn!(error = %e, "could not record the job's outcome; its lease will expire and it will be retried");
    }
}

async fn run_steps(run: &mut JobRun) -> Result<(), JobError> {
    let steps = steps::for_job(&run.job)?;
    let total: f32 = steps.iter().map(|s| s.weight()).sum::<f32>().max(f32::EPSILON);
    let mut done = 0.0;
    for step in &steps {
        run.checkpoint().await?;
        run.base = done / total;
        run.span = step.weight() / total;
        run.step = step.name();
        let tx = run.begin().await?;
        let (name, base) = (step.name(), run.base);
        run.event(
            &tx,
            super::events::NewEvent {
                r#type: "STEP_STARTED",
                step: Some(name),
                progress: Some(base),
                ..Default::default()
            },
        )
        .await?;
        run.commit(tx).await?;
        step.run(run).await?;
        done += step.weight();
        let tx = run.begin().await?;
        let p = done / total;
        run.event(
            &tx,
            super::events::NewEvent {
                r#type: "STEP_COMPLETED",
                step: Some(name),
                progress: Some(p),
                ..Default::default()
            },
        )
        .await?;
        run.commit(tx).await?;
    }
    Ok(())
}

async fn conclude(
    state: &AppState,
    me: &str,
    job: &crate::repo::job::JobRow,
    attempt: i32,
    outcome: Result<(), JobError>,
) -> AppResult<()> {
    if let Err(JobError::LeaseLost) = outcome {
        tracing::warn!("lease lost; another worker continues the job");
        return Ok(());
    }
    let (tx, _) = Tx::begin(&state.pool, &Enter::Org { org_id: job.org_id }).await?;
    if !still_ours(&tx, job.id, me).await? {
        tx.rollback().await?;
        return Ok(());
    }
    let events = match outcome {
        Ok(()) => run::finish_succeeded(&tx, job.org_id, job).await?,
        Err(JobError::Cancelled) => run::finish_cancelled(&tx, job.org_id, job).await?,
        Err(JobError::HandedBack) => {
            run::hand_back(&tx, job).await?;
            vec![]
        }
        Err(JobError::Retryable(why)) if attempt < job.max_attempts => {
            run::retry_later(&tx, job.org_id, job, attempt, &why).await?
        }
        Err(JobError::Retryable(why)) | Err(JobError::Fatal(why)) => {
            run::finish_failed(&tx, job.org_id, job, &why).await?
        }
        Err(JobError::LeaseLost) => vec![],
    };
    tx.commit().await?;
    if events
        .iter()
        .any(|e| matches!(e, Event::Job(m) if matches!(m.r#type.as_str(), "SUCCEEDED" | "FAILED" | "CANCELLED")))
    {
        state.metrics.jobs_finished.fetch_add(1, Ordering::Relaxed);
    }
    publish(state, events).await;
    Ok(())
}

/// One worker: claims and runs jobs until shut down.
pub struct Worker;

impl Worker {
    async fn run(state: AppState, me: String, mut shutdown: watch::Receiver<bool>) {
        let poll = Duration::from_millis(500);
        loop {
            if *shutdown.borrow() {
                return;
            }
            match claim(&state, &me).await {
                Ok(Some(c)) => run_claimed(&state, &me, c, shutdown.clone()).await,
                Ok(None) => {
                    tokio::select! {
                        _ = state.jobs.notified() => {}
                        _ = tokio::time::sleep(poll) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "claiming a job failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

/// The workers of this process.
pub struct WorkerPool {
    shutdown: watch::Sender<bool>,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl WorkerPool {
    pub fn start(state: &AppState, count: usize) -> WorkerPool {
        let (shutdown, rx) = watch::channel(false);
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "host".into());
        let handles = (0..count)
            .map(|i| {
                let me = format!(
                    "{host}-{}-{i}-{}",
                    std::process::id(),
                    &Uuid::new_v4().simple().to_string()[..6]
                );
                tokio::spawn(Worker::run(state.clone(), me, rx.clone()))
            })
            .collect();
        WorkerPool { shutdown, handles }
    }

    /// Asks the workers to stop at their next step boundary (handing their
    /// job back) and waits for them, at most `grace`.
    pub async fn drain(self, grace: Duration) {
        let _ = self.shutdown.send(true);
        let all = futures_util::future::join_all(self.handles);
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("workers did not stop within the grace period; their leases will expire");
        }
    }
}
