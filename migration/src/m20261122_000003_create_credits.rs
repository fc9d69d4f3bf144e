//! The credits ledger: an append-only list of entries and a per-org balance
//! row that serialises every movement of that org's credits.

use crate::exec;
use crate::rls::{append_only, tenant_policies, tenant_policies_with};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            &format!(
                r#"
CREATE TABLE credit_balances (
  org_id uuid PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  available bigint NOT NULL DEFAULT 0 CONSTRAINT credit_balances_available_check CHECK (available >= 0),
  reserved bigint NOT NULL DEFAULT 0 CONSTRAINT credit_balances_reserved_check CHECK (reserved >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
{balances}

CREATE TABLE credit_entries (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('GRANT', 'RESERVE', 'CHARGE', 'RELEASE', 'REFUND')),
  amount bigint NOT NULL CHECK (
    (kind IN ('GRANT', 'RELEASE', 'REFUND') AND amount > 0) OR (kind IN ('RESERVE', 'CHARGE') AND amount < 0)),
  balance_after bigint NOT NULL CHECK (balance_after >= 0),
  reserved_after bigint NOT NULL CHECK (reserved_after >= 0),
  correlation_id text,
  -- with kind and correlation_id, makes every call idempotent
  unit_key text NOT NULL DEFAULT '',
  job_id uuid,
  note text,
  actor_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX credit_entries_idempotency_key ON credit_entries (org_id, kind, correlation_id, unit_key)
  WHERE correlation_id IS NOT NULL;
CREATE INDEX credit_entries_org_created_idx ON credit_entries (org_id, created_at DESC, id DESC);
CREATE INDEX credit_entries_job_idx ON credit_entries (org_id, job_id) WHERE job_id IS NOT NULL;
{entries}
{entries_append_only}
"#,
                // Reconciliation (`credits verify`) lists the orgs to check from here.
                balances = tenant_policies_with(
                    "credit_balances",
                    Some("(select current_setting('app.worker', true)) = 'on'")
                ),
                entries = tenant_policies("credit_entries"),
                entries_append_only = append_only("credit_entries"),
            ),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(manager, "DROP TABLE IF EXISTS credit_entries, credit_balances;").await
    }
}
