//! Stored files: generated images, logos, export kits.

use super::{all, one};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct AssetRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: String,
    pub campaign_id: Option<Uuid>,
    pub angle_id: Option<Uuid>,
    pub aspect_ratio: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub mime_type: String,
    pub byte_size: i64,
    pub object_key: String,
    pub provenance: Option<serde_json::Value>,
    pub superseded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub const ASSET_COLS: &str = "id, org_id, kind, campaign_id, angle_id, aspect_ratio, width, height, mime_type, byte_size, \
     object_key, provenance, superseded_at, created_at";

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<AssetRow>, DbErr> {
    all(
        db,
        &format!("SELECT {ASSET_COLS} FROM assets WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<AssetRow>, DbErr> {
    one(
        db,
        &format!("SELECT {ASSET_COLS} FROM assets WHERE id = $1"),
        [id.into()],
    )
    .await
}

pub struct NewAsset<'a> {
    pub kind: &'a str,
    pub campaign_id: Option<Uuid>,
    pub angle_id: Option<Uuid>,
    pub aspect_ratio: Option<&'a str>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub mime_type: &'a str,
    pub byte_size: i64,
    pub object_key: &'a str,
    pub provenance: Option<serde_json::Value>,
    pub gen_key: Option<&'a str>,
}

/// Inserts an asset; with a `gen_key` already used, returns the existing one
/// (a retried step stores nothing twice).
pub async fn insert(db: &impl ConnectionTrait, org_id: Uuid, a: NewAsset<'_>) -> Result<AssetRow, DbErr> {
    let inserted: Option<AssetRow> = one(
        db,
        &format!(
            "INSERT INTO assets (org_id, kind, campaign_id, angle_id, aspect_ratio, width, height, mime_type, byte_size, object_key, provenance, gen_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (org_id, gen_key) DO NOTHING RETURNING {ASSET_COLS}"
        ),
        [
            org_id.into(),
            a.kind.into(),
            a.campaign_id.into(),
            a.angle_id.into(),
            a.aspect_ratio.map(str::to_string).into(),
            a.width.into(),
            a.height.into(),
            a.mime_type.into(),
            a.byte_size.into(),
            a.object_key.into(),
            a.provenance.into(),
            a.gen_key.map(str::to_string).into(),
        ],
    )
    .await?;
    match inserted {
        Some(row) => Ok(row),
        None => one(
            db,
            &format!("SELECT {ASSET_COLS} FROM assets WHERE org_id = $1 AND gen_key = $2"),
            [org_id.into(), a.gen_key.map(str::to_string).into()],
        )
        .await?
        .ok_or_else(|| DbErr::Custom("asset insert returned no row".into())),
    }
}

/// Current image assets of an angle (not superseded).
pub async fn images_of_angle(db: &impl ConnectionTrait, angle_id: Uuid) -> Result<Vec<AssetRow>, DbErr> {
    all(
        db,
        &format!("SELECT {ASSET_COLS} FROM assets WHERE angle_id = $1 AND kind = 'IMAGE' AND superseded_at IS NULL ORDER BY created_at, id"),
        [angle_id.into()],
    )
    .await
}

/// Current images of a campaign.
pub async fn images_of_campaign(db: &impl ConnectionTrait, campaign_id: Uuid) -> Result<Vec<AssetRow>, DbErr> {
    all(
        db,
        &format!("SELECT {ASSET_COLS} FROM assets WHERE campaign_id = $1 AND kind = 'IMAGE' AND superseded_at IS NULL ORDER BY created_at, id"),
        [campaign_id.into()],
    )
    .await
}

pub async fn supersede(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<u64, DbErr> {
    super::exec(
        db,
        "UPDATE assets SET superseded_at = now() WHERE id = ANY($1) AND superseded_at IS NULL",
        [ids.to_vec().into()],
    )
    .await
}
