//! `createCampaign` with a plain selection is committed before the
//! executor, in one round trip (`api::graphql::insert`); the resolver stays
//! the reference. A document is planned once it has passed full
//! validation, so its first request is resolved and the next ones are
//! inserted directly. Each case compares what both ways answer and write,
//! and every refusal must come from the resolver with nothing written.

use crate::helpers::db::enter_org;
use crate::helpers::direct::{Answer, fresh, post_counted};
use crate::helpers::fixtures;
use crate::helpers::{Caller, TestApp, code_of, data_of, spawn_app};
use serde_json::{Value, json};
use sqlx::Row;

/// Every plain field of a campaign, with fragments, aliases and merged
/// keys.
const SELECTION: &str = "__typename ...Dates id name slug status locales platforms
    ... on Campaign { n: name brief { __typename tone } }
    brief { product audience goal keyMessages callToAction landingUrl }";

fn create_every() -> String {
    format!(
        "fragment Dates on Campaign {{ createdAt updatedAt }}
         mutation Make($i: CreateCampaignInput!) {{
           made: createCampaign(input: $i) {{ __typename c: campaign {{ {SELECTION} }} }}
         }}"
    )
}

fn read_every() -> String {
    format!(
        "fragment Dates on Campaign {{ createdAt updatedAt }}
         query($id: ID!) {{ c: campaign(id: $id) {{ {SELECTION} }} }}"
    )
}

/// The mutation `scripts/bench.sh` sends as Q3: its input a literal with a
/// variable inside.
const Q3: &str = include_str!("../../scripts/bench/queries/ours/q3.graphql");

const SIMPLE: &str = "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { id name } } }";
const UPDATE_ROLE: &str =
    "mutation($i: UpdateMemberRoleInput!) { updateMemberRole(input: $i) { membership { id role } } }";
const REMOVE: &str = "mutation($i: RemoveMemberInput!) { removeMember(input: $i) { removedMembershipId } }";
const REVOKE_KEY: &str = "mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { id } } }";

async fn post_with(app: &TestApp, c: &Caller, query: &str, vars: &Value, idempotency_key: Option<&str>) -> Answer {
    let headers: Vec<(&str, &str)> = idempotency_key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
    post_counted(app, c, query, vars, &headers, "graphql_direct_inserts_total").await
}

async fn post(app: &TestApp, c: &Caller, query: &str, vars: &Value) -> Answer {
    post_with(app, c, query, vars, None).await
}

/// A fresh copy of `query`, planned by a first request that `c` sends and
/// the resolver answers.
async fn planned(app: &TestApp, c: &Caller, query: &str, vars: Value) -> String {
    let q = fresh(query);
    let first = post(app, c, &q, &vars).await;
    assert!(!first.direct, "a document's first request is resolved: {}", first.body);
    data_of(&first.json());
    q
}

/// Sends `query` (planned) and expects the resolver's error and no write
/// in `orgs`.
async fn refused(app: &TestApp, orgs: &[&str], c: &Caller, query: &str, vars: Value, code: &str) {
    let before = writes(app, orgs).await;
    let a = post(app, c, query, &vars).await;
    assert!(!a.direct, "{vars}: {}", a.body);
    let body = a.json();
    assert_eq!(code_of(&body), code, "{vars}: {body}");
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(writes(app, orgs).await, before, "nothing written for {vars}");
}

/// Campaigns and their creation events in the orgs `orgs`, read in each
/// org's own context.
async fn writes(app: &TestApp, orgs: &[&str]) -> (i64, i64) {
    let mut c = app.db.owner_conn().await;
    let mut n = (0, 0);
    for org in orgs {
        let mut tx = enter_org(&mut c, org).await;
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM campaigns), (SELECT count(*) FROM audit_events WHERE action = 'campaign.create')",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        n.0 += row.get::<i64, _>(0);
        n.1 += row.get::<i64, _>(1);
    }
    n
}

