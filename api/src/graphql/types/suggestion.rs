//! Angles and copies (generated suggestions) and reviewers' notes.

use super::campaign::{Campaign, CopyConnection, CopyEdge, Provenance, child_page, load_angle, load_campaign};
use super::{id, load_user};
use crate::domain::campaign::{CampaignStatus, Platform, SuggestionStatus};
use crate::error::AppError;
use crate::graphql::loaders::{COPIES, CopiesOf};
use crate::graphql::relay::TimeCursor;
use crate::graphql::siblings::Siblings;
use crate::repo::campaign::{AngleRow, CopyRow, ReviewNoteRow};
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// An angle, and the angles loaded with it (for their copies).
#[derive(Clone)]
pub struct Angle(pub AngleRow, pub Option<Arc<Siblings>>);

impl From<AngleRow> for Angle {
    fn from(row: AngleRow) -> Self {
        Angle(row, None)
    }
}

#[Object]
impl Angle {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Campaign> {
        Ok(load_campaign(ctx, self.0.campaign_id)
            .await?
            .ok_or(AppError::NotFound("campaign"))?)
    }
    async fn locale(&self) -> &str {
        &self.0.locale
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn hook(&self) -> &str {
        &self.0.hook
    }
    async fn rationale(&self) -> Option<&str> {
        self.0.rationale.as_deref()
    }
    async fn status(&self) -> SuggestionStatus {
        SuggestionStatus::parse(&self.0.status)
    }
    /// Copies of this angle, oldest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn copies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        platform: Option<Platform>,
    ) -> Result<CopyConnection> {
        let filters = platform
            .map(|p| vec![("platform", Some(p.as_str().to_string()))])
            .unwrap_or_default();
        let id = self.0.id;
        let (edges, page_info, total) = child_page(
            ctx,
            self.1.as_ref(),
            &COPIES,
            id,
            |args| CopiesOf(id, args),
            filters,
            first,
            after,
            |c: &CopyRow| TimeCursor(c.created_at, c.id),
            |cursor, c, _| CopyEdge { cursor, node: Copy(c) },
        )
        .await?;
        Ok(CopyConnection {
            edges,
            page_info,
            total,
        })
    }
    async fn hashtags(&self) -> &[String] {
        &self.0.hashtags
    }
    async fn provenance(&self) -> Provenance {
        Provenance::from_json(&self.0.provenance, self.0.created_at)
    }
}

#[derive(SimpleObject, Clone)]
pub struct Moderation {
    pub flagged: bool,
    pub reasons: Vec<String>,
}

#[derive(Clone)]
pub struct Copy(pub CopyRow);

#[Object]
impl Copy {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn angle(&self, ctx: &Context<'_>) -> Result<Angle> {
        Ok(load_angle(ctx, self.0.angle_id)
            .await?
            .ok_or(AppError::NotFound("angle"))?)
    }
    async fn platform(&self) -> Platform {
        Platform::parse(&self.0.platform).unwrap_or(Platform::Instagram)
    }
    async fn locale(&self) -> &str {
        &self.0.locale
    }
    async fn headline(&self) -> Option<&str> {
        self.0.headline.as_deref()
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn call_to_action(&self) -> Option<&str> {
        self.0.call_to_action.as_deref()
    }
    async fn hashtags(&self) -> &[String] {
        &self.0.hashtags
    }
    /// Characters of the body, in Unicode scalar values.
    async fn character_count(&self) -> i32 {
        self.0.character_count
    }
    /// Incremented by every edit; edits carry the version they were based on.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn status(&self) -> SuggestionStatus {
        SuggestionStatus::parse(&self.0.status)
    }
    /// True once a person has edited the copy.
    async fn edited(&self) -> bool {
        self.0.edited
    }
    async fn moderation(&self) -> Moderation {
        Moderation {
            flagged: self.0.flagged,
            reasons: self.0.moderation_reasons.clone(),
        }
    }
    async fn provenance(&self) -> Provenance {
        Provenance::from_json(&self.0.provenance, self.0.created_at)
    }
}

#[derive(Clone)]
pub struct ReviewNote(pub ReviewNoteRow);

#[Object]
impl ReviewNote {
    async fn author(&self, ctx: &Context<'_>) -> Result<super::User> {
        let id = self.0.author_id.ok_or(AppError::NotFound("user"))?;
        Ok(load_user(ctx, id).await?.ok_or(AppError::NotFound("user"))?)
    }
    async fn decision(&self) -> CampaignStatus {
        CampaignStatus::parse(&self.0.decision).unwrap_or(CampaignStatus::Reviewing)
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
