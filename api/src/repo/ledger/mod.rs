//! The credits ledger: the one module that moves credits.
//!
//! Concurrency: every movement first locks the org's row in
//! `credit_balances` (`SELECT … FOR UPDATE`). All credit operations of one
//! org are therefore serialised, across any number of API instances and
//! workers, while different orgs never wait on each other. We chose the row
//! lock over SERIALIZABLE-with-retry because every operation here is a
//! read-check-write on one small row (retries would only add latency under
//! contention), and over advisory locks because the lock is tied to the
//! data it protects and released by COMMIT/ROLLBACK with no way to leak.
//! The CHECK constraints (`available >= 0`, `reserved >= 0`) are the last
//! line: even a bug here cannot make a balance negative.
//!
//! Idempotency: every entry is unique by (org, kind, correlation id, unit
//! key), checked under the lock; retrying a call returns the first entry.
//!
//! Accounting: RESERVE moves credits from available to reserved; CHARGE
//! spends from the job's reservation (available unchanged); RELEASE returns
//! the job's unspent reservation to available; REFUND gives back charged
//! credits; GRANT adds credits. So `available = Σ amount` over GRANT,
//! REFUND, RESERVE and RELEASE, and `reserved = -Σ RESERVE + Σ CHARGE -
//! Σ RELEASE` (signs as stored).

use super::{all, one};
use crate::error::{AppError, AppResult};
use crate::graphql::relay::TimeCursor;
use crate::tenancy::Actor;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct Balance {
    pub available: i64,
    pub reserved: i64,
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct EntryRow {
    pub id: Uuid,
    pub kind: String,
    pub amount: i64,
    pub balance_after: i64,
    pub reserved_after: i64,
    pub correlation_id: Option<String>,
    pub unit_key: String,
    pub job_id: Option<Uuid>,
    pub note: Option<String>,
    pub actor_user_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const ENTRY_COLS: &str = "id, kind, amount, balance_after, reserved_after, correlation_id, unit_key, job_id, note, actor_user_id, created_at";

/// A job's position in the ledger (all amounts positive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobCredits {
    pub reserved: i64,
    pub charged: i64,
    pub released: i64,
    pub refunded: i64,
}

impl JobCredits {
    /// Reserved and not yet charged or released.
    pub fn outstanding(&self) -> i64 {
        self.reserved - self.charged - self.released
    }
}

/// The org's balance (zero if it never had credits).
pub async fn balance(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Balance, DbErr> {
    Ok(one(
        db,
        "SELECT available, reserved FROM credit_balances WHERE org_id = $1",
        [org_id.into()],
    )
    .await?
    .unwrap_or_default())
}

/// Locks the org's balance row (creating it if missing) for this
/// transaction, in one round trip: the upsert takes the row lock.
async fn lock(db: &impl ConnectionTrait, org_id: Uuid) -> AppResult<Balance> {
    one(
        db,
        "INSERT INTO credit_balances AS b (org_id) VALUES ($1)
         ON CONFLICT (org_id) DO UPDATE SET org_id = b.org_id
         RETURNING b.available, b.reserved",
        [org_id.into()],
    )
    .await?
    .ok_or(AppError::NotFound("org"))
}

async fn existing(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    kind: &str,
    correlation: &str,
    unit: &str,
) -> Result<Option<EntryRow>, DbErr> {
    one(
        db,
        &format!("SELECT {ENTRY_COLS} FROM credit_entries WHERE org_id = $1 AND kind = $2 AND correlation_id = $3 AND unit_key = $4"),
        [org_id.into(), kind.into(), correlation.into(), unit.into()],
    )
    .await
}

struct NewEntry<'a> {
    kind: &'a str,
    amount: i64,
    after: Balance,
    correlation: Option<String>,
    unit: &'a str,
    job_id: Option<Uuid>,
    note: Option<&'a str>,
    actor: Actor,
}

/// Moves the balance and appends the entry, in one statement.
async fn write(db: &impl ConnectionTrait, org_id: Uuid, e: NewEntry<'_>) -> AppResult<EntryRow> {
    one(
        db,
        &format!(
            "WITH b AS (UPDATE credit_balances SET available = $4, reserved = $5, updated_at = now() WHERE org_id = $1 RETURNING 1)
             INSERT INTO credit_entries (org_id, kind, amount, balance_after, reserved_after, correlation_id, unit_key, job_id, note, actor_user_id)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM b RETURNING {ENTRY_COLS}"
        ),
        [
            org_id.into(),
            e.kind.into(),
            e.amount.into(),
            e.after.available.into(),
            e.after.reserved.into(),
            e.correlation.into(),
            e.unit.into(),
            e.job_id.into(),
            e.note.map(str::to_string).into(),
            e.actor.user_id.into(),
        ],
    )
    .await?
    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("ledger insert returned no row")))
}

