use crate::error::AppError;
use crate::graphql::direct::{self, Resolved};
use crate::graphql::relay::{Page, Total, encode, paginate};
use crate::graphql::types::{
    Campaign, CampaignConnection, CampaignEdge, CampaignFilter, CampaignOrder, CampaignOrderField, SortDirection,
};
use crate::graphql::{req, state, tx};
use crate::repo::campaign::{self as repo, CampaignCursor, OrderField};
use async_graphql::{Context, ID, Object, Result};
use sea_orm::FromQueryResult as _;
use std::sync::atomic::Ordering;
use tokio_postgres::Row;

#[derive(Default)]
pub(crate) struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// Campaigns of the current org. `first` defaults to 20 (at most 100);
    /// cursors stay valid when campaigns are added or removed.
    #[graphql(complexity = "first.or(last).unwrap_or(20).max(0) as usize * child_complexity")]
    #[expect(clippy::too_many_arguments, reason = "the connection's arguments")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<CampaignFilter>,
        order_by: Option<CampaignOrder>,
    ) -> Result<Resolved<CampaignConnection>> {
        let org = req(ctx)?.require_org()?;
        let page = Page::<CampaignCursor>::new(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        if let Some(s) = &filter.search
            && s.chars().count() > 200
        {
            return Err(AppError::validation("filter.search", "search must be at most 200 characters").into());
        }
        let filter = repo::CampaignFilter {
            statuses: filter.status,
            search: filter.search,
            created_after: filter.created_after,
            created_before: filter.created_before,
        };
        let (field, descending) = match order_by {
            Some(o) => (
                match o.field {
                    CampaignOrderField::CreatedAt => OrderField::CreatedAt,
                    CampaignOrderField::UpdatedAt => OrderField::UpdatedAt,
                    CampaignOrderField::Name => OrderField::Name,
                },
                o.direction == SortDirection::Desc,
            ),
            None => (OrderField::CreatedAt, true),
        };
        let backward = page.direction == crate::graphql::relay::Direction::Backward;
        let tx = tx(ctx).await?;
        let plan = direct::plan(ctx, &direct::CAMPAIGN, ctx.item, &["id", field.key_column()]);
        let cols = plan.as_ref().map(|p| p.select_list());
        let stmt = repo::list_stmt(
            cols.as_deref().unwrap_or(repo::CAMPAIGN_COLS),
            org.org_id,
            &filter,
            field,
            descending,
            backward,
            page.cursor.as_ref(),
            page.fetch(),
        );
        if let Some(plan) = plan {
            let rows = tx.rows(&stmt).await.map_err(AppError::from)?;
            let total = if plan.wants_total() {
                Some(Total::Count(repo::count_stmt(org.org_id, &filter)).get(ctx).await?)
            } else {
                None
            };
            let cursor = |r: &Row| {
                let key = match field {
                    OrderField::Name => direct::cell::<String>(r, 1)?,
                    _ => OrderField::time_key(direct::cell(r, 1)?),
                };
                Ok(encode(&CampaignCursor(key, direct::cell(r, 0)?)))
            };
            let rows = direct::Rows::new(rows, &page, &cursor, total).map_err(AppError::from)?;
            let json = direct::connection(&tx, &plan, rows, &cursor).await?;
            state(ctx)?.metrics.direct_connections.fetch_add(1, Ordering::Relaxed);
            return Ok(Resolved::written(json));
        }
        let rows = repo::CampaignRow::find_by_statement(stmt)
            .all(&*tx)
            .await
            .map_err(AppError::from)?;
        // The page's campaigns load their nested lists together.
        let page_ids = rows
            .iter()
            .take(usize::try_from(page.limit).unwrap_or(0))
            .map(|c| c.id)
            .collect();
        let siblings = crate::graphql::siblings::Siblings::new(page_ids);
        let (edges, page_info) = paginate(
            rows,
            page.limit,
            page.direction,
            page.cursor.is_some(),
            |c| field.cursor(c),
            |cursor, c| CampaignEdge {
                cursor,
                node: Campaign(c, Some(siblings.clone())),
            },
        );
        Ok(Resolved::Fields(CampaignConnection {
            edges,
            page_info,
            total: Total::Count(repo::count_stmt(org.org_id, &filter)),
        }))
    }

    /// One campaign of the current org.
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Campaign>> {
        req(ctx)?.require_org()?;
        let campaign_id = crate::domain::parse_id("id", &id)?;
        Ok(Some(
            crate::repo::campaign::get(&*tx(ctx).await?, campaign_id)
                .await
                .map_err(AppError::from)?
                .map(Campaign::from)
                .ok_or(AppError::NotFound("campaign"))?,
        ))
    }
}
