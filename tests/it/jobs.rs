//! Generation jobs end to end: workers, steps, progress, credits, the step
//! cache, regeneration, cancellation and retries.

use crate::credits::assert_ledgers_reconcile;
use crate::helpers::fixtures::{self, brief};
use crate::helpers::llm::FakeLlm;
use crate::helpers::ws::{Next, WsClient};
use crate::helpers::{Caller, TestApp, code_of, data_of, spawn_app_with};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub const JOB: &str = "query($id: ID!) { job(id: $id) { id kind status progress currentStep attempts error creditsReserved creditsCharged startedAt finishedAt } }";

/// Polls until the job is SUCCEEDED, FAILED or CANCELLED.
pub async fn wait_job(app: &TestApp, c: &Caller, job: &str, within: Duration) -> Value {
    let start = Instant::now();
    loop {
        let body = app.gql(c, JOB, json!({ "id": job })).await;
        let j = data_of(&body)["job"].clone();
        if matches!(j["status"].as_str(), Some("SUCCEEDED" | "FAILED" | "CANCELLED")) {
            return j;
        }
        assert!(
            start.elapsed() < within,
            "job still {} after {within:?}: {j}",
            j["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const COUNTS: &str = "query($id: ID!) { campaign(id: $id) { status angles(first: 100) { totalCount nodes { id locale status hashtags provenance { provider model promptVersion inputHash jobId }
  copies(first: 10) { totalCount nodes { id platform body characterCount status hashtags moderation { flagged reasons } } } } } } }";

fn campaign_with(locales: &[&str], platforms: &[&str]) -> Value {
    json!({ "name": "Generated", "brief": brief(), "locales": locales, "platforms": platforms })
}

async fn app_with_workers(extra: impl FnOnce(&mut std::collections::HashMap<String, String>)) -> TestApp {
    spawn_app_with(|s| {
        s.insert("WORKERS".into(), "2".into());
        extra(s);
    })
    .await
}

/// Starts the in-process workers the test app was configured with.
fn start_workers(app: &TestApp, n: usize) -> api::jobs::WorkerPool {
    api::jobs::WorkerPool::start(app.state(), n)
}

#[tokio::test]
async fn a_campaign_is_generated_with_live_progress_and_exact_credits() {
    let app = app_with_workers(|_| {}).await;
    let _workers = start_workers(&app, 2);
    let (org, owner) = app.org_with_owner("gen@example.com", "gen").await;
    app.grant(&org, 100).await;
    let id = fixtures::campaign(&app, &owner, campaign_with(&["en", "de"], &["X", "TIKTOK", "LINKEDIN"])).await;
    let mut ws = WsClient::open(&app.base, owner.token.as_deref().unwrap(), Some(&org)).await;
    let (job, body) = fixtures::generate(&app, &owner, &id, json!({ "includeImages": false })).await;
    assert_eq!(data_of(&body)["generateCampaign"]["campaign"]["status"], "GENERATING");
    assert_eq!(data_of(&body)["generateCampaign"]["job"]["creditsReserved"], 24);
    ws.subscribe(
        "p",
        "subscription($id: ID!) { jobProgress(jobId: $id) { seq type step progress } }",
        json!({ "id": job }),
    )
    .await;
    let (events, end) = ws.collect("p", Duration::from_secs(60)).await;
    assert!(matches!(end, Next::Msg(ref m) if m["type"] == "complete"), "{end:?}");
    let events: Vec<Value> = events.into_iter().map(|e| e["data"]["jobProgress"].clone()).collect();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "gap-free");
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types[..2], ["QUEUED", "STARTED"]);
    assert_eq!(*types.last().unwrap(), "SUCCEEDED");
    assert_eq!(
        types.iter().filter(|t| **t == "ARTIFACT").count(),
        6 + 18,
        "one per angle and copy"
    );
    let steps: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "STEP_STARTED")
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["CONTEXT", "ANGLES", "COPIES", "HASHTAGS", "MODERATION"]);
    let progress: Vec<f64> = events.iter().map(|e| e["progress"].as_f64().unwrap()).collect();
    assert!(
        progress.windows(2).all(|w| w[1] >= w[0] - 1e-6),
        "progress never goes back: {progress:?}"
    );
    assert!((progress.last().unwrap() - 1.0).abs() < 1e-6);

    let j = wait_job(&app, &owner, &job, Duration::from_secs(5)).await;
    assert_eq!(
        (
            j["creditsReserved"].as_i64(),
            j["creditsCharged"].as_i64(),
            j["attempts"].as_i64()
        ),
        (Some(24), Some(24), Some(1))
    );
    let c = app.gql(&owner, COUNTS, json!({ "id": id })).await;
    let c = &data_of(&c)["campaign"];
    assert_eq!(c["status"], "REVIEWING");
    assert_eq!(c["angles"]["totalCount"], 6);
    for a in c["angles"]["nodes"].as_array().unwrap() {
        assert_eq!(a["status"], "SUGGESTED");
        assert_eq!(a["provenance"]["provider"], "builtin");
        assert_eq!(a["provenance"]["jobId"], job.as_str());
        assert_eq!(a["copies"]["totalCount"], 3);
        for copy in a["copies"]["nodes"].as_array().unwrap() {
            let limit = match copy["platform"].as_str().unwrap() {
                "X" => 280,
                "TIKTOK" => 2200,
                _ => 3000,
            };
            let body = copy["body"].as_str().unwrap();
            assert!(body.chars().count() <= limit, "{body}");
            assert_eq!(copy["characterCount"].as_u64().unwrap() as usize, body.chars().count());
            assert_eq!(copy["status"], "SUGGESTED");
        }
    }
    let b = app
        .gql(&owner, "{ org { credits { available reserved } } }", json!({}))
        .await;
    assert_eq!(data_of(&b)["org"]["credits"], json!({ "available": 76, "reserved": 0 }));
    assert_ledgers_reconcile(&app).await;
}

