//! Users, orgs, memberships, API keys, brand kits, audit events.

use super::id;
use crate::error::AppError;
use crate::graphql::loaders::{OrgKey, UserKey, loader_err};
use crate::graphql::relay::{Page, TimeCursor, Total, connection, paginate};
use crate::graphql::{loaders, req, tx};
use crate::repo::org::{ApiKeyRow, BrandKitRow, MembershipRow, OrgRow};
use crate::repo::user::UserRow;
use crate::repo::{self, audit::AuditRow};
use crate::tenancy::Role;
use async_graphql::{Context, ID, Json, Object, Result};
use chrono::{DateTime, Utc};

#[derive(Clone)]
pub struct User(pub UserRow);

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
}

/// Loads a user by id through the request's DataLoader.
pub async fn load_user(ctx: &Context<'_>, user_id: uuid::Uuid) -> Result<Option<User>, AppError> {
    // Boxed: a resolver future is as large as its largest field's.
    Box::pin(async move {
        Ok(loaders(ctx)
            .await?
            .load_one(UserKey(user_id))
            .await
            .map_err(loader_err)?
            .map(User))
    })
    .await
}

#[derive(Clone)]
pub struct Org(pub OrgRow);

connection!(MembershipConnection, MembershipEdge, Membership);

#[Object]
impl Org {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Members of the org, oldest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<MembershipConnection> {
        let page = Page::<TimeCursor>::forward(first, after)?;
        let tx = tx(ctx).await?;
        let rows = repo::org::members(&*tx, self.0.id, page.cursor.as_ref(), page.fetch())
            .await
            .map_err(AppError::from)?;
        let (edges, page_info) = paginate(
            rows,
            page.limit,
            page.direction,
            page.cursor.is_some(),
            |m| TimeCursor(m.created_at, m.id),
            |cursor, m| MembershipEdge {
                cursor,
                node: Membership(m),
            },
        );
        let total = Total::Known(
            repo::org::count_members(&*tx, self.0.id)
                .await
                .map_err(AppError::from)?,
        );
        Ok(MembershipConnection {
            edges,
            page_info,
            total,
        })
    }
    /// The org's credits: what it can spend now and what running jobs hold.
    async fn credits(&self, ctx: &Context<'_>) -> Result<super::CreditBalance> {
        let b = repo::ledger::balance(&*tx(ctx).await?, self.0.id)
            .await
            .map_err(AppError::from)?;
        Ok(super::CreditBalance {
            available: b.available,
            reserved: b.reserved,
        })
    }
    async fn brand_kit(&self, ctx: &Context<'_>) -> Result<BrandKit> {
        let row = repo::org::brand_kit(&*tx(ctx).await?, self.0.id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("brand kit"))?;
        Ok(BrandKit(row))
    }
}

pub async fn load_org(ctx: &Context<'_>, org_id: uuid::Uuid) -> Result<Option<Org>, AppError> {
    // Boxed: a resolver future is as large as its largest field's.
    Box::pin(async move {
        Ok(loaders(ctx)
            .await?
            .load_one(OrgKey(org_id))
            .await
            .map_err(loader_err)?
            .map(Org))
    })
    .await
}

#[derive(Clone)]
pub struct Membership(pub MembershipRow);

#[Object]
impl Membership {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(load_user(ctx, self.0.user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?)
    }
    async fn org(&self, ctx: &Context<'_>) -> Result<Org> {
        Ok(load_org(ctx, self.0.org_id).await?.ok_or(AppError::NotFound("org"))?)
    }
    async fn role(&self) -> Role {
        Role::parse(&self.0.role).unwrap_or(Role::Viewer)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Clone)]
pub struct ApiKey(pub ApiKeyRow);

#[Object]
impl ApiKey {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The first characters of the key, for recognising it; the secret is shown once.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn role(&self) -> Role {
        Role::parse(&self.0.role).unwrap_or(Role::Viewer)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

#[derive(Clone)]
pub struct BrandKit(pub BrandKitRow);

#[Object]
impl BrandKit {
    async fn primary_color(&self) -> &str {
        &self.0.primary_color
    }
    async fn secondary_color(&self) -> &str {
        &self.0.secondary_color
    }
    async fn logo(&self, ctx: &Context<'_>) -> Result<Option<super::Asset>> {
        match self.0.logo_asset_id {
            Some(asset_id) => Ok(super::load_asset(ctx, asset_id).await?),
            None => Ok(None),
        }
    }
    /// Words that must never appear in generated copy; copies that contain one are flagged.
    async fn banned_words(&self) -> &[String] {
        &self.0.banned_words
    }
    async fn voice(&self) -> Option<&str> {
        self.0.voice.as_deref()
    }
}

/// The caller and the org they act in.
pub struct Viewer;

#[Object]
impl Viewer {
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        let user_id = req(ctx)?.require_user()?;
        Ok(load_user(ctx, user_id).await?.ok_or(AppError::NotFound("user"))?)
    }
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<Membership>> {
        let user_id = req(ctx)?.require_user()?;
        let rows = repo::org::memberships_of_user(&*tx(ctx).await?, user_id)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(Membership).collect())
    }
    /// The org chosen for this request, if any.
    async fn current_org(&self, ctx: &Context<'_>) -> Result<Option<Org>> {
        match req(ctx)?.org {
            Some(org) => Ok(load_org(ctx, org.org_id).await?),
            None => Ok(None),
        }
    }
    /// The caller's role in the current org, if any.
    async fn role(&self, ctx: &Context<'_>) -> Result<Option<Role>> {
        Ok(req(ctx)?.org.map(|o| o.role))
    }
}

#[derive(Clone)]
pub struct AuditEvent(pub AuditRow);

connection!(AuditEventConnection, AuditEventEdge, AuditEvent);

#[Object]
impl AuditEvent {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.0.actor_user_id {
            Some(u) => Ok(load_user(ctx, u).await?),
            None => Ok(None),
        }
    }
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }
    async fn target_id(&self) -> Option<ID> {
        self.0.target_id.map(id)
    }
    async fn metadata(&self) -> Json<serde_json::Value> {
        let mut m = self.0.metadata.clone();
        if let (Some(key), serde_json::Value::Object(map)) = (self.0.actor_api_key_id, &mut m) {
            map.entry("apiKeyId").or_insert_with(|| key.to_string().into());
        }
        Json(m)
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}
