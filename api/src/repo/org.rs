//! Orgs, memberships, API keys and brand kits.

use super::{all, exec, one};
use crate::graphql::relay::TimeCursor;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct OrgRow {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct MembershipRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct BrandKitRow {
    pub org_id: Uuid,
    pub primary_color: String,
    pub secondary_color: String,
    pub banned_words: Vec<String>,
    pub voice: Option<String>,
    pub logo_asset_id: Option<Uuid>,
}

const MEMBERSHIP_COLS: &str = "id, org_id, user_id, role, created_at";
const API_KEY_COLS: &str = "id, name, prefix, role, created_at, last_used_at, revoked_at";

/// Creates an org with its first OWNER, a default brand kit and an empty
/// credit balance. Enters the new org (`app.org_id`) to do so: the caller
/// restores the previous org afterwards if the request continues.
pub async fn create(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    name: &str,
    slug: &str,
    owner: Uuid,
) -> Result<MembershipRow, DbErr> {
    exec(
        db,
        "SELECT set_config('app.org_id', $1, true)",
        [org_id.to_string().into()],
    )
    .await?;
    exec(
        db,
        "INSERT INTO orgs (id, name, slug) VALUES ($1, $2, $3)",
        [org_id.into(), name.into(), slug.into()],
    )
    .await?;
    exec(db, "INSERT INTO brand_kits (org_id) VALUES ($1)", [org_id.into()]).await?;
    exec(db, "INSERT INTO credit_balances (org_id) VALUES ($1)", [org_id.into()]).await?;
    insert_membership(db, org_id, owner, "OWNER").await
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<OrgRow>, DbErr> {
    all(
        db,
        "SELECT id, name, slug, created_at FROM orgs WHERE id = ANY($1)",
        [ids.to_vec().into()],
    )
    .await
}

pub async fn by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<OrgRow>, DbErr> {
    one(
        db,
        "SELECT id, name, slug, created_at FROM orgs WHERE id = $1",
        [id.into()],
    )
    .await
}

pub async fn insert_membership(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
    role: &str,
) -> Result<MembershipRow, DbErr> {
    one(
        db,
        &format!("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3) RETURNING {MEMBERSHIP_COLS}"),
        [org_id.into(), user_id.into(), role.into()],
    )
    .await?
    .ok_or_else(|| DbErr::Custom("insert returned no row".into()))
}

/// The user's memberships in every org (RLS: own rows).
pub async fn memberships_of_user(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<MembershipRow>, DbErr> {
    all(
        db,
        &format!("SELECT {MEMBERSHIP_COLS} FROM memberships WHERE user_id = $1 ORDER BY created_at, id"),
        [user_id.into()],
    )
    .await
}

pub async fn membership(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<Option<MembershipRow>, DbErr> {
    one(
        db,
        &format!("SELECT {MEMBERSHIP_COLS} FROM memberships WHERE org_id = $1 AND id = $2"),
        [org_id.into(), id.into()],
    )
    .await
}

/// Locks the org's OWNER memberships (so "the last owner" checks cannot race)
/// and returns how many there are.
pub async fn lock_owners(db: &impl ConnectionTrait, org_id: Uuid) -> Result<usize, DbErr> {
    let rows: Vec<MembershipRow> = all(
        db,
        &format!("SELECT {MEMBERSHIP_COLS} FROM memberships WHERE org_id = $1 AND role = 'OWNER' FOR UPDATE"),
        [org_id.into()],
    )
    .await?;
    Ok(rows.len())
}

pub async fn set_role(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    id: Uuid,
    role: &str,
) -> Result<Option<MembershipRow>, DbErr> {
    one(
        db,
        &format!("UPDATE memberships SET role = $3 WHERE org_id = $1 AND id = $2 RETURNING {MEMBERSHIP_COLS}"),
        [org_id.into(), id.into(), role.into()],
    )
    .await
}

pub async fn delete_membership(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<u64, DbErr> {
    exec(
        db,
        "DELETE FROM memberships WHERE org_id = $1 AND id = $2",
        [org_id.into(), id.into()],
    )
    .await
}

pub async fn members(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    after: Option<&TimeCursor>,
    fetch: i64,
) -> Result<Vec<MembershipRow>, DbErr> {
    let (at, id) = after.map(|c| (Some(c.0), Some(c.1))).unwrap_or((None, None));
    all(
        db,
        &format!(
            "SELECT {MEMBERSHIP_COLS} FROM memberships
              WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
              ORDER BY created_at, id LIMIT $4"
        ),
        [org_id.into(), at.into(), id.into(), fetch.into()],
    )
    .await
}

pub async fn count_members(db: &impl ConnectionTrait, org_id: Uuid) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct N {
        n: i64,
    }
    Ok(one::<N>(
        db,
        "SELECT count(*) AS n FROM memberships WHERE org_id = $1",
        [org_id.into()],
    )
    .await?
    .map_or(0, |r| r.n))
}

pub async fn insert_api_key(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    name: &str,
    prefix: &str,
    hash: &str,
    role: &str,
    created_by: Option<Uuid>,
) -> Result<ApiKeyRow, DbErr> {
    one(
        db,
        &format!(
            "INSERT INTO api_keys (org_id, name, prefix, key_hash, role, created_by) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING {API_KEY_COLS}"
        ),
        [
            org_id.into(),
            name.into(),
            prefix.into(),
            hash.into(),
            role.into(),
            created_by.into(),
        ],
    )
    .await?
    .ok_or_else(|| DbErr::Custom("insert returned no row".into()))
}

pub async fn api_keys(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<ApiKeyRow>, DbErr> {
    all(
        db,
        &format!("SELECT {API_KEY_COLS} FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC, id DESC"),
        [org_id.into()],
    )
    .await
}

pub async fn api_key(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<Option<ApiKeyRow>, DbErr> {
    one(
        db,
        &format!("SELECT {API_KEY_COLS} FROM api_keys WHERE org_id = $1 AND id = $2"),
        [org_id.into(), id.into()],
    )
    .await
}

pub async fn revoke_api_key(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<Option<ApiKeyRow>, DbErr> {
    one(
        db,
        &format!(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE org_id = $1 AND id = $2 RETURNING {API_KEY_COLS}"
        ),
        [org_id.into(), id.into()],
    )
    .await
}

/// Is this API key still valid? (WebSocket re-checks.)
pub async fn api_key_active(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    Ok(api_key(db, org_id, id).await?.is_some_and(|k| k.revoked_at.is_none()))
}

const BRAND_COLS: &str = "org_id, primary_color, secondary_color, banned_words, voice, logo_asset_id";

pub async fn brand_kit(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Option<BrandKitRow>, DbErr> {
    one(
        db,
        &format!("SELECT {BRAND_COLS} FROM brand_kits WHERE org_id = $1"),
        [org_id.into()],
    )
    .await
}

pub async fn update_brand_kit(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    primary: Option<String>,
    secondary: Option<String>,
    banned: Option<Vec<String>>,
    voice: Option<Option<String>>,
) -> Result<Option<BrandKitRow>, DbErr> {
    let set_voice = voice.is_some();
    one(
        db,
        &format!(
            "UPDATE brand_kits SET
               primary_color = coalesce($2, primary_color),
               secondary_color = coalesce($3, secondary_color),
               banned_words = coalesce($4, banned_words),
               voice = CASE WHEN $5 THEN $6 ELSE voice END,
               updated_at = now()
             WHERE org_id = $1 RETURNING {BRAND_COLS}"
        ),
        [
            org_id.into(),
            primary.into(),
            secondary.into(),
            banned.into(),
            set_voice.into(),
            voice.flatten().into(),
        ],
    )
    .await
}

pub async fn set_logo(db: &impl ConnectionTrait, org_id: Uuid, asset_id: Uuid) -> Result<u64, DbErr> {
    exec(
        db,
        "UPDATE brand_kits SET logo_asset_id = $2, updated_at = now() WHERE org_id = $1",
        [org_id.into(), asset_id.into()],
    )
    .await
}

pub async fn memberships_by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<MembershipRow>, DbErr> {
    all(
        db,
        &format!("SELECT {MEMBERSHIP_COLS} FROM memberships WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

pub async fn api_keys_by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<ApiKeyRow>, DbErr> {
    all(
        db,
        &format!("SELECT {API_KEY_COLS} FROM api_keys WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

/// Does the org exist? For a transaction entered into that org (the org row
/// is visible as the current org).
pub async fn by_id_unchecked_exists(db: &impl ConnectionTrait, org_id: Uuid) -> Result<bool, DbErr> {
    Ok(by_id(db, org_id).await?.is_some())
}
