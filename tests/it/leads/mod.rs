//! Leads: the signed webhook, the lead mutations, scoring, attribution,
//! rollups and tenancy, through the real server and database.

mod graphql;
mod scoring;
mod webhook;

use crate::helpers::db::enter_org;
use crate::helpers::{Caller, TestApp, data_of};
use serde_json::{Value, json};

/// A lead source as its creator saw it.
pub struct Source {
    pub id: String,
    pub secret: String,
    pub url: String,
}

pub async fn create_source(app: &TestApp, admin: &Caller, name: &str) -> Source {
    let body = app
        .gql(
            admin,
            "mutation($i: CreateLeadSourceInput!) { createLeadSource(input: $i) { leadSource { id ingestUrl } signingSecret } }",
            json!({ "i": { "name": name } }),
        )
        .await;
    let p = &data_of(&body)["createLeadSource"];
    Source {
        id: p["leadSource"]["id"].as_str().unwrap().to_string(),
        secret: p["signingSecret"].as_str().unwrap().to_string(),
        url: p["leadSource"]["ingestUrl"].as_str().unwrap().to_string(),
    }
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    api::leads::signature::sign(secret.as_bytes(), timestamp, body)
}

/// POSTs `body` to `url` with exactly these headers.
pub async fn post_raw(app: &TestApp, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> reqwest::Response {
    let mut rb = app.http.post(url).header("content-type", "application/json");
    for (k, v) in headers {
        rb = rb.header(*k, v);
    }
    rb.body(body).send().await.expect("webhook request")
}

/// A correctly signed delivery of `body` to the source.
pub async fn deliver(app: &TestApp, source: &Source, body: &Value) -> reqwest::Response {
    let bytes = serde_json::to_vec(body).unwrap();
    let ts = now();
    let sig = sign(&source.secret, ts, &bytes);
    post_raw(
        app,
        &source.url,
        &[("x-timestamp", ts.to_string()), ("x-signature", sig)],
        bytes,
    )
    .await
}

/// Delivers and expects success; returns (leadId, created).
pub async fn deliver_ok(app: &TestApp, source: &Source, body: &Value) -> (String, bool) {
    let resp = deliver(app, source, body).await;
    let status = resp.status().as_u16();
    let json: Value = resp.json().await.unwrap();
    assert!(status == 200 || status == 201, "delivery failed: {status} {json}");
    let created = json["created"].as_bool().unwrap();
    assert_eq!(status == 201, created, "{json}");
    (json["leadId"].as_str().unwrap().to_string(), created)
}

/// `SELECT count(*) FROM {table}` as the app role inside `org` (RLS on).
pub async fn count(app: &TestApp, org: &str, table: &str) -> i64 {
    let mut c = app.db.app_conn().await;
    let mut tx = enter_org(&mut c, org).await;
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    n
}

pub const LEAD_FIELDS: &str =
    "id externalId name email phone stage score tags attributes campaign { id } source { id }";

pub async fn lead(app: &TestApp, caller: &Caller, id: &str) -> Value {
    let body = app
        .gql(
            caller,
            &format!("query($id: ID!) {{ lead(id: $id) {{ {LEAD_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await;
    data_of(&body)["lead"].clone()
}

pub async fn create_campaign(app: &TestApp, editor: &Caller, name: &str) -> String {
    let body = app
        .gql(
            editor,
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { id } } }",
            json!({ "i": { "name": name, "brief": { "product": "Shoes", "audience": "Runners" }, "locales": ["en"], "platforms": ["X"] } }),
        )
        .await;
    data_of(&body)["createCampaign"]["campaign"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub async fn create_rule(app: &TestApp, admin: &Caller, rule: Value) -> Value {
    app.gql(
        admin,
        "mutation($i: CreateLeadScoringRuleInput!) { createLeadScoringRule(input: $i) { rule { id name field op value scoreDelta tag } } }",
        json!({ "i": rule }),
    )
    .await
}

pub async fn update_lead(app: &TestApp, caller: &Caller, input: Value) -> Value {
    app.gql(
        caller,
        &format!("mutation($i: UpdateLeadInput!) {{ updateLead(input: $i) {{ lead {{ {LEAD_FIELDS} }} }} }}"),
        json!({ "i": input }),
    )
    .await
}

pub async fn create_lead(app: &TestApp, caller: &Caller, input: Value) -> Value {
    app.gql(
        caller,
        &format!("mutation($i: CreateLeadInput!) {{ createLead(input: $i) {{ lead {{ {LEAD_FIELDS} }} }} }}"),
        json!({ "i": input }),
    )
    .await
}
