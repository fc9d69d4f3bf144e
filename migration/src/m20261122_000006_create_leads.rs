//! Lead capture: sources with signed webhooks, leads, scoring rules, and the
//! daily rollups dashboards chart.

use crate::exec;
use crate::rls::{tenant_policies, tenant_policies_with};
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
CREATE TABLE lead_sources (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  -- the signing secret, encrypted with SECRET_KEY (AES-256-GCM, nonce first)
  secret_ciphertext text NOT NULL,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id),
  CONSTRAINT lead_sources_id_key UNIQUE (id)
);
-- The webhook handler finds its source by the id in the URL before it knows the org.
{lead_sources}

CREATE TABLE leads (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  source_id uuid,
  campaign_id uuid,
  external_id text CHECK (char_length(external_id) BETWEEN 1 AND 200),
  name text,
  email text,
  phone text,
  stage text NOT NULL DEFAULT 'NEW' CHECK (stage IN ('NEW', 'QUALIFIED', 'CONTACTED', 'CONVERTED', 'DISQUALIFIED')),
  score int NOT NULL DEFAULT 0,
  -- what Lead.tags shows: manual_tags, then the tags of the scoring rules that matched
  tags text[] NOT NULL DEFAULT '{{}}',
  -- tags set by people (updateLead); kept apart so re-scoring never drops them
  manual_tags text[] NOT NULL DEFAULT '{{}}',
  attributes jsonb NOT NULL DEFAULT '{{}}',
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, source_id) REFERENCES lead_sources (org_id, id) ON DELETE SET NULL (source_id),
  FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id) ON DELETE SET NULL (campaign_id)
);
CREATE UNIQUE INDEX leads_source_external_key ON leads (org_id, source_id, external_id)
  WHERE source_id IS NOT NULL AND external_id IS NOT NULL;
CREATE UNIQUE INDEX leads_manual_external_key ON leads (org_id, external_id)
  WHERE source_id IS NULL AND external_id IS NOT NULL;
CREATE INDEX leads_org_created_idx ON leads (org_id, created_at DESC, id DESC);
CREATE INDEX leads_campaign_idx ON leads (org_id, campaign_id, created_at DESC, id DESC);
{leads}

CREATE TABLE lead_scoring_rules (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  field text NOT NULL,
  op text NOT NULL CHECK (op IN ('eq', 'neq', 'contains', 'exists', 'gt', 'lt')),
  value jsonb,
  score_delta int NOT NULL,
  tag text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id)
);
CREATE INDEX lead_scoring_rules_order_idx ON lead_scoring_rules (org_id, created_at, id);
{rules}

-- Leads created per campaign, day and current stage (unattributed leads under the nil uuid).
-- Each count is split over 64 shards picked by the lead's id and summed on
-- read: with one row per (campaign, day, stage), every lead of a busy campaign
-- would queue on that row's lock until the previous writer committed.
CREATE TABLE lead_daily_stats (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  campaign_key uuid NOT NULL,
  day date NOT NULL,
  stage text NOT NULL,
  shard smallint NOT NULL DEFAULT 0 CHECK (shard BETWEEN 0 AND 63),
  count int NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, campaign_key, day, stage, shard)
);
{stats}

-- Keeps lead_daily_stats in step with every write to leads, whichever code
-- path made it. Runs as the caller, so under the caller's RLS context.
CREATE FUNCTION cs_lead_stats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  nil uuid := '00000000-0000-0000-0000-000000000000';
  -- the id never changes, so a lead's decrement finds the shard of its increment
  lead_shard smallint := get_byte(uuid_send(NEW.id), 15) % 64;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.stage = NEW.stage AND OLD.campaign_id IS NOT DISTINCT FROM NEW.campaign_id THEN
      RETURN NEW;
    END IF;
    UPDATE lead_daily_stats SET count = count - 1
      WHERE org_id = OLD.org_id AND campaign_key = coalesce(OLD.campaign_id, nil)
        AND day = (OLD.created_at AT TIME ZONE 'UTC')::date AND stage = OLD.stage AND shard = lead_shard;
  END IF;
  INSERT INTO lead_daily_stats AS s (org_id, campaign_key, day, stage, shard, count)
    VALUES (NEW.org_id, coalesce(NEW.campaign_id, nil), (NEW.created_at AT TIME ZONE 'UTC')::date, NEW.stage, lead_shard, 1)
    ON CONFLICT (org_id, campaign_key, day, stage, shard) DO UPDATE SET count = s.count + 1;
  RETURN NEW;
END $$;
CREATE TRIGGER leads_stats AFTER INSERT OR UPDATE OF stage, campaign_id ON leads
  FOR EACH ROW EXECUTE FUNCTION cs_lead_stats();
"#,
                lead_sources = tenant_policies_with(
                    "lead_sources",
                    Some("id = (select nullif(current_setting('app.lead_source_id', true), '')::uuid)")
                ),
                leads = tenant_policies("leads"),
                rules = tenant_policies("lead_scoring_rules"),
                stats = tenant_policies("lead_daily_stats"),
            ),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "DROP TABLE IF EXISTS lead_daily_stats, lead_scoring_rules, leads, lead_sources;
             DROP FUNCTION IF EXISTS cs_lead_stats();",
        )
        .await
    }
}
