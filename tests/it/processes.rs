//! Across processes: a worker killed mid-job, a worker drained by SIGTERM,
//! events across API instances through Redis, and the graphql-ws client.

use crate::credits::assert_ledgers_reconcile;
use crate::helpers::fixtures::{self, brief};
use crate::helpers::llm::FakeLlm;
use crate::helpers::process::Proc;
use crate::helpers::ws::{Next, WsClient};
use crate::helpers::{Caller, TestApp, data_of, spawn_app_with};
use crate::jobs::{JOB, wait_job};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

async fn wait_charged(app: &TestApp, c: &Caller, job: &str, at_least: i64) {
    let start = Instant::now();
    loop {
        let j = data_of(&app.gql(c, JOB, json!({ "id": job })).await)["job"].clone();
        if j["creditsCharged"].as_i64().unwrap_or(0) >= at_least {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no progress: {j}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn counts(app: &TestApp, c: &Caller, campaign: &str) -> (i64, i64) {
    let body = app.gql(c, "query($id: ID!) { campaign(id: $id) { angles(first: 100) { totalCount nodes { copies { totalCount } } } } }", json!({ "id": campaign })).await;
    let a = &data_of(&body)["campaign"]["angles"];
    let copies = a["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["copies"]["totalCount"].as_i64().unwrap())
        .sum();
    (a["totalCount"].as_i64().unwrap(), copies)
}

fn five_platforms() -> Value {
    json!({ "name": "Across", "brief": brief(), "locales": ["en"], "platforms": ["X", "LINKEDIN", "TIKTOK", "FACEBOOK", "INSTAGRAM"] })
}

/// A worker killed with SIGKILL mid-job: the lease expires, another worker
/// re-claims the job and finishes it, with nothing duplicated or charged twice.
#[tokio::test]
async fn sigkill_mid_job_is_recovered_without_duplicates() {
    let llm = FakeLlm::start().await;
    llm.script.delay_ms.store(120, Ordering::SeqCst);
    let app = spawn_app_with(|s| llm.settings(s)).await;
    let (org, owner) = app.org_with_owner("kill@example.com", "kill").await;
    app.grant(&org, 100).await;
    let id = fixtures::campaign(&app, &owner, five_platforms()).await;
    let mut first = Proc::start(&app, "worker", &[("WORKERS", "1"), ("JOB_LEASE_SECONDS", "2")]);
    let (job, _) = fixtures::generate(&app, &owner, &id, json!({ "includeImages": false })).await;
    wait_charged(&app, &owner, &job, 5).await;
    first.signal("KILL");
    assert!(first.wait(Duration::from_secs(5)).await.is_some());
    let _second = Proc::start(&app, "worker", &[("WORKERS", "1"), ("JOB_LEASE_SECONDS", "2")]);
    let j = wait_job(&app, &owner, &job, Duration::from_secs(90)).await;
    assert_eq!(j["status"], "SUCCEEDED", "{j}");
    assert_eq!(j["attempts"], 2);
    assert_eq!(j["creditsCharged"], 3 + 15, "each unit charged once");
    assert_eq!(counts(&app, &owner, &id).await, (3, 15), "nothing duplicated");
    let events = app
        .gql(
            &owner,
            "query($id: ID!) { job(id: $id) { events { seq type message } } }",
            json!({ "id": job }),
        )
        .await;
    let events = data_of(&events)["job"]["events"].as_array().unwrap().clone();
    assert!(events.iter().any(|e| e["type"] == "RETRYING"), "{events:?}");
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    assert_ledgers_reconcile(&app).await;
}

/// SIGTERM: the worker stops at the next step boundary and hands the job
/// back (the attempt does not count); another worker finishes it.
#[tokio::test]
async fn sigterm_drains_the_worker_and_hands_the_job_back() {
    let llm = FakeLlm::start().await;
    llm.script.delay_ms.store(100, Ordering::SeqCst);
    let app = spawn_app_with(|s| llm.settings(s)).await;
    let (org, owner) = app.org_with_owner("term@example.com", "term").await;
    app.grant(&org, 100).await;
    let id = fixtures::campaign(&app, &owner, five_platforms()).await;
    let mut first = Proc::start(&app, "worker", &[("WORKERS", "1")]);
    let (job, _) = fixtures::generate(&app, &owner, &id, json!({ "includeImages": false })).await;
    wait_charged(&app, &owner, &job, 2).await;
    first.signal("TERM");
    let exited = first.wait(Duration::from_secs(30)).await;
    assert!(
        exited.is_some_and(|s| s.success()),
        "the worker exits cleanly within the grace period: {exited:?}"
    );
    let j = data_of(&app.gql(&owner, JOB, json!({ "id": job })).await)["job"].clone();
    assert_ne!(j["status"], "SUCCEEDED", "stopped part-way");
    let _second = Proc::start(&app, "worker", &[("WORKERS", "1")]);
    let j = wait_job(&app, &owner, &job, Duration::from_secs(90)).await;
    assert_eq!(j["status"], "SUCCEEDED", "{j}");
    assert_eq!(j["attempts"], 1, "a drained attempt is not counted");
    assert_eq!(counts(&app, &owner, &id).await, (3, 15));
    assert_eq!(j["creditsCharged"], 18);
    assert_ledgers_reconcile(&app).await;
}

/// Two API instances and a worker on one Postgres and Redis: a client on
/// instance 1 follows a job queued on instance 2 and run by the worker.
/// Instance 1 runs on two lanes, instance 2 on the one shared runtime
/// (`SERVER_THREADS=0`), so both ways of serving are driven end to end.
#[tokio::test]
async fn multi_instance_events_cross_processes_through_redis() {
    let redis = std::env::var("TEST_REDIS_URL").expect("TEST_REDIS_URL (scripts/test.sh sets it)");
    let app = spawn_app_with(|_| {}).await;
    let (org, owner) = app.org_with_owner("multi@example.com", "multi").await;
    app.grant(&org, 100).await;
    let id = fixtures::campaign(&app, &owner, five_platforms()).await;
    let one = Proc::start(
        &app,
        "serve",
        &[("REDIS_URL", &redis), ("WORKERS", "0"), ("SERVER_THREADS", "2")],
    );
    let two = Proc::start(
        &app,
        "serve",
        &[("REDIS_URL", &redis), ("WORKERS", "0"), ("SERVER_THREADS", "0")],
    );
    one.ready().await;
    two.ready().await;
    let token = owner.token.clone().unwrap();
    let mut ws = WsClient::open(one.base.as_deref().unwrap(), &token, Some(&org)).await;
    ws.subscribe(
        "c",
        "subscription($id: ID!) { campaignUpdated(campaignId: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // queue the job through instance 2
    let http = reqwest::Client::new();
    let q = "mutation($i: GenerateCampaignInput!) { generateCampaign(input: $i) { job { id } } }";
    let body: Value = owner
        .post(&http, &format!("{}/graphql", two.base.as_deref().unwrap()))
        .json(&json!({ "query": q, "variables": { "i": { "campaignId": id, "includeImages": false } } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = data_of(&body)["generateCampaign"]["job"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ws.subscribe(
        "p",
        "subscription($id: ID!) { jobProgress(jobId: $id) { seq type } }",
        json!({ "id": job }),
    )
    .await;
    let _worker = Proc::start(&app, "worker", &[("REDIS_URL", &redis), ("WORKERS", "1")]);
    let mut seqs = Vec::new();
    let mut statuses = Vec::new();
    let start = Instant::now();
    loop {
        assert!(start.elapsed() < Duration::from_secs(60), "events: {seqs:?}");
        match ws.next(Duration::from_secs(30)).await {
            Next::Msg(m) if m["id"] == "p" && m["type"] == "next" => {
                seqs.push(m["payload"]["data"]["jobProgress"]["seq"].as_i64().unwrap())
            }
            Next::Msg(m) if m["id"] == "p" && m["type"] == "complete" => break,
            Next::Msg(m) if m["id"] == "c" && m["type"] == "next" => statuses.push(
                m["payload"]["data"]["campaignUpdated"]["status"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ),
            Next::Msg(m) => panic!("unexpected {m}"),
            other => panic!("{other:?} after {seqs:?}"),
        }
    }
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "every event once, in order"
    );
    assert!(seqs.len() > 20);
    // the last campaign update may trail the job's terminal event
    let deadline = Instant::now() + Duration::from_secs(5);
    while !statuses.iter().any(|s| s == "REVIEWING") && Instant::now() < deadline {
        if let Next::Msg(m) = ws.next(Duration::from_secs(1)).await
            && m["id"] == "c"
        {
            statuses.push(
                m["payload"]["data"]["campaignUpdated"]["status"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            );
        }
    }
    assert!(
        statuses.iter().any(|s| s == "GENERATING") && statuses.iter().any(|s| s == "REVIEWING"),
        "{statuses:?}"
    );
}

/// The graphql-ws npm client follows a job from start to the terminal event.
#[tokio::test]
async fn the_graphql_ws_client_follows_a_job_to_the_end() {
    let llm = FakeLlm::start().await;
    llm.script.delay_ms.store(30, Ordering::SeqCst);
    let app = spawn_app_with(|s| llm.settings(s)).await;
    let _workers = api::jobs::WorkerPool::start(app.state(), 1);
    let (org, owner) = app.org_with_owner("client@example.com", "client").await;
    app.grant(&org, 100).await;
    let id = fixtures::campaign(&app, &owner, five_platforms()).await;
    let (job, _) = fixtures::generate(&app, &owner, &id, json!({ "includeImages": false })).await;
    let url = format!("{}/graphql/ws", app.base.replacen("http", "ws", 1));
    let token = owner.token.clone().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        crate::conformance::node("graphql-ws-client.mjs", &[&url, &token, &org, &job])
    })
    .await
    .unwrap()
    .expect("node and tests/js/node_modules (scripts/test.sh installs them)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(*lines.last().unwrap(), "complete");
    let events: Vec<Value> = lines[..lines.len() - 1]
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["data"]["jobProgress"].clone())
        .collect();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    assert_eq!(events.last().unwrap()["type"], "SUCCEEDED");
}
