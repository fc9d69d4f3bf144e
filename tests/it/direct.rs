//! Plain nested pages are built in one pass (`api::graphql::direct`); the
//! resolvers stay the reference. Each query here runs twice: as written
//! (built directly) and with `brief { product }` added to the campaigns,
//! which only the resolvers answer; apart from `brief` the two answers
//! must be the same, page after page, in every order.

use crate::helpers::fixtures;
use crate::helpers::{Caller, TestApp, code_of, data_of, spawn_app};
use serde_json::{Value, json};

const QUERY: &str = "
fragment CopyFields on Copy {
  id platform locale headline body callToAction hashtags characterCount version status edited __typename
}
fragment Ident on Node { id }
query($first: Int, $after: String, $last: Int, $before: String, $order: CampaignOrder, $af: Int, $cf: Int) {
  campaigns(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    __typename totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges { __typename cursor node { id createdAt } }
    nodes {
      __typename ... on Node { id } name slug status locales platforms createdAt updatedAt
      skipped: slug @skip(if: true) ... on Campaign @include(if: false) { hidden: name }
      EXTRA
      angles(first: $af) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { ...Ident title } }
        nodes {
          id locale title hook rationale status hashtags
          c: copies(first: $cf) { totalCount nodes { ...CopyFields } }
          copies { pageInfo { hasNextPage } edges { cursor node { id } } }
        }
      }
    }
    nodes { name angles(first: $af) { nodes { hook } } }
  }
}";

async fn direct_count(app: &TestApp) -> u64 {
    app.counter("graphql_direct_connections_total").await
}

/// Runs `query` and reports whether it was built directly.
async fn run(app: &TestApp, c: &Caller, query: &str, vars: &Value) -> (Value, bool) {
    let before = direct_count(app).await;
    let body = app.gql(c, query, vars.clone()).await;
    let after = direct_count(app).await;
    (body, after > before)
}

/// Both ways of answering, compared; returns the answer.
async fn both(app: &TestApp, c: &Caller, vars: Value) -> Value {
    let (direct, was_direct) = run(app, c, &QUERY.replace("EXTRA", ""), &vars).await;
    assert!(was_direct, "a plain selection is built directly: {direct}");
    let (mut resolved, was_direct) = run(app, c, &QUERY.replace("EXTRA", "brief { product }"), &vars).await;
    assert!(!was_direct, "brief is resolved field by field");
    let direct = data_of(&direct)["campaigns"].clone();
    let conn = &mut resolved["data"]["campaigns"];
    for n in conn["nodes"].as_array_mut().unwrap() {
        assert!(n["brief"]["product"].is_string(), "{n}");
        n.as_object_mut().unwrap().remove("brief");
    }
    assert_eq!(direct, *conn, "vars {vars}");
    direct
}

