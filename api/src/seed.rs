//! `campaign-studio seed`: deterministic demo and benchmark data, written
//! through the application role inside each org's own context (the seed is
//! under row-level security like everything else).
//!
//! Ids are derived from names (`md5('campaign:<org>:<n>')::uuid`), so two
//! runs produce the same rows and a second run adds nothing.

use crate::config::Secret;
use crate::db::{Enter, Tx};
use crate::repo::{self, ledger};
use crate::tenancy::Actor;
use anyhow::Context as _;
use sea_orm::FromQueryResult;
use std::time::Instant;
use uuid::Uuid;

/// The user every seeded org has as OWNER (`campaign-studio token --email
/// bench@seed.test` signs in as them).
pub const BENCH_EMAIL: &str = "bench@seed.test";
pub const DEMO_EMAIL: &str = "demo@example.com";

async fn user(pool: &crate::db::Db, email: &str) -> anyhow::Result<Uuid> {
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    let (tx, _) = Tx::begin(pool, &Enter::Nobody).await?;
    let id: Option<Id> = repo::one(
        &tx,
        "SELECT cs_jit_user($1, $2, NULL) AS id",
        [format!("dev|{email}").into(), email.into()],
    )
    .await?;
    tx.commit().await?;
    id.map(|i| i.id).context("could not create the seed user")
}

async fn org_id(pool: &crate::db::Db, name: &str) -> anyhow::Result<Uuid> {
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    let (tx, _) = Tx::begin(pool, &Enter::Nobody).await?;
    let id: Option<Id> = repo::one(&tx, "SELECT md5($1)::uuid AS id", [name.into()]).await?;
    tx.commit().await?;
    id.map(|i| i.id).context("no id")
}

/// Creates the org with its owner if it does not exist; returns whether it did.
async fn ensure_org(tx: &Tx, org: Uuid, name: &str, slug: &str, owner: Uuid) -> anyhow::Result<bool> {
    let exists = repo::org::by_id(tx, org).await?.is_some();
    if !exists {
        repo::org::create(tx, org, name, slug, owner).await?;
    }
    Ok(!exists)
}

/// Fills one org: campaigns x 5 angles x 3 copies, 50 leads, 20 ledger entries.
async fn fill_org(tx: &Tx, org: Uuid, o: usize, campaigns: usize) -> anyhow::Result<()> {
    let statements = [
        "INSERT INTO campaigns (org_id, id, name, slug, status, brief, locales, platforms, created_at, updated_at)
         SELECT $1, md5('campaign:' || $2 || ':' || c)::uuid, 'Campaign ' || c, 'campaign-' || c,
                (ARRAY['DRAFT','REVIEWING','APPROVED','EXPORTED'])[1 + c % 4],
                jsonb_build_object('product', 'Product ' || c, 'audience', 'Audience ' || (c % 7), 'goal', 'Grow sign-ups',
                                   'tone', 'friendly', 'keyMessages', jsonb_build_array('Fast', 'Friendly'),
                                   'callToAction', 'Try it', 'landingUrl', 'https://example.com/' || c),
                '{en}', '{INSTAGRAM,X,LINKEDIN}',
                timestamptz '2026-01-01 00:00:00+00' + c * interval '1 minute',
                timestamptz '2026-01-01 00:00:00+00' + c * interval '1 minute'
           FROM generate_series(1, $3) c
         ON CONFLICT DO NOTHING",
        "INSERT INTO angles (org_id, id, campaign_id, locale, position, title, hook, rationale, hashtags, status, provenance, created_at, updated_at)
         SELECT $1, md5('angle:' || $2 || ':' || c || ':' || a)::uuid, md5('campaign:' || $2 || ':' || c)::uuid, 'en', a,
                'Angle ' || a || ' of campaign ' || c, 'Why product ' || c || ' matters', 'Seeded', '{#seed}',
                CASE WHEN a = 1 THEN 'ACCEPTED' ELSE 'SUGGESTED' END,
                '{\"provider\": \"seed\", \"model\": \"seed\", \"promptVersion\": \"1\", \"inputHash\": \"seed\"}',
                timestamptz '2026-01-01 00:00:00+00' + c * interval '1 minute' + a * interval '1 second',
                timestamptz '2026-01-01 00:00:00+00' + c * interval '1 minute' + a * interval '1 second'
           FROM generate_series(1, $3) c, generate_series(1, 5) a
         ON CONFLICT DO NOTHING",
        "INSERT INTO copies (org_id, id, campaign_id, angle_id, platform, locale, headline, body, call_to_action, hashtags,
                             character_count, provenance, created_at, updated_at)
         SELECT $1, md5('copy:' || $2 || ':' || c || ':' || a || ':' || p)::uuid, md5('campaign:' || $2 || ':' || c)::uuid,
                md5('angle:' || $2 || ':' || c || ':' || a)::uuid, (ARRAY['INSTAGRAM','X','LINKEDIN'])[p], 'en',
                'Headline ' || a || '.' || p, 'Seeded body text for campaign ' || c || ', angle ' || a || ', platform ' || p || '.',
                'Try it', '{#seed}', 60, '{\"provider\": \"seed\", \"model\": \"seed\", \"promptVersion\": \"1\", \"inputHash\": \"seed\"}',
                timestamptz '2026-01-01 00:00:00+00' + c * interval '1 minute' + a * interval '1 second' + p * interval '1 millisecond',
                timestamptz '2026-01-01 00:00:00+00' + c * interval '1 minute' + a * interval '1 second' + p * interval '1 millisecond'
           FROM generate_series(1, $3) c, generate_series(1, 5) a, generate_series(1, 3) p
         ON CONFLICT DO NOTHING",
        "INSERT INTO leads (org_id, id, campaign_id, external_id, name, email, stage, score, tags, created_at, updated_at)
         SELECT $1, md5('lead:' || $2 || ':' || l)::uuid, md5('campaign:' || $2 || ':' || (1 + l % greatest($3, 1)))::uuid,
                'seed-' || l, 'Lead ' || l, 'lead' || l || '@example.com',
                (ARRAY['NEW','QUALIFIED','CONTACTED','CONVERTED','DISQUALIFIED'])[1 + l % 5], l % 100,
                CASE WHEN l % 3 = 0 THEN '{hot}'::text[] ELSE '{}'::text[] END,
                timestamptz '2026-02-01 00:00:00+00' + l * interval '1 hour',
                timestamptz '2026-02-01 00:00:00+00' + l * interval '1 hour'
           FROM generate_series(1, CASE WHEN $3 > 0 THEN 50 ELSE 0 END) l
         ON CONFLICT DO NOTHING",
    ];
    repo::exec(
        tx,
        "SELECT set_config('app.org_id', $1, true)",
        [org.to_string().into()],
    )
    .await?;
    let n = i64::try_from(campaigns)?;
    for sql in statements {
        repo::exec(tx, sql, [org.into(), (o as i64).to_string().into(), n.into()]).await?;
    }
    // 20 ledger entries through the ledger itself (running balances stay right).
    if ledger::count_entries(tx, org).await? == 0 {
        for i in 0..20 {
            ledger::grant(tx, org, 500, Some("seed"), Actor::default(), Some(&format!("seed-{i}"))).await?;
        }
    }
    Ok(())
}

