//! Campaigns: create/update/archive, the review flow, the state machine
//! through the API, roles, tenants, idempotency.

use crate::helpers::fixtures::{self, CREATE_CAMPAIGN, campaign_input};
use crate::helpers::{Caller, TestApp, code_of, data_of, spawn_app};
use serde_json::{Value, json};

const UPDATE: &str = "mutation($i: UpdateCampaignInput!) { updateCampaign(input: $i) { campaign { id name status locales platforms brief { product landingUrl } } } }";
const ARCHIVE: &str = "mutation($i: ArchiveCampaignInput!) { archiveCampaign(input: $i) { campaign { status } } }";
const APPROVE: &str = "mutation($i: ReviewCampaignInput!) { approveCampaign(input: $i) { campaign { status reviewNotes { decision note author { email } } } } }";
const CHANGES: &str = "mutation($i: ReviewCampaignInput!) { requestChanges(input: $i) { campaign { status reviewNotes { decision note } } } }";
const EXPORT: &str = "mutation($i: ExportCampaignInput!) { exportCampaign(input: $i) { job { id kind } } }";
const REVIEW: &str =
    "mutation($i: ReviewSuggestionInput!) { reviewSuggestion(input: $i) { angle { id status } copy { id status } } }";
const EDIT: &str = "mutation($i: EditCopyInput!) { editCopy(input: $i) { copy { id body version characterCount edited moderation { flagged reasons } } } }";
const GENERATE: &str = "mutation($i: GenerateCampaignInput!) { generateCampaign(input: $i) { job { id } } }";

