//! Tenancy core: orgs, users, memberships, API keys, brand kits, audit events,
//! idempotency keys, and the functions that enter a tenant context.

use crate::exec;
use crate::rls::{CURRENT_ORG, CURRENT_USER, append_only, tenant_policies, tenant_policies_with};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const ROLE_CHECK: &str = "CHECK (role IN ('OWNER', 'ADMIN', 'EDITOR', 'VIEWER'))";

/// The functions that enter a tenant, as first written (migration 8 sets
/// their settings by assignment; its `down` brings these back).
pub(crate) const ENTER_FUNCTIONS: &str = r#"
-- Enters the context of a signed-in user, and of an org if they are a member
-- of it, in one round trip. Returns the member's role, or NULL (then
-- app.org_id stays unset). SECURITY INVOKER: every read below is under RLS.
CREATE OR REPLACE FUNCTION cs_enter_user(p_user uuid, p_org uuid) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE v_role text;
BEGIN
  PERFORM set_config('app.user_id', p_user::text, true);
  IF p_org IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT m.role INTO v_role FROM memberships m WHERE m.user_id = p_user AND m.org_id = p_org;
  IF v_role IS NOT NULL THEN
    PERFORM set_config('app.org_id', p_org::text, true);
  END IF;
  RETURN v_role;
END $$;

