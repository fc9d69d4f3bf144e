//! Lead sources, leads, scoring rules and daily rollups.

use super::{Sql, all, exec, one};
use crate::graphql::relay::TimeCursor;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct LeadSourceRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub secret_ciphertext: String,
    pub created_at: DateTime<Utc>,
}

const SOURCE_COLS: &str = "id, org_id, name, secret_ciphertext, created_at";

#[derive(Clone, Debug, FromQueryResult)]
pub struct LeadRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub source_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub stage: String,
    pub score: i32,
    /// Manual tags, then rule tags (what `Lead.tags` shows).
    pub tags: Vec<String>,
    /// The tags people set with updateLead.
    pub manual_tags: Vec<String>,
    pub attributes: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const LEAD_COLS: &str = "id, org_id, source_id, campaign_id, external_id, name, email, phone, stage, score, tags, manual_tags, attributes, created_at, updated_at";

#[derive(Clone, Debug, FromQueryResult)]
pub struct RuleRow {
    pub id: Uuid,
    pub name: String,
    pub field: String,
    pub op: String,
    pub value: Option<serde_json::Value>,
    pub score_delta: i32,
    pub tag: Option<String>,
    pub created_at: DateTime<Utc>,
}

const RULE_COLS: &str = "id, name, field, op, value, score_delta, tag, created_at";

pub async fn insert_source(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    name: &str,
    sealed: &str,
    by: Option<Uuid>,
) -> Result<LeadSourceRow, DbErr> {
    one(
        db,
        &format!("INSERT INTO lead_sources (org_id, name, secret_ciphertext, created_by) VALUES ($1, $2, $3, $4) RETURNING {SOURCE_COLS}"),
        [org_id.into(), name.into(), sealed.into(), by.into()],
    )
    .await?
    .ok_or_else(|| DbErr::Custom("insert returned no row".into()))
}

