use crate::error::AppError;
use crate::graphql::req;
use crate::graphql::types::{self, GenerateCampaignInput, Job};
use async_graphql::{Context, ID, Object, Result};

#[derive(Default)]
pub(crate) struct JobQuery;

#[Object]
impl JobQuery {
    /// One job of the current org.
    async fn job(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Job>> {
        req(ctx)?.require_org()?;
        let job_id = crate::domain::parse_id("id", &id)?;
        Ok(Some(
            crate::repo::job::get(&*crate::graphql::tx(ctx).await?, job_id)
                .await
                .map_err(AppError::from)?
                .map(Job)
                .ok_or(AppError::NotFound("job"))?,
        ))
    }

    /// The most credits `generateCampaign` with this input can cost (what it
    /// reserves); nothing is queued or charged.
    async fn generation_cost(&self, ctx: &Context<'_>, input: GenerateCampaignInput) -> Result<i64> {
        req(ctx)?.require_org()?;
        let campaign_id = crate::domain::parse_id("campaignId", &input.campaign_id)?;
        let campaign = types::load_campaign(ctx, campaign_id)
            .await?
            .ok_or(AppError::NotFound("campaign"))?;
        let plan = crate::jobs::pricing::GenerationPlan::for_campaign(
            &campaign.0,
            input.angles_per_locale,
            input.include_images,
        )?;
        Ok(crate::jobs::pricing::generation_cost(&*crate::graphql::tx(ctx).await?, &plan, campaign_id).await?)
    }
}
