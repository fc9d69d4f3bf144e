//! `TestDb`: a database of its own for each test, cloned from a template
//! that is migrated once (per migration fingerprint) for all test processes.

use api::config::Secret;
use sqlx::{Connection, PgConnection};

/// The template's name carries the migrations' fingerprint, so worktrees
/// (or branches) with different migrations sharing one Postgres each keep
/// their own template instead of dropping each other's.
pub fn template() -> String {
    format!("cs_test_template_{}", fingerprint())
}

/// A transaction on `c` whose tenant is org `org`: `app.org_id` set for
/// the transaction only, as the server sets it.
pub async fn enter_org(c: &mut PgConnection, org: impl std::fmt::Display) -> sqlx::Transaction<'_, sqlx::Postgres> {
    let mut tx = c.begin().await.expect("begin");
    sqlx::query("SELECT set_config('app.org_id', $1, true)")
        .bind(org.to_string())
        .execute(&mut *tx)
        .await
        .expect("enter the org");
    tx
}

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set (run scripts/test.sh, which sets it)"))
}

/// `url` with its database name replaced.
pub fn with_db(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).expect("valid database url");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

fn fingerprint() -> String {
    let mut all = String::new();
    for s in migration::SOURCES {
        all.push_str(s);
    }
    for (t, p) in migration::APP_GRANTS {
        all.push_str(t);
        all.push_str(p);
    }
    api::crypto::sha256_hex(all.as_bytes())[..16].to_string()
}

async fn ensure_template(owner_url: &str, app_url: &str) {
    let mut admin = PgConnection::connect(&with_db(owner_url, "postgres"))
        .await
        .expect("connect as owner");
    sqlx::query("SELECT pg_advisory_lock(42424242)")
        .execute(&mut admin)
        .await
        .expect("lock");
    let fp = format!("fp:{}", fingerprint());
    let template = template();
    let current: Option<Option<String>> =
        sqlx::query_scalar("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1")
            .bind(&template)
            .fetch_optional(&mut admin)
            .await
            .expect("read template");
    if current.flatten().as_deref() != Some(fp.as_str()) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {template} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .expect("drop template");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {template}")))
            .execute(&mut admin)
            .await
            .expect("create template");
        api::startup::migrate(
            &Secret::new(with_db(owner_url, &template)),
            &Secret::new(with_db(app_url, &template)),
        )
        .await
        .expect("migrate template");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("COMMENT ON DATABASE {template} IS '{fp}'")))
            .execute(&mut admin)
            .await
            .expect("mark template");
    }
    sqlx::query("SELECT pg_advisory_unlock(42424242)")
        .execute(&mut admin)
        .await
        .expect("unlock");
}

pub struct TestDb {
    pub name: String,
    /// The application role (what the server uses).
    pub app_url: String,
    /// The owner (what migrations use).
    pub owner_url: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let owner = env("MIGRATION_DATABASE_URL");
        let app = env("DATABASE_URL");
        ensure_template(&owner, &app).await;
        // The creation time in the name lets scripts/test.sh drop what a
        // killed run left behind without touching a run still going.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let name = format!("cs_t_{now}_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let template = template();
        let mut admin = PgConnection::connect(&with_db(&owner, "postgres"))
            .await
            .expect("connect as owner");
        // Cloning waits if another process is connected to the template.
        for attempt in 0..50 {
            let r = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {name} TEMPLATE {template}"
            )))
            .execute(&mut admin)
            .await;
            match r {
                Ok(_) => break,
                Err(e) if attempt < 49 && e.to_string().contains("being accessed by other users") => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("create test database: {e}"),
            }
        }
        TestDb {
            app_url: with_db(&app, &name),
            owner_url: with_db(&owner, &name),
            name,
        }
    }

    /// A connection as the application role, with no tenant set.
    pub async fn app_conn(&self) -> PgConnection {
        PgConnection::connect(&self.app_url).await.expect("connect as app role")
    }

    /// A connection as the owner (fixtures that are not under test).
    pub async fn owner_conn(&self) -> PgConnection {
        PgConnection::connect(&self.owner_url).await.expect("connect as owner")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let owner = with_db(&env("MIGRATION_DATABASE_URL"), "postgres");
        let name = self.name.clone();
        // Drop runs outside async code: a short thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                match PgConnection::connect(&owner).await {
                    Ok(mut c) => {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await {
                            eprintln!("dropping {name}: {e}");
                        }
                    }
                    Err(e) => eprintln!("dropping {name}: {e}"),
                }
            });
        })
        .join();
    }
}