pub async fn sources(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<LeadSourceRow>, DbErr> {
    all(
        db,
        &format!("SELECT {SOURCE_COLS} FROM lead_sources WHERE org_id = $1 ORDER BY created_at, id"),
        [org_id.into()],
    )
    .await
}

pub async fn sources_by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<LeadSourceRow>, DbErr> {
    all(
        db,
        &format!("SELECT {SOURCE_COLS} FROM lead_sources WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

/// The source of a webhook, before its org is known: visible only through
/// the `app.lead_source_id` setting, set here for this transaction.
pub async fn source_for_webhook(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<LeadSourceRow>, DbErr> {
    exec(
        db,
        "SELECT set_config('app.lead_source_id', $1, true)",
        [id.to_string().into()],
    )
    .await?;
    let row = one(
        db,
        &format!("SELECT {SOURCE_COLS} FROM lead_sources WHERE id = $1"),
        [id.into()],
    )
    .await?;
    exec(db, "SELECT set_config('app.lead_source_id', '', true)", []).await?;
    Ok(row)
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<LeadRow>, DbErr> {
    all(
        db,
        &format!("SELECT {LEAD_COLS} FROM leads WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<LeadRow>, DbErr> {
    one(db, &format!("SELECT {LEAD_COLS} FROM leads WHERE id = $1"), [id.into()]).await
}

pub async fn lock(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<LeadRow>, DbErr> {
    one(
        db,
        &format!("SELECT {LEAD_COLS} FROM leads WHERE id = $1 FOR UPDATE"),
        [id.into()],
    )
    .await
}

/// Whether the campaign is visible in this transaction (so: in its org).
pub async fn campaign_exists(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    #[derive(FromQueryResult)]
    struct Found {
        found: bool,
    }
    Ok(one::<Found>(
        db,
        "SELECT EXISTS (SELECT 1 FROM campaigns WHERE org_id = $1 AND id = $2) AS found",
        [org_id.into(), id.into()],
    )
    .await?
    .is_some_and(|f| f.found))
}

/// What a lead is created or updated with (already validated and scored).
pub struct LeadWrite {
    pub source_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub attributes: serde_json::Value,
    /// Score and tags of a new lead; an existing one is re-scored by the caller.
    pub score: i32,
    pub tags: Vec<String>,
}

/// Inserts a lead, or (same source and external id) updates the existing
/// one: one row per external id, also when deliveries race (the row lock
/// taken by ON CONFLICT is held until commit, so the caller may re-score the
/// merged row safely). Returns the row and whether it was new.
pub async fn upsert(db: &impl ConnectionTrait, org_id: Uuid, w: &LeadWrite) -> Result<(LeadRow, bool), DbErr> {
    let conflict = match (w.source_id, &w.external_id) {
        (Some(_), Some(_)) => {
            "ON CONFLICT (org_id, source_id, external_id) WHERE source_id IS NOT NULL AND external_id IS NOT NULL"
        }
        (None, Some(_)) => "ON CONFLICT (org_id, external_id) WHERE source_id IS NULL AND external_id IS NOT NULL",
        _ => "",
    };
    let update = if conflict.is_empty() {
        String::new()
    } else {
        format!(
            "{conflict} DO UPDATE SET
               name = coalesce(EXCLUDED.name, leads.name),
               email = coalesce(EXCLUDED.email, leads.email),
               phone = coalesce(EXCLUDED.phone, leads.phone),
               campaign_id = coalesce(EXCLUDED.campaign_id, leads.campaign_id),
               attributes = leads.attributes || EXCLUDED.attributes,
               updated_at = clock_timestamp()"
        )
    };
    #[derive(FromQueryResult)]
    struct Inserted {
        inserted: bool,
    }
    let sql = format!(
        "INSERT INTO leads (org_id, source_id, campaign_id, external_id, name, email, phone, attributes, score, tags)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) {update}
         RETURNING {LEAD_COLS}, (xmax = 0) AS inserted"
    );
    let stmt = super::stmt(
        &sql,
        [
            org_id.into(),
            w.source_id.into(),
            w.campaign_id.into(),
            w.external_id.clone().into(),
            w.name.clone().into(),
            w.email.clone().into(),
            w.phone.clone().into(),
            w.attributes.clone().into(),
            w.score.into(),
            w.tags.clone().into(),
        ],
    );
    let row = db
        .query_one_raw(stmt)
        .await?
        .ok_or_else(|| DbErr::Custom("upsert returned no row".into()))?;
    let lead = LeadRow::from_query_result(&row, "")?;
    let inserted = Inserted::from_query_result(&row, "")?.inserted;
    Ok((lead, inserted))
}

pub async fn set_score(
    db: &impl ConnectionTrait,
    id: Uuid,
    score: i32,
    tags: &[String],
) -> Result<Option<LeadRow>, DbErr> {
    one(
        db,
        &format!("UPDATE leads SET score = $2, tags = $3 WHERE id = $1 RETURNING {LEAD_COLS}"),
        [id.into(), score.into(), tags.to_vec().into()],
    )
    .await
}

/// The new state of a lead edited by a person (merged and scored by the caller).
pub struct LeadEdit {
    pub stage: String,
    pub manual_tags: Vec<String>,
    pub attributes: serde_json::Value,
    pub score: i32,
    pub tags: Vec<String>,
}

pub async fn update(db: &impl ConnectionTrait, id: Uuid, e: &LeadEdit) -> Result<Option<LeadRow>, DbErr> {
    one(
        db,
        &format!(
            "UPDATE leads SET stage = $2, manual_tags = $3, attributes = $4, score = $5, tags = $6,
                    updated_at = clock_timestamp()
              WHERE id = $1 RETURNING {LEAD_COLS}"
        ),
        [
            id.into(),
            e.stage.clone().into(),
            e.manual_tags.clone().into(),
            e.attributes.clone().into(),
            e.score.into(),
            e.tags.clone().into(),
        ],
    )
    .await
}

#[derive(Clone, Debug, Default)]
pub struct LeadFilter {
    pub stages: Option<Vec<String>>,
    pub campaign_id: Option<Uuid>,
    pub min_score: Option<i32>,
    pub tag: Option<String>,
}

fn filter_sql(q: &mut Sql, org_id: Uuid, f: &LeadFilter) {
    let org = q.bind(org_id);
    q.push(&format!(" WHERE org_id = {org}"));
    if let Some(stages) = &f.stages {
        let p = q.bind(stages.clone());
        q.push(&format!(" AND stage = ANY({p})"));
    }
    if let Some(c) = f.campaign_id {
        let p = q.bind(c);
        q.push(&format!(" AND campaign_id = {p}"));
    }
    if let Some(s) = f.min_score {
        let p = q.bind(s);
        q.push(&format!(" AND score >= {p}"));
    }
    if let Some(t) = &f.tag {
        let p = q.bind(t.clone());
        q.push(&format!(" AND {p} = ANY(tags)"));
    }
}

/// Newest first, keyset on (created_at, id).
pub async fn list(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    f: &LeadFilter,
    after: Option<&TimeCursor>,
    fetch: i64,
) -> Result<Vec<LeadRow>, DbErr> {
    let mut q = Sql::new(&format!("SELECT {LEAD_COLS} FROM leads"));
    filter_sql(&mut q, org_id, f);
    if let Some(c) = after {
        let a = q.bind(c.0);
        let b = q.bind(c.1);
        q.push(&format!(" AND (created_at, id) < ({a}, {b})"));
    }
    let l = q.bind(fetch);
    q.push(&format!(" ORDER BY created_at DESC, id DESC LIMIT {l}"));
    LeadRow::find_by_statement(q.stmt()).all(db).await
}

pub fn count_stmt(org_id: Uuid, f: &LeadFilter) -> sea_orm::Statement {
    let mut q = Sql::new("SELECT count(*) FROM leads");
    filter_sql(&mut q, org_id, f);
    q.stmt()
}

pub async fn rules(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<RuleRow>, DbErr> {
    all(
        db,
        &format!("SELECT {RULE_COLS} FROM lead_scoring_rules WHERE org_id = $1 ORDER BY created_at, id"),
        [org_id.into()],
    )
    .await
}

pub async fn rules_by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<RuleRow>, DbErr> {
    all(
        db,
        &format!("SELECT {RULE_COLS} FROM lead_scoring_rules WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

pub struct NewRule<'a> {
    pub name: &'a str,
    pub field: &'a str,
    pub op: &'a str,
    pub value: Option<serde_json::Value>,
    pub score_delta: i32,
    pub tag: Option<&'a str>,
}

pub async fn insert_rule(db: &impl ConnectionTrait, org_id: Uuid, r: NewRule<'_>) -> Result<RuleRow, DbErr> {
    one(
        db,
        &format!(
            "INSERT INTO lead_scoring_rules (org_id, name, field, op, value, score_delta, tag) VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING {RULE_COLS}"
        ),
        [
            org_id.into(),
            r.name.into(),
            r.field.into(),
            r.op.into(),
            r.value.into(),
            r.score_delta.into(),
            r.tag.map(str::to_string).into(),
        ],
    )
    .await?
    .ok_or_else(|| DbErr::Custom("insert returned no row".into()))
}

pub async fn delete_rule(db: &impl ConnectionTrait, id: Uuid) -> Result<u64, DbErr> {
    exec(db, "DELETE FROM lead_scoring_rules WHERE id = $1", [id.into()]).await
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct DailyStat {
    pub day: NaiveDate,
    pub stage: String,
    pub count: i32,
}

pub async fn daily_stats(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    campaign_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DailyStat>, DbErr> {
    all(
        db,
        "SELECT day, stage, sum(count)::int AS count FROM lead_daily_stats
          WHERE org_id = $1 AND campaign_key = $2 AND day BETWEEN $3 AND $4
          GROUP BY day, stage HAVING sum(count) > 0
          ORDER BY day, stage",
        [org_id.into(), campaign_id.into(), from.into(), to.into()],
    )
    .await
}