/// `seed --orgs N --campaigns M`: the benchmark dataset.
pub async fn run(url: &Secret, orgs: usize, campaigns: usize) -> anyhow::Result<String> {
    let started = Instant::now();
    let pool = crate::db::Db::connect(url, 4).await?;
    let owner = user(&pool, BENCH_EMAIL).await?;
    let mut created = 0;
    for o in 1..=orgs {
        let org = org_id(&pool, &format!("org:{o}")).await?;
        let (tx, _) = Tx::begin(&pool, &Enter::Nobody).await?;
        repo::exec(
            &tx,
            "SELECT set_config('app.user_id', $1, true)",
            [owner.to_string().into()],
        )
        .await?;
        if ensure_org(&tx, org, &format!("Seed Org {o}"), &format!("seed-org-{o}"), owner).await? {
            created += 1;
        }
        fill_org(&tx, org, o, campaigns).await?;
        tx.commit().await?;
    }
    Ok(format!(
        "seeded {orgs} orgs ({created} new) x {campaigns} campaigns x 5 angles x 3 copies, 50 leads and 20 ledger entries each, \
         in {:.1} s; every org's OWNER is {BENCH_EMAIL}",
        started.elapsed().as_secs_f64()
    ))
}

/// `seed --demo`: a Demo org owned by demo@example.com with credits and a
/// campaign; returns the org id.
pub async fn demo(url: &Secret) -> anyhow::Result<Uuid> {
    let pool = crate::db::Db::connect(url, 2).await?;
    let owner = user(&pool, DEMO_EMAIL).await?;
    let org = org_id(&pool, "demo-org").await?;
    let (tx, _) = Tx::begin(&pool, &Enter::Nobody).await?;
    repo::exec(
        &tx,
        "SELECT set_config('app.user_id', $1, true)",
        [owner.to_string().into()],
    )
    .await?;
    if ensure_org(&tx, org, "Demo", "demo", owner).await? {
        ledger::grant(
            &tx,
            org,
            1000,
            Some("demo credits"),
            Actor::default(),
            Some("demo-grant"),
        )
        .await?;
        fill_org(&tx, org, 0, 3).await?;
    }
    tx.commit().await?;
    Ok(org)
}
