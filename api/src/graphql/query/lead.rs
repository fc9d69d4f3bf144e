use crate::error::AppError;
use crate::graphql::loaders::{LeadKey, loader_err};
use crate::graphql::relay::{Page, TimeCursor, Total, paginate};
use crate::graphql::types::{Lead, LeadConnection, LeadEdge, LeadFilter, LeadScoringRule, LeadSource};
use crate::graphql::{loaders, req, tx};
use crate::repo;
use async_graphql::{Context, ID, Object, Result};

#[derive(Default)]
pub(crate) struct LeadQuery;

#[Object]
impl LeadQuery {
    /// Leads of the current org, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<LeadFilter>,
    ) -> Result<LeadConnection> {
        let org = req(ctx)?.require_org()?;
        let page = Page::<TimeCursor>::forward(first, after)?;
        let filter = filter.unwrap_or_default().parse()?;
        let rows = repo::lead::list(
            &*tx(ctx).await?,
            org.org_id,
            &filter,
            page.cursor.as_ref(),
            page.fetch(),
        )
        .await
        .map_err(AppError::from)?;
        let (edges, page_info) = paginate(
            rows,
            page.limit,
            page.direction,
            page.cursor.is_some(),
            |l| TimeCursor(l.created_at, l.id),
            |cursor, l| LeadEdge { cursor, node: Lead(l) },
        );
        Ok(LeadConnection {
            edges,
            page_info,
            total: Total::Count(repo::lead::count_stmt(org.org_id, &filter)),
        })
    }

    async fn lead(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Lead>> {
        req(ctx)?.require_org()?;
        let lead_id = crate::domain::parse_id("id", &id)?;
        let row = loaders(ctx)
            .await?
            .load_one(LeadKey(lead_id))
            .await
            .map_err(loader_err)?
            .ok_or(AppError::NotFound("lead"))?;
        Ok(Some(Lead(row)))
    }

    async fn lead_sources(&self, ctx: &Context<'_>) -> Result<Vec<LeadSource>> {
        let org = req(ctx)?.require_org()?;
        Ok(repo::lead::sources(&*tx(ctx).await?, org.org_id)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(LeadSource)
            .collect())
    }

    /// Scoring rules, in the order they are applied.
    async fn lead_scoring_rules(&self, ctx: &Context<'_>) -> Result<Vec<LeadScoringRule>> {
        let org = req(ctx)?.require_org()?;
        Ok(repo::lead::rules(&*tx(ctx).await?, org.org_id)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(LeadScoringRule)
            .collect())
    }
}
