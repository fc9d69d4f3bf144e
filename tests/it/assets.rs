//! Asset storage (signed URLs, S3), the export kit, cross-tenant access.

use crate::credits::assert_ledgers_reconcile;
use crate::helpers::fixtures::{self, brief};
use crate::helpers::{TestApp, code_of, data_of, spawn_app, spawn_app_with};
use crate::jobs::wait_job;
use api::storage::{FsStorage, S3Storage, Storage, URL_TTL};
use serde_json::{Value, json};
use std::io::Read as _;
use std::time::Duration;

#[tokio::test]
async fn signed_urls_refuse_tampering_expiry_and_traversal() {
    let app = spawn_app().await;
    let org = uuid::Uuid::new_v4();
    let key = api::storage::object_key(org, "images", "a.png");
    let store = app.state().storage.clone();
    store.put(&key, b"\x89PNG fake".to_vec(), "image/png").await.unwrap();
    let (url, expires) = store.signed_url(&key, URL_TTL).await.unwrap();
    assert!(expires > chrono::Utc::now());
    let ok = app.http.get(&url).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "image/png");
    assert_eq!(ok.bytes().await.unwrap().as_ref(), b"\x89PNG fake");
    // tampered signature, expiry, or key
    let tampered = url.replace("sig=", "sig=A");
    let later = url.replace(
        &format!("exp={}", expires.timestamp()),
        &format!("exp={}", expires.timestamp() + 3600),
    );
    let other_key = url.replace("a.png", "b.png");
    for bad in [tampered, later, other_key, format!("{}/files/{key}", app.base)] {
        assert_eq!(app.http.get(&bad).send().await.unwrap().status(), 403, "{bad}");
    }
    // expired
    let fs = FsStorage::new(
        app.storage_dir.clone(),
        app.base.clone(),
        api::crypto::Signer::new(crate::helpers::app::SECRET_KEY, "asset-url-v1"),
    )
    .unwrap();
    let (expired, _) = fs.signed_url(&key, Duration::from_secs(0)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.http.get(&expired).send().await.unwrap().status(), 403);
    // traversal: never out of the store, whatever the signature
    for path in [
        "/files/orgs/../../etc/passwd?exp=9999999999&sig=x",
        "/files/%2e%2e/%2e%2e/etc/passwd?exp=9999999999&sig=x",
        "/files/orgs%2F..%2F..%2Fetc%2Fpasswd?exp=9999999999&sig=x",
    ] {
        let status = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status == 403 || status == 404, "{path}: {status}");
    }
}

fn s3_settings() -> Option<(String, String, String)> {
    Some((
        std::env::var("TEST_S3_ENDPOINT").ok()?,
        std::env::var("TEST_S3_ACCESS_KEY").ok()?,
        std::env::var("TEST_S3_SECRET_KEY").ok()?,
    ))
}

#[tokio::test]
async fn the_s3_store_round_trips_and_presigns() {
    let Some((endpoint, access, secret)) = s3_settings() else {
        panic!("TEST_S3_ENDPOINT is not set: run scripts/test.sh (it starts an S3-compatible server)");
    };
    let bucket = format!("cs-test-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let cfg = api::config::S3Config {
        endpoint: Some(endpoint),
        region: "us-east-1".into(),
        bucket,
        force_path_style: true,
        access_key_id: Some(access),
        secret_access_key: Some(api::config::Secret::new(secret)),
    };
    let store = S3Storage::new(&cfg).await.unwrap();
    store.ensure_bucket().await.unwrap();
    let key = api::storage::object_key(uuid::Uuid::new_v4(), "images", "round.jpg");
    store.put(&key, vec![1, 2, 3, 4], "image/jpeg").await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), vec![1, 2, 3, 4]);
    let (url, expires) = store.signed_url(&key, Duration::from_secs(300)).await.unwrap();
    assert!(expires > chrono::Utc::now());
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &[1, 2, 3, 4]);
    // a presigned URL with its signature changed is refused by the server
    let broken = url.replace("X-Amz-Signature=", "X-Amz-Signature=0");
    assert!(reqwest::get(&broken).await.unwrap().status().is_client_error());
}

