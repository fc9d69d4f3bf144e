//! `campaignUpdated`: the campaign, each time its status changes or a job
//! adds angles, copies or assets to it.

use super::scope;
use crate::error::AppError;
use crate::events::Topic;
use crate::graphql::types::Campaign;
use crate::graphql::{req, state};
use async_graphql::{Context, ID, Result, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

#[derive(Default)]
pub(crate) struct CampaignSubscription;

#[Subscription]
impl CampaignSubscription {
    /// Status changes, new angles/copies/assets of one campaign.
    async fn campaign_updated(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
    ) -> Result<impl Stream<Item = Campaign> + use<>> {
        let org = req(ctx)?.require_org()?;
        let campaign_id = crate::domain::parse_id("campaignId", &campaign_id)?;
        let scope = scope(ctx)?;
        let mut live = state(ctx)?.events.subscribe(Topic::Campaign(campaign_id));
        let (tx, _) = scope.open().await?;
        let found = crate::repo::campaign::get(&*tx, campaign_id)
            .await
            .map_err(AppError::from)?;
        scope.close().await;
        if found.is_none() {
            return Err(AppError::NotFound("campaign").into());
        }
        Ok(async_stream::stream! {
            loop {
                scope.close().await;
                match live.recv().await {
                    Ok(event) if event.org_id() == org.org_id => {}
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                }
                // A burst of changes (a job writing many copies) becomes one update.
                while let Ok(_) | Err(TryRecvError::Lagged(_)) = live.try_recv() {}
                let row = match scope.open().await {
                    Ok((tx, _)) => crate::repo::campaign::get(&*tx, campaign_id).await.map_err(AppError::from),
                    Err(e) => Err(e),
                };
                match row {
                    Ok(Some(row)) => yield Campaign::from(row),
                    Ok(None) => break,
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
