//! Campaigns, their briefs, angles, copies and review notes.

use super::id;
use super::suggestion::{Angle, Copy, ReviewNote};
use crate::domain::campaign::{CampaignStatus, Platform, SuggestionStatus};
use crate::error::AppError;
use crate::graphql::loaders::{
    ANGLES, ASSETS, AngleKey, AnglesOf, AssetsOf, CampaignKey, ChildList, ChildSpec, JOBS, JobsOf, LEADS, LeadsOf,
    ListArgs, ReviewNotesOf, fetch_children, loader_err,
};
use crate::graphql::relay::{Page, TimeCursor, Total, connection, paginate};
use crate::graphql::siblings::{HasId, Siblings};
use crate::graphql::{loaders, req, tx};
use crate::repo::campaign::{AngleRow, CampaignRow};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;
use uuid::Uuid;

#[derive(SimpleObject, Clone)]
pub struct Brief {
    pub product: String,
    pub audience: String,
    pub goal: Option<String>,
    pub tone: Option<String>,
    pub key_messages: Vec<String>,
    pub call_to_action: Option<String>,
    pub landing_url: Option<String>,
}

impl From<crate::domain::campaign::Brief> for Brief {
    fn from(b: crate::domain::campaign::Brief) -> Self {
        Self {
            product: b.product,
            audience: b.audience,
            goal: b.goal,
            tone: b.tone,
            key_messages: b.key_messages,
            call_to_action: b.call_to_action,
            landing_url: b.landing_url,
        }
    }
}

/// Where a generated item came from, so every AI output can be traced and reproduced.
#[derive(SimpleObject, Clone)]
pub struct Provenance {
    pub provider: String,
    pub model: String,
    pub prompt_version: String,
    pub input_hash: String,
    pub job_id: Option<ID>,
    pub created_at: DateTime<Utc>,
    /// Set when the locale asked for had no built-in language and another was used.
    pub fallback_locale: Option<String>,
}

impl Provenance {
    pub fn from_json(v: &serde_json::Value, created_at: DateTime<Utc>) -> Self {
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        Self {
            provider: s("provider").unwrap_or_else(|| "unknown".into()),
            model: s("model").unwrap_or_else(|| "unknown".into()),
            prompt_version: s("promptVersion").unwrap_or_else(|| "unknown".into()),
            input_hash: s("inputHash").unwrap_or_default(),
            job_id: s("jobId").map(ID),
            created_at: s("createdAt").and_then(|t| t.parse().ok()).unwrap_or(created_at),
            fallback_locale: s("fallbackLocale"),
        }
    }
}

/// A campaign, and the page it was listed in (for one query per nested level).
#[derive(Clone)]
pub struct Campaign(pub CampaignRow, pub Option<Arc<Siblings>>);

impl From<CampaignRow> for Campaign {
    fn from(row: CampaignRow) -> Self {
        Campaign(row, None)
    }
}

connection!(CampaignConnection, CampaignEdge, Campaign);
connection!(AngleConnection, AngleEdge, Angle);
connection!(CopyConnection, CopyEdge, Copy);

pub async fn load_campaign(ctx: &Context<'_>, campaign_id: Uuid) -> Result<Option<Campaign>, AppError> {
    // Boxed: a resolver future is as large as its largest field's.
    Box::pin(async move {
        Ok(loaders(ctx)
            .await?
            .load_one(CampaignKey(campaign_id))
            .await
            .map_err(loader_err)?
            .map(Campaign::from))
    })
    .await
}

pub async fn load_angle(ctx: &Context<'_>, angle_id: Uuid) -> Result<Option<Angle>, AppError> {
    // Boxed: a resolver future is as large as its largest field's.
    Box::pin(async move {
        Ok(loaders(ctx)
            .await?
            .load_one(AngleKey(angle_id))
            .await
            .map_err(loader_err)?
            .map(Angle::from))
    })
    .await
}

