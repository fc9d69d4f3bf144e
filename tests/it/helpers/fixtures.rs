//! Builders for the data tests need, through the API where it exists.

use super::{Caller, TestApp, data_of};
use serde_json::{Value, json};

pub const CREATE_CAMPAIGN: &str =
    "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { id name status slug } } }";

pub fn brief() -> Value {
    json!({
        "product": "Trail running shoes",
        "audience": "weekend runners in cities",
        "goal": "sign-ups for the spring collection",
        "tone": "energetic",
        "keyMessages": ["grip on wet rock", "light as a feather"],
        "callToAction": "Find your pair",
        "landingUrl": "https://example.com/spring"
    })
}

pub fn campaign_input(name: &str) -> Value {
    json!({ "name": name, "brief": brief(), "locales": ["en"], "platforms": ["INSTAGRAM", "X", "LINKEDIN"] })
}

/// Creates a campaign; returns its id.
pub async fn campaign(app: &TestApp, caller: &Caller, input: Value) -> String {
    let body = app.gql(caller, CREATE_CAMPAIGN, json!({ "i": input })).await;
    data_of(&body)["createCampaign"]["campaign"]["id"]
        .as_str()
        .expect("campaign id")
        .to_string()
}

/// Queues a generation job; returns (job id, body).
pub async fn generate(app: &TestApp, caller: &Caller, campaign: &str, extra: Value) -> (String, Value) {
    let mut input = json!({ "campaignId": campaign });
    if let Value::Object(m) = extra {
        for (k, v) in m {
            input[k] = v;
        }
    }
    let body = app
        .gql(caller, "mutation($i: GenerateCampaignInput!) { generateCampaign(input: $i) { job { id status creditsReserved } campaign { status } } }", json!({ "i": input }))
        .await;
    let id = body["data"]["generateCampaign"]["job"]["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (id, body)
}

/// A connection as the application role in `org` (for this connection's
/// life), for fixtures written below the API.
async fn org_conn(app: &TestApp, org: &str) -> sqlx::PgConnection {
    let mut c = app.db.app_conn().await;
    sqlx::query("SELECT set_config('app.org_id', $1, false)")
        .bind(org)
        .execute(&mut c)
        .await
        .unwrap();
    c
}

/// Inserts angles and copies for a campaign directly, in the org's context
/// as the application role (for tests of reading and reviewing).
pub async fn angles_and_copies(app: &TestApp, org: &str, campaign: &str, angles: usize, copies: usize) {
    use sqlx::Connection as _;
    let mut c = org_conn(app, org).await;
    let mut tx = c.begin().await.unwrap();
    let platforms = ["INSTAGRAM", "X", "LINKEDIN", "FACEBOOK", "TIKTOK"];
    for a in 0..angles {
        let angle: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO angles (org_id, campaign_id, locale, position, title, hook, provenance)
             VALUES ($1::uuid, $2::uuid, 'en', $3, $4, 'A hook', '{\"provider\":\"fixture\"}') RETURNING id",
        )
        .bind(org)
        .bind(campaign)
        .bind(a as i32)
        .bind(format!("Angle {a}"))
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        for p in 0..copies {
            sqlx::query(
                "INSERT INTO copies (org_id, campaign_id, angle_id, platform, locale, headline, body, character_count, provenance)
                 VALUES ($1::uuid, $2::uuid, $3, $4, 'en', 'Headline', $5, char_length($5), '{\"provider\":\"fixture\"}')",
            )
            .bind(org)
            .bind(campaign)
            .bind(angle)
            .bind(platforms[p % platforms.len()])
            .bind(format!("Body {a}.{p}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

/// Sets a campaign's status directly (for state-machine tests).
pub async fn set_status(app: &TestApp, org: &str, campaign: &str, status: &str) {
    use sqlx::Connection as _;
    let mut c = org_conn(app, org).await;
    let mut tx = c.begin().await.unwrap();
    sqlx::query("UPDATE campaigns SET status = $2 WHERE id = $1::uuid")
        .bind(campaign)
        .bind(status)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Runs `sql` (one or more statements) in the org's context as the
/// application role, for fixtures the API has no mutation for.
pub async fn exec_in_org(app: &TestApp, org: &str, sql: &'static str) {
    use sqlx::Connection as _;
    let mut c = org_conn(app, org).await;
    let mut tx = c.begin().await.unwrap();
    sqlx::raw_sql(sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}
