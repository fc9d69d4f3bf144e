//! Subscriptions over WebSocket: the protocol's rules, authentication,
//! replay without gaps, tenant isolation, revocation.

use crate::helpers::fixtures::{self, campaign_input};
use crate::helpers::ws::{Next, WsClient};
use crate::helpers::{Caller, code_of, data_of, spawn_app, spawn_app_with};
use serde_json::json;
use std::time::Duration;

const PROGRESS: &str = "subscription($id: ID!, $after: Int) { jobProgress(jobId: $id, afterSeq: $after) { jobId seq type step progress message at } }";
const SECS: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_socket_that_never_initialises_is_closed_with_4408() {
    let app = spawn_app().await;
    let mut c = WsClient::connect(&app.base, "graphql-transport-ws").await;
    assert_eq!(c.next(Duration::from_secs(13)).await, Next::Closed(4408));
}

#[tokio::test]
async fn bad_or_missing_credentials_close_with_4403() {
    let app = spawn_app().await;
    let (org, _) = app.org_with_owner("ws@example.com", "ws-org").await;
    let outsider = app.token("outsider@example.com");
    for payload in [
        json!({}),
        json!({ "Authorization": "Bearer not-a-token" }),
        json!({ "authorization": format!("Bearer {outsider}"), "x-org-id": org }),
    ] {
        let mut c = WsClient::connect(&app.base, "graphql-transport-ws").await;
        c.send(json!({ "type": "connection_init", "payload": payload })).await;
        assert_eq!(c.next(SECS).await, Next::Closed(4403), "{payload}");
    }
    // keys are matched case-insensitively
    let ok = app.token("ws@example.com");
    let mut c = WsClient::connect(&app.base, "graphql-transport-ws").await;
    c.send(
        json!({ "type": "connection_init", "payload": { "AUTHORIZATION": format!("Bearer {ok}"), "X-ORG-ID": org } }),
    )
    .await;
    assert!(matches!(c.next(SECS).await, Next::Msg(m) if m["type"] == "connection_ack"));
}

#[tokio::test]
async fn protocol_violations_close_with_the_codes_of_the_spec() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("proto@example.com", "proto").await;
    let token = owner.token.clone().unwrap();
    // subscribe before connection_init: 4401
    let mut c = WsClient::connect(&app.base, "graphql-transport-ws").await;
    c.subscribe("1", "subscription { leadCaptured { id } }", json!({}))
        .await;
    assert_eq!(c.next(SECS).await, Next::Closed(4401));
    // a second connection_init: 4429
    let mut c = WsClient::open(&app.base, &token, Some(&org)).await;
    c.send(json!({ "type": "connection_init", "payload": {} })).await;
    assert_eq!(c.next(SECS).await, Next::Closed(4429));
    // a reused subscription id: 4409
    let mut c = WsClient::open(&app.base, &token, Some(&org)).await;
    c.subscribe("same", "subscription { leadCaptured { id } }", json!({}))
        .await;
    c.subscribe("same", "subscription { leadCaptured { id } }", json!({}))
        .await;
    assert_eq!(c.next(SECS).await, Next::Closed(4409));
    // an oversized message closes the socket
    let mut c = WsClient::open(&app.base, &token, Some(&org)).await;
    c.subscribe(
        "big",
        &format!("subscription {{ leadCaptured {{ id }} }} # {}", "x".repeat(100_000)),
        json!({}),
    )
    .await;
    assert!(matches!(c.next(SECS).await, Next::Closed(_)));
    // ping/pong
    let mut c = WsClient::open(&app.base, &token, Some(&org)).await;
    c.send(json!({ "type": "ping" })).await;
    assert!(matches!(c.next(SECS).await, Next::Msg(m) if m["type"] == "pong"));
}

#[tokio::test]
async fn subscriptions_are_refused_over_plain_http() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("http-sub@example.com", "http-sub").await;
    let body = app.gql(&owner, "subscription { leadCaptured { id } }", json!({})).await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT", "{body}");
    let resp = owner
        .post(&app.http, &format!("{}/graphql", app.base))
        .header("accept", "multipart/mixed")
        .json(&json!({ "query": "subscription { leadCaptured { id } }" }))
        .send()
        .await
        .unwrap();
    // An event stream over HTTP is not offered at all.
    assert_eq!(resp.status(), 406);
}

