//! Durable jobs: the tenant-visible `jobs` rows with their progress events,
//! the `job_queue` workers claim from, and the step output cache.

use crate::exec;
use crate::rls::{CURRENT_ORG, append_only, tenant_policies};
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
CREATE TABLE jobs (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN
    ('GENERATE_CAMPAIGN', 'REGENERATE_ANGLE', 'REGENERATE_COPY', 'REGENERATE_ASSET', 'EXPORT_KIT')),
  status text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  campaign_id uuid,
  target_id uuid,
  input jsonb NOT NULL DEFAULT '{{}}',
  attempts int NOT NULL DEFAULT 0,
  max_attempts int NOT NULL DEFAULT 3,
  cancel_requested boolean NOT NULL DEFAULT false,
  progress real NOT NULL DEFAULT 0,
  current_step text,
  error text,
  credits_reserved int NOT NULL DEFAULT 0,
  credits_charged int NOT NULL DEFAULT 0,
  last_seq int NOT NULL DEFAULT 0,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id) ON DELETE CASCADE
);
CREATE INDEX jobs_campaign_idx ON jobs (org_id, campaign_id, created_at DESC, id DESC);
{jobs}

-- What workers claim. Holds no tenant content, only scheduling; a worker
-- claims in a transaction that sets app.worker (and no org), then does the
-- job's work in the job's own org context.
CREATE TABLE job_queue (
  job_id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  run_after timestamptz NOT NULL DEFAULT now(),
  lease_owner text,
  lease_expires_at timestamptz,
  attempts int NOT NULL DEFAULT 0,
  FOREIGN KEY (org_id, job_id) REFERENCES jobs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX job_queue_ready_idx ON job_queue (run_after);
CREATE INDEX job_queue_lease_idx ON job_queue (lease_expires_at);
ALTER TABLE job_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY job_queue_select ON job_queue FOR SELECT USING (
  org_id = {CURRENT_ORG} OR (select current_setting('app.worker', true)) = 'on');
CREATE POLICY job_queue_insert ON job_queue FOR INSERT WITH CHECK (org_id = {CURRENT_ORG});
CREATE POLICY job_queue_update ON job_queue FOR UPDATE USING (
  org_id = {CURRENT_ORG} OR (select current_setting('app.worker', true)) = 'on');
CREATE POLICY job_queue_delete ON job_queue FOR DELETE USING (org_id = {CURRENT_ORG});

CREATE TABLE job_events (
  org_id uuid NOT NULL,
  job_id uuid NOT NULL,
  seq int NOT NULL CHECK (seq >= 1),
  type text NOT NULL CHECK (type IN ('QUEUED', 'STARTED', 'STEP_STARTED', 'STEP_PROGRESS', 'ARTIFACT',
    'STEP_COMPLETED', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  step text,
  progress real NOT NULL DEFAULT 0,
  message text,
  artifact_type text,
  artifact_id uuid,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, job_id, seq),
  FOREIGN KEY (org_id, job_id) REFERENCES jobs (org_id, id) ON DELETE CASCADE
);
{job_events}
{job_events_append_only}

-- Output of a generation step keyed by a hash of everything it depends on.
CREATE TABLE step_cache (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  step text NOT NULL,
  input_hash text NOT NULL,
  output jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, step, input_hash)
);
{step_cache}
"#,
                jobs = tenant_policies("jobs"),
                job_events = tenant_policies("job_events"),
                job_events_append_only = append_only("job_events"),
                step_cache = tenant_policies("step_cache"),
            ),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(manager, "DROP TABLE IF EXISTS step_cache, job_events, job_queue, jobs;").await
    }
}
