use crate::domain::{self, Email, parse_id};
use crate::error::AppError;
use crate::events::Event;
use crate::graphql::types::{Lead, LeadScoringRule, LeadSource, LeadStage};
use crate::graphql::{req, state, tx};
use crate::leads::capture::{self, LeadChange, NewLead, UnknownCampaign};
use crate::leads::scoring::{self, Rule};
use crate::repo::{self, audit};
use crate::tenancy::Role;
use async_graphql::{Context, ID, InputObject, Json, Object, Result, SimpleObject};
use serde_json::{Value, json};

#[derive(InputObject)]
struct CreateLeadSourceInput {
    name: String,
}

#[derive(SimpleObject)]
struct CreateLeadSourcePayload {
    lead_source: LeadSource,
    /// HMAC-SHA256 signing secret, shown once.
    signing_secret: String,
}

#[derive(InputObject)]
struct CreateLeadInput {
    campaign_id: Option<ID>,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    external_id: Option<String>,
    attributes: Option<Json<Value>>,
}

#[derive(SimpleObject)]
struct CreateLeadPayload {
    lead: Lead,
}

#[derive(InputObject)]
struct UpdateLeadInput {
    lead_id: ID,
    stage: Option<LeadStage>,
    tags: Option<Vec<String>>,
    attributes: Option<Json<Value>>,
}

#[derive(SimpleObject)]
struct UpdateLeadPayload {
    lead: Lead,
}

#[derive(InputObject)]
struct CreateLeadScoringRuleInput {
    name: String,
    field: String,
    op: String,
    value: Option<Json<Value>>,
    score_delta: i32,
    tag: Option<String>,
}

#[derive(SimpleObject)]
struct CreateLeadScoringRulePayload {
    rule: LeadScoringRule,
}

#[derive(InputObject)]
struct DeleteLeadScoringRuleInput {
    rule_id: ID,
}

#[derive(SimpleObject)]
struct DeleteLeadScoringRulePayload {
    deleted_rule_id: ID,
}

/// An attributes argument: absent, null or a JSON object.
fn attributes(value: Option<Json<Value>>) -> Result<Option<serde_json::Map<String, Value>>, AppError> {
    match value.map(|j| j.0) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(AppError::validation("attributes", "attributes must be a JSON object")),
    }
}

#[derive(Default)]
pub(crate) struct LeadMutation;

