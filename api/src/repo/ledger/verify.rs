//! Reconciliation: a ledger checked against its balance row and its jobs
//! (`campaign-studio credits verify`, and the end of every credits test).

use super::super::{all, one};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use uuid::Uuid;

/// Checks one org's ledger: the entries add up to the balance row, the last
/// entry's running balance matches it, and no job was charged beyond its
/// reservation or refunded beyond its charges. Returns the problems found.
pub async fn verify_org(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Totals {
        available: i64,
        reserved: i64,
        sum_available: i64,
        sum_reserved: i64,
        last_available: Option<i64>,
        last_reserved: Option<i64>,
    }
    let mut problems = Vec::new();
    let t: Option<Totals> = one(
        db,
        "SELECT b.available, b.reserved,
                coalesce((SELECT sum(amount) FROM credit_entries e WHERE e.org_id = b.org_id
                           AND kind IN ('GRANT', 'REFUND', 'RESERVE', 'RELEASE')), 0)::bigint AS sum_available,
                coalesce((SELECT sum(CASE kind WHEN 'RESERVE' THEN -amount WHEN 'CHARGE' THEN amount
                                               WHEN 'RELEASE' THEN -amount ELSE 0 END)
                            FROM credit_entries e WHERE e.org_id = b.org_id), 0)::bigint AS sum_reserved,
                (SELECT balance_after FROM credit_entries e WHERE e.org_id = b.org_id ORDER BY created_at DESC, id DESC LIMIT 1) AS last_available,
                (SELECT reserved_after FROM credit_entries e WHERE e.org_id = b.org_id ORDER BY created_at DESC, id DESC LIMIT 1) AS last_reserved
           FROM credit_balances b WHERE b.org_id = $1",
        [org_id.into()],
    )
    .await?;
    let Some(t) = t else { return Ok(problems) };
    if t.sum_available != t.available {
        problems.push(format!(
            "org {org_id}: entries sum to available {} but the balance says {}",
            t.sum_available, t.available
        ));
    }
    if t.sum_reserved != t.reserved {
        problems.push(format!(
            "org {org_id}: entries sum to reserved {} but the balance says {}",
            t.sum_reserved, t.reserved
        ));
    }
    if t.last_available.is_some_and(|a| a != t.available) || t.last_reserved.is_some_and(|r| r != t.reserved) {
        problems.push(format!(
            "org {org_id}: the last entry's running balance differs from the balance row"
        ));
    }
    #[derive(FromQueryResult)]
    struct Job {
        job_id: Uuid,
        reserved: i64,
        charged: i64,
        released: i64,
        refunded: i64,
    }
    let jobs: Vec<Job> = all(
        db,
        "SELECT job_id,
                coalesce(sum(-amount) FILTER (WHERE kind = 'RESERVE'), 0)::bigint AS reserved,
                coalesce(sum(-amount) FILTER (WHERE kind = 'CHARGE'), 0)::bigint AS charged,
                coalesce(sum(amount) FILTER (WHERE kind = 'RELEASE'), 0)::bigint AS released,
                coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0)::bigint AS refunded
           FROM credit_entries WHERE org_id = $1 AND job_id IS NOT NULL GROUP BY job_id",
        [org_id.into()],
    )
    .await?;
    for j in jobs {
        if j.charged + j.released > j.reserved {
            problems.push(format!(
                "org {org_id} job {}: charged {} + released {} exceeds reserved {}",
                j.job_id, j.charged, j.released, j.reserved
            ));
        }
        if j.refunded > j.charged {
            problems.push(format!(
                "org {org_id} job {}: refunded {} exceeds charged {}",
                j.job_id, j.refunded, j.charged
            ));
        }
    }
    Ok(problems)
}

/// Every org's ledger, through the application role (`credits verify`).
pub async fn verify_all(url: &crate::config::Secret) -> anyhow::Result<Vec<String>> {
    use crate::db::{Enter, Tx};
    let pool = crate::db::Db::connect(url, 2).await?;
    let (tx, _) = Tx::begin(&pool, &Enter::Worker).await?;
    #[derive(FromQueryResult)]
    struct Org {
        org_id: Uuid,
    }
    let orgs: Vec<Org> = all(&tx, "SELECT org_id FROM credit_balances ORDER BY org_id", []).await?;
    tx.commit().await?;
    let mut problems = Vec::new();
    for org in orgs {
        let (tx, _) = Tx::begin(&pool, &Enter::Org { org_id: org.org_id }).await?;
        problems.extend(verify_org(&tx, org.org_id).await?);
        tx.commit().await?;
    }
    Ok(problems)
}
