//! The committed `schema.graphql` is what the code exports, and it keeps
//! every promise of the API contract.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn schema_sdl_matches_committed_file() {
    let path = root().join("schema.graphql");
    let sdl = api::graphql::sdl();
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &sdl).expect("write schema.graphql");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == sdl,
        "schema.graphql is stale: run `cargo run --bin campaign-studio -- export-schema > schema.graphql` \
         (or UPDATE_SCHEMA=1 scripts/test.sh -E 'test(schema_sdl)') and commit it"
    );
}

#[test]
fn schema_keeps_every_promise_of_the_contract() {
    let contract = root().join("../shared/contract.graphql");
    let checker = root().join("../shared/tools/contract_check.py");
    if !contract.exists() || !checker.exists() {
        eprintln!("../shared is not beside the project; contract check skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("cs-sdl-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let sdl = dir.join("schema.graphql");
    std::fs::write(&sdl, api::graphql::sdl()).expect("write sdl");
    let out = std::process::Command::new("python3")
        .arg(&checker)
        .arg(&contract)
        .arg(&sdl)
        .output()
        .expect("python3");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "contract check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
