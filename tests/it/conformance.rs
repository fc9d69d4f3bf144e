//! Real clients: the graphql-http audit suite (GraphQL over HTTP
//! conformance) runs against the server.

use crate::helpers::spawn_app;
use std::path::PathBuf;

pub fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js")
}

/// Runs `node <script> <args>` from tests/js; None when node or the
/// packages are missing (scripts/test.sh installs them).
pub fn node(script: &str, args: &[&str]) -> Option<std::process::Output> {
    let dir = js_dir();
    if !dir.join("node_modules").exists() {
        return None;
    }
    std::process::Command::new("node")
        .current_dir(&dir)
        .arg(script)
        .args(args)
        .output()
        .ok()
}

/// SHOULDs we do not meet on purpose (README, "GraphQL over HTTP").
const ACCEPTED_SHOULD_FAILURES: &[&str] = &[];

#[tokio::test]
async fn the_graphql_http_audit_suite_passes() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.base);
    let Some(out) = tokio::task::spawn_blocking(move || node("audit-http.mjs", &[&url]))
        .await
        .unwrap()
    else {
        panic!("node and tests/js/node_modules are needed (scripts/test.sh installs them)");
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "audit runner failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut failures = Vec::new();
    let mut count = 0;
    for line in stdout.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        count += 1;
        let name = r["name"].as_str().unwrap_or("");
        if r["status"] == "ok" {
            continue;
        }
        let must = name.starts_with("MUST");
        if must || !ACCEPTED_SHOULD_FAILURES.iter().any(|s| name.contains(s)) {
            failures.push(format!("{} {} {}: {}", r["id"], r["status"], name, r["reason"]));
        }
    }
    assert!(count > 20, "the suite ran ({count} audits)");
    assert!(
        failures.is_empty(),
        "{} audits failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