/// A job's totals, and whether `unit` was charged already (one round trip).
async fn job_state(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    job_id: Uuid,
    unit: &str,
) -> Result<(JobCredits, bool), DbErr> {
    #[derive(FromQueryResult)]
    struct State {
        reserved: i64,
        charged: i64,
        released: i64,
        refunded: i64,
        unit_charged: bool,
    }
    let s: Option<State> = one(
        db,
        "SELECT coalesce(sum(-amount) FILTER (WHERE kind = 'RESERVE'), 0)::bigint AS reserved,
                coalesce(sum(-amount) FILTER (WHERE kind = 'CHARGE'), 0)::bigint AS charged,
                coalesce(sum(amount) FILTER (WHERE kind = 'RELEASE'), 0)::bigint AS released,
                coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0)::bigint AS refunded,
                coalesce(bool_or(kind = 'CHARGE' AND unit_key = $3), false) AS unit_charged
           FROM credit_entries WHERE org_id = $1 AND job_id = $2",
        [org_id.into(), job_id.into(), unit.into()],
    )
    .await?;
    Ok(s.map_or((JobCredits::default(), false), |s| {
        (
            JobCredits {
                reserved: s.reserved,
                charged: s.charged,
                released: s.released,
                refunded: s.refunded,
            },
            s.unit_charged,
        )
    }))
}

/// A job's reserved/charged/released/refunded totals (call under the lock
/// for decisions).
pub async fn job_credits(db: &impl ConnectionTrait, org_id: Uuid, job_id: Uuid) -> Result<JobCredits, DbErr> {
    #[derive(FromQueryResult)]
    struct Sum {
        kind: String,
        total: i64,
    }
    let sums: Vec<Sum> = all(
        db,
        "SELECT kind, coalesce(sum(abs(amount)), 0)::bigint AS total FROM credit_entries
          WHERE org_id = $1 AND job_id = $2 GROUP BY kind",
        [org_id.into(), job_id.into()],
    )
    .await?;
    let mut c = JobCredits::default();
    for s in sums {
        match s.kind.as_str() {
            "RESERVE" => c.reserved = s.total,
            "CHARGE" => c.charged = s.total,
            "RELEASE" => c.released = s.total,
            "REFUND" => c.refunded = s.total,
            _ => {}
        }
    }
    Ok(c)
}

/// Adds credits to an org. Idempotent by `idempotency` when given.
pub async fn grant(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    amount: i64,
    note: Option<&str>,
    actor: Actor,
    idempotency: Option<&str>,
) -> AppResult<(EntryRow, Balance)> {
    if amount <= 0 {
        return Err(AppError::validation("amount", "amount must be positive"));
    }
    let b = lock(db, org_id).await?;
    if let Some(key) = idempotency
        && let Some(e) = existing(db, org_id, "GRANT", key, "").await?
    {
        return Ok((e, b));
    }
    let available = b
        .available
        .checked_add(amount)
        .ok_or_else(|| AppError::validation("amount", "amount is too large"))?;
    let after = Balance {
        available,
        reserved: b.reserved,
    };
    let entry = write(
        db,
        org_id,
        NewEntry {
            kind: "GRANT",
            amount,
            after,
            correlation: idempotency.map(str::to_string),
            unit: "",
            job_id: None,
            note,
            actor,
        },
    )
    .await?;
    Ok((entry, after))
}

/// Holds `amount` for a job, or INSUFFICIENT_CREDITS. A job has one
/// reservation: retrying returns it.
pub async fn reserve(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    job_id: Uuid,
    amount: i64,
    actor: Actor,
) -> AppResult<EntryRow> {
    if amount <= 0 {
        return Err(AppError::validation("amount", "a reservation must be positive"));
    }
    let b = lock(db, org_id).await?;
    let corr = job_id.to_string();
    if let Some(e) = existing(db, org_id, "RESERVE", &corr, "").await? {
        return Ok(e);
    }
    if b.available < amount {
        return Err(AppError::InsufficientCredits {
            needed: amount,
            available: b.available,
        });
    }
    let after = Balance {
        available: b.available - amount,
        reserved: b.reserved + amount,
    };
    write(
        db,
        org_id,
        NewEntry {
            kind: "RESERVE",
            amount: -amount,
            after,
            correlation: Some(corr),
            unit: "",
            job_id: Some(job_id),
            note: None,
            actor,
        },
    )
    .await
}

