//! Requests that may be answered before the executor (plain lookups and
//! inserts): what came back, in how many round trips, and by which path.

use super::{Caller, TestApp};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The body, the X-Db-Statements header and whether the direct path's
/// counter rose.
pub struct Answer {
    pub body: String,
    pub statements: u32,
    pub direct: bool,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// Posts `query` as `c` with `headers`; `direct` tells whether the
/// `/metrics` counter `counter` rose meanwhile (the tests of one app send
/// one request at a time).
pub async fn post_counted(
    app: &TestApp,
    c: &Caller,
    query: &str,
    vars: &Value,
    headers: &[(&str, &str)],
    counter: &str,
) -> Answer {
    let before = app.counter(counter).await;
    let mut req = c
        .post(&app.http, &format!("{}/graphql", app.base))
        .json(&json!({ "query": query, "variables": vars }));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.expect("request");
    let statements = resp
        .headers()
        .get("x-db-statements")
        .map(|v| v.to_str().unwrap().parse().unwrap())
        .unwrap_or(0);
    let body = resp.text().await.expect("body");
    let after = app.counter(counter).await;
    Answer {
        body,
        statements,
        direct: after > before,
    }
}

/// A text never sent before: the same document, a comment apart.
pub fn fresh(query: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{query}\n# {}", N.fetch_add(1, Ordering::Relaxed))
}
