//! `Tx`: one connection, one transaction, one tenant.
//!
//! Every request (and every unit of background work) runs in a `Tx`. It is a
//! sea-orm connection (it implements `ConnectionTrait`), so entities and raw
//! statements both run through it, on one pooled connection, inside one
//! transaction whose first statement sets the tenant.
//!
//! Why not sea-orm's own `DatabaseTransaction`: we fold `BEGIN` and the
//! tenant settings into one round trip, and we must never hand a connection
//! back to the pool while a transaction is open on it. If a `Tx` is dropped
//! before `commit`/`rollback` finished (a client that went away mid-read, a
//! panic), a task of its own waits out whatever was in flight and rolls the
//! transaction back; only a connection whose `ROLLBACK` was answered within
//! `RECOVER_TIMEOUT` is reused, any other is closed. So a half-done
//! transaction or a tenant setting (both transaction-local) can never reach
//! the next request, and a client that keeps hanging up does not make us
//! reconnect to Postgres each time.

use super::pool::{Db, Lease};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Postgres, Row};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// How long an abandoned transaction's connection may take to answer what
/// was in flight and its `ROLLBACK`; slower, it is closed instead.
const RECOVER_TIMEOUT: Duration = Duration::from_secs(5);

/// The context a transaction starts in.
#[derive(Clone, Debug)]
pub enum Enter {
    /// No tenant: RLS shows nothing.
    Nobody,
    /// A signed-in user, and the org of the request if they are a member.
    User { user_id: Uuid, org_id: Option<Uuid> },
    /// An API key, found by the SHA-256 (hex) of the key.
    ApiKey { key_hash: String },
    /// Background work for one org (jobs, webhooks after verification).
    Org { org_id: Uuid },
    /// A worker claiming jobs from the queue (no org).
    Worker,
}

/// What entering told us.
#[derive(Clone, Debug, Default)]
pub struct Entered {
    /// The member's role (user) or the key's role (API key).
    pub role: Option<String>,
    /// The org the transaction is in, if any.
    pub org_id: Option<Uuid>,
    /// The API key, if that is how the request authenticated.
    pub api_key_id: Option<Uuid>,
}

struct Inner {
    conn: Option<Lease>,
    open: bool,
}

pub struct Tx {
    db: Db,
    inner: tokio::sync::Mutex<Inner>,
    statements: AtomicU32,
}

fn db_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

fn exec_err(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
}

