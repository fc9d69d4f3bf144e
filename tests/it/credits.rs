//! The credits ledger: never negative, never counted twice, whatever runs
//! at once; reconciled at the end of every test.

use crate::helpers::fixtures::{self, brief};
use crate::helpers::{Caller, TestApp, code_of, data_of, spawn_app};
use api::db::{Enter, Tx};
use api::repo::ledger;
use api::tenancy::Actor;
use serde_json::{Value, json};
use uuid::Uuid;

/// Every org's entries add up to its balance; no job over-charged.
pub async fn assert_ledgers_reconcile(app: &TestApp) {
    let problems = ledger::verify_all(&api::config::Secret::new(app.db.app_url.clone()))
        .await
        .unwrap();
    assert!(problems.is_empty(), "ledger problems: {problems:?}");
}

async fn balance(app: &TestApp, c: &Caller) -> Value {
    data_of(
        &app.gql(c, "{ org { credits { available reserved } } }", json!({}))
            .await,
    )["org"]["credits"]
        .clone()
}

/// A campaign whose generation costs exactly 10 credits: 1 angle, 5 copies, one image set.
fn ten_credit_campaign(name: &str) -> Value {
    json!({ "name": name, "brief": brief(), "locales": ["en"], "platforms": ["INSTAGRAM", "FACEBOOK", "LINKEDIN", "X", "TIKTOK"] })
}

