//! Writing leads, whichever way they come in (webhook, createLead,
//! updateLead): attribution, scoring, one row per external id. Runs in the
//! caller's transaction, under its org's RLS context.

use super::scoring::{self, LeadFacts, Rule};
use crate::error::AppError;
use crate::repo::lead::{self as repo, LeadEdit, LeadRow, LeadWrite};
use sea_orm::ConnectionTrait;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Attribute noting a `campaignId` that was ignored because the org has no
/// such campaign.
pub const IGNORED_CAMPAIGN_ATTRIBUTE: &str = "ignoredCampaignId";

/// What to do with a `campaignId` the org does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownCampaign {
    /// NOT_FOUND (a person asked for it).
    Reject,
    /// Ignore it and note it in the attributes (a webhook delivery).
    Note,
}

/// A lead to create, or to merge into the lead with the same external id.
#[derive(Clone, Debug)]
pub struct NewLead {
    pub source_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub campaign_id: Option<Uuid>,
    /// A JSON object; `utm.campaign` in it attributes the lead when no
    /// `campaign_id` does.
    pub attributes: Value,
}

/// The org's rules, in the order they apply.
pub async fn load_rules(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<Rule>, AppError> {
    let rows = repo::rules(db, org_id).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            match Rule::parse(&r.field, &r.op, r.value, r.score_delta, r.tag.as_deref()) {
                Ok(rule) => Some(rule),
                Err(e) => {
                    // Rules are checked on creation; an old one that no longer parses is skipped, not fatal.
                    tracing::warn!(rule_id = %r.id, error = %e, "skipping a scoring rule that does not parse");
                    None
                }
            }
        })
        .collect())
}

fn facts(row: &LeadRow) -> LeadFacts<'_> {
    LeadFacts {
        name: row.name.as_deref(),
        email: row.email.as_deref(),
        phone: row.phone.as_deref(),
        external_id: row.external_id.as_deref(),
        stage: &row.stage,
        campaign_id: row.campaign_id,
        attributes: &row.attributes,
    }
}

/// The campaign a new lead belongs to: its `campaign_id` if the org has that
/// campaign (looked up under RLS, so another org's id is never linked), else
/// the org's campaign whose slug or name is `utm.campaign`.
async fn attribute(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    lead: &mut NewLead,
    unknown: UnknownCampaign,
) -> Result<Option<Uuid>, AppError> {
    if let Some(id) = lead.campaign_id {
        if repo::campaign_exists(db, org_id, id).await? {
            return Ok(Some(id));
        }
        if unknown == UnknownCampaign::Reject {
            return Err(AppError::NotFound("campaign"));
        }
        if let Value::Object(map) = &mut lead.attributes {
            map.insert(IGNORED_CAMPAIGN_ATTRIBUTE.into(), Value::String(id.to_string()));
        }
    }
    let utm_campaign = lead
        .attributes
        .get("utm")
        .and_then(|u| u.get("campaign"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match utm_campaign {
        Some(name) => Ok(crate::repo::campaign::find_by_slug_or_name(db, org_id, name).await?),
        None => Ok(None),
    }
}

/// Creates the lead, or merges it into the one with the same source and
/// external id (non-empty fields win, attributes are merged key by key), then
/// scores it. Returns the row and whether it is new.
pub async fn capture(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    mut lead: NewLead,
    unknown: UnknownCampaign,
) -> Result<(LeadRow, bool), AppError> {
    if !lead.attributes.is_object() {
        lead.attributes = Value::Object(Map::new());
    }
    let rules = load_rules(db, org_id).await?;
    let campaign_id = attribute(db, org_id, &mut lead, unknown).await?;
    // Scored as if new: right for an insert, re-scored below after a merge.
    let first = scoring::score(
        &rules,
        &LeadFacts {
            name: lead.name.as_deref(),
            email: lead.email.as_deref(),
            phone: lead.phone.as_deref(),
            external_id: lead.external_id.as_deref(),
            stage: "NEW",
            campaign_id,
            attributes: &lead.attributes,
        },
    );
    let write = LeadWrite {
        source_id: lead.source_id,
        campaign_id,
        external_id: lead.external_id,
        name: lead.name,
        email: lead.email,
        phone: lead.phone,
        attributes: lead.attributes,
        score: first.score,
        tags: first.rule_tags,
    };
    let (row, created) = repo::upsert(db, org_id, &write).await?;
    if created {
        return Ok((row, true));
    }
    let scored = scoring::score(&rules, &facts(&row));
    let tags = scoring::all_tags(&row.manual_tags, &scored.rule_tags);
    if scored.score == row.score && tags == row.tags {
        return Ok((row, false));
    }
    let row = repo::set_score(db, row.id, scored.score, &tags)
        .await?
        .ok_or(AppError::NotFound("lead"))?;
    Ok((row, false))
}

/// A person's edit of a lead: each part left out keeps its value.
#[derive(Clone, Debug, Default)]
pub struct LeadChange {
    pub stage: Option<String>,
    /// Replaces the manual tags.
    pub manual_tags: Option<Vec<String>>,
    /// Merged into the attributes key by key (top level).
    pub attributes: Option<Map<String, Value>>,
}

/// Applies `change` to the lead (locked first) and re-scores it. NOT_FOUND
/// when the org has no such lead.
pub async fn update(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    lead_id: Uuid,
    change: LeadChange,
) -> Result<LeadRow, AppError> {
    let mut row = repo::lock(db, lead_id).await?.ok_or(AppError::NotFound("lead"))?;
    if let Some(stage) = change.stage {
        row.stage = stage;
    }
    if let Some(tags) = change.manual_tags {
        row.manual_tags = tags;
    }
    if let Some(patch) = change.attributes {
        match &mut row.attributes {
            Value::Object(map) => map.extend(patch),
            other => *other = Value::Object(patch),
        }
    }
    let rules = load_rules(db, org_id).await?;
    let scored = scoring::score(&rules, &facts(&row));
    let edit = LeadEdit {
        tags: scoring::all_tags(&row.manual_tags, &scored.rule_tags),
        stage: row.stage,
        manual_tags: row.manual_tags,
        attributes: row.attributes,
        score: scored.score,
    };
    repo::update(db, lead_id, &edit)
        .await?
        .ok_or(AppError::NotFound("lead"))
}
