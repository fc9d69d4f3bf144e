//! Branded images through the API: a generated campaign's sets, logo
//! uploads (and attacks on them), regenerating a set.

use crate::credits::assert_ledgers_reconcile;
use crate::helpers::fixtures::{self, brief};
use crate::helpers::{Caller, TestApp, code_of, data_of, spawn_app_with};
use crate::jobs::wait_job;
use serde_json::{Value, json};
use std::time::Duration;

const UPLOAD: &str = "mutation($f: Upload!) { uploadBrandLogo(input: { file: $f }) { asset { id kind width height mimeType byteSize url } } }";

async fn upload(app: &TestApp, c: &Caller, name: &str, mime: &str, bytes: Vec<u8>) -> Value {
    let ops = json!({ "query": UPLOAD, "variables": { "f": null } });
    let form = reqwest::multipart::Form::new()
        .text("operations", ops.to_string())
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str(mime)
                .unwrap(),
        );
    c.post(&app.http, &format!("{}/graphql", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([
            (x * 4) as u8,
            (y * 4) as u8,
            200,
            if (x + y) % 2 == 0 { 255 } else { 128 },
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small PNG whose header claims 60000 x 60000 pixels (a decompression bomb's shape).
fn bomb() -> Vec<u8> {
    let mut p = png(16, 16);
    p[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    p[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let crc = crc32(&p[12..29]);
    p[29..33].copy_from_slice(&crc.to_be_bytes());
    p
}

async fn logo_and_assets(app: &TestApp, c: &Caller) -> (Value, usize) {
    let body = app.gql(c, "{ org { brandKit { logo { id } } } }", json!({})).await;
    let files = walk(&app.storage_dir);
    (data_of(&body)["org"]["brandKit"]["logo"].clone(), files)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn logos_are_checked_by_their_bytes_and_bad_files_store_nothing() {
    let app = spawn_app_with(|_| {}).await;
    let (_, owner) = app.org_with_owner("logo@example.com", "logo").await;
    let editor = app.member(&owner, "ed@example.com", "EDITOR").await;
    assert_eq!(
        code_of(&upload(&app, &editor, "logo.png", "image/png", png(64, 64)).await),
        "FORBIDDEN"
    );
    let before = logo_and_assets(&app, &owner).await;
    assert!(before.0.is_null());
    let attacks: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "logo.png",
            "image/png",
            b"just some text pretending to be a PNG".to_vec(),
        ),
        ("logo.png", "image/png", vec![0u8; 0]),
        ("logo.jpg", "image/jpeg", bomb()),
        ("logo.png", "image/png", {
            let mut big = png(64, 64);
            big.resize(6 * 1024 * 1024, 0);
            big
        }),
        ("tiny.png", "image/png", png(4, 4)),
    ];
    for (name, mime, bytes) in attacks {
        let body = upload(&app, &owner, name, mime, bytes).await;
        assert_eq!(code_of(&body), "BAD_USER_INPUT", "{name}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "file", "{body}");
    }
    assert_eq!(
        logo_and_assets(&app, &owner).await,
        before,
        "nothing stored, nothing set"
    );
    // a PNG sent as "image/jpeg" named .jpg is still a PNG: accepted, stored as PNG
    let body = upload(&app, &owner, "brand.jpg", "image/jpeg", png(64, 32)).await;
    let asset = &data_of(&body)["uploadBrandLogo"]["asset"];
    assert_eq!(
        (
            asset["kind"].as_str(),
            asset["width"].as_i64(),
            asset["height"].as_i64(),
            asset["mimeType"].as_str()
        ),
        (Some("LOGO"), Some(64), Some(32), Some("image/png"))
    );
    let fetched = app
        .http
        .get(asset["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(image::load_from_memory(&fetched).unwrap().width(), 64);
    let kit = app.gql(&owner, "{ org { brandKit { logo { id } } } }", json!({})).await;
    assert_eq!(data_of(&kit)["org"]["brandKit"]["logo"]["id"], asset["id"]);
}

#[tokio::test]
async fn a_campaign_gets_four_branded_ratios_per_angle_and_sets_can_be_regenerated() {
    let app = spawn_app_with(|s| {
        s.insert("WORKERS".into(), "2".into());
    })
    .await;
    let _w = api::jobs::WorkerPool::start(app.state(), 2);
    let (org, owner) = app.org_with_owner("img@example.com", "img").await;
    app.grant(&org, 100).await;
    let body = upload(&app, &owner, "logo.png", "image/png", png(128, 64)).await;
    assert!(body["errors"].is_null(), "{body}");
    let input = json!({ "name": "Pictures", "brief": brief(), "locales": ["en", "de"], "platforms": ["X", "TIKTOK", "LINKEDIN"] });
    let id = fixtures::campaign(&app, &owner, input).await;
    // 2 locales x 1 angle: 2 angles, 6 copies, 2 image sets
    let (job, body) = fixtures::generate(&app, &owner, &id, json!({ "anglesPerLocale": 1 })).await;
    assert_eq!(data_of(&body)["generateCampaign"]["job"]["creditsReserved"], 16);
    let j = wait_job(&app, &owner, &job, Duration::from_secs(180)).await;
    assert_eq!(
        (j["status"].as_str(), j["creditsCharged"].as_i64()),
        (Some("SUCCEEDED"), Some(16)),
        "{j}"
    );
    let q = "query($id: ID!, $r: AspectRatio) { campaign(id: $id) { status assets(first: 100, kind: IMAGE, aspectRatio: $r) { totalCount nodes { id kind aspectRatio width height mimeType byteSize url angle { id } provenance { provider jobId } } } } }";
    let c = app.gql(&owner, q, json!({ "id": id })).await;
    let c = &data_of(&c)["campaign"];
    assert_eq!(c["status"], "REVIEWING");
    assert_eq!(c["assets"]["totalCount"], 8, "2 angles x 4 ratios");
    for (ratio, w, h) in [
        ("SQUARE_1_1", 1080, 1080),
        ("PORTRAIT_4_5", 1080, 1350),
        ("STORY_9_16", 1080, 1920),
        ("LANDSCAPE_16_9", 1920, 1080),
    ] {
        let r = app.gql(&owner, q, json!({ "id": id, "r": ratio })).await;
        let nodes = data_of(&r)["campaign"]["assets"]["nodes"].as_array().unwrap().clone();
        assert_eq!(nodes.len(), 2, "{ratio}");
        for n in &nodes {
            assert_eq!(
                (n["width"].as_i64(), n["height"].as_i64()),
                (Some(w), Some(h)),
                "{ratio}"
            );
            assert_eq!(n["provenance"]["jobId"], job.as_str());
        }
        let bytes = app
            .http
            .get(nodes[0]["url"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.len() as i64, nodes[0]["byteSize"].as_i64().unwrap());
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!(
            (img.width() as i64, img.height() as i64),
            (w, h),
            "{ratio}: the stored file has the stated size"
        );
    }
    // regenerate one set: four new images, the old four no longer listed
    let asset = c["assets"]["nodes"][0].clone();
    let body = app
        .gql(
            &owner,
            "mutation($i: RegenerateAssetInput!) { regenerateAsset(input: $i) { job { id kind creditsReserved } } }",
            json!({ "i": { "assetId": asset["id"] } }),
        )
        .await;
    let rj = data_of(&body)["regenerateAsset"]["job"].clone();
    assert_eq!(
        (rj["kind"].as_str(), rj["creditsReserved"].as_i64()),
        (Some("REGENERATE_ASSET"), Some(4))
    );
    let done = wait_job(&app, &owner, rj["id"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(
        (done["status"].as_str(), done["creditsCharged"].as_i64()),
        (Some("SUCCEEDED"), Some(4)),
        "{done}"
    );
    let c = app.gql(&owner, q, json!({ "id": id })).await;
    let nodes = data_of(&c)["campaign"]["assets"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 8);
    assert!(
        !nodes.iter().any(|n| n["id"] == asset["id"]),
        "the old set is superseded"
    );
    let of_angle: Vec<&Value> = nodes
        .iter()
        .filter(|n| n["angle"]["id"] == asset["angle"]["id"])
        .collect();
    assert_eq!(of_angle.len(), 4);
    assert!(of_angle.iter().all(|n| n["provenance"]["jobId"] == rj["id"]));
    // the old asset still resolves by id (kept, not listed)
    let old = app
        .gql(
            &owner,
            "query($id: ID!) { node(id: $id) { ... on Asset { id } } }",
            json!({ "id": asset["id"] }),
        )
        .await;
    assert_eq!(data_of(&old)["node"]["id"], asset["id"]);
    assert_ledgers_reconcile(&app).await;
}