async fn campaign_count(app: &TestApp, c: &Caller) -> i64 {
    data_of(&app.gql(c, "{ campaigns { totalCount } }", json!({})).await)["campaigns"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_campaign_is_created_as_draft_and_read_back() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("c@example.com", "camp").await;
    let input = json!({ "name": "Spring Launch", "brief": fixtures::brief(), "locales": ["en-us", "pt_br", "en-US"], "platforms": ["X", "X", "TIKTOK"] });
    let body = app.gql(&owner, CREATE_CAMPAIGN, json!({ "i": input })).await;
    let c = &data_of(&body)["createCampaign"]["campaign"];
    assert_eq!(c["status"], "DRAFT");
    assert_eq!(c["slug"], "spring-launch");
    let id = c["id"].as_str().unwrap();
    let body = app.gql(&owner, "query($id: ID!) { campaign(id: $id) { name locales platforms brief { product audience goal tone keyMessages callToAction landingUrl } createdAt updatedAt reviewNotes { note } angles { totalCount } } }", json!({ "id": id })).await;
    let c = &data_of(&body)["campaign"];
    assert_eq!(c["locales"], json!(["en-US", "pt-BR"]), "canonical and de-duplicated");
    assert_eq!(c["platforms"], json!(["X", "TIKTOK"]));
    assert_eq!(
        c["brief"]["keyMessages"],
        json!(["grip on wet rock", "light as a feather"])
    );
    assert_eq!(c["brief"]["landingUrl"], "https://example.com/spring");
    assert_eq!(c["angles"]["totalCount"], 0);
    let body = app
        .gql(
            &owner,
            "query($id: ID!) { node(id: $id) { id ... on Campaign { name } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data_of(&body)["node"]["name"], "Spring Launch");
}

#[tokio::test]
async fn invalid_campaign_input_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("v@example.com", "valid").await;
    let base = campaign_input("Valid");
    let with = |path: &[&str], v: Value| {
        let mut i = base.clone();
        let mut cur = &mut i;
        for p in &path[..path.len() - 1] {
            cur = &mut cur[*p];
        }
        cur[path[path.len() - 1]] = v;
        i
    };
    let eleven: Vec<String> = ["en", "de", "fr", "es", "pt", "it", "nl", "sv", "da", "fi", "pl"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cases = vec![
        (with(&["name"], json!("")), "name"),
        (with(&["name"], json!("x".repeat(10_000))), "name"),
        (with(&["locales"], json!([])), "locales"),
        (with(&["locales"], json!(eleven)), "locales"),
        (with(&["locales"], json!(["english"])), "locales"),
        (with(&["locales"], json!(["en-"])), "locales"),
        (with(&["platforms"], json!([])), "platforms"),
        (with(&["brief", "product"], json!("  ")), "brief.product"),
        (with(&["brief", "audience"], json!("a".repeat(600))), "brief.audience"),
        (
            with(&["brief", "landingUrl"], json!("javascript:alert(1)")),
            "brief.landingUrl",
        ),
        (with(&["brief", "landingUrl"], json!("not a url")), "brief.landingUrl"),
        (with(&["brief", "keyMessages"], json!(["ok", ""])), "brief.keyMessages"),
    ];
    for (input, field) in cases {
        let body = app.gql(&owner, CREATE_CAMPAIGN, json!({ "i": input })).await;
        assert_eq!(code_of(&body), "BAD_USER_INPUT", "{field}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let body = app
        .gql(
            &owner,
            CREATE_CAMPAIGN,
            json!({ "i": with(&["platforms"], json!(["MYSPACE"])) }),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    assert_eq!(campaign_count(&app, &owner).await, 0);
    let audit = app.gql(&owner, "{ auditLog { nodes { action } } }", json!({})).await;
    assert!(!audit.to_string().contains("campaign.create"));
}

#[tokio::test]
async fn update_changes_only_what_is_given() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("u@example.com", "upd").await;
    let id = fixtures::campaign(&app, &owner, campaign_input("Old")).await;
    let body = app
        .gql(
            &owner,
            UPDATE,
            json!({ "i": { "campaignId": id, "name": "New", "locales": ["de"] } }),
        )
        .await;
    let c = &data_of(&body)["updateCampaign"]["campaign"];
    assert_eq!(c["name"], "New");
    assert_eq!(c["locales"], json!(["de"]));
    assert_eq!(c["platforms"], json!(["INSTAGRAM", "X", "LINKEDIN"]));
    assert_eq!(c["brief"]["product"], "Trail running shoes");
    let body = app.gql(&owner, UPDATE, json!({ "i": { "campaignId": id, "brief": { "product": "Socks", "audience": "everyone", "landingUrl": "ftp://x" } } })).await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    let body = app
        .gql(
            &owner,
            "query($id: ID!) { campaign(id: $id) { brief { product } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data_of(&body)["campaign"]["brief"]["product"], "Trail running shoes");
}

/// Every status x every action a client can take: only the transitions of
/// the state machine succeed; the rest are CONFLICT and change nothing.
#[tokio::test]
async fn every_illegal_transition_is_a_conflict() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("sm@example.com", "state-machine").await;
    app.grant(&org, 100_000).await;
    let statuses = [
        "DRAFT",
        "GENERATING",
        "REVIEWING",
        "CHANGES_REQUESTED",
        "APPROVED",
        "EXPORTED",
        "FAILED",
        "ARCHIVED",
    ];
    let actions = [
        "update",
        "generate",
        "approve",
        "requestChanges",
        "export",
        "archive",
        "review",
    ];
    let legal = |status: &str, action: &str| -> Option<&'static str> {
        match (status, action) {
            ("DRAFT" | "REVIEWING" | "CHANGES_REQUESTED" | "FAILED", "update") => Some("same"),
            ("DRAFT" | "CHANGES_REQUESTED" | "FAILED", "generate") => Some("GENERATING"),
            ("REVIEWING", "approve") => Some("APPROVED"),
            ("REVIEWING", "requestChanges") => Some("CHANGES_REQUESTED"),
            ("APPROVED", "export") => Some("same"),
            ("REVIEWING" | "CHANGES_REQUESTED", "review") => Some("same"),
            (s, "archive") if s != "ARCHIVED" => Some("ARCHIVED"),
            _ => None,
        }
    };
    for status in statuses {
        for action in actions {
            let id = fixtures::campaign(&app, &owner, campaign_input(&format!("{status} {action}"))).await;
            fixtures::angles_and_copies(&app, &org, &id, 1, 1).await;
            fixtures::set_status(&app, &org, &id, status).await;
            let angle = data_of(
                &app.gql(
                    &owner,
                    "query($id: ID!) { campaign(id: $id) { angles { nodes { id } } } }",
                    json!({ "id": id }),
                )
                .await,
            )["campaign"]["angles"]["nodes"][0]["id"]
                .clone();
            let body = match action {
                "update" => {
                    app.gql(&owner, UPDATE, json!({ "i": { "campaignId": id, "name": "changed" } }))
                        .await
                }
                "generate" => app.gql(&owner, GENERATE, json!({ "i": { "campaignId": id } })).await,
                "approve" => app.gql(&owner, APPROVE, json!({ "i": { "campaignId": id } })).await,
                "requestChanges" => {
                    app.gql(&owner, CHANGES, json!({ "i": { "campaignId": id, "note": "more" } }))
                        .await
                }
                "export" => app.gql(&owner, EXPORT, json!({ "i": { "campaignId": id } })).await,
                "archive" => app.gql(&owner, ARCHIVE, json!({ "i": { "campaignId": id } })).await,
                _ => {
                    app.gql(&owner, REVIEW, json!({ "i": { "id": angle, "accept": true } }))
                        .await
                }
            };
            let after = data_of(
                &app.gql(
                    &owner,
                    "query($id: ID!) { campaign(id: $id) { status name } }",
                    json!({ "id": id }),
                )
                .await,
            )["campaign"]
                .clone();
            match legal(status, action) {
                Some(to) => {
                    assert!(body["errors"].is_null(), "{status} x {action} should work: {body}");
                    let want = if to == "same" { status } else { to };
                    assert_eq!(after["status"], want, "{status} x {action}");
                }
                None => {
                    assert_eq!(code_of(&body), "CONFLICT", "{status} x {action}: {body}");
                    assert_eq!(after["status"], status, "{status} x {action} changed the status");
                    assert_ne!(after["name"], "changed");
                }
            }
        }
    }
}

#[tokio::test]
async fn review_flow_accepts_rejects_edits_and_approves() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("r@example.com", "review").await;
    app.gql(
        &owner,
        "mutation { updateBrandKit(input: { bannedWords: [\"cheap\"] }) { brandKit { bannedWords } } }",
        json!({}),
    )
    .await;
    let id = fixtures::campaign(&app, &owner, campaign_input("Review me")).await;
    fixtures::angles_and_copies(&app, &org, &id, 2, 2).await;
    fixtures::set_status(&app, &org, &id, "REVIEWING").await;
    let q = "query($id: ID!) { campaign(id: $id) { angles { nodes { id status copies { nodes { id version status body } } } } } }";
    let c = app.gql(&owner, q, json!({ "id": id })).await;
    let angles = data_of(&c)["campaign"]["angles"]["nodes"].as_array().unwrap().clone();
    let (a0, a1) = (angles[0]["id"].clone(), angles[1]["id"].clone());
    let copy = angles[0]["copies"]["nodes"][0].clone();

    let body = app
        .gql(&owner, REVIEW, json!({ "i": { "id": a0, "accept": true } }))
        .await;
    assert_eq!(data_of(&body)["reviewSuggestion"]["angle"]["status"], "ACCEPTED");
    assert!(body["data"]["reviewSuggestion"]["copy"].is_null());
    assert_eq!(
        code_of(
            &app.gql(&owner, REVIEW, json!({ "i": { "id": a0, "accept": false } }))
                .await
        ),
        "CONFLICT"
    );
    let body = app
        .gql(&owner, REVIEW, json!({ "i": { "id": a1, "accept": false } }))
        .await;
    assert_eq!(data_of(&body)["reviewSuggestion"]["angle"]["status"], "REJECTED");
    let body = app
        .gql(&owner, REVIEW, json!({ "i": { "id": copy["id"], "accept": true } }))
        .await;
    assert_eq!(data_of(&body)["reviewSuggestion"]["copy"]["status"], "ACCEPTED");

    // editCopy: optimistic concurrency, version bump, moderation re-run
    let body = app
        .gql(
            &owner,
            EDIT,
            json!({ "i": { "copyId": copy["id"], "expectedVersion": 1, "body": "So cheap, ça va! 🚀" } }),
        )
        .await;
    let edited = &data_of(&body)["editCopy"]["copy"];
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["edited"], true);
    assert_eq!(edited["characterCount"], 18);
    assert_eq!(
        edited["moderation"],
        json!({ "flagged": true, "reasons": ["banned word: cheap"] })
    );
    let stale = app
        .gql(
            &owner,
            EDIT,
            json!({ "i": { "copyId": copy["id"], "expectedVersion": 1, "body": "lost update" } }),
        )
        .await;
    assert_eq!(code_of(&stale), "CONFLICT");
    let c = app
        .gql(
            &owner,
            "query($id: ID!) { node(id: $id) { ... on Copy { body version } } }",
            json!({ "id": copy["id"] }),
        )
        .await;
    assert_eq!(
        data_of(&c)["node"]["body"],
        "So cheap, ça va! 🚀",
        "a stale edit changes nothing"
    );
    let long = "word ".repeat(100);
    let x_copy = angles[0]["copies"]["nodes"][1]["id"].clone();
    let body = app
        .gql(
            &owner,
            EDIT,
            json!({ "i": { "copyId": x_copy, "expectedVersion": 1, "body": long } }),
        )
        .await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT", "over the X limit: {body}");

    // ADMIN approves with a note
    let body = app
        .gql(&owner, APPROVE, json!({ "i": { "campaignId": id, "note": "Ship it" } }))
        .await;
    let c = &data_of(&body)["approveCampaign"]["campaign"];
    assert_eq!(c["status"], "APPROVED");
    assert_eq!(
        c["reviewNotes"][0],
        json!({ "decision": "APPROVED", "note": "Ship it", "author": { "email": "r@example.com" } })
    );
}

#[tokio::test]
async fn role_matrix_for_campaign_mutations() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("own@example.com", "roles").await;
    let editor = app.member(&owner, "ed@example.com", "EDITOR").await;
    let viewer = app.member(&owner, "vi@example.com", "VIEWER").await;
    // VIEWER reads only
    assert_eq!(
        code_of(
            &app.gql(&viewer, CREATE_CAMPAIGN, json!({ "i": campaign_input("x") }))
                .await
        ),
        "FORBIDDEN"
    );
    let id = fixtures::campaign(&app, &editor, campaign_input("Editors can")).await;
    assert_eq!(campaign_count(&app, &viewer).await, 1);
    for (q, v) in [
        (UPDATE, json!({ "i": { "campaignId": id, "name": "v" } })),
        (ARCHIVE, json!({ "i": { "campaignId": id } })),
        (GENERATE, json!({ "i": { "campaignId": id } })),
    ] {
        assert_eq!(code_of(&app.gql(&viewer, q, v).await), "FORBIDDEN", "{q}");
    }
    fixtures::angles_and_copies(&app, &org, &id, 1, 1).await;
    fixtures::set_status(&app, &org, &id, "REVIEWING").await;
    // EDITOR reviews suggestions but cannot approve
    let angle = data_of(
        &app.gql(
            &editor,
            "query($id: ID!) { campaign(id: $id) { angles { nodes { id } } } }",
            json!({ "id": id }),
        )
        .await,
    )["campaign"]["angles"]["nodes"][0]["id"]
        .clone();
    assert_eq!(
        code_of(
            &app.gql(&viewer, REVIEW, json!({ "i": { "id": angle, "accept": true } }))
                .await
        ),
        "FORBIDDEN"
    );
    assert!(
        app.gql(&editor, REVIEW, json!({ "i": { "id": angle, "accept": true } }))
            .await["errors"]
            .is_null()
    );
    assert_eq!(
        code_of(&app.gql(&editor, APPROVE, json!({ "i": { "campaignId": id } })).await),
        "FORBIDDEN"
    );
    assert_eq!(
        code_of(
            &app.gql(&editor, CHANGES, json!({ "i": { "campaignId": id, "note": "n" } }))
                .await
        ),
        "FORBIDDEN"
    );
    let body = app
        .gql(
            &owner,
            CHANGES,
            json!({ "i": { "campaignId": id, "note": "Tighter copy" } }),
        )
        .await;
    assert_eq!(
        data_of(&body)["requestChanges"]["campaign"]["status"],
        "CHANGES_REQUESTED"
    );
    assert!(app.gql(&editor, ARCHIVE, json!({ "i": { "campaignId": id } })).await["errors"].is_null());
}