/// QUEUED, then CANCELLED: the stream replays, goes live, completes.
#[tokio::test]
async fn job_progress_replays_then_streams_then_completes() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("jobs@example.com", "jobs-ws").await;
    app.grant(&org, 1000).await;
    let campaign = fixtures::campaign(&app, &owner, campaign_input("Live")).await;
    let (job, body) = fixtures::generate(&app, &owner, &campaign, json!({})).await;
    assert!(!job.is_empty(), "{body}");
    let mut ws = WsClient::open(&app.base, owner.token.as_deref().unwrap(), Some(&org)).await;
    ws.subscribe("p", PROGRESS, json!({ "id": job })).await;
    match ws.next_for("p", SECS).await {
        Next::Msg(m) => {
            assert_eq!(m["type"], "next", "{m}");
            assert_eq!(m["payload"]["data"]["jobProgress"]["seq"], 1);
            assert_eq!(m["payload"]["data"]["jobProgress"]["type"], "QUEUED");
        }
        other => panic!("{other:?}"),
    }
    let body = app
        .gql(
            &owner,
            "mutation($i: CancelJobInput!) { cancelJob(input: $i) { job { status creditsReserved creditsCharged } } }",
            json!({ "i": { "jobId": job } }),
        )
        .await;
    assert_eq!(data_of(&body)["cancelJob"]["job"]["status"], "CANCELLED");
    let (items, end) = ws.collect("p", SECS).await;
    assert!(matches!(end, Next::Msg(ref m) if m["type"] == "complete"), "{end:?}");
    let seqs: Vec<i64> = items
        .iter()
        .map(|i| i["data"]["jobProgress"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![2]);
    assert_eq!(items[0]["data"]["jobProgress"]["type"], "CANCELLED");
    // Afterwards: the whole history, and afterSeq skips what was seen.
    let mut ws = WsClient::open(&app.base, owner.token.as_deref().unwrap(), Some(&org)).await;
    ws.subscribe("all", PROGRESS, json!({ "id": job })).await;
    let (items, _) = ws.collect("all", SECS).await;
    assert_eq!(items.len(), 2);
    ws.subscribe("tail", PROGRESS, json!({ "id": job, "after": 1 })).await;
    let (items, _) = ws.collect("tail", SECS).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["data"]["jobProgress"]["type"], "CANCELLED");
    // credits: all of the reservation came back
    let body = app
        .gql(&owner, "{ org { credits { available reserved } } }", json!({}))
        .await;
    assert_eq!(
        data_of(&body)["org"]["credits"],
        json!({ "available": 1000, "reserved": 0 })
    );
}