/// Reads one page of a child list: with siblings (a page of parents), one
/// query for all of them; alone, through the DataLoader.
#[expect(clippy::too_many_arguments, reason = "one generic list reader, spelled out")]
pub(crate) async fn child_page<K, T, E>(
    ctx: &Context<'_>,
    siblings: Option<&Arc<Siblings>>,
    spec: &'static ChildSpec,
    parent: Uuid,
    key: impl FnOnce(ListArgs) -> K,
    filters: Vec<(&'static str, Option<String>)>,
    first: Option<i32>,
    after: Option<String>,
    cursor_of: impl Fn(&T) -> TimeCursor,
    edge: impl Fn(String, T, Option<Arc<Siblings>>) -> E,
) -> Result<(Vec<E>, crate::graphql::relay::PageInfo, Total), AppError>
where
    crate::graphql::loaders::DbLoader:
        async_graphql::dataloader::Loader<K, Value = ChildList<T>, Error = crate::graphql::loaders::LoadError>,
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: sea_orm::FromQueryResult + HasId + Send + Sync + Clone + 'static,
{
    // Boxed: a resolver future is as large as its largest field's.
    Box::pin(async move {
        let page = Page::<TimeCursor>::forward(first, after)?;
        let args = ListArgs {
            filters,
            after: page.cursor.clone(),
            fetch: page.fetch(),
            with_total: ctx.look_ahead().field("totalCount").exists(),
        };
        let (list, children) = match siblings {
            Some(sib) => {
                let tx = tx(ctx).await?;
                let load_args = args.clone();
                let (list, children) = sib
                    .child_list(spec.table, &args, parent, |ids| async move {
                        fetch_children::<T>(&tx, spec, &ids, &load_args).await
                    })
                    .await?;
                (list, Some(children))
            }
            None => (
                loaders(ctx)
                    .await?
                    .load_one(key(args.clone()))
                    .await
                    .map_err(loader_err)?
                    .unwrap_or_default(),
                None,
            ),
        };
        // A parent without rows on this page has no row to carry its total.
        let total = match list.total {
            Some(n) => Total::Known(n),
            None if list.rows.is_empty() && args.after.is_none() => Total::Known(0),
            None => Total::Count(crate::repo::child_count_stmt(
                spec.table,
                spec.parent_col,
                parent,
                &args.filter_values(),
            )),
        };
        let (edges, info) = paginate(
            list.rows,
            page.limit,
            page.direction,
            page.cursor.is_some(),
            cursor_of,
            |c, row| edge(c, row, children.clone()),
        );
        Ok((edges, info, total))
    })
    .await
}

#[Object]
impl Campaign {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// URL-safe form of the name; leads whose utm_campaign matches it are attributed here.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn status(&self) -> CampaignStatus {
        self.0.status()
    }
    async fn brief(&self) -> Brief {
        self.0.brief().into()
    }
    async fn locales(&self) -> &[String] {
        &self.0.locales
    }
    async fn platforms(&self) -> Vec<Platform> {
        self.0.platforms()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Generated angles, oldest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn angles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        locale: Option<String>,
        status: Option<SuggestionStatus>,
    ) -> Result<AngleConnection> {
        let locale = locale.map(|l| crate::domain::locale("locale", &l)).transpose()?;
        let filters = vec![("locale", locale), ("status", status.map(|s| s.as_str().to_string()))]
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .collect();
        let id = self.0.id;
        let (edges, page_info, total) = child_page(
            ctx,
            self.1.as_ref(),
            &ANGLES,
            id,
            |args| AnglesOf(id, args),
            filters,
            first,
            after,
            |a: &AngleRow| TimeCursor(a.created_at, a.id),
            |cursor, a, sib| AngleEdge {
                cursor,
                node: Angle(a, sib),
            },
        )
        .await?;
        Ok(AngleConnection {
            edges,
            page_info,
            total,
        })
    }
    /// Current images (and export kits), oldest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn assets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        aspect_ratio: Option<super::AspectRatio>,
        kind: Option<super::AssetKind>,
    ) -> Result<super::AssetConnection> {
        let mut filters: Vec<(&'static str, Option<String>)> = vec![("superseded_at", None)];
        if let Some(r) = aspect_ratio {
            filters.push(("aspect_ratio", Some(r.as_str().to_string())));
        }
        if let Some(k) = kind {
            filters.push(("kind", Some(k.as_str().to_string())));
        }
        let id = self.0.id;
        let (edges, page_info, total) = child_page(
            ctx,
            self.1.as_ref(),
            &ASSETS,
            id,
            |args| AssetsOf(id, args),
            filters,
            first,
            after,
            |a: &crate::repo::asset::AssetRow| TimeCursor(a.created_at, a.id),
            |cursor, a, _| super::AssetEdge {
                cursor,
                node: super::Asset(a),
            },
        )
        .await?;
        Ok(super::AssetConnection {
            edges,
            page_info,
            total,
        })
    }
    /// Leads attributed to this campaign, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<super::LeadConnection> {
        let id = self.0.id;
        let (edges, page_info, total) = child_page(
            ctx,
            self.1.as_ref(),
            &LEADS,
            id,
            |args| LeadsOf(id, args),
            vec![],
            first,
            after,
            |l: &crate::repo::lead::LeadRow| TimeCursor(l.created_at, l.id),
            |cursor, l, _| super::LeadEdge {
                cursor,
                node: super::Lead(l),
            },
        )
        .await?;
        Ok(super::LeadConnection {
            edges,
            page_info,
            total,
        })
    }
    /// Jobs run for this campaign, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn jobs(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<super::JobConnection> {
        let id = self.0.id;
        let (edges, page_info, total) = child_page(
            ctx,
            self.1.as_ref(),
            &JOBS,
            id,
            |args| JobsOf(id, args),
            vec![],
            first,
            after,
            |j: &crate::repo::job::JobRow| TimeCursor(j.created_at, j.id),
            |cursor, j, _| super::JobEdge {
                cursor,
                node: super::Job(j),
            },
        )
        .await?;
        Ok(super::JobConnection {
            edges,
            page_info,
            total,
        })
    }
    /// Notes left by reviewers with approveCampaign / requestChanges, newest first.
    async fn review_notes(&self, ctx: &Context<'_>) -> Result<Vec<ReviewNote>> {
        let rows = Box::pin(async {
            loaders(ctx)
                .await?
                .load_one(ReviewNotesOf(self.0.id))
                .await
                .map_err(loader_err)
        })
        .await?
        .unwrap_or_default();
        Ok(rows.into_iter().map(ReviewNote).collect())
    }
    /// Leads per day and stage for charts (days in UTC, both ends included).
    async fn lead_stats(&self, ctx: &Context<'_>, from: NaiveDate, to: NaiveDate) -> Result<Vec<LeadDailyStat>> {
        if to < from {
            return Err(AppError::validation("to", "to must not be before from").into());
        }
        if (to - from).num_days() > 366 {
            return Err(AppError::validation("to", "at most 366 days at a time").into());
        }
        let org = req(ctx)?.require_org()?;
        let tx = tx(ctx).await?;
        let rows = Box::pin(crate::repo::lead::daily_stats(&*tx, org.org_id, self.0.id, from, to))
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|r| LeadDailyStat {
                day: r.day,
                stage: super::LeadStage::parse(&r.stage),
                count: r.count,
            })
            .collect())
    }
}

