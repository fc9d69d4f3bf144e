//! Connections to Postgres. This is the only module that opens connections.

mod pool;
mod tx;

pub use pool::Db;
pub use tx::{Enter, Entered, Tx};

use crate::config::Secret;
use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, SqlxPostgresConnector, Statement};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// Opens the application's pool. Every session gets a statement timeout and
/// an idle-in-transaction timeout, so neither a runaway query nor a stuck
/// request can hold a connection (or its locks) for long.
pub async fn connect(url: &Secret, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url.expose())
        .context("DATABASE_URL is not a valid Postgres URL")?
        .application_name("campaign-studio")
        .options([
            ("statement_timeout", "30s"),
            ("idle_in_transaction_session_timeout", "60s"),
        ])
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // No ping per checkout (a round trip per request): `Tx::begin`
        // notices a closed connection on its first batch and takes another.
        .test_before_acquire(false)
        .idle_timeout(Duration::from_secs(300))
        .connect_with(options)
        .await
        .context("cannot connect to the database at DATABASE_URL")
}

/// A sea-orm handle on the same pool, for code outside a tenant transaction
/// (migrations, checks). Tenant data always goes through [`Tx`].
pub fn orm(pool: &PgPool) -> DatabaseConnection {
    SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone())
}

/// Opens a one-connection sea-orm handle (migrations, owner tasks).
pub async fn connect_orm(url: &Secret) -> anyhow::Result<DatabaseConnection> {
    let pool = connect(url, 2).await?;
    Ok(orm(&pool))
}

#[derive(Debug, FromQueryResult)]
struct RoleFacts {
    rolname: String,
    rolsuper: bool,
    rolbypassrls: bool,
    owned_tables: i64,
}

/// Refuses to serve through a role that row-level security would not bind:
/// a superuser, a role with BYPASSRLS, or the owner of a table.
pub async fn check_app_role(db: &impl ConnectionTrait) -> anyhow::Result<()> {
    let facts = RoleFacts::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT r.rolname::text AS rolname, r.rolsuper, r.rolbypassrls,
                (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p') AND n.nspname = 'public') AS owned_tables
           FROM pg_roles r WHERE r.rolname = current_user",
    ))
    .one(db)
    .await?
    .context("cannot read the current role from pg_roles")?;
    if facts.rolsuper {
        anyhow::bail!(
            "refusing to start: the DATABASE_URL role {:?} is a superuser, so row-level security would not apply; \
             connect as the application role (see README, \"Database roles\")",
            facts.rolname
        );
    }
    if facts.rolbypassrls {
        anyhow::bail!(
            "refusing to start: the DATABASE_URL role {:?} has BYPASSRLS, so row-level security would not apply; \
             run ALTER ROLE {} NOBYPASSRLS or connect as the application role",
            facts.rolname,
            facts.rolname
        );
    }
    if facts.owned_tables > 0 {
        anyhow::bail!(
            "refusing to start: the DATABASE_URL role {:?} owns {} table(s); the server must connect as a role \
             that owns nothing (migrations run as the owner through MIGRATION_DATABASE_URL)",
            facts.rolname,
            facts.owned_tables
        );
    }
    Ok(())
}

/// Is the database reachable? (for `/readyz`)
pub async fn ping(db: &Db) -> bool {
    // BEGIN answered is the server answering.
    let probe = async {
        let (tx, _) = Tx::begin(db, &Enter::Nobody).await?;
        tx.commit().await
    };
    tokio::time::timeout(Duration::from_secs(2), probe)
        .await
        .map(|r| r.is_ok())
        .unwrap_or(false)
}