/// Spends `amount` of the job's reservation for one finished unit. Charging
/// the same unit again returns the first charge (and `false`: not new). Fails with CONFLICT when the
/// reservation cannot cover it (released, or spent).
pub async fn charge(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    job_id: Uuid,
    unit: &str,
    amount: i64,
) -> AppResult<(EntryRow, bool)> {
    if amount <= 0 {
        return Err(AppError::validation("amount", "a charge must be positive"));
    }
    let b = lock(db, org_id).await?;
    let corr = job_id.to_string();
    let (job, charged_before) = job_state(db, org_id, job_id, unit).await?;
    if charged_before && let Some(e) = existing(db, org_id, "CHARGE", &corr, unit).await? {
        return Ok((e, false));
    }
    if job.outstanding() < amount {
        return Err(AppError::conflict(format!(
            "the job's reservation cannot cover {amount} credits ({} left)",
            job.outstanding()
        )));
    }
    let after = Balance {
        available: b.available,
        reserved: b.reserved - amount,
    };
    write(
        db,
        org_id,
        NewEntry {
            kind: "CHARGE",
            amount: -amount,
            after,
            correlation: Some(corr),
            unit,
            job_id: Some(job_id),
            note: None,
            actor: Actor::default(),
        },
    )
    .await
    .map(|e| (e, true))
}

/// Returns the job's unspent reservation to available. Idempotent; after it,
/// nothing more can be charged to the job.
pub async fn release(db: &impl ConnectionTrait, org_id: Uuid, job_id: Uuid) -> AppResult<Option<EntryRow>> {
    let b = lock(db, org_id).await?;
    let corr = job_id.to_string();
    if let Some(e) = existing(db, org_id, "RELEASE", &corr, "").await? {
        return Ok(Some(e));
    }
    let job = job_credits(db, org_id, job_id).await?;
    let amount = job.outstanding();
    if amount <= 0 {
        return Ok(None);
    }
    let after = Balance {
        available: b.available + amount,
        reserved: b.reserved - amount,
    };
    write(
        db,
        org_id,
        NewEntry {
            kind: "RELEASE",
            amount,
            after,
            correlation: Some(corr),
            unit: "",
            job_id: Some(job_id),
            note: None,
            actor: Actor::default(),
        },
    )
    .await
    .map(Some)
}

/// Gives back up to what the job was charged. Idempotent per `unit`.
pub async fn refund(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    job_id: Uuid,
    unit: &str,
    amount: i64,
    note: Option<&str>,
) -> AppResult<EntryRow> {
    if amount <= 0 {
        return Err(AppError::validation("amount", "a refund must be positive"));
    }
    let b = lock(db, org_id).await?;
    let corr = job_id.to_string();
    if let Some(e) = existing(db, org_id, "REFUND", &corr, unit).await? {
        return Ok(e);
    }
    let job = job_credits(db, org_id, job_id).await?;
    if job.charged - job.refunded < amount {
        return Err(AppError::conflict(format!(
            "only {} charged credits can be refunded",
            job.charged - job.refunded
        )));
    }
    let after = Balance {
        available: b.available + amount,
        reserved: b.reserved,
    };
    write(
        db,
        org_id,
        NewEntry {
            kind: "REFUND",
            amount,
            after,
            correlation: Some(corr),
            unit,
            job_id: Some(job_id),
            note,
            actor: Actor::default(),
        },
    )
    .await
}

/// Newest first, keyset on (created_at, id).
pub async fn entries(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    after: Option<&TimeCursor>,
    fetch: i64,
) -> Result<Vec<EntryRow>, DbErr> {
    let (at, id) = after.map(|c| (Some(c.0), Some(c.1))).unwrap_or((None, None));
    all(
        db,
        &format!(
            "SELECT {ENTRY_COLS} FROM credit_entries
              WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
              ORDER BY created_at DESC, id DESC LIMIT $4"
        ),
        [org_id.into(), at.into(), id.into(), fetch.into()],
    )
    .await
}

pub async fn count_entries(db: &impl ConnectionTrait, org_id: Uuid) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct N {
        n: i64,
    }
    Ok(one::<N>(
        db,
        "SELECT count(*) AS n FROM credit_entries WHERE org_id = $1",
        [org_id.into()],
    )
    .await?
    .map_or(0, |r| r.n))
}

pub async fn entries_by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<EntryRow>, DbErr> {
    all(
        db,
        &format!("SELECT {ENTRY_COLS} FROM credit_entries WHERE id = ANY($1)"),
        [ids.to_vec().into()],
    )
    .await
}

mod verify;
pub use verify::{verify_all, verify_org};
