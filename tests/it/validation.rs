//! A document that passed full validation is not validated in full again
//! (`api::graphql::validated`): later requests of the same text and
//! operation check their variables only. Every answer must still be the one
//! full validation gives. So each bad request here is sent twice: as the
//! first request of its document's text (fully validated), and after a good
//! request of the same text (only its variables checked); status and body
//! must be the same both times.

use crate::helpers::{Caller, TestApp, data_of, spawn_app};
use serde_json::{Value, json};

async fn skipped(app: &TestApp) -> u64 {
    app.counter("graphql_validation_skipped_total").await
}

/// POST with `Accept: application/graphql-response+json`, so that a request
/// refused before execution is a 400; returns the status and the body.
async fn ask(app: &TestApp, c: &Caller, query: &str, vars: &Value) -> (u16, Value) {
    let resp = c
        .post(&app.http, &format!("{}/graphql", app.base))
        .header("Accept", "application/graphql-response+json")
        .json(&json!({ "query": query, "variables": vars }))
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json body"))
}

struct Case {
    query: &'static str,
    good: Value,
    bad: Vec<Value>,
}

fn input(name: Value) -> Value {
    json!({
        "name": name,
        "brief": {"product": "Widget", "audience": "Makers", "goal": "leads"},
        "locales": ["en"],
        "platforms": ["INSTAGRAM", "X"]
    })
}

fn with(mut v: Value, path: &[&str], value: Value) -> Value {
    let mut at = &mut v;
    for p in &path[..path.len() - 1] {
        at = &mut at[*p];
    }
    at[path[path.len() - 1]] = value;
    v
}

fn without(mut v: Value, path: &[&str]) -> Value {
    let mut at = &mut v;
    for p in &path[..path.len() - 1] {
        at = &mut at[*p];
    }
    at.as_object_mut().unwrap().remove(path[path.len() - 1]);
    v
}

#[tokio::test]
async fn variables_are_checked_as_full_validation_checks_them_after_a_document_passed() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("validated@example.com", "validated").await;
    let campaign = data_of(
        &app.gql(
            &owner,
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { id } } }",
            json!({ "i": input(json!("First")) }),
        )
        .await,
    )["createCampaign"]["campaign"]["id"]
        .clone();
    let good_input = json!({ "input": input(json!("Second")) });
    let cases = [
        Case {
            query: "query Q1($id: ID!) { campaign(id: $id) { id name status } }",
            good: json!({ "id": campaign }),
            bad: vec![
                json!({"id": true}),
                json!({"id": null}),
                json!({}),
                json!({"id": {"a": 1}}),
                json!({"id": 1.5}),
            ],
        },
        Case {
            query: "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } } }",
            good: good_input.clone(),
            bad: vec![
                with(good_input.clone(), &["input", "platforms"], json!(["MYSPACE"])),
                with(good_input.clone(), &["input", "surprise"], json!(1)),
                without(good_input.clone(), &["input", "name"]),
                without(good_input.clone(), &["input", "brief", "product"]),
                with(good_input.clone(), &["input", "locales"], json!([1])),
                with(good_input.clone(), &["input", "name"], json!(null)),
                json!({"input": null}),
                json!({"input": "a string"}),
            ],
        },
        Case {
            query: "mutation($name: String!, $p: [Platform!]!) {
                      createCampaign(input: {name: $name, brief: {product: \"W\", audience: \"M\", goal: \"g\"},
                                             locales: [\"en\"], platforms: $p}) { campaign { id name } }
                    }",
            good: json!({"name": "Third", "p": ["X"]}),
            bad: vec![
                json!({"name": 5, "p": ["X"]}),
                json!({"name": null, "p": ["X"]}),
                json!({"name": "n", "p": [null]}),
                json!({"name": "n", "p": "NOPE"}),
                json!({"name": "n"}),
            ],
        },
        Case {
            query: "query($n: Int, $s: Boolean!) { campaigns(first: $n) { totalCount nodes { id @skip(if: $s) } } }",
            good: json!({"n": 2, "s": false}),
            bad: vec![
                json!({"n": 1.5, "s": false}),
                json!({"n": "2", "s": false}),
                json!({"n": 2, "s": "yes"}),
                json!({"n": 2, "s": null}),
            ],
        },
    ];
    for (i, case) in cases.iter().enumerate() {
        let (status, body) = ask(&app, &owner, case.query, &case.good).await;
        assert_eq!(status, 200, "{body}");
        data_of(&body);
        // Passed once: the same text and operation now skip the rules.
        let before = skipped(&app).await;
        let (_, body) = ask(&app, &owner, case.query, &case.good).await;
        data_of(&body);
        assert_eq!(
            skipped(&app).await,
            before + 1,
            "case {i}: a validated document is not validated again"
        );
        for (j, bad) in case.bad.iter().enumerate() {
            // A comment makes a new text: its first request, fully validated.
            let fresh = format!("{}\n# case {i}.{j}", case.query);
            let first = ask(&app, &owner, &fresh, bad).await;
            let before = skipped(&app).await;
            let later = ask(&app, &owner, case.query, bad).await;
            assert_eq!(
                later, first,
                "case {i}.{j} {bad}: the same answer as full validation gives"
            );
            assert!(
                first.1["errors"][0]["message"].is_string(),
                "case {i}.{j} {bad}: refused: {}",
                first.1
            );
            assert_eq!(
                skipped(&app).await,
                before,
                "case {i}.{j}: a variable that does not fit is fully validated"
            );
        }
    }
    // Nothing the refused mutations sent was written.
    let body = app
        .gql(&owner, "{ campaigns(first: 50) { nodes { name } } }", json!({}))
        .await;
    let mut names: Vec<_> = data_of(&body)["campaigns"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["First", "Second", "Second", "Third", "Third"]);
}

#[tokio::test]
async fn complexity_and_depth_are_still_limited_for_validated_documents() {
    let app = spawn_app().await;
    let (_, owner) = app
        .org_with_owner("validated-limits@example.com", "validated-limits")
        .await;
    let query = "query($n: Int) {
      campaigns(first: $n) { nodes { angles(first: $n) { nodes { copies(first: $n) { nodes { id body } } } } } }
    }";
    let (status, body) = ask(&app, &owner, query, &json!({"n": 2})).await;
    assert_eq!(status, 200, "{body}");
    data_of(&body);
    let fresh = format!("{query}\n# fresh");
    let first = ask(&app, &owner, &fresh, &json!({"n": 1000})).await;
    assert_eq!(
        first.1["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{}",
        first.1
    );
    let later = ask(&app, &owner, query, &json!({"n": 1000})).await;
    assert_eq!(
        later, first,
        "the complexity of a validated document is counted with its variables"
    );
}

#[tokio::test]
async fn a_document_refused_by_validation_is_refused_every_time() {
    let app = spawn_app().await;
    let (_, owner) = app.org_with_owner("validated-bad@example.com", "validated-bad").await;
    // Unused variable: refused whatever the variables.
    let query = "query($id: ID!, $unused: Int) { campaign(id: $id) { id } }";
    let vars = json!({"id": "x", "unused": 1});
    let first = ask(&app, &owner, query, &vars).await;
    assert_eq!(first.0, 400, "{}", first.1);
    let before = skipped(&app).await;
    for _ in 0..3 {
        assert_eq!(ask(&app, &owner, query, &vars).await, first);
    }
    assert_eq!(skipped(&app).await, before);
}