/// Unchanged inputs: no provider call, no credits. A changed input re-runs
/// only what depends on it. Changes requested: only what is not accepted.
#[tokio::test]
async fn the_step_cache_skips_unchanged_work_and_regeneration_keeps_accepted_items() {
    let llm = FakeLlm::start().await;
    let app = app_with_workers(|s| llm.settings(s)).await;
    let _workers = start_workers(&app, 2);
    let (org, owner) = app.org_with_owner("cache@example.com", "cache").await;
    app.grant(&org, 1000).await;
    let id = fixtures::campaign(&app, &owner, campaign_with(&["en", "fr"], &["X", "LINKEDIN"])).await;
    let (job, _) = fixtures::generate(&app, &owner, &id, json!({ "includeImages": false })).await;
    let j = wait_job(&app, &owner, &job, Duration::from_secs(60)).await;
    assert_eq!(j["status"], "SUCCEEDED", "{j}");
    // 2 contexts, 2 angle lists, 6 angles x 2 platforms
    assert_eq!(llm.requests(), 2 + 2 + 12);
    assert_eq!(j["creditsCharged"], 6 + 12);
    let body = llm.script.bodies.lock().unwrap()[0].clone();
    assert_eq!(body["model"], "fake-model-1");

    // Again with nothing changed: served from the cache, nothing new, nothing charged.
    app.gql(
        &owner,
        "mutation($i: ReviewCampaignInput!) { requestChanges(input: $i) { campaign { status } } }",
        json!({ "i": { "campaignId": id, "note": "again" } }),
    )
    .await;
    let (job2, _) = fixtures::generate(&app, &owner, &id, json!({ "includeImages": false })).await;
    let j2 = wait_job(&app, &owner, &job2, Duration::from_secs(60)).await;
    assert_eq!(j2["status"], "SUCCEEDED", "{j2}");
    assert_eq!(llm.requests(), 16, "no provider call for unchanged inputs");
    assert_eq!(j2["creditsCharged"], 0);
    let c = app.gql(&owner, COUNTS, json!({ "id": id })).await;
    assert_eq!(data_of(&c)["campaign"]["angles"]["totalCount"], 6);

    // Accept one angle per locale and one copy; change the platforms.
    let c = data_of(&c)["campaign"].clone();
    for locale in ["en", "fr"] {
        let a = c["angles"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["locale"] == locale)
            .unwrap();
        app.gql(
            &owner,
            "mutation($i: ReviewSuggestionInput!) { reviewSuggestion(input: $i) { angle { id } } }",
            json!({ "i": { "id": a["id"], "accept": true } }),
        )
        .await;
    }
    app.gql(
        &owner,
        "mutation($i: ReviewCampaignInput!) { requestChanges(input: $i) { campaign { status } } }",
        json!({ "i": { "campaignId": id, "note": "more" } }),
    )
    .await;
    app.gql(
        &owner,
        "mutation($i: UpdateCampaignInput!) { updateCampaign(input: $i) { campaign { id } } }",
        json!({ "i": { "campaignId": id, "platforms": ["X", "LINKEDIN", "FACEBOOK"] } }),
    )
    .await;
    let before = llm.requests();
    let cost = app
        .gql(
            &owner,
            "query($i: GenerateCampaignInput!) { generationCost(input: $i) }",
            json!({ "i": { "campaignId": id, "includeImages": false } }),
        )
        .await;
    // 2 new angles per locale (4) + 3 angles x 3 platforms per locale (18)
    assert_eq!(data_of(&cost)["generationCost"], 22);
    let (job3, _) = fixtures::generate(&app, &owner, &id, json!({ "includeImages": false })).await;
    let j3 = wait_job(&app, &owner, &job3, Duration::from_secs(60)).await;
    assert_eq!(j3["status"], "SUCCEEDED", "{j3}");
    // new: 2 angle lists (n = 2), copies for 4 new angles x 3 platforms, Facebook copies for the 2 accepted ones
    assert_eq!(llm.requests() - before, 2 + 12 + 2);
    assert_eq!(j3["creditsCharged"], 4 + 12 + 2);
    assert_eq!(j3["creditsReserved"], 22);
    let c = app.gql(&owner, COUNTS, json!({ "id": id })).await;
    let angles = data_of(&c)["campaign"]["angles"]["nodes"].as_array().unwrap().clone();
    assert_eq!(angles.len(), 10, "6 earlier suggestions kept, 4 new");
    assert_eq!(
        angles.iter().filter(|a| a["status"] == "ACCEPTED").count(),
        2,
        "accepted angles untouched"
    );
    assert_ledgers_reconcile(&app).await;
}

