//! Lead sources, leads and scoring rules.

use super::{id, load_campaign};
use crate::error::AppError;
use crate::graphql::loaders::{LeadSourceKey, loader_err};
use crate::graphql::relay::connection;
use crate::graphql::{loaders, state};
use crate::repo::lead::{LeadRow, LeadSourceRow, RuleRow};
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result};
use chrono::{DateTime, Utc};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum LeadStage {
    New,
    Qualified,
    Contacted,
    Converted,
    Disqualified,
}

impl LeadStage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::Qualified => "QUALIFIED",
            Self::Contacted => "CONTACTED",
            Self::Converted => "CONVERTED",
            Self::Disqualified => "DISQUALIFIED",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "QUALIFIED" => Self::Qualified,
            "CONTACTED" => Self::Contacted,
            "CONVERTED" => Self::Converted,
            "DISQUALIFIED" => Self::Disqualified,
            _ => Self::New,
        }
    }
}

#[derive(Clone)]
pub struct LeadSource(pub LeadSourceRow);

#[Object]
impl LeadSource {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// POST here with an HMAC signature to capture leads; see README.
    async fn ingest_url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(format!(
            "{}/webhooks/leads/{}",
            state(ctx)?.config.public_base_url,
            self.0.id
        ))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Clone)]
pub struct Lead(pub LeadRow);

connection!(LeadConnection, LeadEdge, Lead);

#[Object]
impl Lead {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<LeadSource>> {
        match self.0.source_id {
            Some(s) => Ok(loaders(ctx)
                .await?
                .load_one(LeadSourceKey(s))
                .await
                .map_err(loader_err)?
                .map(LeadSource)),
            None => Ok(None),
        }
    }
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<super::Campaign>> {
        match self.0.campaign_id {
            Some(c) => Ok(load_campaign(ctx, c).await?),
            None => Ok(None),
        }
    }
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn stage(&self) -> LeadStage {
        LeadStage::parse(&self.0.stage)
    }
    async fn score(&self) -> i32 {
        self.0.score
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    async fn attributes(&self) -> Json<serde_json::Value> {
        Json(self.0.attributes.clone())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A rule applied to every new or updated lead: when `field` `op` `value` holds, add scoreDelta and tag.
#[derive(Clone)]
pub struct LeadScoringRule(pub RuleRow);

#[Object]
impl LeadScoringRule {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn field(&self) -> &str {
        &self.0.field
    }
    /// one of: eq, neq, contains, exists, gt, lt
    async fn op(&self) -> &str {
        &self.0.op
    }
    async fn value(&self) -> Option<Json<serde_json::Value>> {
        self.0.value.clone().map(Json)
    }
    async fn score_delta(&self) -> i32 {
        self.0.score_delta
    }
    async fn tag(&self) -> Option<&str> {
        self.0.tag.as_deref()
    }
}

#[derive(InputObject, Default)]
pub struct LeadFilter {
    pub stage: Option<Vec<LeadStage>>,
    pub campaign_id: Option<ID>,
    pub min_score: Option<i32>,
    pub tag: Option<String>,
}

impl LeadFilter {
    pub fn parse(self) -> Result<crate::repo::lead::LeadFilter, AppError> {
        Ok(crate::repo::lead::LeadFilter {
            stages: self.stage.map(|s| s.iter().map(|x| x.as_str().to_string()).collect()),
            campaign_id: self
                .campaign_id
                .map(|c| crate::domain::parse_id("filter.campaignId", &c))
                .transpose()?,
            min_score: self.min_score,
            tag: self.tag.filter(|t| !t.trim().is_empty()),
        })
    }
}