/// The campaign's org and creator, and its creation event's org, actors
/// and metadata.
async fn recorded(app: &TestApp, org: &str, id: &str) -> Value {
    let mut c = app.db.owner_conn().await;
    let mut tx = enter_org(&mut c, org).await;
    let row = sqlx::query(
        "SELECT c.org_id::text, c.created_by::text, e.org_id::text, e.actor_user_id::text,
                e.actor_api_key_id::text, e.metadata
           FROM campaigns c JOIN audit_events e ON e.target_id = c.id AND e.action = 'campaign.create'
          WHERE c.id = $1::uuid",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    json!({
        "org": row.get::<String, _>(0),
        "createdBy": row.get::<Option<String>, _>(1),
        "eventOrg": row.get::<String, _>(2),
        "actorUser": row.get::<Option<String>, _>(3),
        "actorKey": row.get::<Option<String>, _>(4),
        "metadata": row.get::<Value, _>(5),
    })
}

/// What `prefix` … `suffix` holds in `body`.
fn inner<'a>(body: &'a str, prefix: &str, suffix: &str) -> &'a str {
    body.strip_prefix(prefix)
        .and_then(|b| b.strip_suffix(suffix))
        .unwrap_or_else(|| panic!("{prefix} … {suffix} in {body}"))
}

