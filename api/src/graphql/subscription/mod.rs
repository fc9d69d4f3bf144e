//! Subscriptions, served over WebSocket only (`/graphql/ws`).
//!
//! A subscription outlives the connection's authentication and never keeps
//! a transaction open: each event that needs the database is resolved in a
//! short transaction of its own ([`EventScope`]), entered into the socket's
//! org, and closed before the stream waits for the next event.

mod campaign;
mod job;
mod lead;

use super::loaders::{DbLoader, Loaders};
use crate::db::{Db, Enter, Tx};
use crate::error::AppError;
use async_graphql::MergedSubscription;
use std::sync::Arc;
use uuid::Uuid;

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(
    job::JobSubscription,
    campaign::CampaignSubscription,
    lead::LeadSubscription,
);

type Open = (Arc<Tx>, Arc<Loaders>);

/// The transaction (and loaders) of the event being resolved, opened on
/// first use and committed when the stream moves on.
pub struct EventScope {
    pool: Db,
    org_id: Option<Uuid>,
    current: tokio::sync::Mutex<Option<Open>>,
}

impl EventScope {
    pub fn new(pool: Db, org_id: Option<Uuid>) -> Self {
        Self {
            pool,
            org_id,
            current: tokio::sync::Mutex::new(None),
        }
    }

    /// The current event's transaction, opened if needed.
    pub async fn open(&self) -> Result<Open, AppError> {
        let mut current = self.current.lock().await;
        if let Some(open) = current.as_ref() {
            return Ok(open.clone());
        }
        let org_id = self
            .org_id
            .ok_or_else(|| AppError::forbidden("choose an org with X-Org-Id in connection_init"))?;
        let (tx, _) = Tx::begin(&self.pool, &Enter::Org { org_id }).await?;
        let tx = Arc::new(tx);
        let open = (tx.clone(), Arc::new(DbLoader::new(tx)));
        *current = Some(open.clone());
        Ok(open)
    }

    /// Ends the current event's transaction (read-only: a commit or a
    /// rollback are the same; commit is cheaper to reason about).
    pub async fn close(&self) {
        let taken = self.current.lock().await.take();
        if let Some((tx, _)) = taken
            && let Err(e) = tx.commit().await
        {
            tracing::warn!(error = %e, "closing a subscription event's transaction failed");
        }
    }
}

/// The socket's scope for this subscription (set by the WebSocket transport).
pub(crate) fn scope(ctx: &async_graphql::Context<'_>) -> Result<Arc<EventScope>, AppError> {
    ctx.data::<Arc<EventScope>>()
        .cloned()
        .map_err(|_| AppError::validation("query", "subscriptions are served over WebSocket at /graphql/ws"))
}