#[tokio::test]
async fn regenerating_an_angle_or_a_copy_adds_a_suggestion_and_charges_what_it_makes() {
    let app = app_with_workers(|_| {}).await;
    let _workers = start_workers(&app, 1);
    let (org, owner) = app.org_with_owner("regen@example.com", "regen").await;
    app.grant(&org, 100).await;
    let id = fixtures::campaign(&app, &owner, campaign_with(&["es"], &["INSTAGRAM", "X"])).await;
    let (job, _) = fixtures::generate(
        &app,
        &owner,
        &id,
        json!({ "includeImages": false, "anglesPerLocale": 2 }),
    )
    .await;
    assert_eq!(
        wait_job(&app, &owner, &job, Duration::from_secs(60)).await["status"],
        "SUCCEEDED"
    );
    let c = app.gql(&owner, COUNTS, json!({ "id": id })).await;
    let angle = data_of(&c)["campaign"]["angles"]["nodes"][0].clone();
    let copy = angle["copies"]["nodes"][0].clone();
    app.gql(
        &owner,
        "mutation($i: ReviewSuggestionInput!) { reviewSuggestion(input: $i) { copy { id } } }",
        json!({ "i": { "id": copy["id"], "accept": true } }),
    )
    .await;

    let body = app
        .gql(
            &owner,
            "mutation($i: RegenerateCopyInput!) { regenerateCopy(input: $i) { job { id kind creditsReserved } } }",
            json!({ "i": { "copyId": copy["id"], "instructions": "more playful" } }),
        )
        .await;
    let rj = data_of(&body)["regenerateCopy"]["job"].clone();
    assert_eq!(
        (rj["kind"].as_str(), rj["creditsReserved"].as_i64()),
        (Some("REGENERATE_COPY"), Some(1))
    );
    let done = wait_job(&app, &owner, rj["id"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(
        (done["status"].as_str(), done["creditsCharged"].as_i64()),
        (Some("SUCCEEDED"), Some(1)),
        "{done}"
    );

    let body = app
        .gql(
            &owner,
            "mutation($i: RegenerateAngleInput!) { regenerateAngle(input: $i) { job { id creditsReserved } } }",
            json!({ "i": { "angleId": angle["id"] } }),
        )
        .await;
    let aj = data_of(&body)["regenerateAngle"]["job"].clone();
    assert_eq!(aj["creditsReserved"], 3, "an angle and its two copies");
    let done = wait_job(&app, &owner, aj["id"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(
        (done["status"].as_str(), done["creditsCharged"].as_i64()),
        (Some("SUCCEEDED"), Some(3)),
        "{done}"
    );

    let c = app.gql(&owner, COUNTS, json!({ "id": id })).await;
    let angles = data_of(&c)["campaign"]["angles"]["nodes"].as_array().unwrap().clone();
    assert_eq!(
        angles.len(),
        3,
        "the regenerated angle is a new suggestion beside the old"
    );
    let first = angles.iter().find(|a| a["id"] == angle["id"]).unwrap();
    let copies = first["copies"]["nodes"].as_array().unwrap();
    assert_eq!(copies.len(), 3, "the regenerated copy joins the original");
    let kept = copies.iter().find(|c| c["id"] == copy["id"]).unwrap();
    assert_eq!(kept["status"], "ACCEPTED");
    assert_eq!(kept["body"], copy["body"], "an accepted copy is never overwritten");
    assert_ledgers_reconcile(&app).await;
}

#[tokio::test]
async fn a_cancelled_job_stops_and_releases_what_it_did_not_spend() {
    let llm = FakeLlm::start().await;
    llm.script.delay_ms.store(150, Ordering::SeqCst);
    let app = app_with_workers(|s| llm.settings(s)).await;
    let _workers = start_workers(&app, 1);
    let (org, owner) = app.org_with_owner("stop@example.com", "stop").await;
    app.grant(&org, 100).await;
    let id = fixtures::campaign(
        &app,
        &owner,
        campaign_with(&["en"], &["X", "LINKEDIN", "TIKTOK", "FACEBOOK", "INSTAGRAM"]),
    )
    .await;
    let (job, _) = fixtures::generate(
        &app,
        &owner,
        &id,
        json!({ "includeImages": false, "anglesPerLocale": 5 }),
    )
    .await;
    // wait for the first produced copy, then cancel
    let start = Instant::now();
    loop {
        let j = data_of(&app.gql(&owner, JOB, json!({ "id": job })).await)["job"].clone();
        if j["creditsCharged"].as_i64().unwrap_or(0) > 5 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{j}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = app
        .gql(
            &owner,
            "mutation($i: CancelJobInput!) { cancelJob(input: $i) { job { status } } }",
            json!({ "i": { "jobId": job } }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let j = wait_job(&app, &owner, &job, Duration::from_secs(30)).await;
    assert_eq!(j["status"], "CANCELLED");
    let charged = j["creditsCharged"].as_i64().unwrap();
    assert!(charged > 5 && charged < 30, "stopped part-way: {charged}");
    let b = app
        .gql(
            &owner,
            "{ org { credits { available reserved } } campaign: campaigns { nodes { status } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data_of(&b)["org"]["credits"],
        json!({ "available": 100 - charged, "reserved": 0 })
    );
    let events = app
        .gql(
            &owner,
            "query($id: ID!) { job(id: $id) { events { type } } }",
            json!({ "id": job }),
        )
        .await;
    let last = data_of(&events)["job"]["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["type"], "CANCELLED");
    assert_eq!(
        code_of(
            &app.gql(
                &owner,
                "mutation($i: CancelJobInput!) { cancelJob(input: $i) { job { status } } }",
                json!({ "i": { "jobId": job } })
            )
            .await
        ),
        "CONFLICT"
    );
    assert_ledgers_reconcile(&app).await;
}

#[tokio::test]
async fn a_failing_job_is_retried_three_times_then_failed_with_its_error() {
    let llm = FakeLlm::start().await;
    llm.script.fail_status.store(503, Ordering::SeqCst);
    let app = app_with_workers(|s| llm.settings(s)).await;
    let _workers = start_workers(&app, 1);
    let (org, owner) = app.org_with_owner("fail@example.com", "fail").await;
    app.grant(&org, 100).await;
    let id = fixtures::campaign(&app, &owner, campaign_with(&["en"], &["X"])).await;
    let (job, _) = fixtures::generate(&app, &owner, &id, json!({ "includeImages": false })).await;
    let j = wait_job(&app, &owner, &job, Duration::from_secs(60)).await;
    assert_eq!(j["status"], "FAILED", "{j}");
    assert_eq!(j["attempts"], 3);
    assert!(j["error"].as_str().unwrap().contains("unavailable"), "{j}");
    assert!(!j["error"].as_str().unwrap().contains("sk-test-secret-key"));
    let events = app
        .gql(
            &owner,
            "query($id: ID!) { job(id: $id) { events { type } } }",
            json!({ "id": job }),
        )
        .await;
    let types: Vec<String> = data_of(&events)["job"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types.iter().filter(|t| *t == "RETRYING").count(), 2, "{types:?}");
    assert_eq!(types.last().unwrap(), "FAILED");
    let c = app
        .gql(
            &owner,
            "query($id: ID!) { campaign(id: $id) { status } org { credits { available reserved } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data_of(&c)["campaign"]["status"], "FAILED");
    assert_eq!(
        data_of(&c)["org"]["credits"],
        json!({ "available": 100, "reserved": 0 })
    );
    // FAILED -> GENERATING: a retry from the client works once the provider is back
    llm.script.fail_status.store(0, Ordering::SeqCst);
    let (again, _) = fixtures::generate(&app, &owner, &id, json!({ "includeImages": false })).await;
    assert_eq!(
        wait_job(&app, &owner, &again, Duration::from_secs(60)).await["status"],
        "SUCCEEDED"
    );
    assert_ledgers_reconcile(&app).await;
}
