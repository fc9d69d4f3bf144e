//! The GraphQL API: schema, handler, WebSocket transport, resolvers.

mod direct;
pub mod documents;
pub mod errors;
mod execute;
pub mod handler;
pub mod insert;
mod json;
pub mod limits;
pub mod loaders;
pub mod lookup;
pub mod mutation;
pub mod query;
pub mod relay;
pub mod siblings;
pub mod subscription;
pub mod types;
pub mod validated;
pub mod ws;

use crate::db::Tx;
use crate::error::AppError;
use crate::state::AppState;
use crate::tenancy::RequestCtx;
use async_graphql::{Context, Schema};
use std::sync::Arc;

pub type AppSchema = Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// Complexity budget: every field costs 1, lists multiply by their page size.
pub const MAX_COMPLEXITY: usize = 20_000;
pub const MAX_DEPTH: usize = 16;

/// Builds the schema. `state` is `None` only for exporting the SDL.
pub fn build_schema(state: Option<AppState>) -> AppSchema {
    build_schema_validating(state, async_graphql::ValidationMode::Strict)
}

/// The schema with `mode` validation: `Fast` only for documents that passed
/// full validation before (`validated`).
pub fn build_schema_validating(state: Option<AppState>, mode: async_graphql::ValidationMode) -> AppSchema {
    let introspection = state.as_ref().is_none_or(|s| s.config.introspection);
    let mut builder = Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        subscription::SubscriptionRoot::default(),
    )
    .register_output_type::<types::Node>()
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(10)
    .validation_mode(mode)
    .disable_suggestions();
    if !introspection {
        builder = builder.disable_introspection();
    }
    if let Some(state) = state {
        builder = builder.data(state);
    }
    builder.finish()
}

/// The SDL that `schema.graphql` holds.
pub fn sdl() -> String {
    build_schema(None).sdl()
}

/// The request's tenant context.
pub fn req<'a>(ctx: &Context<'a>) -> Result<&'a RequestCtx, AppError> {
    ctx.data::<Arc<RequestCtx>>()
        .map(|a| &**a)
        .map_err(|_| AppError::Internal(anyhow::anyhow!("request context missing")))
}

/// The transaction a resolver reads and writes through: the request's, or
/// (in a subscription) a short one opened for the event being resolved.
/// Anonymous callers have none: they cannot read tenant data at all.
pub async fn tx(ctx: &Context<'_>) -> Result<Arc<Tx>, AppError> {
    if let Ok(tx) = ctx.data::<Arc<Tx>>() {
        return Ok(tx.clone());
    }
    if let Ok(scope) = ctx.data::<Arc<subscription::EventScope>>() {
        return Ok(Box::pin(scope.open()).await?.0);
    }
    req(ctx)?.require_auth()?;
    Err(AppError::Internal(anyhow::anyhow!("transaction missing")))
}

/// The DataLoaders bound to [`tx`]'s transaction.
pub async fn loaders(ctx: &Context<'_>) -> Result<Arc<loaders::Loaders>, AppError> {
    if let Ok(l) = ctx.data::<Arc<loaders::Loaders>>() {
        return Ok(l.clone());
    }
    if let Ok(scope) = ctx.data::<Arc<subscription::EventScope>>() {
        return Ok(Box::pin(scope.open()).await?.1);
    }
    req(ctx)?.require_auth()?;
    Err(AppError::Internal(anyhow::anyhow!("loaders missing")))
}

pub fn state<'a>(ctx: &Context<'a>) -> Result<&'a AppState, AppError> {
    ctx.data::<AppState>()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("app state missing")))
}
