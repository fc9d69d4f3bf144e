//! `leadCaptured`: every new lead of the socket's org.

use super::scope;
use crate::error::AppError;
use crate::events::{Event, Topic};
use crate::graphql::types::Lead;
use crate::graphql::{req, state};
use async_graphql::{Context, Result, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

#[derive(Default)]
pub(crate) struct LeadSubscription;

#[Subscription]
impl LeadSubscription {
    /// Every lead captured in the current org.
    async fn lead_captured(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Lead> + use<>> {
        let org = req(ctx)?.require_org()?;
        let scope = scope(ctx)?;
        let mut live = state(ctx)?.events.subscribe(Topic::OrgLeads(org.org_id));
        Ok(async_stream::stream! {
            loop {
                scope.close().await;
                let lead_id = match live.recv().await {
                    Ok(event) => match &*event {
                        Event::LeadCaptured { org_id, lead_id } if *org_id == org.org_id => *lead_id,
                        _ => continue,
                    },
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "a leadCaptured subscriber fell behind");
                        continue;
                    }
                    Err(RecvError::Closed) => break,
                };
                let row = match scope.open().await {
                    Ok((tx, _)) => crate::repo::lead::get(&*tx, lead_id).await.map_err(AppError::from),
                    Err(e) => Err(e),
                };
                match row {
                    Ok(Some(row)) => yield Lead(row),
                    Ok(None) => continue,
                    Err(e) => {
                        e.log();
                        break;
                    }
                }
            }
            scope.close().await;
        })
    }
}