-- Enters the org of an API key found by its hash; refuses revoked keys.
-- (lastUsedAt is written after the request, so a failed request still counts.)
CREATE OR REPLACE FUNCTION cs_enter_api_key(p_hash text, OUT key_id uuid, OUT org_id uuid, OUT role text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('app.api_key_hash', p_hash, true);
  SELECT k.id, k.org_id, k.role INTO key_id, org_id, role
    FROM api_keys k WHERE k.key_hash = p_hash AND k.revoked_at IS NULL;
  PERFORM set_config('app.api_key_hash', '', true);
  IF key_id IS NOT NULL THEN
    PERFORM set_config('app.org_id', org_id::text, true);
    PERFORM set_config('app.api_key_id', key_id::text, true);
  END IF;
END $$;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            &format!(
                r#"
CREATE FUNCTION cs_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TABLE orgs (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  slug text NOT NULL CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{{0,61}}[a-z0-9])?$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orgs_slug_key UNIQUE (slug)
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subject text UNIQUE,
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 320),
  name text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_email_idx ON users (lower(email));
CREATE UNIQUE INDEX users_pending_email_key ON users (lower(email)) WHERE subject IS NULL;

CREATE TABLE memberships (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role text NOT NULL {ROLE_CHECK},
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  CONSTRAINT memberships_org_user_key UNIQUE (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
-- A user sees their own memberships in every org (viewer.memberships), and
-- the members of the org the request is in.
CREATE POLICY memberships_select ON memberships FOR SELECT
  USING (org_id = {CURRENT_ORG} OR user_id = {CURRENT_USER});
CREATE POLICY memberships_insert ON memberships FOR INSERT WITH CHECK (org_id = {CURRENT_ORG});
CREATE POLICY memberships_update ON memberships FOR UPDATE
  USING (org_id = {CURRENT_ORG}) WITH CHECK (org_id = {CURRENT_ORG});
CREATE POLICY memberships_delete ON memberships FOR DELETE USING (org_id = {CURRENT_ORG});

ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE orgs FORCE ROW LEVEL SECURITY;
-- An org is visible to its members; createOrg enters the new org's id first.
CREATE POLICY orgs_select ON orgs FOR SELECT USING (
  id = {CURRENT_ORG}
  OR EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = orgs.id AND m.user_id = {CURRENT_USER}));
CREATE POLICY orgs_insert ON orgs FOR INSERT
  WITH CHECK (id = {CURRENT_ORG} AND {CURRENT_USER} IS NOT NULL);
-- Only the org's admins may change it.
CREATE POLICY orgs_update ON orgs FOR UPDATE
  USING (id = {CURRENT_ORG} AND EXISTS (SELECT 1 FROM memberships m
    WHERE m.org_id = orgs.id AND m.user_id = {CURRENT_USER} AND m.role IN ('OWNER', 'ADMIN')))
  WITH CHECK (id = {CURRENT_ORG});
CREATE POLICY orgs_delete ON orgs FOR DELETE USING (false);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
-- A user row is visible to itself, to members of an org it belongs to, and
-- (for addMember) to the one email an admin is adding.
CREATE POLICY users_select ON users FOR SELECT USING (
  id = {CURRENT_USER}
  OR subject = (select nullif(current_setting('app.subject', true), ''))
  OR (subject IS NULL AND lower(email) = (select nullif(current_setting('app.email', true), '')))
  OR lower(email) = (select nullif(current_setting('app.lookup_email', true), ''))
  OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.org_id = {CURRENT_ORG}));
CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (
  subject = (select nullif(current_setting('app.subject', true), ''))
  OR (subject IS NULL AND {CURRENT_ORG} IS NOT NULL
      AND lower(email) = (select nullif(current_setting('app.lookup_email', true), ''))));
CREATE POLICY users_update ON users FOR UPDATE USING (
  id = {CURRENT_USER}
  OR subject = (select nullif(current_setting('app.subject', true), ''))
  OR (subject IS NULL AND lower(email) = (select nullif(current_setting('app.email', true), ''))))
  WITH CHECK (subject = (select nullif(current_setting('app.subject', true), '')) OR id = {CURRENT_USER});
CREATE POLICY users_delete ON users FOR DELETE USING (false);

CREATE TABLE api_keys (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  prefix text NOT NULL,
  key_hash text NOT NULL,
  role text NOT NULL {ROLE_CHECK},
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (org_id, id),
  CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);
-- Before its org is known, a key is found by the hash of what the client sent.
{api_keys_policies}

CREATE TABLE brand_kits (
  org_id uuid PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  primary_color text NOT NULL DEFAULT '#1F6FEB' CHECK (primary_color ~ '^#[0-9A-Fa-f]{{6}}$'),
  secondary_color text NOT NULL DEFAULT '#F5A623' CHECK (secondary_color ~ '^#[0-9A-Fa-f]{{6}}$'),
  banned_words text[] NOT NULL DEFAULT '{{}}',
  voice text,
  logo_asset_id uuid,
  updated_at timestamptz NOT NULL DEFAULT now()
);
{brand_kits_policies}

CREATE TABLE audit_events (
  org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  actor_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
  actor_api_key_id uuid,
  action text NOT NULL,
  target_type text NOT NULL,
  target_id uuid,
  metadata jsonb NOT NULL DEFAULT '{{}}',
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_events_org_at_idx ON audit_events (org_id, at DESC, id DESC);
{audit_policies}
{audit_append_only}

-- Keys are scoped to the org, or to the user for requests without an org.
CREATE TABLE idempotency_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid REFERENCES orgs(id) ON DELETE CASCADE,
  user_id uuid REFERENCES users(id) ON DELETE CASCADE,
  key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  request_hash text NOT NULL,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (org_id IS NOT NULL OR user_id IS NOT NULL)
);
CREATE UNIQUE INDEX idempotency_keys_org_key ON idempotency_keys (org_id, key) WHERE org_id IS NOT NULL;
CREATE UNIQUE INDEX idempotency_keys_user_key ON idempotency_keys (user_id, key) WHERE org_id IS NULL;
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_select ON idempotency_keys FOR SELECT USING (
  org_id = {CURRENT_ORG} OR (org_id IS NULL AND user_id = {CURRENT_USER}));
CREATE POLICY idempotency_keys_insert ON idempotency_keys FOR INSERT WITH CHECK (
  org_id = {CURRENT_ORG} OR (org_id IS NULL AND user_id = {CURRENT_USER}));
CREATE POLICY idempotency_keys_update ON idempotency_keys FOR UPDATE USING (
  org_id = {CURRENT_ORG} OR (org_id IS NULL AND user_id = {CURRENT_USER}));
CREATE POLICY idempotency_keys_delete ON idempotency_keys FOR DELETE USING (
  org_id = {CURRENT_ORG} OR (org_id IS NULL AND user_id = {CURRENT_USER}));

{ENTER_FUNCTIONS}
-- Finds or creates (just in time) the user of a token's subject; claims a
-- user an admin added by email before the person ever signed in.
CREATE FUNCTION cs_jit_user(p_subject text, p_email text, p_name text) RETURNS uuid
LANGUAGE plpgsql VOLATILE AS $$
DECLARE v_id uuid;
BEGIN
  PERFORM set_config('app.subject', p_subject, true);
  PERFORM set_config('app.email', lower(p_email), true);
  SELECT u.id INTO v_id FROM users u WHERE u.subject = p_subject;
  IF v_id IS NOT NULL THEN
    UPDATE users SET email = p_email, name = coalesce(p_name, name)
      WHERE id = v_id AND (email IS DISTINCT FROM p_email OR (p_name IS NOT NULL AND name IS DISTINCT FROM p_name));
  ELSE
    UPDATE users SET subject = p_subject, name = coalesce(p_name, name)
      WHERE subject IS NULL AND lower(email) = lower(p_email) RETURNING id INTO v_id;
    IF v_id IS NULL THEN
      INSERT INTO users (subject, email, name) VALUES (p_subject, p_email, p_name)
        ON CONFLICT (subject) DO NOTHING RETURNING id INTO v_id;
      IF v_id IS NULL THEN
        SELECT u.id INTO v_id FROM users u WHERE u.subject = p_subject;
      END IF;
    END IF;
  END IF;
  PERFORM set_config('app.subject', '', true);
  PERFORM set_config('app.email', '', true);
  RETURN v_id;
END $$;
"#,
                api_keys_policies = tenant_policies_with(
                    "api_keys",
                    Some("key_hash = (select nullif(current_setting('app.api_key_hash', true), ''))")
                ),
                brand_kits_policies = tenant_policies("brand_kits"),
                audit_policies = tenant_policies("audit_events"),
                audit_append_only = append_only("audit_events"),
            ),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(
            manager,
            "DROP FUNCTION IF EXISTS cs_jit_user(text, text, text);
             DROP FUNCTION IF EXISTS cs_enter_api_key(text);
             DROP FUNCTION IF EXISTS cs_enter_user(uuid, uuid);
             DROP TABLE IF EXISTS idempotency_keys, audit_events, brand_kits, api_keys, memberships, users, orgs;
             DROP FUNCTION IF EXISTS cs_reject_change();",
        )
        .await
    }
}
