use super::campaign::apply;
use crate::domain::campaign::CampaignAction;
use crate::domain::{self, parse_id};
use crate::error::AppError;
use crate::events::Event;
use crate::graphql::types::{Campaign, GenerateCampaignInput, Job};
use crate::graphql::{req, tx};
use crate::jobs::pricing::{self, GenerationPlan, price};
use crate::jobs::{self, NewJob};
use crate::repo::{self, audit};
use crate::tenancy::{OrgCtx, RequestCtx, Role};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use serde_json::json;

#[derive(SimpleObject)]
struct GenerateCampaignPayload {
    job: Job,
    campaign: Campaign,
}

#[derive(InputObject)]
struct RegenerateAngleInput {
    angle_id: ID,
    instructions: Option<String>,
}

#[derive(InputObject)]
struct RegenerateCopyInput {
    copy_id: ID,
    instructions: Option<String>,
}

#[derive(InputObject)]
struct RegenerateAssetInput {
    asset_id: ID,
    instructions: Option<String>,
}

#[derive(SimpleObject)]
struct RegeneratePayload {
    job: Job,
}

#[derive(InputObject)]
struct CancelJobInput {
    job_id: ID,
}

#[derive(SimpleObject)]
struct CancelJobPayload {
    job: Job,
}

#[derive(InputObject)]
struct ExportCampaignInput {
    campaign_id: ID,
}

#[derive(SimpleObject)]
struct ExportCampaignPayload {
    job: Job,
}

fn instructions(value: Option<String>) -> Result<Option<String>, AppError> {
    domain::opt_text("instructions", value.as_deref(), 1000)
}

/// Queues a job in the request's transaction and announces it after commit.
async fn queue(tx: &crate::db::Tx, rc: &RequestCtx, org: OrgCtx, job: NewJob, action: &str) -> Result<Job, AppError> {
    let (kind, target, campaign) = (job.kind, job.target_id, job.campaign_id);
    let (row, event) = jobs::enqueue(tx, org.org_id, rc.actor(), job).await?;
    audit::record(
        tx,
        org,
        rc.actor(),
        action,
        "Job",
        Some(row.id),
        json!({ "kind": kind, "targetId": target, "campaignId": campaign, "creditsReserved": row.credits_reserved }),
    )
    .await?;
    rc.publish_after_commit(Event::Job(event));
    Ok(Job(row))
}

#[derive(Default)]
pub(crate) struct JobMutation;

