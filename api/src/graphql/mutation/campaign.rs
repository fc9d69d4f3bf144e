use crate::domain::campaign::{CampaignAction, CampaignStatus, Platform, parse_locales, parse_platforms, transition};
use crate::domain::{self, parse_id};
use crate::error::AppError;
use crate::events::Event;
use crate::graphql::types::{Angle, BriefInput, Campaign, Copy};
use crate::graphql::{req, tx};
use crate::pipeline::{moderation, text};
use crate::repo::campaign::{self as repo, CampaignRow, CopyEdit};
use crate::repo::{self as repos, audit};
use crate::tenancy::{OrgCtx, RequestCtx, Role};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use sea_orm::FromQueryResult;
use serde_json::json;
use uuid::Uuid;

#[derive(InputObject)]
pub(crate) struct CreateCampaignInput {
    pub(crate) name: String,
    pub(crate) brief: BriefInput,
    pub(crate) locales: Vec<String>,
    pub(crate) platforms: Vec<Platform>,
}

#[derive(SimpleObject)]
struct CreateCampaignPayload {
    campaign: Campaign,
}

#[derive(InputObject)]
struct UpdateCampaignInput {
    campaign_id: ID,
    name: Option<String>,
    brief: Option<BriefInput>,
    locales: Option<Vec<String>>,
    platforms: Option<Vec<Platform>>,
}

#[derive(SimpleObject)]
struct UpdateCampaignPayload {
    campaign: Campaign,
}

#[derive(InputObject)]
struct ArchiveCampaignInput {
    campaign_id: ID,
}

#[derive(SimpleObject)]
struct ArchiveCampaignPayload {
    campaign: Campaign,
}

#[derive(InputObject)]
struct ReviewSuggestionInput {
    id: ID,
    accept: bool,
}

#[derive(SimpleObject)]
struct ReviewSuggestionPayload {
    angle: Option<Angle>,
    copy: Option<Copy>,
}

#[derive(InputObject)]
struct EditCopyInput {
    copy_id: ID,
    expected_version: i32,
    headline: Option<String>,
    body: Option<String>,
    call_to_action: Option<String>,
    hashtags: Option<Vec<String>>,
}

#[derive(SimpleObject)]
struct EditCopyPayload {
    copy: Copy,
}

#[derive(InputObject)]
struct ReviewCampaignInput {
    campaign_id: ID,
    note: Option<String>,
}

#[derive(SimpleObject)]
struct ReviewCampaignPayload {
    campaign: Campaign,
}

/// What `createCampaign` checks, and the statement it runs (the campaign
/// and its audit event, returning the columns `returning`). Shared with
/// `graphql::insert`, which runs it before the executor.
pub(crate) fn create_statement(
    rc: &RequestCtx,
    input: CreateCampaignInput,
    returning: &str,
) -> Result<sea_orm::Statement, AppError> {
    let org = rc.require_role(Role::Editor)?;
    let name = domain::text("name", &input.name, 200)?;
    let brief = input.brief.parse()?;
    let locales = parse_locales(&input.locales)?;
    let platforms = parse_platforms(&input.platforms)?;
    Ok(repo::insert_statement(
        org.org_id,
        repo::NewCampaign {
            name: &name,
            brief: &brief,
            locales: &locales,
            platforms: &platforms,
            created_by: rc.actor().user_id,
        },
        audit::Event {
            org,
            actor: rc.actor(),
            action: "campaign.create",
            target_type: "Campaign",
            metadata: json!({ "name": name }),
        },
        returning,
    ))
}

/// Locks the campaign and applies `action` through the state machine.
pub(crate) async fn apply(
    tx: &crate::db::Tx,
    campaign_id: Uuid,
    action: CampaignAction,
) -> Result<(CampaignRow, CampaignStatus), AppError> {
    let row = repo::lock(tx, campaign_id)
        .await?
        .ok_or(AppError::NotFound("campaign"))?;
    let to = transition(row.status(), action)?;
    Ok((row, to))
}

async fn set_status(
    tx: &crate::db::Tx,
    rc: &RequestCtx,
    org: OrgCtx,
    row: &CampaignRow,
    to: CampaignStatus,
    action: &str,
) -> Result<CampaignRow, AppError> {
    let updated = repo::set_status(tx, row.id, to)
        .await?
        .ok_or(AppError::NotFound("campaign"))?;
    audit::record(
        tx,
        org,
        rc.actor(),
        action,
        "Campaign",
        Some(row.id),
        json!({ "from": row.status, "to": to.as_str() }),
    )
    .await?;
    rc.publish_after_commit(Event::CampaignUpdated {
        org_id: org.org_id,
        campaign_id: row.id,
    });
    Ok(updated)
}

