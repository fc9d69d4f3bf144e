//! Plain single-object lookups are answered before the executor, in one
//! round trip (`api::graphql::lookup`); the resolvers stay the reference.
//! A document is planned once it has passed full validation, so its first
//! request is always resolved and the next ones are looked up: each case
//! here sends a fresh text twice and compares the two bodies byte for byte.

use crate::helpers::direct::{Answer, fresh, post_counted};
use crate::helpers::fixtures;
use crate::helpers::{Caller, TestApp, code_of, data_of, spawn_app};
use serde_json::{Value, json};

const Q1: &str = "query Q1($id: ID!) {
  campaign(id: $id) {
    id name status createdAt
    brief { product audience goal tone keyMessages callToAction landingUrl }
  }
}";

const EVERY_FIELD: &str = "
fragment Dates on Campaign { createdAt updatedAt }
query Every($id: ID!) {
  c: campaign(id: $id) {
    __typename ...Dates id name slug status locales platforms
    ... on Campaign { n: name brief { __typename tone } }
    ... { slug }
    brief { product audience goal keyMessages callToAction landingUrl }
    b2: brief { landingUrl }
  }
}";

async fn post(app: &TestApp, c: &Caller, query: &str, vars: &Value) -> Answer {
    post_counted(app, c, query, vars, &[], "graphql_direct_lookups_total").await
}

/// Sends a fresh copy of `query` twice: resolved, then looked up. Returns
/// the (identical) body.
async fn both(app: &TestApp, c: &Caller, query: &str, vars: Value) -> Value {
    serde_json::from_str(&both_raw(app, c, query, vars).await).unwrap()
}

async fn both_raw(app: &TestApp, c: &Caller, query: &str, vars: Value) -> String {
    let q = fresh(query);
    let resolved = post(app, c, &q, &vars).await;
    assert!(!resolved.direct, "a document's first request is resolved");
    let looked_up = post(app, c, &q, &vars).await;
    assert!(looked_up.direct, "then it is looked up: {}", looked_up.body);
    assert_eq!(looked_up.body, resolved.body, "byte for byte, vars {vars}");
    assert_eq!(
        looked_up.statements, 1,
        "BEGIN, the tenant, the read and COMMIT in one round trip"
    );
    assert!(resolved.statements >= 2, "{}", resolved.statements);
    looked_up.body
}

/// Sends `query` (already validated) and expects the resolvers' error.
async fn refused(app: &TestApp, c: &Caller, query: &str, vars: Value, code: &str) -> Value {
    let a = post(app, c, query, &vars).await;
    assert!(!a.direct, "{vars}: {}", a.body);
    let body: Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(code_of(&body), code, "{vars}: {body}");
    assert!(body["data"].is_null() || body["data"]["campaign"].is_null(), "{body}");
    body
}

#[tokio::test]
async fn lookups_answer_what_the_resolvers_answer() {
    let app = spawn_app().await;
    let (org, o) = app.org_with_owner("lookup@example.com", "lookup").await;
    let full = fixtures::campaign(&app, &o, fixtures::campaign_input("Spring \"launch\" — ünïcødé 🎉")).await;
    // Optional brief fields left out, one locale, other platforms.
    let sparse = fixtures::campaign(
        &app,
        &o,
        json!({
            "name": "Sparse\\one\n",
            "brief": { "product": "Tea", "audience": "night owls" },
            "locales": ["de", "fr"],
            "platforms": ["LINKEDIN"]
        }),
    )
    .await;
    fixtures::set_status(&app, &org, &sparse, "APPROVED").await;

    for id in [&full, &sparse] {
        let q1 = both(&app, &o, Q1, json!({ "id": id })).await;
        assert_eq!(data_of(&q1)["campaign"]["id"], *id.as_str());
        let raw = both_raw(&app, &o, EVERY_FIELD, json!({ "id": id })).await;
        let every: Value = serde_json::from_str(&raw).unwrap();
        let c = &data_of(&every)["c"];
        assert_eq!(c["__typename"], "Campaign");
        assert_eq!(c["brief"]["__typename"], "Brief");
        assert_eq!(c["n"], c["name"]);
        // Merged keys keep the place of their first selection (checked in
        // the body as sent: serde_json's map sorts keys).
        let keys = [
            "__typename",
            "createdAt",
            "updatedAt",
            "id",
            "name",
            "slug",
            "status",
            "locales",
            "platforms",
            "n",
            "brief",
            "b2",
        ];
        let at: Vec<usize> = keys
            .iter()
            .map(|k| raw.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("{k} in {raw}")))
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{raw}");
        assert_eq!(raw.matches("\"slug\":").count(), 1, "{raw}");
        let brief_keys = ["__typename", "tone", "product", "audience", "goal", "keyMessages"];
        let brief = &raw[raw.find("\"brief\":").unwrap()..raw.find("\"b2\":").unwrap()];
        let at: Vec<usize> = brief_keys
            .iter()
            .map(|k| brief.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{brief}");
        let literal = format!("{{ campaign(id: \"{id}\") {{ __typename name }} }}");
        both(&app, &o, &literal, json!({})).await;
        // The id as the resolver parses it: trimmed.
        both(&app, &o, Q1, json!({ "id": format!(" {id} ") })).await;
    }
    let sparse_body = both(&app, &o, Q1, json!({ "id": sparse })).await;
    let brief = &data_of(&sparse_body)["campaign"]["brief"];
    assert_eq!(brief["goal"], Value::Null);
    assert_eq!(brief["keyMessages"], json!([]));
    assert_eq!(data_of(&sparse_body)["campaign"]["status"], "APPROVED");

    // With an operation name among several operations.
    let q = fresh(&format!("{Q1}\nquery Other {{ viewer {{ role }} }}"));
    let vars = json!({ "id": full });
    let first = named(&app, &o, &q, &vars, "Q1").await;
    assert!(!first.direct);
    let second = named(&app, &o, &q, &vars, "Q1").await;
    assert!(second.direct);
    assert_eq!(first.body, second.body);
    named(&app, &o, &q, &vars, "Other").await;
    let other = named(&app, &o, &q, &vars, "Other").await;
    assert!(!other.direct, "{}", other.body);
}