#[tokio::test]
async fn another_orgs_campaigns_angles_and_copies_are_not_found() {
    let app = spawn_app().await;
    let (org_a, a) = app.org_with_owner("a@camp.test", "camp-a").await;
    let (org_b, b) = app.org_with_owner("b@camp.test", "camp-b").await;
    app.grant(&org_b, 1000).await;
    let id = fixtures::campaign(&app, &a, campaign_input("Secret plan")).await;
    fixtures::angles_and_copies(&app, &org_a, &id, 1, 1).await;
    fixtures::set_status(&app, &org_a, &id, "REVIEWING").await;
    let c = app
        .gql(
            &a,
            "query($id: ID!) { campaign(id: $id) { angles { nodes { id copies { nodes { id } } } } } }",
            json!({ "id": id }),
        )
        .await;
    let angle = data_of(&c)["campaign"]["angles"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let copy = data_of(&c)["campaign"]["angles"]["nodes"][0]["copies"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (q, v) in [
        ("query($id: ID!) { campaign(id: $id) { id } }", json!({ "id": id })),
        ("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })),
        ("query($id: ID!) { node(id: $id) { id } }", json!({ "id": angle })),
        ("query($id: ID!) { node(id: $id) { id } }", json!({ "id": copy })),
        (UPDATE, json!({ "i": { "campaignId": id, "name": "pwned" } })),
        (ARCHIVE, json!({ "i": { "campaignId": id } })),
        (GENERATE, json!({ "i": { "campaignId": id } })),
        (APPROVE, json!({ "i": { "campaignId": id } })),
        (CHANGES, json!({ "i": { "campaignId": id, "note": "x" } })),
        (EXPORT, json!({ "i": { "campaignId": id } })),
        (REVIEW, json!({ "i": { "id": angle, "accept": true } })),
        (REVIEW, json!({ "i": { "id": copy, "accept": true } })),
        (
            EDIT,
            json!({ "i": { "copyId": copy, "expectedVersion": 1, "body": "pwned" } }),
        ),
        (
            "mutation($i: RegenerateCopyInput!) { regenerateCopy(input: $i) { job { id } } }",
            json!({ "i": { "copyId": copy } }),
        ),
        (
            "mutation($i: RegenerateAngleInput!) { regenerateAngle(input: $i) { job { id } } }",
            json!({ "i": { "angleId": angle } }),
        ),
        (
            "query($i: GenerateCampaignInput!) { generationCost(input: $i) }",
            json!({ "i": { "campaignId": id } }),
        ),
    ] {
        let body = app.gql(&b, q, v).await;
        assert_eq!(code_of(&body), "NOT_FOUND", "{q}: {body}");
    }
    let list = app
        .gql(&b, "{ campaigns { totalCount nodes { id } } }", json!({}))
        .await;
    assert_eq!(data_of(&list)["campaigns"]["totalCount"], 0);
    let c = app
        .gql(
            &a,
            "query($id: ID!) { campaign(id: $id) { name status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data_of(&c)["campaign"],
        json!({ "name": "Secret plan", "status": "REVIEWING" })
    );
}

async fn post_with_key(
    app: &TestApp,
    caller: &Caller,
    key: &str,
    body: &Value,
) -> (reqwest::StatusCode, Option<String>, Value) {
    let resp = caller
        .post(&app.http, &format!("{}/graphql", app.base))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let replayed = resp
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_string());
    (status, replayed, resp.json().await.unwrap())
}

#[tokio::test]
async fn idempotency_keys_replay_conflict_and_stay_in_their_org() {
    let app = spawn_app().await;
    let (_, a) = app.org_with_owner("idem-a@example.com", "idem-a").await;
    let (_, b) = app.org_with_owner("idem-b@example.com", "idem-b").await;
    let req = json!({ "query": CREATE_CAMPAIGN, "variables": { "i": campaign_input("Once") } });
    let (_, replayed, first) = post_with_key(&app, &a, "key-1", &req).await;
    assert!(replayed.is_none());
    let (_, replayed, second) = post_with_key(&app, &a, "key-1", &req).await;
    assert_eq!(replayed.as_deref(), Some("true"));
    assert_eq!(first, second, "the first response is replayed");
    assert_eq!(campaign_count(&app, &a).await, 1);
    let other = json!({ "query": CREATE_CAMPAIGN, "variables": { "i": campaign_input("Twice") } });
    let (_, _, body) = post_with_key(&app, &a, "key-1", &other).await;
    assert_eq!(code_of(&body), "CONFLICT");
    assert_eq!(campaign_count(&app, &a).await, 1);
    // org B's key space is its own
    let (_, replayed, body) = post_with_key(&app, &b, "key-1", &req).await;
    assert!(replayed.is_none());
    assert_ne!(
        body["data"]["createCampaign"]["campaign"]["id"],
        first["data"]["createCampaign"]["campaign"]["id"]
    );
    assert_eq!(campaign_count(&app, &b).await, 1);
    // a failed mutation does not burn the key
    let bad = json!({ "query": CREATE_CAMPAIGN, "variables": { "i": campaign_input("") } });
    let (_, _, body) = post_with_key(&app, &a, "key-2", &bad).await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    let fixed = json!({ "query": CREATE_CAMPAIGN, "variables": { "i": campaign_input("Fixed") } });
    let (_, _, body) = post_with_key(&app, &a, "key-2", &fixed).await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn concurrent_duplicates_with_one_key_write_once() {
    let app = spawn_app().await;
    let (_, a) = app.org_with_owner("race@example.com", "idem-race").await;
    let req = json!({ "query": CREATE_CAMPAIGN, "variables": { "i": campaign_input("Raced") } });
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (http, caller, url, req) = (
            app.http.clone(),
            a.clone(),
            format!("{}/graphql", app.base),
            req.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let resp = caller
                .post(&http, &url)
                .header("Idempotency-Key", "same-key")
                .json(&req)
                .send()
                .await
                .unwrap();
            resp.json::<Value>().await.unwrap()
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let body = t.await.unwrap();
        ids.insert(
            body["data"]["createCampaign"]["campaign"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{body}"))
                .to_string(),
        );
    }
    assert_eq!(ids.len(), 1, "every duplicate got the first response");
    assert_eq!(campaign_count(&app, &a).await, 1);
}

#[tokio::test]
async fn state_changes_are_audited() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("aud@example.com", "aud-camp").await;
    let id = fixtures::campaign(&app, &owner, campaign_input("Audited")).await;
    app.gql(
        &owner,
        UPDATE,
        json!({ "i": { "campaignId": id, "name": "Audited 2" } }),
    )
    .await;
    fixtures::angles_and_copies(&app, &org, &id, 1, 1).await;
    fixtures::set_status(&app, &org, &id, "REVIEWING").await;
    app.gql(&owner, APPROVE, json!({ "i": { "campaignId": id } })).await;
    app.gql(&owner, ARCHIVE, json!({ "i": { "campaignId": id } })).await;
    let body = app
        .gql(
            &owner,
            "{ auditLog(first: 5) { nodes { action targetType targetId metadata } } }",
            json!({}),
        )
        .await;
    let nodes = data_of(&body)["auditLog"]["nodes"].as_array().unwrap().clone();
    let actions: Vec<&str> = nodes.iter().map(|n| n["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions[..4],
        [
            "campaign.archive",
            "campaign.approve",
            "campaign.update",
            "campaign.create"
        ]
    );
    assert_eq!(nodes[0]["metadata"], json!({ "from": "APPROVED", "to": "ARCHIVED" }));
    assert!(
        nodes
            .iter()
            .take(4)
            .all(|n| n["targetId"] == id.as_str() && n["targetType"] == "Campaign")
    );
}
