//! The campaigns connection: pagination edge cases, filters and orders
//! checked against a reference computed here, stable cursors, and a
//! constant number of SQL statements for nested pages.

use crate::helpers::db::enter_org;
use crate::helpers::fixtures::{self, brief};
use crate::helpers::{Caller, TestApp, code_of, data_of, spawn_app};
use serde_json::{Value, json};

const LIST: &str =
    "query($first: Int, $after: String, $last: Int, $before: String, $filter: CampaignFilter, $order: CampaignOrder) {
  campaigns(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name status createdAt updatedAt brief { product } } } } }";

async fn list(app: &TestApp, c: &Caller, vars: Value) -> Value {
    let body = app.gql(c, LIST, vars).await;
    data_of(&body)["campaigns"].clone()
}

fn names(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// Walks every page forward and returns the names in order.
async fn walk(app: &TestApp, c: &Caller, page: i64, filter: Value, order: Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    for _ in 0..100 {
        let conn = list(
            app,
            c,
            json!({ "first": page, "after": after, "filter": filter, "order": order }),
        )
        .await;
        out.extend(names(&conn));
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return out;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    panic!("too many pages");
}

#[tokio::test]
async fn pages_forward_and_backward_with_edge_cases() {
    let app = spawn_app().await;
    let (_, o) = app.org_with_owner("page@example.com", "paging-c").await;
    let empty = list(&app, &o, json!({})).await;
    assert_eq!(empty["totalCount"], 0);
    assert_eq!(empty["edges"], json!([]));
    assert_eq!(
        empty["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null })
    );
    for i in 0..25 {
        fixtures::campaign(&app, &o, fixtures::campaign_input(&format!("C{i:02}"))).await;
    }
    // default: 20, newest first
    let first = list(&app, &o, json!({})).await;
    assert_eq!(first["edges"].as_array().unwrap().len(), 20);
    assert_eq!(names(&first)[0], "C24");
    assert_eq!(first["totalCount"], 25);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    // an exact page
    let exact = list(&app, &o, json!({ "first": 25 })).await;
    assert_eq!(exact["pageInfo"]["hasNextPage"], false);
    // the last page
    let rest = list(
        &app,
        &o,
        json!({ "first": 20, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(names(&rest), vec!["C04", "C03", "C02", "C01", "C00"]);
    assert_eq!(
        rest["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": true, "startCursor": rest["edges"][0]["cursor"], "endCursor": rest["edges"][4]["cursor"] })
    );
    // backward: last/before
    let last3 = list(&app, &o, json!({ "last": 3 })).await;
    assert_eq!(names(&last3), vec!["C02", "C01", "C00"]);
    assert_eq!(last3["pageInfo"]["hasPreviousPage"], true);
    let before = list(
        &app,
        &o,
        json!({ "last": 2, "before": last3["pageInfo"]["startCursor"] }),
    )
    .await;
    assert_eq!(names(&before), vec!["C04", "C03"]);
    // limits
    assert_eq!(list(&app, &o, json!({ "first": 0 })).await["edges"], json!([]));
    for bad in [
        json!({ "first": 101 }),
        json!({ "first": -1 }),
        json!({ "last": 101 }),
        json!({ "after": "garbage" }),
        json!({ "first": 2, "last": 2 }),
    ] {
        assert_eq!(
            code_of(&app.gql(&o, LIST, bad.clone()).await),
            "BAD_USER_INPUT",
            "{bad}"
        );
    }
    assert_eq!(
        list(&app, &o, json!({ "first": 100 })).await["edges"]
            .as_array()
            .unwrap()
            .len(),
        25
    );
}

#[tokio::test]
async fn cursors_survive_inserts_and_deleted_rows() {
    let app = spawn_app().await;
    let (org, o) = app.org_with_owner("stable@example.com", "stable").await;
    for i in 0..6 {
        fixtures::campaign(&app, &o, fixtures::campaign_input(&format!("S{i}"))).await;
    }
    let page1 = list(&app, &o, json!({ "first": 3 })).await;
    assert_eq!(names(&page1), vec!["S5", "S4", "S3"]);
    // new campaigns arrive, and the cursor row itself goes away
    fixtures::campaign(&app, &o, fixtures::campaign_input("S6")).await;
    let cursor_id = page1["edges"][2]["node"]["id"].as_str().unwrap().to_string();
    {
        let mut c = app.db.owner_conn().await;
        let mut tx = enter_org(&mut c, &org).await;
        sqlx::query("DELETE FROM campaigns WHERE id = $1::uuid")
            .bind(&cursor_id)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let page2 = list(&app, &o, json!({ "first": 3, "after": page1["pageInfo"]["endCursor"] })).await;
    assert_eq!(names(&page2), vec!["S2", "S1", "S0"]);
}

#[tokio::test]
async fn filters_and_orders_match_a_reference() {
    let app = spawn_app().await;
    let (org, o) = app.org_with_owner("ref@example.com", "reference").await;
    let specs = [
        ("banana Bread", "Oven", "DRAFT"),
        ("apple pie", "Baking tray", "REVIEWING"),
        ("Zebra crossing", "Road paint", "APPROVED"),
        ("Émile's picks", "books", "DRAFT"),
        ("mango", "Smoothie MAKER", "ARCHIVED"),
        ("Apple cider", "press", "REVIEWING"),
        ("100% juice", "Juicer", "DRAFT"),
        ("under_score", "Bread knife", "FAILED"),
    ];
    let mut rows = Vec::new();
    for (i, (name, product, status)) in specs.iter().enumerate() {
        let mut b = brief();
        b["product"] = json!(product);
        let id = fixtures::campaign(
            &app,
            &o,
            json!({ "name": name, "brief": b, "locales": ["en"], "platforms": ["X"] }),
        )
        .await;
        fixtures::set_status(&app, &org, &id, status).await;
        rows.push((i, name.to_string(), product.to_string(), status.to_string()));
    }
    // touch two campaigns so updated_at order differs from created_at order (archived ones cannot be edited)
    for name in ["banana Bread", "apple pie"] {
        let id = data_of(
            &app.gql(
                &o,
                "query($f: CampaignFilter) { campaigns(filter: $f) { nodes { id } } }",
                json!({ "f": { "search": name } }),
            )
            .await,
        )["campaigns"]["nodes"][0]["id"]
            .clone();
        app.gql(
            &o,
            "mutation($i: UpdateCampaignInput!) { updateCampaign(input: $i) { campaign { id } } }",
            json!({ "i": { "campaignId": id, "name": name } }),
        )
        .await;
    }
    let filters = vec![
        (
            json!(null),
            Box::new(|_: &(usize, String, String, String)| true)
                as Box<dyn Fn(&(usize, String, String, String)) -> bool>,
        ),
        (
            json!({ "status": ["DRAFT", "REVIEWING"] }),
            Box::new(|r: &(usize, String, String, String)| r.3 == "DRAFT" || r.3 == "REVIEWING"),
        ),
        (
            json!({ "search": "APPLE" }),
            Box::new(|r: &(usize, String, String, String)| {
                r.1.to_lowercase().contains("apple") || r.2.to_lowercase().contains("apple")
            }),
        ),
        (
            json!({ "search": "bread" }),
            Box::new(|r: &(usize, String, String, String)| {
                r.1.to_lowercase().contains("bread") || r.2.to_lowercase().contains("bread")
            }),
        ),
        (
            json!({ "search": "100%" }),
            Box::new(|r: &(usize, String, String, String)| r.1.contains("100%")),
        ),
        (
            json!({ "search": "_" }),
            Box::new(|r: &(usize, String, String, String)| r.1.contains('_')),
        ),
        (
            json!({ "status": ["DRAFT"], "search": "e" }),
            Box::new(|r: &(usize, String, String, String)| {
                r.3 == "DRAFT" && (r.1.to_lowercase().contains('e') || r.2.to_lowercase().contains('e'))
            }),
        ),
    ];
    let orders = ["CREATED_AT", "NAME"];
    for (filter, keep) in &filters {
        for field in orders {
            for dir in ["ASC", "DESC"] {
                let mut want: Vec<&(usize, String, String, String)> = rows.iter().filter(|r| keep(r)).collect();
                match field {
                    "NAME" => want.sort_by(|a, b| a.1.as_bytes().cmp(b.1.as_bytes())),
                    _ => want.sort_by_key(|r| r.0),
                }
                if dir == "DESC" {
                    want.reverse();
                }
                let want: Vec<String> = want.iter().map(|r| r.1.clone()).collect();
                let got = walk(&app, &o, 3, filter.clone(), json!({ "field": field, "direction": dir })).await;
                assert_eq!(got, want, "filter {filter} order {field} {dir}");
                let total = list(&app, &o, json!({ "filter": filter })).await["totalCount"]
                    .as_u64()
                    .unwrap();
                assert_eq!(total as usize, want.len(), "totalCount for {filter}");
            }
        }
    }
    // UPDATED_AT: the two touched campaigns come last ascending
    let got = walk(
        &app,
        &o,
        4,
        json!(null),
        json!({ "field": "UPDATED_AT", "direction": "ASC" }),
    )
    .await;
    assert_eq!(
        got[got.len() - 2..],
        ["banana Bread".to_string(), "apple pie".to_string()]
    );
    // created range
    let all = list(
        &app,
        &o,
        json!({ "first": 100, "order": { "field": "CREATED_AT", "direction": "ASC" } }),
    )
    .await;
    let t3 = all["edges"][3]["node"]["createdAt"].clone();
    let after = list(&app, &o, json!({ "filter": { "createdAfter": t3 } })).await;
    assert_eq!(after["totalCount"], 4);
    let before = list(&app, &o, json!({ "filter": { "createdBefore": t3 } })).await;
    assert_eq!(before["totalCount"], 3);
}

/// The nested page of the README: the number of SQL statements does not
/// grow with the page size.
#[tokio::test]
async fn nested_pages_cost_a_constant_number_of_statements() {
    let app = spawn_app().await;
    let (org, o) = app.org_with_owner("nplus1@example.com", "nplus1").await;
    for i in 0..100 {
        let id = fixtures::campaign(&app, &o, fixtures::campaign_input(&format!("N{i}"))).await;
        fixtures::angles_and_copies(&app, &org, &id, 5, 3).await;
    }
    let q = |n: i64| {
        format!(
            "{{ campaigns(first: {n}) {{ nodes {{ angles(first: 5) {{ nodes {{ copies(first: 3) {{ nodes {{ body }} }} }} }} }} }} }}"
        )
    };
    let mut counts = Vec::new();
    for n in [20, 100] {
        let resp = o
            .post(&app.http, &format!("{}/graphql", app.base))
            .json(&json!({ "query": q(n) }))
            .send()
            .await
            .unwrap();
        let statements: u32 = resp.headers()["x-db-statements"].to_str().unwrap().parse().unwrap();
        let body: Value = resp.json().await.unwrap();
        let nodes = data_of(&body)["campaigns"]["nodes"].as_array().unwrap().clone();
        assert_eq!(nodes.len(), n as usize);
        assert!(
            nodes
                .iter()
                .all(|c| c["angles"]["nodes"].as_array().unwrap().len() == 5)
        );
        assert!(nodes.iter().all(|c| {
            c["angles"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["copies"]["nodes"].as_array().unwrap().len() == 3)
        }));
        counts.push(statements);
    }
    assert_eq!(
        counts[0], counts[1],
        "statements must not depend on the page size: {counts:?}"
    );
    // Round trips: BEGIN, the tenant and the campaigns together; the
    // angles; the copies; COMMIT.
    assert_eq!(counts[0], 4, "{counts:?}");
}

#[tokio::test]
async fn nested_totals_count_every_child_whatever_the_page_or_fragment() {
    let app = spawn_app().await;
    let (org, o) = app.org_with_owner("totals@example.com", "totals").await;
    let full = fixtures::campaign(&app, &o, fixtures::campaign_input("Full")).await;
    fixtures::angles_and_copies(&app, &org, &full, 4, 2).await;
    let empty = fixtures::campaign(&app, &o, fixtures::campaign_input("Empty")).await;
    // totalCount asked through a fragment, next to a page of one.
    let q = "fragment T on AngleConnection { totalCount }
      query($after: String) { campaigns(first: 10) { nodes { id name
        angles(first: 1, after: $after) { ...T pageInfo { endCursor hasNextPage }
          nodes { copies(first: 1) { totalCount nodes { id } } } } } } }";
    let angles_of = |body: &Value, id: &str| {
        data_of(body)["campaigns"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["angles"]
            .clone()
    };
    let body = app.gql(&o, q, json!({})).await;
    let a = angles_of(&body, &full);
    assert_eq!(a["totalCount"], 4, "{a}");
    assert_eq!(a["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(a["nodes"][0]["copies"]["totalCount"], 2, "{a}");
    assert_eq!(a["pageInfo"]["hasNextPage"], true);
    let e = angles_of(&body, &empty);
    assert_eq!(e["totalCount"], 0, "{e}");
    assert_eq!(e["nodes"], json!([]));

    // Walk to the last angle, then past it: the total stays the list's length.
    let mut after = a["pageInfo"]["endCursor"].clone();
    for _ in 0..3 {
        let body = app.gql(&o, q, json!({ "after": after })).await;
        let a = angles_of(&body, &full);
        assert_eq!(a["totalCount"], 4, "{a}");
        assert_eq!(a["nodes"].as_array().unwrap().len(), 1);
        after = a["pageInfo"]["endCursor"].clone();
    }
    let body = app.gql(&o, q, json!({ "after": after })).await;
    let a = angles_of(&body, &full);
    assert_eq!(a["nodes"], json!([]), "{a}");
    assert_eq!(a["totalCount"], 4, "a page past the end still counts the list: {a}");
    assert_eq!(a["pageInfo"]["hasNextPage"], false);
}