async fn named(app: &TestApp, c: &Caller, query: &str, vars: &Value, operation: &str) -> Answer {
    let before = app.counter("graphql_direct_lookups_total").await;
    let body = c
        .post(&app.http, &format!("{}/graphql", app.base))
        .json(&json!({ "query": query, "variables": vars, "operationName": operation }))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    Answer {
        body,
        statements: 0,
        direct: app.counter("graphql_direct_lookups_total").await > before,
    }
}

#[tokio::test]
async fn what_a_lookup_does_not_find_the_resolvers_answer() {
    let app = spawn_app().await;
    let (_org, o) = app.org_with_owner("lookup-a@example.com", "lookup-a").await;
    let (other_org, other) = app.org_with_owner("lookup-b@example.com", "lookup-b").await;
    let mine = fixtures::campaign(&app, &o, fixtures::campaign_input("Mine")).await;
    let theirs = fixtures::campaign(&app, &other, fixtures::campaign_input("Theirs")).await;
    let q = fresh(Q1);
    // Validated (and planned) by a first request, looked up by the second.
    post(&app, &o, &q, &json!({ "id": mine })).await;
    assert!(post(&app, &o, &q, &json!({ "id": mine })).await.direct);

    // Another org's campaign, and one that does not exist: NOT_FOUND, and
    // nothing of theirs in the body.
    let body = refused(&app, &o, &q, json!({ "id": theirs }), "NOT_FOUND").await;
    assert!(!body.to_string().contains("Theirs"), "{body}");
    refused(
        &app,
        &o,
        &q,
        json!({ "id": "00000000-0000-4000-8000-000000000000" }),
        "NOT_FOUND",
    )
    .await;
    // Ids the resolver refuses.
    refused(&app, &o, &q, json!({ "id": "nope" }), "BAD_USER_INPUT").await;
    refused(&app, &o, &q, json!({ "id": 42 }), "BAD_USER_INPUT").await;
    // No org chosen; someone else's org; nobody signed in.
    refused(
        &app,
        &app.user("lookup-a@example.com"),
        &q,
        json!({ "id": mine }),
        "FORBIDDEN",
    )
    .await;
    refused(&app, &o.in_org(&other_org), &q, json!({ "id": theirs }), "FORBIDDEN").await;
    refused(&app, &Caller::anonymous(), &q, json!({ "id": mine }), "UNAUTHENTICATED").await;
    // Variables that do not fit: validation's error, nothing executed.
    let body = refused(&app, &o, &q, json!({}), "BAD_USER_INPUT").await;
    assert!(body["data"].is_null(), "{body}");

    // The owner of the other org still finds theirs, looked up.
    let q_other = fresh(Q1);
    post(&app, &other, &q_other, &json!({ "id": theirs })).await;
    let a = post(&app, &other, &q_other, &json!({ "id": theirs })).await;
    assert!(a.direct);
    assert!(a.body.contains("Theirs"), "{}", a.body);
}

const REMOVE: &str = "mutation($i: RemoveMemberInput!) { removeMember(input: $i) { removedMembershipId } }";
const REVOKE_KEY: &str = "mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { id } } }";

/// The tenant is the database's to decide on every lookup: a member removed
/// since their last request, or a key revoked since, reads nothing.
#[tokio::test]
async fn lookups_follow_membership_and_keys_as_they_change() {
    let app = spawn_app().await;
    let (_org, owner) = app.org_with_owner("lookup-owner@example.com", "lookup-m").await;
    let id = fixtures::campaign(&app, &owner, fixtures::campaign_input("Members only")).await;
    let member = app.member(&owner, "lookup-member@example.com", "VIEWER").await;
    let q = fresh(Q1);
    post(&app, &member, &q, &json!({ "id": id })).await;
    let a = post(&app, &member, &q, &json!({ "id": id })).await;
    assert!(a.direct && a.body.contains("Members only"), "{}", a.body);

    let membership = app.membership_id(&owner, "lookup-member@example.com").await;
    let removed = app
        .gql(&owner, REMOVE, json!({ "i": { "membershipId": membership } }))
        .await;
    data_of(&removed);
    let rechecks = app.counter("graphql_entry_rechecks_total").await;
    let body = refused(&app, &member, &q, json!({ "id": id }), "FORBIDDEN").await;
    assert!(!body.to_string().contains("Members only"), "{body}");
    assert!(app.counter("graphql_entry_rechecks_total").await > rechecks);

    // An API key: looked up like a member, refused once revoked.
    let (key, key_id) = app.api_key(&owner, "VIEWER").await;
    post(&app, &key, &q, &json!({ "id": id })).await;
    let a = post(&app, &key, &q, &json!({ "id": id })).await;
    assert!(a.direct && a.body.contains("Members only"), "{}", a.body);
    let revoked = app
        .gql(&owner, REVOKE_KEY, json!({ "i": { "apiKeyId": key_id } }))
        .await;
    data_of(&revoked);
    let body = refused(&app, &key, &q, json!({ "id": id }), "UNAUTHENTICATED").await;
    assert!(!body.to_string().contains("Members only"), "{body}");
}
