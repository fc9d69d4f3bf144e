use crate::error::AppError;
use crate::graphql::relay::{Page, TimeCursor, Total, paginate};
use crate::graphql::types::{
    self, ApiKey, AuditEvent, AuditEventConnection, AuditEventEdge, CreditEntry, CreditEntryConnection,
    CreditEntryEdge, Node, Org, Viewer,
};
use crate::graphql::{req, tx};
use crate::repo;
use crate::tenancy::Role;
use async_graphql::{Context, ID, Object, Result};

#[derive(Default)]
pub(crate) struct OrgQuery;

#[Object]
impl OrgQuery {
    /// The signed-in user, their memberships, and the org of this request.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        req(ctx)?.require_user()?;
        Ok(Viewer)
    }

    /// Any object by id (NOT_FOUND if it does not exist in your orgs).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        req(ctx)?.require_auth()?;
        let node_id = crate::domain::parse_id("id", &id)?;
        Ok(Some(
            types::node::load_node(ctx, node_id)
                .await?
                .ok_or(AppError::NotFound("node"))?,
        ))
    }

    /// The org chosen with X-Org-Id (or the API key's org).
    async fn org(&self, ctx: &Context<'_>) -> Result<Org> {
        let org = req(ctx)?.require_org()?;
        Ok(types::load_org(ctx, org.org_id)
            .await?
            .ok_or(AppError::NotFound("org"))?)
    }

    /// API keys of the org, newest first. ADMIN or OWNER.
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        let org = req(ctx)?.require_role(Role::Admin)?;
        let rows = repo::org::api_keys(&*tx(ctx).await?, org.org_id)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(ApiKey).collect())
    }

    /// What changed in the org and who changed it, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AuditEventConnection> {
        let org = req(ctx)?.require_org()?;
        let page = Page::<TimeCursor>::forward(first, after)?;
        let tx = tx(ctx).await?;
        let rows = repo::audit::list(&*tx, org.org_id, page.cursor.as_ref(), page.fetch())
            .await
            .map_err(AppError::from)?;
        let (edges, page_info) = paginate(
            rows,
            page.limit,
            page.direction,
            page.cursor.is_some(),
            |r| TimeCursor(r.at, r.id),
            |cursor, r| AuditEventEdge {
                cursor,
                node: AuditEvent(r),
            },
        );
        let total = Total::Known(repo::audit::count(&*tx, org.org_id).await.map_err(AppError::from)?);
        Ok(AuditEventConnection {
            edges,
            page_info,
            total,
        })
    }

    /// The org's credit ledger, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn credit_ledger(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CreditEntryConnection> {
        let org = req(ctx)?.require_org()?;
        let page = Page::<TimeCursor>::forward(first, after)?;
        let tx = tx(ctx).await?;
        let rows = repo::ledger::entries(&*tx, org.org_id, page.cursor.as_ref(), page.fetch())
            .await
            .map_err(AppError::from)?;
        let (edges, page_info) = paginate(
            rows,
            page.limit,
            page.direction,
            page.cursor.is_some(),
            |r| TimeCursor(r.created_at, r.id),
            |cursor, r| CreditEntryEdge {
                cursor,
                node: CreditEntry(r),
            },
        );
        let total = Total::Known(
            repo::ledger::count_entries(&*tx, org.org_id)
                .await
                .map_err(AppError::from)?,
        );
        Ok(CreditEntryConnection {
            edges,
            page_info,
            total,
        })
    }
}