/// The connection is gone (the server closed it or shut down), as opposed
/// to a statement failing on a live connection.
fn connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_) => true,
        // admin_shutdown, crash_shutdown, cannot_connect_now
        sqlx::Error::Database(d) => matches!(d.code().as_deref(), Some("57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

fn closed() -> DbErr {
    DbErr::Custom("transaction already finished".into())
}

impl Tx {
    /// Takes a connection, begins a transaction and enters `enter`, in one
    /// round trip. The values spliced into the SQL are a `Uuid`'s canonical
    /// text or a hex digest: they cannot carry SQL, by construction.
    ///
    /// The pool does not ping a connection before handing it out (that
    /// would be one more round trip per request); a connection the server
    /// closed meanwhile (a restart, a terminated backend) fails this first
    /// batch instead, before anything ran, and is discarded for the next
    /// one, at most once per pooled connection.
    pub async fn begin(db: &Db, enter: &Enter) -> Result<(Tx, Entered), DbErr> {
        let sql = match enter {
            Enter::Nobody => "BEGIN".to_string(),
            Enter::User { user_id, org_id } => format!(
                "BEGIN; SELECT cs_enter_user('{user_id}'::uuid, {}) AS role",
                org_id.map(|o| format!("'{o}'::uuid")).unwrap_or_else(|| "NULL".into())
            ),
            Enter::ApiKey { key_hash } => {
                if !key_hash.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(DbErr::Custom("malformed key hash".into()));
                }
                format!("BEGIN; SELECT key_id, org_id, role FROM cs_enter_api_key('{key_hash}')")
            }
            Enter::Org { org_id } => {
                format!("BEGIN; SELECT set_config('app.org_id', '{org_id}', true)")
            }
            Enter::Worker => "BEGIN; SELECT set_config('app.worker', 'on', true)".to_string(),
        };
        let mut attempts = db.max_connections() + 1;
        let (tx, rows) = loop {
            let conn = db
                .acquire()
                .await
                .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
            // From here on a drop before commit/rollback rolls back (`recover`).
            let tx = Tx {
                db: db.clone(),
                inner: tokio::sync::Mutex::new(Inner {
                    conn: Some(conn),
                    open: true,
                }),
                statements: AtomicU32::new(0),
            };
            let result = tx
                .with_conn(async |c| Ok(sqlx::raw_sql(AssertSqlSafe(sql.as_str())).fetch_all(&mut **c).await))
                .await?;
            match result {
                Ok(rows) => break (tx, rows),
                Err(e) if attempts > 1 && connection_lost(&e) => {
                    tracing::info!(error = %e, "pooled connection was closed by the server; taking another");
                    attempts -= 1;
                    tx.discard();
                }
                Err(e) => return Err(db_err(e)),
            }
        };
        let mut entered = Entered::default();
        match enter {
            Enter::User { org_id, .. } => {
                entered.role = rows
                    .first()
                    .and_then(|r| r.try_get::<Option<String>, _>("role").ok().flatten());
                entered.org_id = entered.role.as_ref().and(*org_id);
            }
            Enter::ApiKey { .. } => {
                if let Some(row) = rows.first() {
                    entered.api_key_id = row.try_get::<Option<Uuid>, _>("key_id").ok().flatten();
                    entered.org_id = row.try_get::<Option<Uuid>, _>("org_id").ok().flatten();
                    entered.role = row.try_get::<Option<String>, _>("role").ok().flatten();
                }
            }
            Enter::Org { org_id } => entered.org_id = Some(*org_id),
            Enter::Nobody | Enter::Worker => {}
        }
        Ok((tx, entered))
    }

    /// Sets a transaction-local setting (bound, never spliced).
    pub async fn set(&self, name: &str, value: &str) -> Result<(), DbErr> {
        self.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config($1, $2, true)",
            [name.into(), value.into()],
        ))
        .await
        .map(|_| ())
    }

    pub async fn commit(&self) -> Result<(), DbErr> {
        self.finish("COMMIT").await
    }

    pub async fn rollback(&self) -> Result<(), DbErr> {
        self.finish("ROLLBACK").await
    }

    async fn finish(&self, sql: &'static str) -> Result<(), DbErr> {
        let mut inner = self.inner.lock().await;
        if !inner.open {
            return Err(closed());
        }
        let conn = inner.conn.as_mut().ok_or_else(closed)?;
        self.statements.fetch_add(1, Ordering::Relaxed);
        let res = sqlx::raw_sql(sql).execute(&mut *conn.conn).await;
        match res {
            Ok(_) => {
                inner.open = false;
                // Transaction closed, answered, the connection idle: reusable.
                if let Some(lease) = inner.conn.take() {
                    self.db.release(lease);
                }
                Ok(())
            }
            Err(e) => Err(exec_err(e)),
        }
    }

    /// Closes the connection (it is broken) instead of recovering it.
    fn discard(mut self) {
        drop(Unfinished(self.inner.get_mut().conn.take()));
    }

    /// Statements sent so far, BEGIN and COMMIT included (each a round trip).
    pub fn statement_count(&self) -> u32 {
        self.statements.load(Ordering::Relaxed)
    }

    async fn with_conn<T>(
        &self,
        f: impl AsyncFnOnce(&mut PoolConnection<Postgres>) -> Result<T, DbErr>,
    ) -> Result<T, DbErr> {
        let mut inner = self.inner.lock().await;
        if !inner.open {
            return Err(closed());
        }
        let conn = inner.conn.as_mut().ok_or_else(closed)?;
        self.statements.fetch_add(1, Ordering::Relaxed);
        f(&mut conn.conn).await
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        let inner = self.inner.get_mut();
        if !inner.open {
            return;
        }
        let Some(lease) = inner.conn.take() else {
            return;
        };
        let unfinished = Unfinished(Some(lease));
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(recover(self.db.clone(), unfinished));
        }
    }
}

/// A connection whose transaction may still be open: dropped as it is
/// (broken, no runtime to recover it, a failed or interrupted recovery,
/// even a runtime shutting down under `recover`), it is closed, never
/// handed back.
struct Unfinished(Option<Lease>);

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(lease) = self.0.as_mut() {
            lease.conn.close_on_drop();
        }
    }
}

/// Ends an abandoned transaction: sqlx first reads the answers to whatever
/// was still in flight, then `ROLLBACK` ends the transaction block and with
/// it every tenant setting (all are transaction-local). The lease keeps its
/// permit meanwhile, so the pool never counts the connection twice.
async fn recover(db: Db, mut unfinished: Unfinished) {
    let Some(lease) = unfinished.0.as_mut() else { return };
    match tokio::time::timeout(RECOVER_TIMEOUT, sqlx::raw_sql("ROLLBACK").execute(&mut *lease.conn)).await {
        Ok(Ok(_)) => {
            if let Some(lease) = unfinished.0.take() {
                db.release(lease);
            }
        }
        Ok(Err(e)) => {
            tracing::info!(error = %e, "an abandoned transaction failed its rollback; closing its connection")
        }
        Err(_) => tracing::info!("an abandoned transaction did not roll back in time; closing its connection"),
    }
}

fn query(stmt: &Statement) -> sqlx::query::Query<'_, Postgres, SqlxValues> {
    let values = stmt.values.clone().unwrap_or(sea_orm::Values(Vec::new()));
    sqlx::query_with(AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
}

#[async_trait::async_trait]
impl ConnectionTrait for Tx {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.with_conn(async |c| query(&stmt).execute(&mut **c).await.map(Into::into).map_err(exec_err))
            .await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let sql = sql.to_string();
        self.with_conn(async |c| {
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut **c)
                .await
                .map(Into::into)
                .map_err(exec_err)
        })
        .await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.with_conn(async |c| {
            query(&stmt)
                .fetch_optional(&mut **c)
                .await
                .map(|r| r.map(Into::into))
                .map_err(db_err)
        })
        .await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.with_conn(async |c| {
            query(&stmt)
                .fetch_all(&mut **c)
                .await
                .map(|rows| rows.into_iter().map(Into::into).collect())
                .map_err(db_err)
        })
        .await
    }
}