#[tokio::test]
async fn the_server_runs_on_s3_storage() {
    let Some((endpoint, access, secret)) = s3_settings() else {
        panic!("TEST_S3_ENDPOINT is not set: run scripts/test.sh");
    };
    let app = spawn_app_with(|s| {
        s.insert("STORAGE".into(), "s3".into());
        s.insert("S3_ENDPOINT".into(), endpoint);
        s.insert(
            "S3_BUCKET".into(),
            format!("cs-app-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
        );
        s.insert("S3_FORCE_PATH_STYLE".into(), "true".into());
        s.insert("AWS_ACCESS_KEY_ID".into(), access);
        s.insert("AWS_SECRET_ACCESS_KEY".into(), secret);
    })
    .await;
    let store = app.state().storage.clone();
    let key = api::storage::object_key(uuid::Uuid::new_v4(), "exports", "k.zip");
    store.put(&key, b"zip".to_vec(), "application/zip").await.unwrap();
    let (url, _) = store.signed_url(&key, URL_TTL).await.unwrap();
    assert!(url.contains("X-Amz-Signature"), "{url}");
    assert_eq!(
        reqwest::get(&url).await.unwrap().bytes().await.unwrap().as_ref(),
        b"zip"
    );
}

async fn approve_with_accepted(app: &TestApp, owner: &crate::helpers::Caller, campaign: &str) -> Vec<Value> {
    let c = app
        .gql(
            owner,
            "query($id: ID!) { campaign(id: $id) { angles { nodes { id copies { nodes { id platform body } } } } } }",
            json!({ "id": campaign }),
        )
        .await;
    let angles = data_of(&c)["campaign"]["angles"]["nodes"].as_array().unwrap().clone();
    let mut accepted = Vec::new();
    for a in angles.iter().take(2) {
        for copy in a["copies"]["nodes"].as_array().unwrap() {
            let body = app
                .gql(
                    owner,
                    "mutation($i: ReviewSuggestionInput!) { reviewSuggestion(input: $i) { copy { id } } }",
                    json!({ "i": { "id": copy["id"], "accept": true } }),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
            accepted.push(copy.clone());
        }
    }
    let body = app
        .gql(
            owner,
            "mutation($i: ReviewCampaignInput!) { approveCampaign(input: $i) { campaign { status } } }",
            json!({ "i": { "campaignId": campaign } }),
        )
        .await;
    assert_eq!(data_of(&body)["approveCampaign"]["campaign"]["status"], "APPROVED");
    accepted
}

#[tokio::test]
async fn an_approved_campaign_exports_a_kit_that_parses() {
    let app = spawn_app_with(|s| {
        s.insert("WORKERS".into(), "1".into());
    })
    .await;
    let _w = api::jobs::WorkerPool::start(app.state(), 1);
    let (org, owner) = app.org_with_owner("kit@example.com", "kit").await;
    app.grant(&org, 100).await;
    let input =
        json!({ "name": "Kit, \"quoted\"", "brief": brief(), "locales": ["en"], "platforms": ["X", "LINKEDIN"] });
    let id = fixtures::campaign(&app, &owner, input).await;
    // not APPROVED yet: CONFLICT
    let export = "mutation($i: ExportCampaignInput!) { exportCampaign(input: $i) { job { id kind creditsReserved } } }";
    assert_eq!(
        code_of(&app.gql(&owner, export, json!({ "i": { "campaignId": id } })).await),
        "CONFLICT"
    );
    let (job, _) = fixtures::generate(&app, &owner, &id, json!({ "includeImages": false })).await;
    assert_eq!(
        wait_job(&app, &owner, &job, Duration::from_secs(60)).await["status"],
        "SUCCEEDED"
    );
    let accepted = approve_with_accepted(&app, &owner, &id).await;
    let body = app.gql(&owner, export, json!({ "i": { "campaignId": id } })).await;
    let j = &data_of(&body)["exportCampaign"]["job"];
    assert_eq!(
        (j["kind"].as_str(), j["creditsReserved"].as_i64()),
        (Some("EXPORT_KIT"), Some(2))
    );
    let done = wait_job(&app, &owner, j["id"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(
        (done["status"].as_str(), done["creditsCharged"].as_i64()),
        (Some("SUCCEEDED"), Some(2)),
        "{done}"
    );
    let c = app.gql(&owner, "query($id: ID!) { campaign(id: $id) { status assets(kind: EXPORT_KIT) { totalCount nodes { id kind mimeType byteSize url urlExpiresAt } } } }", json!({ "id": id })).await;
    let c = &data_of(&c)["campaign"];
    assert_eq!(c["status"], "EXPORTED");
    assert_eq!(c["assets"]["totalCount"], 1);
    let asset = &c["assets"]["nodes"][0];
    assert_eq!(asset["mimeType"], "application/zip");
    let bytes = app
        .http
        .get(asset["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len() as i64, asset["byteSize"].as_i64().unwrap());
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.to_string()))
        .collect::<Result<_, _>>()
        .unwrap();
    names.sort();
    assert_eq!(names, vec!["README.txt", "copies.csv", "schedule.csv"]);
    let mut copies = String::new();
    zip.by_name("copies.csv").unwrap().read_to_string(&mut copies).unwrap();
    let mut rdr = csv::Reader::from_reader(copies.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), accepted.len(), "one row per accepted copy");
    for a in &accepted {
        let row = rows
            .iter()
            .find(|r| r[0] == *a["id"].as_str().unwrap())
            .expect("accepted copy in the CSV");
        assert_eq!(&row[4], a["platform"].as_str().unwrap());
        assert_eq!(
            &row[6],
            a["body"].as_str().unwrap(),
            "the body round-trips through RFC 4180"
        );
    }
    let mut schedule = String::new();
    zip.by_name("schedule.csv")
        .unwrap()
        .read_to_string(&mut schedule)
        .unwrap();
    let slots: Vec<csv::StringRecord> = csv::Reader::from_reader(schedule.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(slots.len(), accepted.len());
    let mut seen = std::collections::HashSet::new();
    for s in &slots {
        assert!(
            seen.insert((s[1].to_string(), s[2].to_string())),
            "two posts of {} at {}",
            &s[1],
            &s[2]
        );
    }
    assert_ledgers_reconcile(&app).await;
}

#[tokio::test]
async fn another_orgs_assets_and_files_are_out_of_reach() {
    let app = spawn_app_with(|s| {
        s.insert("WORKERS".into(), "1".into());
    })
    .await;
    let _w = api::jobs::WorkerPool::start(app.state(), 1);
    let (org_a, a) = app.org_with_owner("asset-a@example.com", "asset-a").await;
    let (_, b) = app.org_with_owner("asset-b@example.com", "asset-b").await;
    app.grant(&org_a, 100).await;
    let id = fixtures::campaign(
        &app,
        &a,
        json!({ "name": "Private", "brief": brief(), "locales": ["en"], "platforms": ["X"] }),
    )
    .await;
    let (job, _) = fixtures::generate(&app, &a, &id, json!({ "includeImages": false })).await;
    wait_job(&app, &a, &job, Duration::from_secs(60)).await;
    approve_with_accepted(&app, &a, &id).await;
    let body = app
        .gql(
            &a,
            "mutation($i: ExportCampaignInput!) { exportCampaign(input: $i) { job { id } } }",
            json!({ "i": { "campaignId": id } }),
        )
        .await;
    wait_job(
        &app,
        &a,
        data_of(&body)["exportCampaign"]["job"]["id"].as_str().unwrap(),
        Duration::from_secs(60),
    )
    .await;
    let c = app
        .gql(
            &a,
            "query($id: ID!) { campaign(id: $id) { assets { nodes { id url } } } }",
            json!({ "id": id }),
        )
        .await;
    let asset = data_of(&c)["campaign"]["assets"]["nodes"][0].clone();
    let asset_id = asset["id"].as_str().unwrap();
    assert_eq!(
        code_of(
            &app.gql(
                &b,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": asset_id })
            )
            .await
        ),
        "NOT_FOUND"
    );
    assert_eq!(
        code_of(
            &app.gql(
                &b,
                "mutation($i: RegenerateAssetInput!) { regenerateAsset(input: $i) { job { id } } }",
                json!({ "i": { "assetId": asset_id } })
            )
            .await
        ),
        "NOT_FOUND"
    );
    // a guessed key of org A's file without A's signature is refused
    let url = asset["url"].as_str().unwrap();
    let path = url.split('?').next().unwrap();
    assert_eq!(app.http.get(path).send().await.unwrap().status(), 403);
    assert_eq!(
        app.http
            .get(format!("{path}?exp=9999999999&sig=forged"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}