#[Object]
impl LeadMutation {
    /// ADMIN or OWNER. A new webhook source; its signing secret is in the
    /// payload, once (stored encrypted, never shown again).
    async fn create_lead_source(
        &self,
        ctx: &Context<'_>,
        input: CreateLeadSourceInput,
    ) -> Result<CreateLeadSourcePayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Admin)?;
        let name = domain::text("name", &input.name, 200)?;
        let state = state(ctx)?;
        let secret = format!("whsec_{}", crate::crypto::random_hex(32).map_err(AppError::Internal)?);
        let sealed = state.secret_box.seal(secret.as_bytes()).map_err(AppError::Internal)?;
        let tx = tx(ctx).await?;
        let row = repo::lead::insert_source(&*tx, org.org_id, &name, &sealed, rc.actor().user_id)
            .await
            .map_err(AppError::from)?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "lead_source.create",
            "LeadSource",
            Some(row.id),
            json!({ "name": name }),
        )
        .await
        .map_err(AppError::from)?;
        Ok(CreateLeadSourcePayload {
            lead_source: LeadSource(row),
            signing_secret: secret,
        })
    }

    /// EDITOR or above. Scored by the org's rules; `campaignId` must be a
    /// campaign of the org, else `attributes.utm.campaign` may name one (slug
    /// or name). The same `externalId` again updates that lead instead.
    async fn create_lead(&self, ctx: &Context<'_>, input: CreateLeadInput) -> Result<CreateLeadPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let lead = NewLead {
            source_id: None,
            campaign_id: input.campaign_id.map(|c| parse_id("campaignId", &c)).transpose()?,
            name: domain::opt_text("name", input.name.as_deref(), 200)?,
            email: input
                .email
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(|e| Email::parse_field("email", e))
                .transpose()?,
            phone: input
                .phone
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(|p| domain::phone("phone", p))
                .transpose()?,
            external_id: domain::opt_text("externalId", input.external_id.as_deref(), 200)?,
            attributes: Value::Object(attributes(input.attributes)?.unwrap_or_default()),
        };
        let tx = tx(ctx).await?;
        let (row, created) = capture::capture(&*tx, org.org_id, lead, UnknownCampaign::Reject).await?;
        let action = if created { "lead.create" } else { "lead.update" };
        audit::record(
            &*tx,
            org,
            rc.actor(),
            action,
            "Lead",
            Some(row.id),
            json!({ "externalId": row.external_id }),
        )
        .await
        .map_err(AppError::from)?;
        if created {
            rc.publish_after_commit(Event::LeadCaptured {
                org_id: org.org_id,
                lead_id: row.id,
            });
        }
        Ok(CreateLeadPayload { lead: Lead(row) })
    }

    /// EDITOR or above. Sets the stage, replaces the manual tags, merges the
    /// attributes (top-level keys), then re-scores; rule tags are recomputed,
    /// manual tags are kept.
    async fn update_lead(&self, ctx: &Context<'_>, input: UpdateLeadInput) -> Result<UpdateLeadPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Editor)?;
        let id = parse_id("leadId", &input.lead_id)?;
        let change = LeadChange {
            stage: input.stage.map(|s| s.as_str().to_string()),
            manual_tags: input
                .tags
                .as_deref()
                .map(|t| scoring::clean_tags("tags", t))
                .transpose()?,
            attributes: attributes(input.attributes)?,
        };
        let changed: Vec<&str> = [
            change.stage.as_ref().map(|_| "stage"),
            change.manual_tags.as_ref().map(|_| "tags"),
            change.attributes.as_ref().map(|_| "attributes"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let tx = tx(ctx).await?;
        let row = capture::update(&*tx, org.org_id, id, change).await?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "lead.update",
            "Lead",
            Some(id),
            json!({ "changed": changed, "stage": row.stage }),
        )
        .await
        .map_err(AppError::from)?;
        Ok(UpdateLeadPayload { lead: Lead(row) })
    }

    /// ADMIN or OWNER. Applies to leads created or updated from now on, after
    /// the existing rules (rules run in creation order).
    async fn create_lead_scoring_rule(
        &self,
        ctx: &Context<'_>,
        input: CreateLeadScoringRuleInput,
    ) -> Result<CreateLeadScoringRulePayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Admin)?;
        let name = domain::text("name", &input.name, 200)?;
        let rule = Rule::parse(
            &input.field,
            &input.op,
            input.value.map(|v| v.0),
            input.score_delta,
            input.tag.as_deref().filter(|t| !t.trim().is_empty()),
        )?;
        let tx = tx(ctx).await?;
        let row = repo::lead::insert_rule(
            &*tx,
            org.org_id,
            repo::lead::NewRule {
                name: &name,
                field: input.field.trim(),
                op: input.op.trim(),
                value: rule.value.clone(),
                score_delta: rule.score_delta,
                tag: rule.tag.as_deref(),
            },
        )
        .await
        .map_err(AppError::from)?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "lead_scoring_rule.create",
            "LeadScoringRule",
            Some(row.id),
            json!({ "name": name, "field": row.field, "op": row.op, "scoreDelta": row.score_delta }),
        )
        .await
        .map_err(AppError::from)?;
        Ok(CreateLeadScoringRulePayload {
            rule: LeadScoringRule(row),
        })
    }

    /// ADMIN or OWNER. Scores already computed stay until the lead changes.
    async fn delete_lead_scoring_rule(
        &self,
        ctx: &Context<'_>,
        input: DeleteLeadScoringRuleInput,
    ) -> Result<DeleteLeadScoringRulePayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Admin)?;
        let id = parse_id("ruleId", &input.rule_id)?;
        let tx = tx(ctx).await?;
        if repo::lead::delete_rule(&*tx, id).await.map_err(AppError::from)? == 0 {
            return Err(AppError::NotFound("scoring rule").into());
        }
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "lead_scoring_rule.delete",
            "LeadScoringRule",
            Some(id),
            json!({}),
        )
        .await
        .map_err(AppError::from)?;
        Ok(DeleteLeadScoringRulePayload {
            deleted_rule_id: ID(id.to_string()),
        })
    }
}
