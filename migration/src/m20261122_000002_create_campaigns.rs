//! Campaigns, their generated angles and copies, and reviewers' notes.

use crate::exec;
use crate::rls::{append_only, tenant_policies};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const SUGGESTION: &str = "CHECK (status IN ('SUGGESTED', 'ACCEPTED', 'REJECTED'))";
const PLATFORM: &str = "CHECK (platform IN ('INSTAGRAM', 'FACEBOOK', 'LINKEDIN', 'X', 'TIKTOK'))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            &format!(
                r#"
CREATE TABLE campaigns (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  slug text NOT NULL,
  status text NOT NULL DEFAULT 'DRAFT' CHECK (status IN
    ('DRAFT', 'GENERATING', 'REVIEWING', 'CHANGES_REQUESTED', 'APPROVED', 'EXPORTED', 'FAILED', 'ARCHIVED')),
  brief jsonb NOT NULL,
  locales text[] NOT NULL CHECK (cardinality(locales) BETWEEN 1 AND 10),
  platforms text[] NOT NULL CHECK (cardinality(platforms) >= 1),
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id)
);
-- one index per sort order the campaigns connection offers; keyset on (key, id)
CREATE INDEX campaigns_org_created_idx ON campaigns (org_id, created_at, id);
CREATE INDEX campaigns_org_updated_idx ON campaigns (org_id, updated_at, id);
CREATE INDEX campaigns_org_name_idx ON campaigns (org_id, (name COLLATE "C"), id);
CREATE INDEX campaigns_org_slug_idx ON campaigns (org_id, slug);
{campaigns}

CREATE TABLE angles (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  campaign_id uuid NOT NULL,
  locale text NOT NULL,
  position int NOT NULL DEFAULT 0,
  title text NOT NULL,
  hook text NOT NULL,
  rationale text,
  hashtags text[] NOT NULL DEFAULT '{{}}',
  status text NOT NULL DEFAULT 'SUGGESTED' {SUGGESTION},
  provenance jsonb NOT NULL,
  -- what produced it (job + unit), so a retried step never inserts twice
  gen_key text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id) ON DELETE CASCADE
);
CREATE INDEX angles_campaign_idx ON angles (org_id, campaign_id, created_at, id);
CREATE UNIQUE INDEX angles_gen_key ON angles (org_id, campaign_id, gen_key);
{angles}

CREATE TABLE copies (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  campaign_id uuid NOT NULL,
  angle_id uuid NOT NULL,
  platform text NOT NULL {PLATFORM},
  locale text NOT NULL,
  headline text,
  body text NOT NULL,
  call_to_action text,
  hashtags text[] NOT NULL DEFAULT '{{}}',
  character_count int NOT NULL,
  version int NOT NULL DEFAULT 1,
  status text NOT NULL DEFAULT 'SUGGESTED' {SUGGESTION},
  edited boolean NOT NULL DEFAULT false,
  flagged boolean NOT NULL DEFAULT false,
  moderation_reasons text[] NOT NULL DEFAULT '{{}}',
  provenance jsonb NOT NULL,
  gen_key text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, angle_id) REFERENCES angles (org_id, id) ON DELETE CASCADE
);
CREATE INDEX copies_angle_idx ON copies (org_id, angle_id, created_at, id);
CREATE INDEX copies_campaign_idx ON copies (org_id, campaign_id);
CREATE UNIQUE INDEX copies_gen_key ON copies (org_id, campaign_id, gen_key);
{copies}

CREATE TABLE review_notes (
  org_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  campaign_id uuid NOT NULL,
  author_id uuid REFERENCES users(id) ON DELETE SET NULL,
  decision text NOT NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id) ON DELETE CASCADE
);
CREATE INDEX review_notes_campaign_idx ON review_notes (org_id, campaign_id, created_at DESC);
{review_notes}
{review_notes_append_only}
"#,
                campaigns = tenant_policies("campaigns"),
                angles = tenant_policies("angles"),
                copies = tenant_policies("copies"),
                review_notes = tenant_policies("review_notes"),
                review_notes_append_only = append_only("review_notes"),
            ),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(manager, "DROP TABLE IF EXISTS review_notes, copies, angles, campaigns;").await
    }
}
