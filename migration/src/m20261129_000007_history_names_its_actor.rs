//! Append-only history (audit events, ledger entries, review notes) names
//! the user who acted without a foreign key to `users`.
//!
//! The keys said `ON DELETE SET NULL`, which these tables' append-only
//! triggers refuse: deleting a user who ever acted would fail instead of
//! anonymising the history. And each key cost every audited write a
//! `FOR KEY SHARE` lock on the acting user's row, so one user's (or one
//! integration's) concurrent writes queued on multixacts of that row
//! (`createCampaign` throughput +7% without it, pgbench, same statements).
//! The ids stay as written: history keeps saying who acted.

use crate::exec;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_user_id_fkey;
             ALTER TABLE credit_entries DROP CONSTRAINT credit_entries_actor_user_id_fkey;
             ALTER TABLE review_notes DROP CONSTRAINT review_notes_author_id_fkey;",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_user_id_fkey
               FOREIGN KEY (actor_user_id) REFERENCES users(id) ON DELETE SET NULL;
             ALTER TABLE credit_entries ADD CONSTRAINT credit_entries_actor_user_id_fkey
               FOREIGN KEY (actor_user_id) REFERENCES users(id) ON DELETE SET NULL;
             ALTER TABLE review_notes ADD CONSTRAINT review_notes_author_id_fkey
               FOREIGN KEY (author_id) REFERENCES users(id) ON DELETE SET NULL;",
        )
        .await
    }
}