/// The campaign as the resolvers read it back, written as a fresh query's
/// first (resolved) answer.
async fn read_back(app: &TestApp, c: &Caller, id: &str) -> String {
    let a = post(app, c, &fresh(&read_every()), &json!({ "id": id })).await;
    inner(&a.body, r#"{"data":{"c":"#, "}}").to_string()
}

#[tokio::test]
async fn inserts_answer_what_the_resolvers_answer_and_write_what_they_write() {
    let app = spawn_app().await;
    let (org, o) = app.org_with_owner("insert@example.com", "insert").await;
    let inputs = [
        fixtures::campaign_input("Spring \"launch\" — ünïcødé 🎉\\"),
        // Optional brief fields left out; one locale given as a single
        // value (a list of one), a platform twice.
        json!({
            "name": "  Sparse\none ",
            "brief": { "product": "Tea", "audience": "night owls" },
            "locales": "de",
            "platforms": ["LINKEDIN", "LINKEDIN"]
        }),
    ];
    for input in inputs {
        let q = fresh(&create_every());
        let vars = json!({ "i": input });
        let resolved = post(&app, &o, &q, &vars).await;
        let direct = post(&app, &o, &q, &vars).await;
        assert!(!resolved.direct, "{}", resolved.body);
        assert!(direct.direct, "then it is inserted directly: {}", direct.body);
        assert_eq!(
            direct.statements, 1,
            "BEGIN, the tenant, the insert and COMMIT in one round trip"
        );
        assert!(resolved.statements >= 2, "{}", resolved.statements);
        for a in [&resolved, &direct] {
            let prefix = r#"{"data":{"made":{"__typename":"CreateCampaignPayload","c":"#;
            let made = inner(&a.body, prefix, "}}}");
            let id = a.json()["data"]["made"]["c"]["id"].as_str().unwrap().to_string();
            assert_eq!(made, read_back(&app, &o, &id).await, "byte for byte, as read back");
            let r = recorded(&app, &org, &id).await;
            assert_eq!(r["org"], org.as_str());
            assert_eq!(r["eventOrg"], org.as_str());
            assert_eq!(r["createdBy"], r["actorUser"]);
            assert!(r["actorUser"].is_string(), "{r}");
            assert_eq!(r["actorKey"], Value::Null);
            assert_eq!(r["metadata"], json!({ "name": a.json()["data"]["made"]["c"]["name"] }));
        }
        // The same campaign written both ways, ids and times apart.
        let same = |a: &Answer| {
            let mut c = a.json()["data"]["made"]["c"].clone();
            for k in ["id", "slug", "createdAt", "updatedAt"] {
                c[k] = Value::Null;
            }
            c
        };
        assert_eq!(same(&resolved), same(&direct));
    }

    // The bench's document: a literal input with a variable inside.
    let q = planned(&app, &o, Q3, json!({ "name": "bench-1" })).await;
    let a = post(&app, &o, &q, &json!({ "name": "bench-2" })).await;
    assert!(a.direct && a.statements == 1, "{}", a.body);
    let body = a.json();
    let c = &data_of(&body)["createCampaign"]["campaign"];
    assert_eq!(
        (c["name"].as_str(), c["status"].as_str()),
        (Some("bench-2"), Some("DRAFT"))
    );
    assert!(
        read_back(&app, &o, c["id"].as_str().unwrap())
            .await
            .contains("\"bench-2\"")
    );

    // Only the payload's __typename: the campaign is still made.
    let before = writes(&app, &[&org]).await;
    let only = "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { __typename } }";
    let vars = json!({ "i": fixtures::campaign_input("Typename only") });
    let q = planned(&app, &o, only, vars.clone()).await;
    let a = post(&app, &o, &q, &vars).await;
    assert!(a.direct);
    assert_eq!(
        a.body,
        r#"{"data":{"createCampaign":{"__typename":"CreateCampaignPayload"}}}"#
    );
    let after = writes(&app, &[&org]).await;
    assert_eq!((after.0 - before.0, after.1 - before.1), (2, 2));
}

#[tokio::test]
async fn what_an_insert_refuses_the_resolver_answers_and_nothing_is_written() {
    let app = spawn_app().await;
    let (org, o) = app.org_with_owner("insert-refused@example.com", "insert-refused").await;
    let (other_org, _other) = app.org_with_owner("insert-other@example.com", "insert-other").await;
    let orgs = &[org.as_str(), other_org.as_str()];
    let viewer = app.member(&o, "insert-viewer@example.com", "VIEWER").await;
    let input = |f: &dyn Fn(&mut Value)| {
        let mut i = fixtures::campaign_input("Refused");
        f(&mut i);
        json!({ "i": i })
    };
    let q = planned(&app, &o, SIMPLE, input(&|_| {})).await;
    assert!(post(&app, &o, &q, &input(&|_| {})).await.direct, "planned");

    // Input the resolver refuses.
    for (bad, field) in [
        (input(&|i| i["name"] = json!("   ")), "name"),
        (input(&|i| i["name"] = json!("x".repeat(201))), "name"),
        (input(&|i| i["locales"] = json!([])), "locales"),
        (input(&|i| i["locales"] = json!(["not a locale!"])), "locales"),
        (input(&|i| i["platforms"] = json!([])), "platforms"),
        (
            input(&|i| i["brief"]["landingUrl"] = json!("ftp://nope")),
            "brief.landingUrl",
        ),
    ] {
        let before = writes(&app, orgs).await;
        let a = post(&app, &o, &q, &bad).await;
        assert!(!a.direct, "{bad}");
        let body = a.json();
        assert_eq!(code_of(&body), "BAD_USER_INPUT", "{bad}: {body}");
        assert!(body.to_string().contains(field), "{field} named in {body}");
        assert_eq!(writes(&app, orgs).await, before, "nothing written for {bad}");
    }
    // Variables that do not fit: validation's error.
    refused(&app, orgs, &o, &q, json!({}), "BAD_USER_INPUT").await;
    refused(
        &app,
        orgs,
        &o,
        &q,
        input(&|i| i["platforms"] = json!(["MYSPACE"])),
        "BAD_USER_INPUT",
    )
    .await;
    // A role too low, no org, another org, nobody signed in.
    refused(&app, orgs, &viewer, &q, input(&|_| {}), "FORBIDDEN").await;
    refused(
        &app,
        orgs,
        &app.user("insert-refused@example.com"),
        &q,
        input(&|_| {}),
        "FORBIDDEN",
    )
    .await;
    refused(&app, orgs, &o.in_org(&other_org), &q, input(&|_| {}), "FORBIDDEN").await;
    refused(&app, orgs, &Caller::anonymous(), &q, input(&|_| {}), "UNAUTHENTICATED").await;

    // An idempotency key is the executor's to keep: resolved, replayed.
    let before = writes(&app, orgs).await;
    let vars = input(&|i| i["name"] = json!("Once"));
    let first = post_with(&app, &o, &q, &vars, Some("insert-once")).await;
    let again = post_with(&app, &o, &q, &vars, Some("insert-once")).await;
    assert!(!first.direct && !again.direct);
    assert_eq!(first.json(), again.json());
    let after = writes(&app, orgs).await;
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, 1));
}

