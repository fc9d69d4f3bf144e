//! The HTTP surface: methods, content types, cost limits, error hygiene,
//! ops endpoints, and the pool under interleaved tenants and cancellations.

use crate::helpers::app::metric;
use crate::helpers::{Caller, code_of, data_of, spawn_app, spawn_app_with};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn get_never_runs_a_mutation() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("get@example.com", "get-org").await;
    let q = "mutation { updateBrandKit(input: { voice: \"via GET\" }) { brandKit { voice } } }";
    let resp = app
        .http
        .get(format!("{}/graphql", app.base))
        .query(&[("query", q)])
        .bearer_auth(owner.token.clone().unwrap())
        .header("X-Org-Id", owner.org.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    let kit = app.gql(&owner, "{ org { brandKit { voice } } }", json!({})).await;
    assert!(data_of(&kit)["org"]["brandKit"]["voice"].is_null());
    // queries work over GET
    let resp = app
        .http
        .get(format!("{}/graphql", app.base))
        .query(&[("query", "{ __typename }")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["data"]["__typename"],
        "Query"
    );
}

#[tokio::test]
async fn a_cross_site_text_plain_post_is_refused() {
    let app = spawn_app().await;
    for ct in ["text/plain", "application/x-www-form-urlencoded"] {
        let resp = app
            .http
            .post(format!("{}/graphql", app.base))
            .header("content-type", ct)
            .body(r#"{"query":"{ __typename }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 415, "{ct}");
    }
    let resp = app
        .http
        .post(format!("{}/graphql", app.base))
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415, "no content type");
}

#[tokio::test]
async fn batches_are_refused() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(format!("{}/graphql", app.base))
        .json(&json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(code_of(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn a_fragment_bomb_is_rejected_before_validation() {
    let app = spawn_app().await;
    // ~650 bytes: 9 levels, each fragment spreading the next 7 times
    // (7^9 = 40 million fields once expanded).
    let mut q = String::from("query { ...F0 }");
    for i in 0..9 {
        let next = format!(" ...F{}", i + 1);
        q.push_str(&format!(" fragment F{i} on Query {{{}}}", next.repeat(7)));
    }
    q.push_str(" fragment F9 on Query { __typename }");
    assert!(q.len() < 800, "{} bytes", q.len());
    let started = Instant::now();
    let body = app.gql(&Caller::anonymous(), &q, json!({})).await;
    let took = started.elapsed();
    assert_eq!(code_of(&body), "QUERY_TOO_COMPLEX", "{body}");
    // Unchecked, async-graphql's validation takes seconds on this document.
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[tokio::test]
async fn too_many_aliases_and_too_deep_queries_are_refused() {
    let app = spawn_app().await;
    let aliases: Vec<String> = (0..2000).map(|i| format!("a{i}: __typename")).collect();
    let body = app
        .gql(&Caller::anonymous(), &format!("{{ {} }}", aliases.join(" ")), json!({}))
        .await;
    assert_eq!(code_of(&body), "QUERY_TOO_COMPLEX", "{body}");
    let mut deep = String::from("org { id }");
    for _ in 0..8 {
        deep = format!("org {{ members {{ nodes {{ {deep} }} }} }}");
    }
    let deep = format!("{{ viewer {{ memberships {{ {deep} }} }} }}");
    let body = app.gql(&app.user("deep@example.com"), &deep, json!({})).await;
    assert_eq!(code_of(&body), "QUERY_TOO_COMPLEX", "{body}");
}

#[tokio::test]
async fn errors_do_not_leak_the_schema_or_internals() {
    let app = spawn_app().await;
    let body = app.gql(&Caller::anonymous(), "{ nod { id } }", json!({})).await;
    assert_eq!(code_of(&body), "BAD_USER_INPUT");
    assert!(!body.to_string().contains("Did you mean"), "{body}");
    let body = app
        .gql(&Caller::anonymous(), "{ viewer { user { id } } }", json!({}))
        .await;
    assert_eq!(code_of(&body), "UNAUTHENTICATED");
    // every error carries a code
    let body = app
        .gql(
            &Caller::anonymous(),
            "query { __typename } query Two { __typename }",
            json!({}),
        )
        .await;
    assert!(!code_of(&body).is_empty(), "{body}");
}

#[tokio::test]
async fn responses_carry_a_request_id_and_ops_endpoints_answer() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    let id = resp
        .headers()
        .get("x-request-id")
        .expect("x-request-id")
        .to_str()
        .unwrap()
        .to_string();
    assert!(!id.is_empty());
    let resp = app
        .http
        .post(format!("{}/graphql", app.base))
        .header("x-request-id", "trace-123")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "trace-123");
    assert_eq!(
        app.http
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.http
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("graphql_requests_total{operation=\"anonymous\",outcome=\"OK\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("graphql_request_duration_seconds_bucket"));
    assert!(metrics.contains("db_pool_connections{state=\"max\"} 8"));
    // GraphiQL in development
    let html = app
        .http
        .get(format!("{}/graphql", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("graphiql"), "GraphiQL page expected");
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let app = spawn_app_with(|s| {
        s.insert("INTROSPECTION".into(), "false".into());
    })
    .await;
    let body = app
        .gql(&Caller::anonymous(), "{ __schema { types { name } } }", json!({}))
        .await;
    assert!(body["data"]["__schema"].is_null(), "{body}");
}

#[tokio::test]
async fn graphql_response_json_is_used_when_asked() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(format!("{}/graphql", app.base))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ __typename" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );
}

/// Requests of two orgs interleaved over a pool of two connections: no
/// request ever sees the other org's rows.
#[tokio::test]
async fn pooled_connections_never_leak_a_tenant() {
    let app = spawn_app_with(|s| {
        s.insert("DB_POOL_SIZE".into(), "2".into());
    })
    .await;
    let (org_a, a) = app.org_with_owner("pool-a@example.com", "pool-a").await;
    let (org_b, b) = app.org_with_owner("pool-b@example.com", "pool-b").await;
    for (c, voice) in [(&a, "voice-of-a"), (&b, "voice-of-b")] {
        app.gql(
            c,
            "mutation($v: String) { updateBrandKit(input: { voice: $v }) { brandKit { voice } } }",
            json!({ "v": voice }),
        )
        .await;
    }
    let q = "{ org { id brandKit { voice } } auditLog { nodes { targetId } } }";
    // 200 requests, 20 in flight at a time over the 2 connections.
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(20));
    let mut tasks = Vec::new();
    for i in 0..200 {
        let gate = gate.clone();
        let (caller, org, voice, other) = if i % 2 == 0 {
            (a.clone(), org_a.clone(), "voice-of-a", org_b.clone())
        } else {
            (b.clone(), org_b.clone(), "voice-of-b", org_a.clone())
        };
        let http = app.http.clone();
        let url = format!("{}/graphql", app.base);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let body: serde_json::Value = caller
                .post(&http, &url)
                .json(&json!({ "query": q }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(body["data"]["org"]["id"], org.as_str(), "{body}");
            assert_eq!(body["data"]["org"]["brandKit"]["voice"], voice);
            assert!(!body.to_string().contains(&other), "saw the other org: {body}");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Many requests dropped mid-flight: afterwards no pooled connection is left
/// idle inside a transaction, and the pool still serves.
#[tokio::test]
async fn cancelled_requests_leave_no_connection_in_a_transaction() {
    let app = spawn_app_with(|s| {
        s.insert("DB_POOL_SIZE".into(), "3".into());
    })
    .await;
    let (_, owner) = app.org_with_owner("cancel@example.com", "cancel-org").await;
    let mut tasks = Vec::new();
    for i in 0..150 {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_micros(500 + (i % 20) * 500))
            .build()
            .unwrap();
        let caller = owner.clone();
        let url = format!("{}/graphql", app.base);
        tasks.push(tokio::spawn(async move {
            let _ = caller
                .post(&http, &url)
                .json(
                    &json!({ "query": "mutation { updateBrandKit(input: { voice: \"x\" }) { brandKit { voice } } }" }),
                )
                .send()
                .await;
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut c = app.db.owner_conn().await;
    let stuck: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'campaign-studio'
            AND state LIKE 'idle in transaction%'",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(stuck, 0, "connections left idle in a transaction");
    let body = app
        .gql(
            &owner,
            "mutation { updateBrandKit(input: { voice: \"after\" }) { brandKit { voice } } }",
            json!({}),
        )
        .await;
    assert_eq!(data_of(&body)["updateBrandKit"]["brandKit"]["voice"], "after");
}

/// The pool does not ping connections before use; when the database
/// closes them (a restart, an administrator), requests still succeed on
/// fresh ones instead of failing once per dead connection.
#[tokio::test]
async fn connections_the_database_closed_are_replaced_unseen() {
    let app = spawn_app_with(|s| {
        s.insert("DB_POOL_SIZE".into(), "4".into());
    })
    .await;
    let (org, owner) = app.org_with_owner("terminated@example.com", "terminated").await;
    let q = "{ org { id } campaigns { totalCount } }";
    // Fill the pool with idle connections.
    let warm: Vec<_> = (0..8).map(|_| app.gql(&owner, q, json!({}))).collect();
    for body in futures_util::future::join_all(warm).await {
        assert_eq!(data_of(&body)["org"]["id"], org.as_str());
    }
    for round in 0..2 {
        let mut c = app.db.app_conn().await;
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'campaign-studio'",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        assert!(
            !killed.is_empty() && killed.iter().all(|k| *k),
            "round {round}: {killed:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        for _ in 0..6 {
            let body = app.gql(&owner, q, json!({})).await;
            assert_eq!(data_of(&body)["org"]["id"], org.as_str(), "round {round}: {body}");
        }
    }
}

#[tokio::test]
async fn cors_admits_only_the_configured_origins() {
    let app = spawn_app_with(|s| {
        s.insert("CORS_ALLOWED_ORIGINS".into(), "https://studio.example.com".into());
    })
    .await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type,x-org-id")
            .send()
    };
    let ok = preflight("https://studio.example.com").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://studio.example.com"
    );
    assert!(
        ok.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("x-org-id")
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

/// With two lanes (runtimes), connections are dealt to them in turn, and
/// tenancy holds on each: an org reads its campaign on every connection,
/// another org gets NOT_FOUND for it. Once stopped, nothing listens.
#[tokio::test]
async fn lanes_share_the_connections_and_keep_tenants_apart() {
    let app = spawn_app_with(|s| {
        s.insert("SERVER_THREADS".into(), "2".into());
    })
    .await;
    let (_, a) = app.org_with_owner("lanes-a@example.com", "lanes-a").await;
    let (_, b) = app.org_with_owner("lanes-b@example.com", "lanes-b").await;
    let id = crate::helpers::fixtures::campaign(&app, &a, crate::helpers::fixtures::campaign_input("on lanes")).await;
    // A client that keeps no connection: every request is a new one.
    let fresh = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let per_lane = async || {
        let resp = fresh.get(format!("{}/metrics", app.base)).send().await.unwrap();
        let text = resp.text().await.unwrap();
        [0, 1].map(|lane| metric(&text, &format!("http_connections_total{{lane=\"{lane}\"}}")).unwrap_or(0))
    };
    let before = per_lane().await;
    let q = "query($id: ID!) { campaign(id: $id) { id name } }";
    for i in 0..12 {
        let caller = if i % 2 == 0 { &a } else { &b };
        let body = app.gql_on(&fresh, caller, q, json!({ "id": id })).await;
        if i % 2 == 0 {
            assert_eq!(data_of(&body)["campaign"]["name"], "on lanes", "{body}");
        } else {
            assert_eq!(code_of(&body), "NOT_FOUND", "{body}");
        }
    }
    let after = per_lane().await;
    let dealt = [after[0] - before[0], after[1] - before[1]];
    // 12 requests and the /metrics one: 13 connections, in turn.
    assert_eq!(dealt[0] + dealt[1], 13, "{dealt:?}");
    assert!(dealt[0].abs_diff(dealt[1]) <= 1, "dealt unevenly: {dealt:?}");

    let addr = app.addr;
    app.stop().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "something still listens after stop"
    );
}