#[tokio::test]
async fn direct_and_resolved_pages_agree() {
    let app = spawn_app().await;
    let (org, o) = app.org_with_owner("direct@example.com", "direct").await;
    let (other_org, other) = app.org_with_owner("direct-other@example.com", "direct-other").await;
    let mut mine = Vec::new();
    for (i, name) in ["Delta", "alpha", "Charlie", "bravo", "Echo"].iter().enumerate() {
        let id = fixtures::campaign(&app, &o, fixtures::campaign_input(name)).await;
        fixtures::angles_and_copies(&app, &org, &id, i % 4, 1 + i % 3).await;
        mine.push(id);
    }
    fixtures::set_status(&app, &org, &mine[1], "APPROVED").await;
    let theirs = fixtures::campaign(&app, &other, fixtures::campaign_input("Theirs")).await;
    fixtures::angles_and_copies(&app, &other_org, &theirs, 2, 2).await;
    // Nullable and list columns with values, and an edited copy.
    fixtures::exec_in_org(
        &app,
        &org,
        "UPDATE angles SET rationale = 'Because', hashtags = '{spring,sale}' WHERE position = 1;
             UPDATE copies SET headline = NULL, call_to_action = 'Buy', hashtags = '{x}',
                version = 3, edited = true WHERE platform = 'X'",
    )
    .await;

    let orders = [
        json!({ "field": "CREATED_AT", "direction": "ASC" }),
        json!({ "field": "CREATED_AT", "direction": "DESC" }),
        json!({ "field": "NAME", "direction": "ASC" }),
        json!({ "field": "UPDATED_AT", "direction": "DESC" }),
    ];
    for order in &orders {
        // Walk forward two at a time, with nested pages of 2 and 1.
        let mut after = Value::Null;
        let mut seen = Vec::new();
        loop {
            let conn = both(
                &app,
                &o,
                json!({ "first": 2, "after": after, "order": order, "af": 2, "cf": 1 }),
            )
            .await;
            for n in conn["nodes"].as_array().unwrap() {
                seen.push(n["id"].as_str().unwrap().to_string());
            }
            if conn["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = conn["pageInfo"]["endCursor"].clone();
        }
        let mut sorted = seen.clone();
        sorted.sort();
        let mut expected = mine.clone();
        expected.sort();
        assert_eq!(
            sorted, expected,
            "every campaign of the org once, none of another org's"
        );
        // Backward from the end, and the default page sizes.
        both(
            &app,
            &o,
            json!({ "last": 2, "before": after, "order": order, "af": 2, "cf": 1 }),
        )
        .await;
        both(&app, &o, json!({ "order": order, "af": 1, "cf": 1 })).await;
    }
    // The nested pages hold what was inserted.
    let conn = both(&app, &o, json!({ "first": 10, "order": orders[0], "af": 5, "cf": 5 })).await;
    let angles: Vec<usize> = conn["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["angles"]["nodes"].as_array().unwrap().len())
        .collect();
    assert_eq!(angles, vec![0, 1, 2, 3, 0]);
    let first = conn["nodes"][0].as_object().unwrap();
    assert!(
        !first.contains_key("skipped") && !first.contains_key("hidden"),
        "{first:?}"
    );
    let copy = &conn["nodes"][3]["angles"]["nodes"][1]["c"]["nodes"][0];
    assert_eq!(copy["__typename"], "Copy");
    let x = conn["nodes"][2]["angles"]["nodes"][0]["c"]["nodes"][1].clone();
    assert_eq!(x["platform"], "X", "{x}");
    assert_eq!(x["headline"], Value::Null);
    assert_eq!(x["version"], 3);
    assert_eq!(x["edited"], true);
    assert_eq!(x["hashtags"], json!(["x"]));
    assert_eq!(conn["nodes"][2]["angles"]["nodes"][1]["rationale"], "Because");

    // The other org sees only its own campaign, nested pages included.
    let (body, was_direct) = run(
        &app,
        &other,
        "{ campaigns { totalCount nodes { id angles { nodes { id copies { nodes { id } } } } } } }",
        &json!({}),
    )
    .await;
    assert!(was_direct);
    let conn = &data_of(&body)["campaigns"];
    assert_eq!(conn["totalCount"], 1);
    assert_eq!(conn["nodes"][0]["id"], theirs.as_str());
    assert_eq!(conn["nodes"][0]["angles"]["nodes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn what_is_not_plain_is_left_to_the_resolvers() {
    let app = spawn_app().await;
    let (org, o) = app.org_with_owner("fallback@example.com", "fallback").await;
    let id = fixtures::campaign(&app, &o, fixtures::campaign_input("Only")).await;
    fixtures::angles_and_copies(&app, &org, &id, 2, 2).await;

    // An invalid nested page: the resolvers report it, at its path.
    let (body, was_direct) = run(
        &app,
        &o,
        "{ campaigns { nodes { angles(first: 101) { nodes { id } } } } }",
        &json!({}),
    )
    .await;
    assert!(!was_direct);
    assert_eq!(code_of(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["campaigns", "nodes", 0, "angles"]));

    // A filter argument and an object field: resolved field by field.
    let (body, was_direct) = run(
        &app,
        &o,
        "{ campaigns { nodes { angles(status: SUGGESTED) { nodes { copies(platform: X) { nodes { id } } } } } } }",
        &json!({}),
    )
    .await;
    assert!(!was_direct);
    let angles = &data_of(&body)["campaigns"]["nodes"][0]["angles"]["nodes"];
    assert_eq!(angles.as_array().unwrap().len(), 2);
    assert_eq!(angles[1]["copies"]["nodes"].as_array().unwrap().len(), 1);
    let (_, was_direct) = run(
        &app,
        &o,
        "{ campaigns { nodes { angles { nodes { provenance { provider } } } } } }",
        &json!({}),
    )
    .await;
    assert!(!was_direct);

    // The connection selected twice under one response key: the executor
    // merges the two answers, so both come from the resolvers.
    let (body, was_direct) = run(
        &app,
        &o,
        "{ campaigns(first: 2) { nodes { id } } campaigns(first: 2) { totalCount nodes { name } } }",
        &json!({}),
    )
    .await;
    assert!(!was_direct);
    assert_eq!(
        data_of(&body)["campaigns"],
        json!({ "nodes": [{ "id": id, "name": "Only" }], "totalCount": 1 }),
        "{body}"
    );
    // Under two response keys each is built on its own.
    let (body, was_direct) = run(
        &app,
        &o,
        "{ a: campaigns { nodes { id } } b: campaigns { totalCount } }",
        &json!({}),
    )
    .await;
    assert!(was_direct);
    assert_eq!(
        data_of(&body),
        &json!({ "a": { "nodes": [{ "id": id }] }, "b": { "totalCount": 1 } }),
        "{body}"
    );

    // An object whose fields are all skipped is null, built or resolved.
    let skipped = "{ campaigns { pageInfo { hasNextPage @skip(if: true) } nodes { id @skip(if: true) } EXTRA } }";
    let (direct, was_direct) = run(&app, &o, &skipped.replace("EXTRA", ""), &json!({})).await;
    assert!(was_direct);
    let with_filter = skipped.replace("EXTRA", "x: nodes { angles(status: SUGGESTED) { totalCount } }");
    let (resolved, was_direct) = run(&app, &o, &with_filter, &json!({})).await;
    assert!(!was_direct);
    let (direct, resolved) = (&data_of(&direct)["campaigns"], &data_of(&resolved)["campaigns"]);
    assert_eq!(direct["nodes"], json!([null]), "{direct}");
    assert_eq!(direct["pageInfo"], Value::Null, "{direct}");
    assert_eq!(direct["nodes"], resolved["nodes"]);
    assert_eq!(direct["pageInfo"], resolved["pageInfo"]);

    // Anonymous callers get the same refusal either way.
    let (body, _) = run(&app, &Caller::anonymous(), "{ campaigns { nodes { id } } }", &json!({})).await;
    assert_eq!(code_of(&body), "UNAUTHENTICATED", "{body}");
}