#[tokio::test]
async fn fifty_concurrent_reservations_against_two_hundred_credits() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("rush@example.com", "rush").await;
    app.grant(&org, 200).await;
    let mut ids = Vec::new();
    for i in 0..50 {
        ids.push(fixtures::campaign(&app, &owner, ten_credit_campaign(&format!("R{i}"))).await);
    }
    let cost = app
        .gql(
            &owner,
            "query($i: GenerateCampaignInput!) { generationCost(input: $i) }",
            json!({ "i": { "campaignId": ids[0], "anglesPerLocale": 1 } }),
        )
        .await;
    assert_eq!(data_of(&cost)["generationCost"], 10);
    let mut tasks = Vec::new();
    for id in ids.clone() {
        let (http, caller, url) = (app.http.clone(), owner.clone(), format!("{}/graphql", app.base));
        tasks.push(tokio::spawn(async move {
            let q = "mutation($i: GenerateCampaignInput!) { generateCampaign(input: $i) { job { creditsReserved } } }";
            let resp = caller
                .post(&http, &url)
                .json(&json!({ "query": q, "variables": { "i": { "campaignId": id, "anglesPerLocale": 1 } } }))
                .send()
                .await
                .unwrap();
            resp.json::<Value>().await.unwrap()
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        let body = t.await.unwrap();
        match code_of(&body).as_str() {
            "" => {
                assert_eq!(body["data"]["generateCampaign"]["job"]["creditsReserved"], 10);
                ok += 1;
            }
            "INSUFFICIENT_CREDITS" => {
                assert!(body["errors"][0]["extensions"]["available"].is_number());
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, refused), (20, 30));
    assert_eq!(balance(&app, &owner).await, json!({ "available": 0, "reserved": 200 }));
    // refused requests changed nothing: their campaigns are still drafts
    let drafts = app
        .gql(
            &owner,
            "{ campaigns(filter: { status: [DRAFT] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data_of(&drafts)["campaigns"]["totalCount"], 30);
    let ledger = app
        .gql(
            &owner,
            "{ creditLedger(first: 100) { totalCount nodes { kind amount balanceAfter job { id } } } }",
            json!({}),
        )
        .await;
    let d = &data_of(&ledger)["creditLedger"];
    assert_eq!(d["totalCount"], 21, "one grant and twenty reservations");
    assert_eq!(d["nodes"][0]["balanceAfter"], 0, "newest first");
    assert!(d["nodes"][0]["job"]["id"].is_string());
    assert_ledgers_reconcile(&app).await;
}

async fn org_tx(app: &TestApp, org: Uuid) -> Tx {
    Tx::begin(&app.state().pool, &Enter::Org { org_id: org })
        .await
        .unwrap()
        .0
}

/// A job row to hang reservations on (the ledger does not care what it is).
async fn job_row(app: &TestApp, org: Uuid) -> Uuid {
    let job = Uuid::new_v4();
    let tx = org_tx(app, org).await;
    api::repo::exec(
        &tx,
        "INSERT INTO jobs (org_id, id, kind) VALUES ($1, $2, 'EXPORT_KIT')",
        [org.into(), job.into()],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    job
}

#[tokio::test]
async fn reservations_from_many_connections_never_overdraw() {
    let app = spawn_app().await;
    let (org, _) = app.org_with_owner("conns@example.com", "conns").await;
    app.grant(&org, 95).await;
    let org = Uuid::parse_str(&org).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let job = job_row(&app, org).await;
        let pool = app.state().pool.clone();
        tasks.push(tokio::spawn(async move {
            let (tx, _) = Tx::begin(&pool, &Enter::Org { org_id: org }).await.unwrap();
            let r = ledger::reserve(&tx, org, job, 10, Actor::default()).await;
            tx.commit().await.unwrap();
            r.is_ok()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    assert_eq!(ok, 9);
    let tx = org_tx(&app, org).await;
    assert_eq!(
        ledger::balance(&tx, org).await.unwrap(),
        ledger::Balance {
            available: 5,
            reserved: 90
        }
    );
    tx.commit().await.unwrap();
    assert_ledgers_reconcile(&app).await;
}

#[tokio::test]
async fn a_charge_racing_a_cancel_never_double_counts() {
    let app = spawn_app().await;
    let (org, _) = app.org_with_owner("race@example.com", "race-credits").await;
    app.grant(&org, 100).await;
    let org = Uuid::parse_str(&org).unwrap();
    for round in 0..10 {
        let job = job_row(&app, org).await;
        let tx = org_tx(&app, org).await;
        ledger::reserve(&tx, org, job, 10, Actor::default()).await.unwrap();
        tx.commit().await.unwrap();
        let mut tasks = Vec::new();
        for unit in 0..10 {
            let pool = app.state().pool.clone();
            tasks.push(tokio::spawn(async move {
                let (tx, _) = Tx::begin(&pool, &Enter::Org { org_id: org }).await.unwrap();
                let r = ledger::charge(&tx, org, job, &format!("unit-{unit}"), 1).await;
                tx.commit().await.unwrap();
                r.is_ok()
            }));
            if unit == round {
                let pool = app.state().pool.clone();
                tasks.push(tokio::spawn(async move {
                    let (tx, _) = Tx::begin(&pool, &Enter::Org { org_id: org }).await.unwrap();
                    ledger::release(&tx, org, job).await.unwrap();
                    tx.commit().await.unwrap();
                    false
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let tx = org_tx(&app, org).await;
        let c = ledger::job_credits(&tx, org, job).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(c.charged + c.released, c.reserved, "round {round}: {c:?}");
    }
    assert_ledgers_reconcile(&app).await;
}

#[tokio::test]
async fn a_retried_charge_is_charged_once_and_refunds_stay_within_charges() {
    let app = spawn_app().await;
    let (org, _) = app.org_with_owner("retry@example.com", "retry-credits").await;
    app.grant(&org, 50).await;
    let org = Uuid::parse_str(&org).unwrap();
    let job = job_row(&app, org).await;
    let tx = org_tx(&app, org).await;
    ledger::reserve(&tx, org, job, 10, Actor::default()).await.unwrap();
    // retrying the reservation of the same job reserves nothing more
    ledger::reserve(&tx, org, job, 10, Actor::default()).await.unwrap();
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let pool = app.state().pool.clone();
        tasks.push(tokio::spawn(async move {
            let (tx, _) = Tx::begin(&pool, &Enter::Org { org_id: org }).await.unwrap();
            ledger::charge(&tx, org, job, "the-unit", 3).await.unwrap();
            tx.commit().await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let tx = org_tx(&app, org).await;
    assert_eq!(ledger::job_credits(&tx, org, job).await.unwrap().charged, 3);
    assert!(
        ledger::charge(&tx, org, job, "too-much", 8).await.is_err(),
        "more than the reservation holds"
    );
    tx.rollback().await.unwrap();
    let tx = org_tx(&app, org).await;
    assert!(
        ledger::refund(&tx, org, job, "r1", 4, None).await.is_err(),
        "more than was charged"
    );
    tx.rollback().await.unwrap();
    let tx = org_tx(&app, org).await;
    ledger::refund(&tx, org, job, "r1", 2, Some("bad output"))
        .await
        .unwrap();
    ledger::refund(&tx, org, job, "r1", 2, Some("bad output"))
        .await
        .unwrap();
    ledger::release(&tx, org, job).await.unwrap();
    ledger::release(&tx, org, job).await.unwrap();
    let b = ledger::balance(&tx, org).await.unwrap();
    tx.commit().await.unwrap();
    // 50 - 3 charged + 2 refunded, nothing left reserved
    assert_eq!(
        b,
        ledger::Balance {
            available: 49,
            reserved: 0
        }
    );
    assert_ledgers_reconcile(&app).await;
}

#[tokio::test]
async fn only_platform_admins_grant_credits_and_only_positive_amounts() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("grant@example.com", "grants").await;
    let q = "mutation($i: GrantCreditsInput!) { grantCredits(input: $i) { entry { kind amount balanceAfter note } balance { available reserved } } }";
    let body = app
        .gql(&owner, q, json!({ "i": { "orgId": org, "amount": 100 } }))
        .await;
    assert_eq!(code_of(&body), "FORBIDDEN", "an OWNER is not platform billing");
    let admin = Caller {
        token: Some(app.admin_token("billing@platform.test")),
        org: None,
    };
    for amount in [0, -5] {
        assert_eq!(
            code_of(
                &app.gql(&admin, q, json!({ "i": { "orgId": org, "amount": amount } }))
                    .await
            ),
            "BAD_USER_INPUT"
        );
    }
    assert_eq!(
        code_of(
            &app.gql(&admin, q, json!({ "i": { "orgId": Uuid::new_v4(), "amount": 5 } }))
                .await
        ),
        "NOT_FOUND"
    );
    let body = app
        .gql(
            &admin,
            q,
            json!({ "i": { "orgId": org, "amount": 100, "note": "welcome" } }),
        )
        .await;
    let d = &data_of(&body)["grantCredits"];
    assert_eq!(
        d["entry"],
        json!({ "kind": "GRANT", "amount": 100, "balanceAfter": 100, "note": "welcome" })
    );
    assert_eq!(d["balance"], json!({ "available": 100, "reserved": 0 }));
    assert_eq!(balance(&app, &owner).await, json!({ "available": 100, "reserved": 0 }));
    assert_ledgers_reconcile(&app).await;
}

#[tokio::test]
async fn another_org_can_neither_read_nor_spend_a_ledger() {
    let app = spawn_app().await;
    let (org_a, a) = app.org_with_owner("la@example.com", "ledger-a").await;
    let (org_b, b) = app.org_with_owner("lb@example.com", "ledger-b").await;
    app.grant(&org_a, 70).await;
    let entry = data_of(&app.gql(&a, "{ creditLedger { nodes { id } } }", json!({})).await)["creditLedger"]["nodes"][0]
        ["id"]
        .clone();
    let body = app
        .gql(
            &b,
            "{ creditLedger { totalCount } org { credits { available } } }",
            json!({}),
        )
        .await;
    assert_eq!(data_of(&body)["creditLedger"]["totalCount"], 0);
    assert_eq!(data_of(&body)["org"]["credits"]["available"], 0);
    assert_eq!(
        code_of(
            &app.gql(&b, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": entry }))
                .await
        ),
        "NOT_FOUND"
    );
    // In org B's context, org A's balance cannot be reserved against.
    let (a_id, b_id) = (Uuid::parse_str(&org_a).unwrap(), Uuid::parse_str(&org_b).unwrap());
    let job = job_row(&app, b_id).await;
    let tx = org_tx(&app, b_id).await;
    let r = ledger::reserve(&tx, a_id, job, 10, Actor::default()).await;
    assert!(r.is_err(), "reserved against another org's balance");
    tx.rollback().await.unwrap();
    assert_eq!(balance(&app, &a).await, json!({ "available": 70, "reserved": 0 }));
    assert_ledgers_reconcile(&app).await;
}

#[tokio::test]
async fn generation_cost_is_what_generate_reserves() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("price@example.com", "prices").await;
    app.grant(&org, 1000).await;
    let input = json!({ "name": "Priced", "brief": brief(), "locales": ["en", "de"], "platforms": ["X", "TIKTOK", "LINKEDIN"] });
    let id = fixtures::campaign(&app, &owner, input).await;
    let q = "query($i: GenerateCampaignInput!) { generationCost(input: $i) }";
    // 2 locales x 3 angles = 6 angles, 18 copies, 6 image sets (24)
    assert_eq!(
        data_of(&app.gql(&owner, q, json!({ "i": { "campaignId": id } })).await)["generationCost"],
        48
    );
    assert_eq!(
        data_of(
            &app.gql(&owner, q, json!({ "i": { "campaignId": id, "includeImages": false } }))
                .await
        )["generationCost"],
        24
    );
    assert_eq!(
        data_of(
            &app.gql(&owner, q, json!({ "i": { "campaignId": id, "anglesPerLocale": 10 } }))
                .await
        )["generationCost"],
        160
    );
    for bad in [0, 11] {
        assert_eq!(
            code_of(
                &app.gql(&owner, q, json!({ "i": { "campaignId": id, "anglesPerLocale": bad } }))
                    .await
            ),
            "BAD_USER_INPUT"
        );
    }
    let (_, body) = fixtures::generate(&app, &owner, &id, json!({})).await;
    assert_eq!(data_of(&body)["generateCampaign"]["job"]["creditsReserved"], 48);
    assert_eq!(balance(&app, &owner).await, json!({ "available": 952, "reserved": 48 }));
    assert_ledgers_reconcile(&app).await;
}