/// Events written while a client subscribes: it sees exactly 1..n.
#[tokio::test]
async fn a_late_subscriber_sees_every_event_once_in_order() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("gap@example.com", "gapless").await;
    app.grant(&org, 1000).await;
    let campaign = fixtures::campaign(&app, &owner, campaign_input("Gapless")).await;
    let (job, _) = fixtures::generate(&app, &owner, &campaign, json!({})).await;
    let (org_id, job_id) = (
        uuid::Uuid::parse_str(&org).unwrap(),
        uuid::Uuid::parse_str(&job).unwrap(),
    );
    let state = app.state().clone();
    let writer = tokio::spawn(async move {
        for i in 0..150 {
            let (tx, _) = api::db::Tx::begin(&state.pool, &api::db::Enter::Org { org_id })
                .await
                .unwrap();
            let kind = if i == 149 { "SUCCEEDED" } else { "STEP_PROGRESS" };
            let msg = api::jobs::events::append(
                &tx,
                org_id,
                job_id,
                api::jobs::events::NewEvent {
                    r#type: kind,
                    progress: Some(i as f32 / 150.0),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            state.events.publish(vec![api::events::Event::Job(msg)]).await;
            if i % 10 == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    let mut ws = WsClient::open(&app.base, owner.token.as_deref().unwrap(), Some(&org)).await;
    ws.subscribe("p", PROGRESS, json!({ "id": job })).await;
    let (items, end) = ws.collect("p", Duration::from_secs(10)).await;
    writer.await.unwrap();
    assert!(matches!(end, Next::Msg(ref m) if m["type"] == "complete"), "{end:?}");
    let seqs: Vec<i64> = items
        .iter()
        .map(|i| i["data"]["jobProgress"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (1..=151).collect::<Vec<i64>>(),
        "QUEUED plus 150 events, each once, in order"
    );
}

#[tokio::test]
async fn another_orgs_job_or_campaign_is_not_found_and_its_events_never_arrive() {
    let app = spawn_app().await;
    let (org_a, a) = app.org_with_owner("a@ws.test", "ws-a").await;
    let (org_b, b) = app.org_with_owner("b@ws.test", "ws-b").await;
    app.grant(&org_a, 100).await;
    let campaign_a = fixtures::campaign(&app, &a, campaign_input("A's")).await;
    let (job_a, _) = fixtures::generate(&app, &a, &campaign_a, json!({ "includeImages": false })).await;
    let mut ws_b = WsClient::open(&app.base, b.token.as_deref().unwrap(), Some(&org_b)).await;
    ws_b.subscribe("job", PROGRESS, json!({ "id": job_a })).await;
    match ws_b.next_for("job", SECS).await {
        Next::Msg(m) => {
            assert_eq!(m["type"], "error", "{m}");
            assert_eq!(m["payload"][0]["extensions"]["code"], "NOT_FOUND");
        }
        other => panic!("{other:?}"),
    }
    ws_b.subscribe(
        "camp",
        "subscription($id: ID!) { campaignUpdated(campaignId: $id) { id } }",
        json!({ "id": campaign_a }),
    )
    .await;
    match ws_b.next_for("camp", SECS).await {
        Next::Msg(m) => assert_eq!(m["payload"][0]["extensions"]["code"], "NOT_FOUND", "{m}"),
        other => panic!("{other:?}"),
    }
    // B listens to its own leads; A's activity never shows up on B's socket.
    ws_b.subscribe("leads", "subscription { leadCaptured { id } }", json!({}))
        .await;
    let mut ws_a = WsClient::open(&app.base, a.token.as_deref().unwrap(), Some(&org_a)).await;
    ws_a.subscribe(
        "camp",
        "subscription($id: ID!) { campaignUpdated(campaignId: $id) { id name status } }",
        json!({ "id": campaign_a }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.gql(
        &a,
        "mutation($i: CancelJobInput!) { cancelJob(input: $i) { job { id } } }",
        json!({ "i": { "jobId": job_a } }),
    )
    .await;
    match ws_a.next_for("camp", SECS).await {
        Next::Msg(m) => assert_eq!(m["payload"]["data"]["campaignUpdated"]["status"], "FAILED", "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ws_b.next(Duration::from_millis(800)).await,
        Next::Timeout,
        "org B's socket must stay silent"
    );
}

#[tokio::test]
async fn campaign_updated_streams_changes() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("cu@example.com", "cu-org").await;
    let campaign = fixtures::campaign(&app, &owner, campaign_input("Before")).await;
    let mut ws = WsClient::open(&app.base, owner.token.as_deref().unwrap(), Some(&org)).await;
    ws.subscribe(
        "c",
        "subscription($id: ID!) { campaignUpdated(campaignId: $id) { id name status angles { totalCount } } }",
        json!({ "id": campaign }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.gql(
        &owner,
        "mutation($i: UpdateCampaignInput!) { updateCampaign(input: $i) { campaign { id } } }",
        json!({ "i": { "campaignId": campaign, "name": "After" } }),
    )
    .await;
    match ws.next_for("c", SECS).await {
        Next::Msg(m) => {
            assert_eq!(m["payload"]["data"]["campaignUpdated"]["name"], "After", "{m}");
            assert_eq!(m["payload"]["data"]["campaignUpdated"]["angles"]["totalCount"], 0);
        }
        other => panic!("{other:?}"),
    }
    // stop: no more messages for it
    ws.send(json!({ "type": "complete", "id": "c" })).await;
    app.gql(
        &owner,
        "mutation($i: UpdateCampaignInput!) { updateCampaign(input: $i) { campaign { id } } }",
        json!({ "i": { "campaignId": campaign, "name": "Again" } }),
    )
    .await;
    assert_eq!(ws.next(Duration::from_millis(500)).await, Next::Timeout);
}

/// Revoked keys, removed members and expired tokens lose their sockets.
#[tokio::test]
async fn revoked_credentials_close_the_socket_with_4403() {
    let app = spawn_app_with(|s| {
        s.insert("WS_RECHECK_SECONDS".into(), "1".into());
    })
    .await;
    let (org, owner) = app.org_with_owner("rev@example.com", "revoke").await;
    let (key, key_id) = app.api_key(&owner, "VIEWER").await;
    let mut by_key = WsClient::open(&app.base, key.token.as_deref().unwrap(), None).await;
    by_key
        .subscribe("l", "subscription { leadCaptured { id } }", json!({}))
        .await;
    let member = app.member(&owner, "member@example.com", "VIEWER").await;
    let mut by_member = WsClient::open(&app.base, member.token.as_deref().unwrap(), Some(&org)).await;
    let short = {
        let mut c = app.jwt.dev_claims("rev@example.com", false, 2);
        c.exp = chrono::Utc::now().timestamp() + 2;
        app.jwt.sign(&c).unwrap()
    };
    let mut expiring = WsClient::open(&app.base, &short, Some(&org)).await;

    app.gql(
        &owner,
        "mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { id } } }",
        json!({ "i": { "apiKeyId": key_id } }),
    )
    .await;
    assert_eq!(by_key.next(SECS).await, Next::Closed(4403));
    let mid = app.membership_id(&owner, "member@example.com").await;
    app.gql(
        &owner,
        "mutation($i: RemoveMemberInput!) { removeMember(input: $i) { removedMembershipId } }",
        json!({ "i": { "membershipId": mid } }),
    )
    .await;
    assert_eq!(by_member.next(SECS).await, Next::Closed(4403));
    assert_eq!(expiring.next(SECS).await, Next::Closed(4403));
    let _ = Caller::anonymous();
}

#[tokio::test]
async fn the_legacy_graphql_ws_protocol_works_too() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("legacy@example.com", "legacy").await;
    let campaign = fixtures::campaign(&app, &owner, campaign_input("Old school")).await;
    let mut c = WsClient::connect(&app.base, "graphql-ws").await;
    c.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", owner.token.clone().unwrap()), "X-Org-Id": org } })).await;
    assert!(matches!(c.next(SECS).await, Next::Msg(m) if m["type"] == "connection_ack"));
    assert!(matches!(c.next(SECS).await, Next::Msg(m) if m["type"] == "ka"));
    c.send(json!({ "type": "start", "id": "1", "payload": { "query": "subscription($id: ID!) { campaignUpdated(campaignId: $id) { name } }", "variables": { "id": campaign } } })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.gql(
        &owner,
        "mutation($i: UpdateCampaignInput!) { updateCampaign(input: $i) { campaign { id } } }",
        json!({ "i": { "campaignId": campaign, "name": "New school" } }),
    )
    .await;
    match c.next(SECS).await {
        Next::Msg(m) => {
            assert_eq!(m["type"], "data", "{m}");
            assert_eq!(m["payload"]["data"]["campaignUpdated"]["name"], "New school");
        }
        other => panic!("{other:?}"),
    }
}

/// A subscriber that stops reading holds up nobody: another subscriber and
/// the publisher go on, and the slow one, once it reads again, still gets
/// every event exactly once (caught up from the stored events if it fell
/// behind the live buffer).
#[tokio::test]
async fn a_slow_subscriber_never_blocks_others() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("slow@example.com", "slow-sub").await;
    app.grant(&org, 1000).await;
    let campaign = fixtures::campaign(&app, &owner, campaign_input("Slow")).await;
    let (job, _) = fixtures::generate(&app, &owner, &campaign, json!({})).await;
    let token = owner.token.clone().unwrap();
    let mut slow = WsClient::open(&app.base, &token, Some(&org)).await;
    slow.subscribe("s", PROGRESS, json!({ "id": job })).await;
    let mut fast = WsClient::open(&app.base, &token, Some(&org)).await;
    fast.subscribe("f", PROGRESS, json!({ "id": job })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (org_id, job_id) = (
        uuid::Uuid::parse_str(&org).unwrap(),
        uuid::Uuid::parse_str(&job).unwrap(),
    );
    let state = app.state().clone();
    let total = 6000;
    let publisher = tokio::spawn(async move {
        let started = std::time::Instant::now();
        for batch in 0..(total / 500) {
            let (tx, _) = api::db::Tx::begin(&state.pool, &api::db::Enter::Org { org_id })
                .await
                .unwrap();
            let mut events = Vec::new();
            for i in 0..500 {
                let last = batch * 500 + i == total - 1;
                let kind = if last { "SUCCEEDED" } else { "STEP_PROGRESS" };
                let e = api::jobs::events::NewEvent {
                    r#type: kind,
                    message: Some("x".repeat(100)),
                    ..Default::default()
                };
                events.push(api::events::Event::Job(
                    api::jobs::events::append(&tx, org_id, job_id, e).await.unwrap(),
                ));
            }
            tx.commit().await.unwrap();
            state.events.publish(events).await;
        }
        started.elapsed()
    });
    // the fast one reads everything while the slow one reads nothing
    let (items, end) = fast.collect("f", Duration::from_secs(30)).await;
    assert!(matches!(end, Next::Msg(ref m) if m["type"] == "complete"), "{end:?}");
    assert_eq!(items.len(), total + 1);
    let publish_time = publisher.await.unwrap();
    assert!(
        publish_time < Duration::from_secs(30),
        "the publisher was held up: {publish_time:?}"
    );
    let (items, end) = slow.collect("s", Duration::from_secs(30)).await;
    assert!(matches!(end, Next::Msg(ref m) if m["type"] == "complete"), "{end:?}");
    let seqs: Vec<i64> = items
        .iter()
        .map(|i| i["data"]["jobProgress"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (1..=(total as i64 + 1)).collect::<Vec<_>>(),
        "every event once, in order"
    );
}

#[tokio::test]
async fn lead_captured_reaches_the_leads_org_only() {
    let app = spawn_app().await;
    let (org_a, a) = app.org_with_owner("la@ws.test", "leads-a").await;
    let (org_b, b) = app.org_with_owner("lb@ws.test", "leads-b").await;
    let mut ws_a = WsClient::open(&app.base, a.token.as_deref().unwrap(), Some(&org_a)).await;
    ws_a.subscribe(
        "l",
        "subscription { leadCaptured { id name email score campaign { id } } }",
        json!({}),
    )
    .await;
    let mut ws_b = WsClient::open(&app.base, b.token.as_deref().unwrap(), Some(&org_b)).await;
    ws_b.subscribe("l", "subscription { leadCaptured { id } }", json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let body = app
        .gql(
            &a,
            "mutation($i: CreateLeadInput!) { createLead(input: $i) { lead { id } } }",
            json!({ "i": { "name": "Ada", "email": "ada@example.com" } }),
        )
        .await;
    let lead = data_of(&body)["createLead"]["lead"]["id"].clone();
    match ws_a.next_for("l", SECS).await {
        Next::Msg(m) => {
            assert_eq!(m["payload"]["data"]["leadCaptured"]["id"], lead, "{m}");
            assert_eq!(m["payload"]["data"]["leadCaptured"]["email"], "ada@example.com");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ws_b.next(Duration::from_millis(800)).await,
        Next::Timeout,
        "org B hears nothing of org A's leads"
    );
}
