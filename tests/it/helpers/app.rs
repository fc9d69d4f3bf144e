//! `TestApp`: the real server, started in-process on a random port, on a
//! fresh database, connected as the application role.

use super::db::TestDb;
use super::gql::Caller;
use api::auth::JwtVerifier;
use api::config::Config;
use api::startup::App;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;

pub const JWT_SECRET: &str = "test-jwt-secret-0123456789abcdef";
pub const SECRET_KEY: &str = "test-secret-key-0123456789abcdef";

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub base: String,
    pub http: reqwest::Client,
    pub db: TestDb,
    pub settings: HashMap<String, String>,
    pub storage_dir: PathBuf,
    pub jwt: JwtVerifier,
    app: Option<App>,
}

pub fn base_settings(db: &TestDb, storage_dir: &std::path::Path) -> HashMap<String, String> {
    let mut s = HashMap::new();
    s.insert("BIND_ADDR".into(), "127.0.0.1:0".into());
    s.insert("DATABASE_URL".into(), db.app_url.clone());
    s.insert("JWT_SECRET".into(), JWT_SECRET.into());
    s.insert("SECRET_KEY".into(), SECRET_KEY.into());
    s.insert("STORAGE_DIR".into(), storage_dir.display().to_string());
    s.insert("WORKERS".into(), "0".into());
    s.insert("DB_POOL_SIZE".into(), "8".into());
    s.insert("APP_ENV".into(), "development".into());
    s
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server with the test defaults, changed by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    api::telemetry::init(api::config::LogFormat::Pretty);
    let db = TestDb::new().await;
    let storage_dir = std::env::temp_dir().join(format!("cs-test-{}", uuid::Uuid::new_v4().simple()));
    let mut settings = base_settings(&db, &storage_dir);
    configure(&mut settings);
    let mut config = Config::from_source(&settings).expect("test config");
    // The public base URL must name the port we got: bind first.
    let listener = tokio::net::TcpListener::bind(config.bind_addr).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    config.bind_addr = addr;
    if !settings.contains_key("PUBLIC_BASE_URL") {
        config.public_base_url = format!("http://{addr}");
    }
    let jwt = JwtVerifier::from_config(&config.jwt).expect("jwt");
    let app = App::start_on(listener, config).await.expect("start app");
    TestApp {
        addr: app.addr,
        base: format!("http://{}", app.addr),
        http: reqwest::Client::new(),
        db,
        settings,
        storage_dir,
        jwt,
        app: Some(app),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.storage_dir);
    }
}

impl TestApp {
    pub fn state(&self) -> &api::state::AppState {
        &self.app.as_ref().expect("running").state
    }

    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await;
        }
    }

    /// A signed token for `email` (sub derived from it).
    pub fn token(&self, email: &str) -> String {
        self.jwt.sign(&self.jwt.dev_claims(email, false, 3600)).expect("sign")
    }

    pub fn admin_token(&self, email: &str) -> String {
        self.jwt.sign(&self.jwt.dev_claims(email, true, 3600)).expect("sign")
    }

    pub fn user(&self, email: &str) -> Caller {
        Caller {
            token: Some(self.token(email)),
            org: None,
        }
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        let resp = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics request");
        resp.text().await.expect("metrics body")
    }

    /// A counter of `/metrics` (a line `name value`).
    pub async fn counter(&self, name: &str) -> u64 {
        let text = self.metrics().await;
        metric(&text, name).unwrap_or_else(|| panic!("no counter {name} in {text}"))
    }

    /// POST /graphql and return the JSON body.
    pub async fn gql(&self, caller: &Caller, query: &str, variables: Value) -> Value {
        self.gql_on(&self.http, caller, query, variables).await
    }

    /// POST /graphql through `http` (a client of the test's own making) and
    /// return the JSON body.
    pub async fn gql_on(&self, http: &reqwest::Client, caller: &Caller, query: &str, variables: Value) -> Value {
        let resp = caller
            .post(http, &format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request");
        resp.json().await.expect("json body")
    }

    /// Creates an org whose OWNER is `email`; returns the owner acting in it.
    pub async fn org_with_owner(&self, email: &str, slug: &str) -> (String, Caller) {
        let user = self.user(email);
        let body = self
            .gql(
                &user,
                "mutation($i: CreateOrgInput!) { createOrg(input: $i) { org { id } } }",
                json!({ "i": { "name": slug, "slug": slug } }),
            )
            .await;
        let org = body["data"]["createOrg"]["org"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createOrg failed: {body}"))
            .to_string();
        (
            org.clone(),
            Caller {
                token: user.token,
                org: Some(org),
            },
        )
    }

    /// Adds `email` to the org with `role` (as the given admin); returns the member acting in it.
    pub async fn member(&self, admin: &Caller, email: &str, role: &str) -> Caller {
        let body = self
            .gql(
                admin,
                "mutation($i: AddMemberInput!) { addMember(input: $i) { membership { id } } }",
                json!({ "i": { "email": email, "role": role } }),
            )
            .await;
        assert!(body["errors"].is_null(), "addMember failed: {body}");
        Caller {
            token: Some(self.token(email)),
            org: admin.org.clone(),
        }
    }

    /// A new API key with `role` in `caller`'s org: a caller that signs in
    /// with it, and the key's id.
    pub async fn api_key(&self, caller: &Caller, role: &str) -> (Caller, String) {
        let body = self
            .gql(
                caller,
                "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }",
                json!({ "i": { "name": "test key", "role": role } }),
            )
            .await;
        let created = &super::data_of(&body)["createApiKey"];
        let key = Caller {
            token: Some(created["secret"].as_str().unwrap().to_string()),
            org: None,
        };
        (key, created["apiKey"]["id"].as_str().unwrap().to_string())
    }

    /// The id of `email`'s membership in `caller`'s org.
    pub async fn membership_id(&self, caller: &Caller, email: &str) -> String {
        let body = self
            .gql(
                caller,
                "{ org { members(first: 100) { nodes { id user { email } } } } }",
                json!({}),
            )
            .await;
        super::data_of(&body)["org"]["members"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user"]["email"] == email)
            .unwrap_or_else(|| panic!("{email} is not a member: {body}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Grants credits to an org as a platform admin.
    pub async fn grant(&self, org: &str, amount: i64) {
        let admin = Caller {
            token: Some(self.admin_token("billing@platform.test")),
            org: None,
        };
        let body = self
            .gql(
                &admin,
                "mutation($i: GrantCreditsInput!) { grantCredits(input: $i) { balance { available } } }",
                json!({ "i": { "orgId": org, "amount": amount } }),
            )
            .await;
        assert!(body["errors"].is_null(), "grantCredits failed: {body}");
    }
}

/// The value of the line `name value` of a Prometheus text, if there is one.
pub fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|n| n.trim().parse().ok())
}
