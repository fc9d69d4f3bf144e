//! The `Node` interface and `node(id)`: ids are plain UUIDs, so the type of
//! an id is found with one indexed lookup across the tenant tables (each
//! under RLS: another org's id finds nothing).

use super::*;
use crate::error::AppError;
use crate::graphql::loaders::*;
use crate::graphql::{loaders, tx};
use async_graphql::{Context, Interface};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "async_graphql::ID"))]
pub enum Node {
    User(User),
    Org(Org),
    Membership(Membership),
    ApiKey(ApiKey),
    Campaign(Campaign),
    Angle(Angle),
    Copy(Copy),
    Asset(Asset),
    Job(Job),
    LeadSource(LeadSource),
    Lead(Lead),
    LeadScoringRule(LeadScoringRule),
    CreditEntry(CreditEntry),
    AuditEvent(AuditEvent),
}

const TYPE_OF: &str = "
SELECT 'Campaign' FROM campaigns WHERE id = $1
UNION ALL SELECT 'Angle' FROM angles WHERE id = $1
UNION ALL SELECT 'Copy' FROM copies WHERE id = $1
UNION ALL SELECT 'Asset' FROM assets WHERE id = $1
UNION ALL SELECT 'Job' FROM jobs WHERE id = $1
UNION ALL SELECT 'Lead' FROM leads WHERE id = $1
UNION ALL SELECT 'LeadSource' FROM lead_sources WHERE id = $1
UNION ALL SELECT 'LeadScoringRule' FROM lead_scoring_rules WHERE id = $1
UNION ALL SELECT 'CreditEntry' FROM credit_entries WHERE id = $1
UNION ALL SELECT 'AuditEvent' FROM audit_events WHERE id = $1
UNION ALL SELECT 'Membership' FROM memberships WHERE id = $1 AND org_id = (select nullif(current_setting('app.org_id', true), '')::uuid)
UNION ALL SELECT 'ApiKey' FROM api_keys WHERE id = $1
UNION ALL SELECT 'Org' FROM orgs WHERE id = $1
UNION ALL SELECT 'User' FROM users WHERE id = $1
LIMIT 1";

/// The object with this id, if the caller may see it.
pub async fn load_node(ctx: &Context<'_>, node_id: Uuid) -> Result<Option<Node>, AppError> {
    // Boxed: a resolver future is as large as its largest field's.
    Box::pin(async move {
        let row = tx(ctx)
            .await?
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                TYPE_OF,
                [node_id.into()],
            ))
            .await?;
        let Some(row) = row else { return Ok(None) };
        let kind: String = row.try_get_by_index(0)?;
        load_node_of_type(ctx, &kind, node_id).await
    })
    .await
}

pub async fn load_node_of_type(ctx: &Context<'_>, kind: &str, node_id: Uuid) -> Result<Option<Node>, AppError> {
    // Boxed: a resolver future is as large as its largest field's.
    Box::pin(async move {
        let l = loaders(ctx).await?;
        Ok(match kind {
            "Campaign" => l
                .load_one(CampaignKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::Campaign(Campaign::from(r))),
            "Angle" => l
                .load_one(AngleKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::Angle(Angle::from(r))),
            "Copy" => l
                .load_one(CopyKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::Copy(Copy(r))),
            "Asset" => l
                .load_one(AssetKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::Asset(Asset(r))),
            "Job" => l
                .load_one(JobKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::Job(Job(r))),
            "Lead" => l
                .load_one(LeadKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::Lead(Lead(r))),
            "LeadSource" => l
                .load_one(LeadSourceKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::LeadSource(LeadSource(r))),
            "LeadScoringRule" => l
                .load_one(RuleKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::LeadScoringRule(LeadScoringRule(r))),
            "CreditEntry" => l
                .load_one(EntryKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::CreditEntry(CreditEntry(r))),
            "AuditEvent" => l
                .load_one(AuditKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::AuditEvent(AuditEvent(r))),
            "Membership" => l
                .load_one(MembershipKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::Membership(Membership(r))),
            "ApiKey" => l
                .load_one(ApiKeyKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::ApiKey(ApiKey(r))),
            "Org" => l
                .load_one(OrgKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::Org(Org(r))),
            "User" => l
                .load_one(UserKey(node_id))
                .await
                .map_err(loader_err)?
                .map(|r| Node::User(User(r))),
            _ => None,
        })
    })
    .await
}