#[Object]
impl JobMutation {
    /// Reserves credits, queues a GENERATE_CAMPAIGN job, moves the campaign to GENERATING.
    async fn generate_campaign(
        &self,
        ctx: &Context<'_>,
        input: GenerateCampaignInput,
    ) -> Result<GenerateCampaignPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("campaignId", &input.campaign_id)?;
        let tx = tx(ctx).await?;
        let (campaign, to) = apply(&tx, id, CampaignAction::Generate).await?;
        let plan = GenerationPlan::for_campaign(&campaign, input.angles_per_locale, input.include_images)?;
        let cost = pricing::generation_cost(&*tx, &plan, id).await?;
        let input = serde_json::to_value(&plan).map_err(|e| AppError::Internal(e.into()))?;
        let job = queue(
            &tx,
            rc,
            org,
            NewJob {
                kind: "GENERATE_CAMPAIGN",
                campaign_id: Some(id),
                target_id: None,
                input,
                cost,
            },
            "campaign.generate",
        )
        .await?;
        let campaign = repo::campaign::set_status(&*tx, id, to)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("campaign"))?;
        rc.publish_after_commit(Event::CampaignUpdated {
            org_id: org.org_id,
            campaign_id: id,
        });
        Ok(GenerateCampaignPayload {
            job,
            campaign: Campaign::from(campaign),
        })
    }

    /// EDITOR or above. A new suggestion beside the angle (its copies, and
    /// images if the angle had some); charges only what it produces.
    async fn regenerate_angle(&self, ctx: &Context<'_>, input: RegenerateAngleInput) -> Result<RegeneratePayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("angleId", &input.angle_id)?;
        let instructions = instructions(input.instructions)?;
        let tx = tx(ctx).await?;
        let angle = repo::campaign::lock_angle(&*tx, id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("angle"))?;
        let (campaign, _) = apply(&tx, angle.campaign_id, CampaignAction::Review).await?;
        let with_images = !repo::asset::images_of_angle(&*tx, id)
            .await
            .map_err(AppError::from)?
            .is_empty();
        let cost = pricing::regenerate_angle_cost(campaign.platforms.len(), with_images);
        let input = json!({ "angleId": id, "instructions": instructions, "includeImages": with_images });
        let job = queue(
            &tx,
            rc,
            org,
            NewJob {
                kind: "REGENERATE_ANGLE",
                campaign_id: Some(campaign.id),
                target_id: Some(id),
                input,
                cost,
            },
            "angle.regenerate",
        )
        .await?;
        Ok(RegeneratePayload { job })
    }

    /// EDITOR or above. A new copy suggestion for the same angle and platform.
    async fn regenerate_copy(&self, ctx: &Context<'_>, input: RegenerateCopyInput) -> Result<RegeneratePayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("copyId", &input.copy_id)?;
        let instructions = instructions(input.instructions)?;
        let tx = tx(ctx).await?;
        let copy = repo::campaign::lock_copy(&*tx, id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("copy"))?;
        apply(&tx, copy.campaign_id, CampaignAction::Review).await?;
        let input = json!({ "copyId": id, "instructions": instructions });
        let job = queue(
            &tx,
            rc,
            org,
            NewJob {
                kind: "REGENERATE_COPY",
                campaign_id: Some(copy.campaign_id),
                target_id: Some(id),
                input,
                cost: price::COPY,
            },
            "copy.regenerate",
        )
        .await?;
        Ok(RegeneratePayload { job })
    }

    /// EDITOR or above. Re-renders the asset's set (all four ratios); the
    /// previous set is kept but no longer listed.
    async fn regenerate_asset(&self, ctx: &Context<'_>, input: RegenerateAssetInput) -> Result<RegeneratePayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("assetId", &input.asset_id)?;
        let instructions = instructions(input.instructions)?;
        let tx = tx(ctx).await?;
        let asset = repo::asset::get(&*tx, id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("asset"))?;
        let (Some(campaign_id), Some(angle_id), "IMAGE") = (asset.campaign_id, asset.angle_id, asset.kind.as_str())
        else {
            return Err(AppError::conflict("only generated campaign images can be regenerated").into());
        };
        apply(&tx, campaign_id, CampaignAction::Review).await?;
        let input = json!({ "assetId": id, "angleId": angle_id, "instructions": instructions });
        let job = queue(
            &tx,
            rc,
            org,
            NewJob {
                kind: "REGENERATE_ASSET",
                campaign_id: Some(campaign_id),
                target_id: Some(id),
                input,
                cost: price::IMAGE_SET,
            },
            "asset.regenerate",
        )
        .await?;
        Ok(RegeneratePayload { job })
    }

    /// EDITOR or above. A queued job stops now; a running one at its next
    /// step boundary. The unused reservation is released either way.
    async fn cancel_job(&self, ctx: &Context<'_>, input: CancelJobInput) -> Result<CancelJobPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("jobId", &input.job_id)?;
        let tx = tx(ctx).await?;
        let (job, events) = jobs::cancel(&*tx, org.org_id, id).await?;
        audit::record(&*tx, org, rc.actor(), "job.cancel", "Job", Some(id), json!({}))
            .await
            .map_err(AppError::from)?;
        for e in events {
            rc.publish_after_commit(e);
        }
        Ok(CancelJobPayload { job: Job(job) })
    }

    /// APPROVED campaigns only: builds a ZIP kit (images, copies.csv, schedule.csv) as an EXPORT_KIT asset.
    async fn export_campaign(&self, ctx: &Context<'_>, input: ExportCampaignInput) -> Result<ExportCampaignPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("campaignId", &input.campaign_id)?;
        let tx = tx(ctx).await?;
        apply(&tx, id, CampaignAction::Export).await?;
        let job = queue(
            &tx,
            rc,
            org,
            NewJob {
                kind: "EXPORT_KIT",
                campaign_id: Some(id),
                target_id: None,
                input: json!({}),
                cost: price::EXPORT_KIT,
            },
            "campaign.export",
        )
        .await?;
        Ok(ExportCampaignPayload { job })
    }
}
