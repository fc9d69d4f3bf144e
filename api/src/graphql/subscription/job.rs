//! `jobProgress`: stored events after `afterSeq`, then live ones, with no
//! gap and no duplicate, until the terminal event.

use super::scope;
use crate::error::AppError;
use crate::events::{Event, Topic};
use crate::graphql::types::JobEvent;
use crate::graphql::{req, state};
use async_graphql::{Context, ID, Result, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

#[derive(Default)]
pub(crate) struct JobSubscription;

#[Subscription]
impl JobSubscription {
    /// Replays events after afterSeq, then streams live ones; completes after the terminal event.
    async fn job_progress(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
        after_seq: Option<i32>,
    ) -> Result<impl Stream<Item = JobEvent> + use<>> {
        let org = req(ctx)?.require_org()?;
        let job_id = crate::domain::parse_id("jobId", &job_id)?;
        let scope = scope(ctx)?;
        let hub = state(ctx)?.events.clone();
        // Subscribe before reading the stored events: nothing published in
        // between can be missed (duplicates are dropped by seq below).
        let mut live = hub.subscribe(Topic::Job(job_id));
        let (tx, _) = scope.open().await?;
        let job = crate::repo::job::get(&*tx, job_id).await.map_err(AppError::from)?;
        scope.close().await;
        let Some(job) = job else {
            return Err(AppError::NotFound("job").into());
        };
        let mut last = after_seq.unwrap_or(0).max(0);
        let mut finished = matches!(job.status.as_str(), "SUCCEEDED" | "FAILED" | "CANCELLED") && job.last_seq <= last;
        Ok(async_stream::stream! {
            // Stored events after `last` (also used to catch up after a lag).
            macro_rules! replay {
                () => {{
                    let stored = match scope.open().await {
                        Ok((tx, _)) => crate::repo::job::events_after(&*tx, job_id, last).await.map_err(AppError::from),
                        Err(e) => Err(e),
                    };
                    scope.close().await;
                    match stored {
                        Ok(rows) => {
                            for row in rows {
                                last = row.seq;
                                let e = JobEvent::from_row(row);
                                let terminal = e.is_terminal();
                                yield e;
                                if terminal {
                                    finished = true;
                                    break;
                                }
                            }
                        }
                        Err(e) => {
                            e.log();
                            finished = true;
                        }
                    }
                }};
            }
            if !finished {
                replay!();
            }
            while !finished {
                match live.recv().await {
                    Ok(event) => {
                        let Event::Job(msg) = &*event else { continue };
                        if msg.org_id != org.org_id || msg.seq <= last {
                            continue;
                        }
                        if msg.seq > last + 1 {
                            // A gap (published out of order or dropped): read it.
                            replay!();
                            continue;
                        }
                        last = msg.seq;
                        let e = JobEvent::from_msg(msg);
                        let terminal = e.is_terminal();
                        yield e;
                        scope.close().await;
                        if terminal {
                            finished = true;
                        }
                    }
                    // Too slow for the live buffer: catch up from the table.
                    Err(RecvError::Lagged(_)) => replay!(),
                    Err(RecvError::Closed) => finished = true,
                }
            }
        })
    }
}