pub(crate) fn clean_hashtags(tags: &[String]) -> Result<Vec<String>, AppError> {
    if tags.len() > 30 {
        return Err(AppError::validation("hashtags", "at most 30 hashtags"));
    }
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().trim_start_matches('#');
        if t.is_empty() || t.chars().count() > 100 || !t.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(AppError::validation(
                "hashtags",
                format!("#{t} is not a hashtag (letters, digits and _ only)"),
            ));
        }
        let tag = format!("#{t}");
        if !out.iter().any(|o| o.to_lowercase() == tag.to_lowercase()) {
            out.push(tag);
        }
    }
    Ok(out)
}

#[derive(Default)]
pub(crate) struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// EDITOR or above. A new campaign starts as DRAFT.
    async fn create_campaign(&self, ctx: &Context<'_>, input: CreateCampaignInput) -> Result<CreateCampaignPayload> {
        let statement = create_statement(req(ctx)?, input, repo::CAMPAIGN_COLS)?;
        let tx = tx(ctx).await?;
        let row = CampaignRow::find_by_statement(statement)
            .one(&*tx)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("insert returned no row")))?;
        Ok(CreateCampaignPayload {
            campaign: Campaign::from(row),
        })
    }

    /// EDITOR or above. Fields left out keep their value.
    async fn update_campaign(&self, ctx: &Context<'_>, input: UpdateCampaignInput) -> Result<UpdateCampaignPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("campaignId", &input.campaign_id)?;
        let name = input
            .name
            .as_deref()
            .map(|n| domain::text("name", n, 200))
            .transpose()?;
        let brief = input.brief.map(BriefInput::parse).transpose()?;
        let locales = input.locales.as_deref().map(parse_locales).transpose()?;
        let platforms = input.platforms.as_deref().map(parse_platforms).transpose()?;
        let tx = tx(ctx).await?;
        apply(&tx, id, CampaignAction::Update).await?;
        let row = repo::update(
            &*tx,
            id,
            name.as_deref(),
            brief.as_ref(),
            locales.as_deref(),
            platforms.as_deref(),
        )
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound("campaign"))?;
        let changed: Vec<&str> = [
            name.as_ref().map(|_| "name"),
            brief.as_ref().map(|_| "brief"),
            locales.as_ref().map(|_| "locales"),
            platforms.as_ref().map(|_| "platforms"),
        ]
        .into_iter()
        .flatten()
        .collect();
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "campaign.update",
            "Campaign",
            Some(id),
            json!({ "changed": changed }),
        )
        .await
        .map_err(AppError::from)?;
        rc.publish_after_commit(Event::CampaignUpdated {
            org_id: org.org_id,
            campaign_id: id,
        });
        Ok(UpdateCampaignPayload {
            campaign: Campaign::from(row),
        })
    }

    /// EDITOR or above. Any campaign but an archived one; running jobs are cancelled.
    async fn archive_campaign(&self, ctx: &Context<'_>, input: ArchiveCampaignInput) -> Result<ArchiveCampaignPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("campaignId", &input.campaign_id)?;
        let tx = tx(ctx).await?;
        let (row, to) = apply(&tx, id, CampaignAction::Archive).await?;
        crate::jobs::request_cancel_for_campaign(&*tx, id).await?;
        let row = set_status(&tx, rc, org, &row, to, "campaign.archive").await?;
        Ok(ArchiveCampaignPayload {
            campaign: Campaign::from(row),
        })
    }

    /// EDITOR or above. Accepts or rejects a SUGGESTED angle or copy.
    async fn review_suggestion(
        &self,
        ctx: &Context<'_>,
        input: ReviewSuggestionInput,
    ) -> Result<ReviewSuggestionPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("id", &input.id)?;
        let status = if input.accept { "ACCEPTED" } else { "REJECTED" };
        let tx = tx(ctx).await?;
        if let Some(angle) = repo::lock_angle(&*tx, id).await.map_err(AppError::from)? {
            apply(&tx, angle.campaign_id, CampaignAction::Review).await?;
            if angle.status != "SUGGESTED" {
                return Err(AppError::conflict(format!("this angle was already {}", angle.status)).into());
            }
            let row = repo::set_angle_status(&*tx, id, status)
                .await
                .map_err(AppError::from)?
                .ok_or(AppError::NotFound("angle"))?;
            audit::record(
                &*tx,
                org,
                rc.actor(),
                "suggestion.review",
                "Angle",
                Some(id),
                json!({ "status": status }),
            )
            .await
            .map_err(AppError::from)?;
            rc.publish_after_commit(Event::CampaignUpdated {
                org_id: org.org_id,
                campaign_id: row.campaign_id,
            });
            return Ok(ReviewSuggestionPayload {
                angle: Some(Angle::from(row)),
                copy: None,
            });
        }
        let copy = repo::lock_copy(&*tx, id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("suggestion"))?;
        apply(&tx, copy.campaign_id, CampaignAction::Review).await?;
        if copy.status != "SUGGESTED" {
            return Err(AppError::conflict(format!("this copy was already {}", copy.status)).into());
        }
        let row = repo::set_copy_status(&*tx, id, status)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("copy"))?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "suggestion.review",
            "Copy",
            Some(id),
            json!({ "status": status }),
        )
        .await
        .map_err(AppError::from)?;
        rc.publish_after_commit(Event::CampaignUpdated {
            org_id: org.org_id,
            campaign_id: row.campaign_id,
        });
        Ok(ReviewSuggestionPayload {
            angle: None,
            copy: Some(Copy(row)),
        })
    }

    /// EDITOR or above. Needs the version the edit was based on: a stale one
    /// is CONFLICT and changes nothing. Bumps the version, re-runs moderation.
    async fn edit_copy(&self, ctx: &Context<'_>, input: EditCopyInput) -> Result<EditCopyPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("copyId", &input.copy_id)?;
        let tx = tx(ctx).await?;
        let copy = repo::lock_copy(&*tx, id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("copy"))?;
        apply(&tx, copy.campaign_id, CampaignAction::Review).await?;
        if copy.version != input.expected_version {
            return Err(AppError::conflict(format!(
                "the copy is at version {}, not {}: reload and edit again",
                copy.version, input.expected_version
            ))
            .into());
        }
        let platform = Platform::parse(&copy.platform).unwrap_or(Platform::Instagram);
        let body = match input.body {
            Some(b) => domain::text("body", &b, platform.body_limit())?,
            None => copy.body.clone(),
        };
        let headline = match input.headline {
            Some(h) => domain::opt_text("headline", Some(&h), 200)?,
            None => copy.headline.clone(),
        };
        let cta = match input.call_to_action {
            Some(c) => domain::opt_text("callToAction", Some(&c), 100)?,
            None => copy.call_to_action.clone(),
        };
        let hashtags = match input.hashtags {
            Some(h) => clean_hashtags(&h)?,
            None => copy.hashtags.clone(),
        };
        let brand = repos::org::brand_kit(&*tx, org.org_id).await.map_err(AppError::from)?;
        let banned = brand.map(|b| b.banned_words).unwrap_or_default();
        let mut texts: Vec<&str> = vec![&body];
        texts.extend(headline.as_deref());
        texts.extend(cta.as_deref());
        texts.extend(hashtags.iter().map(String::as_str));
        let reasons = moderation::check(&texts, &banned);
        let edit = CopyEdit {
            character_count: i32::try_from(text::char_count(&body)).unwrap_or(i32::MAX),
            headline,
            body,
            call_to_action: cta,
            hashtags,
            flagged: !reasons.is_empty(),
            reasons,
        };
        let row = repo::edit_copy(&*tx, id, input.expected_version, edit)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::conflict("the copy changed while you edited it: reload and edit again"))?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "copy.edit",
            "Copy",
            Some(id),
            json!({ "version": row.version }),
        )
        .await
        .map_err(AppError::from)?;
        rc.publish_after_commit(Event::CampaignUpdated {
            org_id: org.org_id,
            campaign_id: row.campaign_id,
        });
        Ok(EditCopyPayload { copy: Copy(row) })
    }

    /// ADMIN or OWNER: REVIEWING -> APPROVED.
    async fn approve_campaign(&self, ctx: &Context<'_>, input: ReviewCampaignInput) -> Result<ReviewCampaignPayload> {
        review(ctx, input, CampaignAction::Approve).await
    }

    /// ADMIN or OWNER: REVIEWING -> CHANGES_REQUESTED, with a note for the editors.
    async fn request_changes(&self, ctx: &Context<'_>, input: ReviewCampaignInput) -> Result<ReviewCampaignPayload> {
        review(ctx, input, CampaignAction::RequestChanges).await
    }
}

async fn review(
    ctx: &Context<'_>,
    input: ReviewCampaignInput,
    action: CampaignAction,
) -> Result<ReviewCampaignPayload> {
    let rc = req(ctx)?;
    let org = rc.require_role(Role::Admin)?;
    let author = rc.require_user()?;
    let id = parse_id("campaignId", &input.campaign_id)?;
    let note = domain::opt_text("note", input.note.as_deref(), 2000)?;
    let tx = tx(ctx).await?;
    let (row, to) = apply(&tx, id, action).await?;
    repo::add_review_note(&*tx, org.org_id, id, Some(author), to, note.as_deref())
        .await
        .map_err(AppError::from)?;
    let name = if action == CampaignAction::Approve {
        "campaign.approve"
    } else {
        "campaign.request_changes"
    };
    let row = set_status(&tx, rc, org, &row, to, name).await?;
    Ok(ReviewCampaignPayload {
        campaign: Campaign::from(row),
    })
}