/// The role is the database's to decide on every insert: a member lowered,
/// removed, or a key revoked since their last request writes nothing, even
/// though the request was checked against the role expected.
#[tokio::test]
async fn inserts_follow_roles_membership_and_keys_as_they_change() {
    let app = spawn_app().await;
    let (org, owner) = app.org_with_owner("insert-owner@example.com", "insert-m").await;
    let member = app.member(&owner, "insert-member@example.com", "EDITOR").await;
    let membership = app.membership_id(&owner, "insert-member@example.com").await;
    let vars = |name: &str| json!({ "i": fixtures::campaign_input(name) });
    let q = planned(&app, &member, SIMPLE, vars("Editor 1")).await;
    let a = post(&app, &member, &q, &vars("Editor 2")).await;
    assert!(a.direct, "{}", a.body);

    // Lowered to VIEWER: the request is checked against EDITOR here, the
    // database answers VIEWER, nothing is written, and the resolver
    // refuses.
    let set_role = async |role: &str| {
        let body = app
            .gql(
                &owner,
                UPDATE_ROLE,
                json!({ "i": { "membershipId": membership, "role": role } }),
            )
            .await;
        assert_eq!(data_of(&body)["updateMemberRole"]["membership"]["role"], role);
    };
    set_role("VIEWER").await;
    let rechecks = app.counter("graphql_entry_rechecks_total").await;
    refused(&app, &[&org], &member, &q, vars("Lowered"), "FORBIDDEN").await;
    assert!(app.counter("graphql_entry_rechecks_total").await > rechecks);
    refused(&app, &[&org], &member, &q, vars("Lowered again"), "FORBIDDEN").await;

    // Raised again: written, then directly once the role is known.
    set_role("EDITOR").await;
    let a = post(&app, &member, &q, &vars("Raised")).await;
    data_of(&a.json());
    let a = post(&app, &member, &q, &vars("Raised again")).await;
    assert!(a.direct, "{}", a.body);

    // Removed.
    let removed = app
        .gql(&owner, REMOVE, json!({ "i": { "membershipId": membership } }))
        .await;
    data_of(&removed);
    refused(&app, &[&org], &member, &q, vars("Removed"), "FORBIDDEN").await;

    // An API key: inserted directly, recorded as the key's; refused once
    // revoked; a VIEWER key never writes.
    let (key, key_id) = app.api_key(&owner, "EDITOR").await;
    let q = planned(&app, &key, SIMPLE, vars("Key 1")).await;
    let a = post(&app, &key, &q, &vars("Key 2")).await;
    assert!(a.direct, "{}", a.body);
    let id = data_of(&a.json())["createCampaign"]["campaign"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = recorded(&app, &org, &id).await;
    assert_eq!(r["org"], org.as_str());
    assert_eq!(r["actorKey"], key_id.as_str());
    assert_eq!(
        (r["actorUser"].clone(), r["createdBy"].clone()),
        (Value::Null, Value::Null)
    );
    let revoked = app
        .gql(&owner, REVOKE_KEY, json!({ "i": { "apiKeyId": key_id } }))
        .await;
    data_of(&revoked);
    refused(&app, &[&org], &key, &q, vars("Revoked"), "UNAUTHENTICATED").await;
    let (viewer_key, _) = app.api_key(&owner, "VIEWER").await;
    refused(&app, &[&org], &viewer_key, &q, vars("Viewer key"), "FORBIDDEN").await;
}
