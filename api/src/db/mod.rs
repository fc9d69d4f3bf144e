//! Connections to Postgres. This is the only module that opens connections.
//!
//! Requests, jobs and commands run on [`Db`] (tokio-postgres, `pg.rs`),
//! always inside a [`Tx`]. Migrations run on a sea-orm connection over sqlx
//! ([`connect_owner`]), as sea-orm-migration needs.

mod pg;
mod piped;
mod pool;
mod tap;
mod tx;
mod value;

pub use piped::{Cells, PipedRow, cell};
pub use pool::{Db, set_lane};
pub use tx::{Enter, Entered, Mismatch, Read, Tx, WriteFailed};
pub use value::{PgError, pg_error};

use crate::config::Secret;
use anyhow::Context as _;
use sea_orm::{DatabaseConnection, DbBackend, FromQueryResult, SqlxPostgresConnector, Statement};
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// A sea-orm connection for the owner's work (migrations): one connection,
/// with the same timeouts as the application's.
pub async fn connect_owner(url: &Secret) -> anyhow::Result<DatabaseConnection> {
    let options = PgConnectOptions::from_str(url.expose())
        .context("MIGRATION_DATABASE_URL is not a valid Postgres URL")?
        .application_name("campaign-studio-migrate")
        .options([
            ("statement_timeout", "30s"),
            ("idle_in_transaction_session_timeout", "60s"),
        ])
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .context("cannot connect to the database at MIGRATION_DATABASE_URL")?;
    Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
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
pub async fn check_app_role(db: &Db) -> anyhow::Result<()> {
    let (tx, _) = Tx::begin(db, &Enter::Nobody).await?;
    let facts = RoleFacts::find_by_statement(Statement::from_string(
        DbBackend::Postgres,
        "SELECT r.rolname::text AS rolname, r.rolsuper, r.rolbypassrls,
                (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p') AND n.nspname = 'public') AS owned_tables
           FROM pg_roles r WHERE r.rolname = current_user",
    ))
    .one(&tx)
    .await?
    .context("cannot read the current role from pg_roles")?;
    tx.commit().await?;
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
