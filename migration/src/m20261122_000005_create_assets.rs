//! Stored files: generated images, uploaded logos and export kits.

use crate::exec;
use crate::rls::tenant_policies;
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
CREATE TABLE assets (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('IMAGE', 'LOGO', 'EXPORT_KIT')),
  campaign_id uuid,
  angle_id uuid,
  aspect_ratio text CHECK (aspect_ratio IN ('SQUARE_1_1', 'PORTRAIT_4_5', 'STORY_9_16', 'LANDSCAPE_16_9')),
  width int,
  height int,
  mime_type text NOT NULL,
  byte_size bigint NOT NULL CHECK (byte_size >= 0),
  -- always starts with "orgs/<org_id>/"
  object_key text NOT NULL,
  provenance jsonb,
  gen_key text,
  -- a regenerated set supersedes the previous one, which is kept
  superseded_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (org_id, id),
  CONSTRAINT assets_object_key_org CHECK (object_key LIKE 'orgs/' || org_id::text || '/%'),
  FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, angle_id) REFERENCES angles (org_id, id) ON DELETE CASCADE
);
CREATE INDEX assets_campaign_idx ON assets (org_id, campaign_id, created_at, id);
CREATE UNIQUE INDEX assets_gen_key ON assets (org_id, gen_key);
{assets}

ALTER TABLE brand_kits ADD CONSTRAINT brand_kits_logo_fk
  FOREIGN KEY (org_id, logo_asset_id) REFERENCES assets (org_id, id) ON DELETE SET NULL (logo_asset_id);
"#,
                assets = tenant_policies("assets"),
            ),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "ALTER TABLE brand_kits DROP CONSTRAINT IF EXISTS brand_kits_logo_fk;
             DROP TABLE IF EXISTS assets;",
        )
        .await
    }
}