/// Leads created on one day that are now in one stage.
#[derive(SimpleObject)]
pub struct LeadDailyStat {
    pub day: NaiveDate,
    pub stage: super::LeadStage,
    pub count: i32,
}

#[derive(InputObject, Default)]
pub struct CampaignFilter {
    pub status: Option<Vec<CampaignStatus>>,
    /// Case-insensitive match on name and product.
    pub search: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum CampaignOrderField {
    CreatedAt,
    UpdatedAt,
    Name,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum SortDirection {
    Asc,
    Desc,
}

#[derive(InputObject)]
pub struct CampaignOrder {
    pub field: CampaignOrderField,
    pub direction: SortDirection,
}

#[derive(InputObject, Clone)]
pub struct BriefInput {
    pub product: String,
    pub audience: String,
    pub goal: Option<String>,
    pub tone: Option<String>,
    pub key_messages: Option<Vec<String>>,
    pub call_to_action: Option<String>,
    pub landing_url: Option<String>,
}

impl BriefInput {
    pub fn parse(self) -> Result<crate::domain::campaign::Brief, AppError> {
        crate::domain::campaign::Brief::parse(crate::domain::campaign::BriefParts {
            product: self.product,
            audience: self.audience,
            goal: self.goal,
            tone: self.tone,
            key_messages: self.key_messages,
            call_to_action: self.call_to_action,
            landing_url: self.landing_url,
        })
    }
}
