//! Campaigns, angles, copies and review notes.

use super::{Sql, all, exec, one};
use crate::domain::campaign::{Brief, CampaignStatus, Platform};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct CampaignRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub slug: String,
    pub status: String,
    pub brief: serde_json::Value,
    pub locales: Vec<String>,
    pub platforms: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CampaignRow {
    pub fn status(&self) -> CampaignStatus {
        CampaignStatus::parse(&self.status).unwrap_or(CampaignStatus::Draft)
    }
    pub fn brief(&self) -> Brief {
        serde_json::from_value(self.brief.clone()).unwrap_or_default()
    }
    pub fn platforms(&self) -> Vec<Platform> {
        self.platforms.iter().filter_map(|p| Platform::parse(p)).collect()
    }
}

pub const CAMPAIGN_COLS: &str = "id, org_id, name, slug, status, brief, locales, platforms, created_at, updated_at";

#[derive(Clone, Debug, FromQueryResult)]
pub struct AngleRow {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub locale: String,
    pub position: i32,
    pub title: String,
    pub hook: String,
    pub rationale: Option<String>,
    pub hashtags: Vec<String>,
    pub status: String,
    pub provenance: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const ANGLE_COLS: &str =
    "id, campaign_id, locale, position, title, hook, rationale, hashtags, status, provenance, created_at, updated_at";

#[derive(Clone, Debug, FromQueryResult)]
pub struct CopyRow {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub angle_id: Uuid,
    pub platform: String,
    pub locale: String,
    pub headline: Option<String>,
    pub body: String,
    pub call_to_action: Option<String>,
    pub hashtags: Vec<String>,
    pub character_count: i32,
    pub version: i32,
    pub status: String,
    pub edited: bool,
    pub flagged: bool,
    pub moderation_reasons: Vec<String>,
    pub provenance: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const COPY_COLS: &str = "id, campaign_id, angle_id, platform, locale, headline, body, call_to_action, hashtags, \
     character_count, version, status, edited, flagged, moderation_reasons, provenance, created_at, updated_at";

#[derive(Clone, Debug, FromQueryResult)]
pub struct ReviewNoteRow {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub author_id: Option<Uuid>,
    pub decision: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The order of the campaigns list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderField {
    CreatedAt,
    UpdatedAt,
    Name,
}

/// Keyset cursor of the campaigns list: the sort key (as text) and the id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CampaignCursor(pub String, pub Uuid);

impl OrderField {
    fn column(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Name => "name COLLATE \"C\"",
        }
    }

    pub fn cursor(self, c: &CampaignRow) -> CampaignCursor {
        let key = match self {
            Self::CreatedAt => Self::time_key(c.created_at),
            Self::UpdatedAt => Self::time_key(c.updated_at),
            Self::Name => c.name.clone(),
        };
        CampaignCursor(key, c.id)
    }

    /// The column holding the sort key, for readers that pick their columns.
    pub fn key_column(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Name => "name",
        }
    }

    /// A timestamp sort key as a cursor holds it.
    pub fn time_key(t: DateTime<Utc>) -> String {
        t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }

    fn cast(self) -> &'static str {
        match self {
            Self::CreatedAt | Self::UpdatedAt => "::timestamptz",
            Self::Name => " COLLATE \"C\"",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct CampaignFilter {
    pub statuses: Option<Vec<CampaignStatus>>,
    pub search: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

fn filter_sql(q: &mut Sql, org_id: Uuid, f: &CampaignFilter) {
    let org = q.bind(org_id);
    q.push(&format!(" WHERE org_id = {org}"));
    if let Some(statuses) = &f.statuses {
        let s: Vec<String> = statuses.iter().map(|s| s.as_str().to_string()).collect();
        let p = q.bind(s);
        q.push(&format!(" AND status = ANY({p})"));
    }
    if let Some(search) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let p = q.bind(format!("%{}%", super::like_escape(search)));
        q.push(&format!(" AND (name ILIKE {p} OR brief->>'product' ILIKE {p})"));
    }
    if let Some(after) = f.created_after {
        let p = q.bind(after);
        q.push(&format!(" AND created_at > {p}"));
    }
    if let Some(before) = f.created_before {
        let p = q.bind(before);
        q.push(&format!(" AND created_at < {p}"));
    }
}

/// A page of campaigns reading `cols`: `fetch` rows in `order`
/// (`descending`), after the cursor; read in reverse when `backward`.
#[expect(clippy::too_many_arguments, reason = "the list's whole query")]
pub fn list_stmt(
    cols: &str,
    org_id: Uuid,
    filter: &CampaignFilter,
    order: OrderField,
    descending: bool,
    backward: bool,
    cursor: Option<&CampaignCursor>,
    fetch: i64,
) -> sea_orm::Statement {
    let mut q = Sql::new(&format!("SELECT {cols} FROM campaigns"));
    filter_sql(&mut q, org_id, filter);
    // Reading backward flips the direction, then the caller flips the rows.
    let desc = descending != backward;
    let col = order.column();
    if let Some(c) = cursor {
        let key = q.bind(c.0.clone());
        let id = q.bind(c.1);
        let cmp = if desc { "<" } else { ">" };
        q.push(&format!(" AND ({col}, id) {cmp} ({key}{}, {id})", order.cast()));
    }
    let dir = if desc { "DESC" } else { "ASC" };
    let limit = q.bind(fetch);
    q.push(&format!(" ORDER BY {col} {dir}, id {dir} LIMIT {limit}"));
    q.stmt()
}

/// The count of the same filter (totalCount), as a statement run on demand.
pub fn count_stmt(org_id: Uuid, filter: &CampaignFilter) -> sea_orm::Statement {
    let mut q = Sql::new("SELECT count(*) FROM campaigns");
    filter_sql(&mut q, org_id, filter);
    q.stmt()
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<CampaignRow>, DbErr> {
    all(
        db,
        &format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<CampaignRow>, DbErr> {
    one(
        db,
        &format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE id = $1"),
        [id.into()],
    )
    .await
}

/// Reads and locks a campaign for a status change.
pub async fn lock(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<CampaignRow>, DbErr> {
    one(
        db,
        &format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE id = $1 FOR UPDATE"),
        [id.into()],
    )
    .await
}

pub struct NewCampaign<'a> {
    pub name: &'a str,
    pub brief: &'a Brief,
    pub locales: &'a [String],
    pub platforms: &'a [Platform],
    pub created_by: Option<Uuid>,
}

/// The statement that inserts a campaign and its audit event, returning
/// the columns `returning` (which must include `id`, the event's target).
pub fn insert_statement(
    org_id: Uuid,
    c: NewCampaign<'_>,
    event: super::audit::Event<'_>,
    returning: &str,
) -> sea_orm::Statement {
    let platforms: Vec<String> = c.platforms.iter().map(|p| p.as_str().to_string()).collect();
    let mut values: Vec<sea_orm::Value> = vec![
        org_id.into(),
        c.name.into(),
        crate::domain::slugify(c.name).into(),
        serde_json::to_value(c.brief).unwrap_or_default().into(),
        c.locales.to_vec().into(),
        platforms.into(),
        c.created_by.into(),
    ];
    let sql = super::audit::with_event(
        &format!(
            "INSERT INTO campaigns (org_id, name, slug, brief, locales, platforms, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {returning}"
        ),
        &mut values,
        event,
    );
    super::stmt(&sql, values)
}

pub async fn update(
    db: &impl ConnectionTrait,
    id: Uuid,
    name: Option<&str>,
    brief: Option<&Brief>,
    locales: Option<&[String]>,
    platforms: Option<&[Platform]>,
) -> Result<Option<CampaignRow>, DbErr> {
    let platforms: Option<Vec<String>> = platforms.map(|ps| ps.iter().map(|p| p.as_str().to_string()).collect());
    one(
        db,
        &format!(
            "UPDATE campaigns SET name = coalesce($2, name), slug = coalesce($3, slug), brief = coalesce($4, brief),
                    locales = coalesce($5, locales), platforms = coalesce($6, platforms), updated_at = clock_timestamp()
              WHERE id = $1 RETURNING {CAMPAIGN_COLS}"
        ),
        [
            id.into(),
            name.map(str::to_string).into(),
            name.map(crate::domain::slugify).into(),
            brief.map(|b| serde_json::to_value(b).unwrap_or_default()).into(),
            locales.map(<[String]>::to_vec).into(),
            platforms.into(),
        ],
    )
    .await
}

pub async fn set_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: CampaignStatus,
) -> Result<Option<CampaignRow>, DbErr> {
    one(
        db,
        &format!(
            "UPDATE campaigns SET status = $2, updated_at = clock_timestamp() WHERE id = $1 RETURNING {CAMPAIGN_COLS}"
        ),
        [id.into(), status.as_str().into()],
    )
    .await
}

/// Campaigns of the org whose slug or name matches `utm_campaign`, newest first.
pub async fn find_by_slug_or_name(db: &impl ConnectionTrait, org_id: Uuid, value: &str) -> Result<Option<Uuid>, DbErr> {
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    Ok(one::<Id>(
        db,
        "SELECT id FROM campaigns WHERE org_id = $1 AND (slug = $2 OR lower(name) = lower($3))
          ORDER BY (slug = $2) DESC, created_at DESC LIMIT 1",
        [org_id.into(), crate::domain::slugify(value).into(), value.trim().into()],
    )
    .await?
    .map(|r| r.id))
}

pub async fn angles_by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<AngleRow>, DbErr> {
    all(
        db,
        &format!("SELECT {ANGLE_COLS} FROM angles WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

pub async fn copies_by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<CopyRow>, DbErr> {
    all(
        db,
        &format!("SELECT {COPY_COLS} FROM copies WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

pub async fn lock_angle(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<AngleRow>, DbErr> {
    one(
        db,
        &format!("SELECT {ANGLE_COLS} FROM angles WHERE id = $1 FOR UPDATE"),
        [id.into()],
    )
    .await
}

pub async fn lock_copy(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<CopyRow>, DbErr> {
    one(
        db,
        &format!("SELECT {COPY_COLS} FROM copies WHERE id = $1 FOR UPDATE"),
        [id.into()],
    )
    .await
}

pub async fn set_angle_status(db: &impl ConnectionTrait, id: Uuid, status: &str) -> Result<Option<AngleRow>, DbErr> {
    one(
        db,
        &format!("UPDATE angles SET status = $2, updated_at = clock_timestamp() WHERE id = $1 RETURNING {ANGLE_COLS}"),
        [id.into(), status.into()],
    )
    .await
}

pub async fn set_copy_status(db: &impl ConnectionTrait, id: Uuid, status: &str) -> Result<Option<CopyRow>, DbErr> {
    one(
        db,
        &format!("UPDATE copies SET status = $2, updated_at = clock_timestamp() WHERE id = $1 RETURNING {COPY_COLS}"),
        [id.into(), status.into()],
    )
    .await
}

/// A human edit: new text, moderation re-run by the caller, version bumped
/// only if the version is still `expected` (else no row: a stale edit).
pub struct CopyEdit {
    pub headline: Option<String>,
    pub body: String,
    pub call_to_action: Option<String>,
    pub hashtags: Vec<String>,
    pub character_count: i32,
    pub flagged: bool,
    pub reasons: Vec<String>,
}

pub async fn edit_copy(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected: i32,
    e: CopyEdit,
) -> Result<Option<CopyRow>, DbErr> {
    one(
        db,
        &format!(
            "UPDATE copies SET headline = $3, body = $4, call_to_action = $5, hashtags = $6, character_count = $7,
                    flagged = $8, moderation_reasons = $9, version = version + 1, edited = true,
                    updated_at = clock_timestamp()
              WHERE id = $1 AND version = $2 RETURNING {COPY_COLS}"
        ),
        [
            id.into(),
            expected.into(),
            e.headline.into(),
            e.body.into(),
            e.call_to_action.into(),
            e.hashtags.into(),
            e.character_count.into(),
            e.flagged.into(),
            e.reasons.into(),
        ],
    )
    .await
}

pub async fn add_review_note(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    campaign_id: Uuid,
    author: Option<Uuid>,
    decision: CampaignStatus,
    note: Option<&str>,
) -> Result<(), DbErr> {
    exec(
        db,
        "INSERT INTO review_notes (org_id, campaign_id, author_id, decision, note) VALUES ($1, $2, $3, $4, $5)",
        [
            org_id.into(),
            campaign_id.into(),
            author.into(),
            decision.as_str().into(),
            note.map(str::to_string).into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn review_notes(db: &impl ConnectionTrait, campaign_ids: &[Uuid]) -> Result<Vec<ReviewNoteRow>, DbErr> {
    all(
        db,
        "SELECT id, campaign_id, author_id, decision, note, created_at FROM review_notes
          WHERE campaign_id = ANY($1) ORDER BY created_at DESC, id DESC",
        [campaign_ids.to_vec().into()],
    )
    .await
}
