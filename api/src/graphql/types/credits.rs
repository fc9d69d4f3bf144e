//! Credit balances and ledger entries.

use super::id;
use crate::repo::ledger::EntryRow;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

#[derive(SimpleObject, Clone, Copy)]
pub struct CreditBalance {
    /// Granted minus charged minus currently reserved.
    pub available: i64,
    pub reserved: i64,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum CreditEntryKind {
    Grant,
    Reserve,
    Charge,
    Release,
    Refund,
}

#[derive(Clone)]
pub struct CreditEntry(pub EntryRow);

crate::graphql::relay::connection!(CreditEntryConnection, CreditEntryEdge, CreditEntry);

#[Object]
impl CreditEntry {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn kind(&self) -> CreditEntryKind {
        match self.0.kind.as_str() {
            "GRANT" => CreditEntryKind::Grant,
            "RESERVE" => CreditEntryKind::Reserve,
            "CHARGE" => CreditEntryKind::Charge,
            "RELEASE" => CreditEntryKind::Release,
            _ => CreditEntryKind::Refund,
        }
    }
    /// Positive for GRANT, RELEASE and REFUND; negative for RESERVE and CHARGE.
    async fn amount(&self) -> i64 {
        self.0.amount
    }
    /// Credits available after this entry.
    async fn balance_after(&self) -> i64 {
        self.0.balance_after
    }
    /// Credits reserved after this entry.
    async fn reserved_after(&self) -> i64 {
        self.0.reserved_after
    }
    async fn job(&self, ctx: &Context<'_>) -> Result<Option<super::Job>> {
        match self.0.job_id {
            Some(job_id) => Ok(super::load_job(ctx, job_id).await?),
            None => Ok(None),
        }
    }
    async fn correlation_id(&self) -> Option<&str> {
        self.0.correlation_id.as_deref()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
