//! `Tx`: one connection, one transaction, one tenant.
//!
//! Every request (and every unit of background work) runs in a `Tx`. It is a
//! sea-orm connection (it implements `ConnectionTrait`), so entities and raw
//! statements both run through it, on one pooled connection, inside one
//! transaction that first enters the tenant.
//!
//! Round trips are the price of everything here, so a `Tx` pipelines:
//!
//! - [`Tx::begin`] sends `BEGIN` and the statement that enters the tenant
//!   together, both prepared, and waits for their answers (one round trip);
//! - [`Tx::begin_expecting`] sends nothing yet: `BEGIN`, the entry and the
//!   transaction's first statement go out together when that statement
//!   runs. The caller says what it expects the entry to answer (the role
//!   the database gave last time, `session.rs`); if it answers anything
//!   else, that statement and every later one fail with [`Mismatch`], the
//!   transaction can only be rolled back, and the caller starts over with
//!   `begin`. Nothing a mismatched transaction did is ever committed, and
//!   the tenant is still set only by the database's own check: a revoked
//!   member's statements run with no tenant at all.
//!
//! - [`Tx::write_and_commit`] sends one write and `COMMIT` together, with
//!   `BEGIN` and the entry too if nothing was sent yet: a whole
//!   single-statement mutation in one round trip. There the entry is
//!   checked in SQL (`cs_expect_entry`): a mismatch fails the transaction
//!   before the write runs, so the `COMMIT` ends as a rollback.
//! - [`Tx::read_and_commit`] does the same for one read; its `BEGIN`, entry,
//!   read and `COMMIT` go with a single Sync when the connection's socket
//!   is tapped (`piped_read`, `tap.rs`), a quarter less work for Postgres
//!   than a Sync after each.
//!
//! We never hand a connection back to the pool while a transaction is open
//! on it. If a `Tx` is dropped before `commit`/`rollback` finished (a
//! client that went away mid-read, a panic), a task of its own waits out
//! whatever was in flight and rolls the transaction back; only a connection
//! whose `ROLLBACK` was answered within `RECOVER_TIMEOUT` is reused, any
//! other is closed. So a half-done transaction or a tenant setting (both
//! transaction-local) can never reach the next request.

use super::piped::{self, Answer, Cells, PipedRow, Step, cell};
use super::pool::{Conn, Db, Lease};
use super::value::{Param, connection_lost, exec_err, query_err, query_result, type_of};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, ProxyExecResult, QueryResult, Statement, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio_postgres::types::{FromSql, ToSql, Type};
use tokio_postgres::{Client, Row};
use uuid::Uuid;

/// How long an abandoned transaction's connection may take to answer what
/// was in flight and its `ROLLBACK`; slower, it is closed instead.
const RECOVER_TIMEOUT: Duration = Duration::from_secs(5);

/// The context a transaction starts in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entered {
    /// The member's role (user) or the key's role (API key).
    pub role: Option<String>,
    /// The org the transaction is in, if any.
    pub org_id: Option<Uuid>,
    /// The API key, if that is how the request authenticated.
    pub api_key_id: Option<Uuid>,
}

/// The database entered a `begin_expecting` transaction as someone other
/// than expected; the work must be done again from `Tx::begin`.
#[derive(Debug, thiserror::Error)]
#[error("the tenant changed since it was last entered; the request is run again")]
pub struct Mismatch;

/// Why [`Tx::write_and_commit`] did not commit.
#[derive(Debug)]
pub enum WriteFailed {
    /// The entry answered other than expected (checked in SQL): nothing
    /// ran after it, nothing was committed, the transaction is over.
    Mismatch,
    /// The database refused the write (or could not prepare it): nothing
    /// was committed.
    NotCommitted(DbErr),
    /// Anything else (the commit failed, the connection was lost): whether
    /// the write was committed is not known.
    Unknown(DbErr),
}

/// The SQLSTATE `cs_expect_entry` raises on a mismatch.
const ENTRY_MISMATCH: &str = "ZE001";

fn is_entry_mismatch(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| c.code() == ENTRY_MISMATCH)
}

enum State {
    /// Nothing sent: `BEGIN` and the entry go with the first statement.
    Pending {
        enter: Enter,
        expected: Entered,
    },
    Open,
    /// Entered otherwise than expected: only a rollback is left.
    Mismatched(Entered),
}

struct Inner {
    conn: Option<Lease>,
    open: bool,
    state: State,
}

impl Inner {
    /// The connection and state of a transaction still open.
    fn live(&mut self) -> Result<(&mut Conn, &mut State), DbErr> {
        if !self.open {
            return Err(closed());
        }
        let lease = self.conn.as_mut().ok_or_else(closed)?;
        Ok((&mut lease.conn, &mut self.state))
    }
}

pub struct Tx {
    db: Db,
    inner: tokio::sync::Mutex<Inner>,
    round_trips: AtomicU32,
}

fn closed() -> DbErr {
    DbErr::Custom("transaction already finished".into())
}

fn broken() -> DbErr {
    DbErr::Conn(sea_orm::RuntimeErr::Internal(
        "the database connection failed in the middle of a pipeline".into(),
    ))
}

fn mismatch() -> DbErr {
    DbErr::Custom(Mismatch.to_string())
}

/// The statement that enters `enter` (after `BEGIN`), and its values.
/// Every value is bound, never spliced.
fn entry(enter: &Enter) -> Option<(&'static str, Vec<Value>)> {
    Some(match enter {
        Enter::Nobody => return None,
        Enter::User { user_id, org_id } => (
            "SELECT cs_enter_user($1, $2) AS role",
            vec![(*user_id).into(), (*org_id).into()],
        ),
        Enter::ApiKey { key_hash } => (
            "SELECT key_id, org_id, role FROM cs_enter_api_key($1)",
            vec![key_hash.clone().into()],
        ),
        Enter::Org { org_id } => (
            "SELECT set_config('app.org_id', $1, true)",
            vec![org_id.to_string().into()],
        ),
        Enter::Worker => ("SELECT set_config('app.worker', 'on', true)", vec![]),
    })
}

/// The statement that enters `enter` and fails, in SQL, unless it
/// answers `expected` (`cs_expect_entry`); its only column is `true`.
fn checked_entry(enter: &Enter, expected: &Entered) -> Option<(&'static str, Vec<Value>)> {
    Some(match enter {
        // The org follows from the role (`entered`).
        Enter::User { user_id, org_id } => (
            "SELECT cs_expect_entry(cs_enter_user($1, $2) IS NOT DISTINCT FROM $3)",
            vec![(*user_id).into(), (*org_id).into(), expected.role.clone().into()],
        ),
        Enter::ApiKey { key_hash } => (
            "SELECT cs_expect_entry((k.key_id, k.org_id, k.role) IS NOT DISTINCT FROM ($2, $3, $4))
               FROM cs_enter_api_key($1) k",
            vec![
                key_hash.clone().into(),
                expected.api_key_id.into(),
                expected.org_id.into(),
                expected.role.clone().into(),
            ],
        ),
        // These enter what they are given: nothing to expect.
        Enter::Nobody | Enter::Org { .. } | Enter::Worker => return entry(enter),
    })
}

/// A row of the entry's answer, read the driver's way or the tap's, each
/// with its own error.
trait EntryRow {
    type Err;
    fn get<T: for<'a> FromSql<'a>>(&self, i: usize) -> Result<T, Self::Err>;
}

impl EntryRow for Row {
    type Err = tokio_postgres::Error;
    fn get<T: for<'a> FromSql<'a>>(&self, i: usize) -> Result<T, Self::Err> {
        self.try_get(i)
    }
}

impl EntryRow for PipedRow {
    type Err = DbErr;
    fn get<T: for<'a> FromSql<'a>>(&self, i: usize) -> Result<T, Self::Err> {
        cell(self, i)
    }
}

/// What the entry's answer says.
fn entered<R: EntryRow>(enter: &Enter, rows: &[R]) -> Result<Entered, R::Err> {
    let mut entered = Entered::default();
    match enter {
        Enter::User { org_id, .. } => {
            if let Some(row) = rows.first() {
                entered.role = row.get(0)?;
            }
            entered.org_id = entered.role.as_ref().and(*org_id);
        }
        Enter::ApiKey { .. } => {
            if let Some(row) = rows.first() {
                entered.api_key_id = row.get(0)?;
                entered.org_id = row.get(1)?;
                entered.role = row.get(2)?;
            }
        }
        Enter::Org { org_id } => entered.org_id = Some(*org_id),
        Enter::Nobody | Enter::Worker => {}
    }
    Ok(entered)
}

/// A statement's values as parameters.
struct Bound<'v> {
    types: Vec<Type>,
    params: Vec<Param<'v>>,
}

impl<'v> Bound<'v> {
    fn new(values: &'v [Value]) -> Self {
        Self {
            types: values.iter().map(type_of).collect(),
            params: values.iter().map(Param).collect(),
        }
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
    }
}

/// What a statement is run for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Its rows.
    Rows,
    /// The rows it changed.
    Count,
    /// Unprepared, no parameters (simple protocol; may hold several).
    Script,
}

enum Out {
    Rows(Vec<Row>),
    Count(u64),
}

/// Sends a prepared (or, for a script, unprepared) statement.
async fn send(
    client: &Client,
    kind: Kind,
    prepared: Option<&tokio_postgres::Statement>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Out, tokio_postgres::Error> {
    match (kind, prepared) {
        (Kind::Rows, Some(s)) => client.query(s, params).await.map(Out::Rows),
        (Kind::Count, Some(s)) => client.execute(s, params).await.map(Out::Count),
        _ => {
            let mut n = 0;
            for m in client.simple_query(sql).await? {
                if let tokio_postgres::SimpleQueryMessage::CommandComplete(rows) = m {
                    n += rows;
                }
            }
            Ok(Out::Count(n))
        }
    }
}

/// `BEGIN` and the entry, prepared on `conn`.
async fn prepare_entry(
    conn: &mut Conn,
    entry: Option<(&'static str, Vec<Value>)>,
) -> Result<
    (
        tokio_postgres::Statement,
        Option<(tokio_postgres::Statement, Vec<Value>)>,
    ),
    tokio_postgres::Error,
> {
    let begin = conn.prepare("BEGIN", &[]).await?;
    let entry = match entry {
        Some((sql, values)) => {
            let types: Vec<Type> = values.iter().map(type_of).collect();
            Some((conn.prepare(sql, &types).await?, values))
        }
        None => None,
    };
    Ok((begin, entry))
}

/// Runs `BEGIN` and the entry, pipelined, then (pipelined with them)
/// `then`; returns what entering said and what `then` returned.
async fn enter_and<T>(
    conn: &mut Conn,
    enter: &Enter,
    then: impl AsyncFnOnce(&Client) -> T,
) -> Result<(Entered, T), tokio_postgres::Error> {
    let (began, rows, out) = begin_then(conn, entry(enter), then).await?;
    began?;
    let entered = entered(enter, &rows?)?;
    Ok((entered, out))
}

/// Sends `BEGIN`, `entry` and (pipelined with them) `then`, and returns
/// each one's answer.
async fn begin_then<T>(
    conn: &mut Conn,
    entry: Option<(&'static str, Vec<Value>)>,
    then: impl AsyncFnOnce(&Client) -> T,
) -> Result<
    (
        Result<u64, tokio_postgres::Error>,
        Result<Vec<Row>, tokio_postgres::Error>,
        T,
    ),
    tokio_postgres::Error,
> {
    let (begin, entry) = prepare_entry(conn, entry).await?;
    let client = &conn.client;
    let entry_values = entry.as_ref().map(|(_, v)| Bound::new(v));
    let entry_params = entry_values.as_ref().map(Bound::refs).unwrap_or_default();
    let entry_query = async {
        match &entry {
            Some((s, _)) => client.query(s, &entry_params).await,
            None => Ok(Vec::new()),
        }
    };
    // Polled together: each sends its messages on its first poll, in this
    // order, before any answer is awaited.
    Ok(tokio::join!(client.execute(&begin, &[]), entry_query, then(client)))
}

/// The rows of [`Tx::read_and_commit`], as the way they were read left
/// them; each is read through [`Cells`].
#[derive(Debug)]
pub enum Read {
    Driver(Vec<Row>),
    Piped(Vec<PipedRow>),
}

impl Read {
    /// Read with one Sync on the connection's tap (`tap.rs`).
    pub fn piped(&self) -> bool {
        matches!(self, Read::Piped(_))
    }

    pub fn len(&self) -> usize {
        match self {
            Read::Driver(rows) => rows.len(),
            Read::Piped(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The row, if there is exactly one.
    pub fn only(&self) -> Option<&dyn Cells> {
        match self {
            Read::Driver(rows) => match rows.as_slice() {
                [row] => Some(row),
                _ => None,
            },
            Read::Piped(rows) => match rows.as_slice() {
                [row] => Some(row),
                _ => None,
            },
        }
    }
}

/// How a piped read went.
enum Piping {
    /// Committed: what entering said, and the rows.
    Done(Entered, Vec<PipedRow>),
    /// Nothing was done (no tap, the driver was busy, a statement the tap
    /// could not prepare, a statement that failed and was rolled back): the
    /// connection is idle, outside any transaction.
    NotUsed,
    /// The exchange failed midway; the tap is poisoned.
    Broken,
}

/// `BEGIN`, the entry, `read` and `COMMIT` with one Sync (`tap.rs`).
async fn piped_read(
    conn: &mut Conn,
    enter: &Enter,
    (read_sql, read): (&str, &tokio_postgres::Statement),
    commit: &tokio_postgres::Statement,
    params: &[&(dyn ToSql + Sync)],
) -> Piping {
    let Some(tap) = conn.tap.clone() else {
        return Piping::NotUsed;
    };
    let Some((entry_sql, entry_values)) = entry(enter) else {
        return Piping::NotUsed;
    };
    let Ok((begin, Some((entry_stmt, entry_values)))) = prepare_entry(conn, Some((entry_sql, entry_values))).await
    else {
        return Piping::NotUsed;
    };
    let entry_bound = Bound::new(&entry_values);
    let entry_params = entry_bound.refs();
    let steps = [
        Step {
            sql: "BEGIN",
            prepared: &begin,
            params: &[],
        },
        Step {
            sql: entry_sql,
            prepared: &entry_stmt,
            params: &entry_params,
        },
        Step {
            sql: read_sql,
            prepared: read,
            params,
        },
        Step {
            sql: "COMMIT",
            prepared: commit,
            params: &[],
        },
    ];
    let Some(mut diverted) = tap.divert() else {
        return Piping::NotUsed;
    };
    let prepared = match piped::prepare(conn, &mut diverted, &steps).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            diverted.give_back();
            return Piping::NotUsed;
        }
        Err(piped::Broken) => return Piping::Broken,
    };
    let answer = match piped::run(&mut diverted, &prepared, &steps).await {
        Ok(answer) => answer,
        Err(piped::Broken) => return Piping::Broken,
    };
    let done = match answer {
        Answer::Done(mut rows) if rows.len() == 4 => {
            let read_rows = rows.swap_remove(2);
            match entered(enter, &rows[1]) {
                Ok(entered) => Piping::Done(entered, read_rows),
                // Committed, yet not understood: the usual way reads again.
                Err(_) => Piping::NotUsed,
            }
        }
        Answer::Done(_) | Answer::NotSent => Piping::NotUsed,
        Answer::Failed { in_failed_block: false } => Piping::NotUsed,
        Answer::Failed { in_failed_block: true } => {
            if !piped::roll_back(&mut diverted).await {
                return Piping::Broken;
            }
            Piping::NotUsed
        }
    };
    diverted.give_back();
    done
}

impl Tx {
    fn new(db: &Db, lease: Lease, state: State) -> Tx {
        Tx {
            db: db.clone(),
            inner: tokio::sync::Mutex::new(Inner {
                conn: Some(lease),
                open: true,
                state,
            }),
            round_trips: AtomicU32::new(0),
        }
    }

    /// Takes a connection, begins a transaction and enters `enter`, in one
    /// round trip.
    ///
    /// The pool does not ping a connection before handing it out (that
    /// would be one more round trip per request); a connection the server
    /// closed meanwhile fails this first batch instead, before anything
    /// ran, and is discarded for the next one, at most once per pooled
    /// connection.
    pub async fn begin(db: &Db, enter: &Enter) -> Result<(Tx, Entered), DbErr> {
        let mut attempts = db.max_connections() + 1;
        loop {
            let lease = db.acquire().await?;
            // From here on a drop before commit/rollback rolls back (`recover`).
            let mut tx = Tx::new(db, lease, State::Open);
            tx.round_trips.fetch_add(1, Ordering::Relaxed);
            let result = match tx.inner.get_mut().conn.as_mut() {
                Some(lease) => enter_and(&mut lease.conn, enter, async |_| ()).await,
                None => return Err(closed()),
            };
            match result {
                Ok((entered, ())) => return Ok((tx, entered)),
                Err(e) if attempts > 1 && connection_lost(&e) => {
                    tracing::info!(error = %e, "pooled connection was closed by the server; taking another");
                    attempts -= 1;
                    tx.discard();
                }
                Err(e) => return Err(query_err(e)),
            }
        }
    }

    /// Takes a connection; `BEGIN` and the entry go with the first
    /// statement (module docs). If entering answers other than `expected`,
    /// statements fail and [`Tx::mismatched`] says so.
    pub async fn begin_expecting(db: &Db, enter: Enter, expected: Entered) -> Result<Tx, DbErr> {
        let lease = db.acquire().await?;
        Ok(Tx::new(db, lease, State::Pending { enter, expected }))
    }

    /// What the database answered, if a `begin_expecting` transaction was
    /// entered otherwise than expected (then it must be rolled back and the
    /// work done again from `begin`).
    pub async fn mismatched(&self) -> Option<Entered> {
        match &self.inner.lock().await.state {
            State::Mismatched(actual) => Some(actual.clone()),
            _ => None,
        }
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

    /// Commits. A transaction that has not sent anything yet is entered
    /// first (in the same round trip), so its caller learns whether it
    /// stood: a mismatch is an error, and nothing is committed.
    pub async fn commit(&self) -> Result<(), DbErr> {
        self.finish("COMMIT").await
    }

    /// Rolls back. A transaction that has not sent anything yet is entered
    /// first, as for `commit`: an answer built on what was expected (a
    /// refusal, say) must not go out unchecked either.
    pub async fn rollback(&self) -> Result<(), DbErr> {
        self.finish("ROLLBACK").await
    }

    async fn finish(&self, sql: &'static str) -> Result<(), DbErr> {
        let mut inner = self.inner.lock().await;
        let inner = &mut *inner;
        let (conn, state) = inner.live()?;
        // From here on something may have been sent: a drop recovers.
        let result = match std::mem::replace(state, State::Open) {
            State::Pending { enter, expected } => {
                self.round_trips.fetch_add(1, Ordering::Relaxed);
                let end = conn.prepare(sql, &[]).await.map_err(exec_err)?;
                let (entered, ended) = enter_and(conn, &enter, async |c| c.execute(&end, &[]).await)
                    .await
                    .map_err(exec_err)?;
                if entered != expected {
                    // Nothing but the entry ran, so there was nothing to
                    // keep; but what the caller built on `expected` must
                    // not go out.
                    self.close(inner);
                    inner.state = State::Mismatched(entered);
                    return Err(mismatch());
                }
                ended.map(|_| ()).map_err(exec_err)
            }
            was => {
                // A mismatched transaction is never committed: it is
                // rolled back, and the commit fails.
                let refused = matches!(was, State::Mismatched(_)) && sql == "COMMIT";
                let sql = if refused { "ROLLBACK" } else { sql };
                *state = was;
                self.round_trips.fetch_add(1, Ordering::Relaxed);
                let statement = conn.prepare(sql, &[]).await.map_err(exec_err)?;
                conn.client.execute(&statement, &[]).await.map(|_| ()).map_err(exec_err)
            }
        };
        if result.is_ok() {
            self.close(inner);
            if matches!(inner.state, State::Mismatched(_)) && sql == "COMMIT" {
                return Err(mismatch());
            }
        }
        result
    }

    /// Marks the transaction finished and hands its connection back: its
    /// `COMMIT` or `ROLLBACK` was answered, so the connection is idle.
    fn close(&self, inner: &mut Inner) {
        inner.open = false;
        if let Some(lease) = inner.conn.take() {
            self.db.release(lease);
        }
    }

    /// Closes the connection (it is broken) instead of recovering it.
    fn discard(mut self) {
        drop(Unfinished(self.inner.get_mut().conn.take()));
    }

    /// Round trips to the database so far, `BEGIN` and `COMMIT` included
    /// (preparing a statement the first time on a connection aside).
    pub fn statement_count(&self) -> u32 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// Runs one statement; the first of a `begin_expecting` transaction is
    /// sent together with `BEGIN` and the entry.
    async fn run(&self, kind: Kind, sql: &str, values: &[Value]) -> Result<Out, DbErr> {
        let err = if kind == Kind::Rows { query_err } else { exec_err };
        let mut inner = self.inner.lock().await;
        let (conn, state) = inner.live()?;
        let bound = Bound::new(values);
        let prepared = match kind {
            Kind::Script => None,
            _ => Some(conn.prepare(sql, &bound.types).await.map_err(err)?),
        };
        let params = bound.refs();
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        match state {
            State::Open => send(&conn.client, kind, prepared.as_ref(), sql, &params)
                .await
                .map_err(err),
            State::Mismatched(_) => Err(mismatch()),
            State::Pending { .. } => {
                // From here on something may have been sent: a drop recovers.
                let State::Pending { enter, expected } = std::mem::replace(state, State::Open) else {
                    return Err(closed());
                };
                let (entered, out) = enter_and(conn, &enter, async |c| {
                    send(c, kind, prepared.as_ref(), sql, &params).await
                })
                .await
                .map_err(err)?;
                if entered != expected {
                    *state = State::Mismatched(entered);
                    return Err(mismatch());
                }
                out.map_err(err)
            }
        }
    }

    /// Runs one read and commits, pipelined: with `BEGIN` and the entry
    /// too if nothing was sent yet, so a whole read-only request is one
    /// round trip. The transaction is finished whatever the read answered
    /// (`COMMIT` after a failed statement ends it as a rollback). Those
    /// four statements go with one Sync on a tapped connection
    /// (`piped_read`), through the driver otherwise.
    ///
    /// Only for a statement that writes nothing: if the entry answers other
    /// than expected, the transaction has been committed all the same (the
    /// database set the tenant from its own check, as always), and the rows
    /// are dropped with a [`Mismatch`].
    pub async fn read_and_commit(&self, stmt: &Statement) -> Result<Read, DbErr> {
        let mut inner = self.inner.lock().await;
        let inner = &mut *inner;
        let (conn, state) = inner.live()?;
        let bound = Bound::new(values(stmt));
        let read = conn.prepare(&stmt.sql, &bound.types).await.map_err(query_err)?;
        let commit = conn.prepare("COMMIT", &[]).await.map_err(exec_err)?;
        let params = bound.refs();
        let both = async |c: &Client| tokio::join!(c.query(&read, &params), c.execute(&commit, &[]));
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        // From here on something may have been sent: a drop recovers.
        let ((rows, committed), mismatched) = match std::mem::replace(state, State::Open) {
            State::Open => (both(&conn.client).await, None),
            State::Mismatched(actual) => {
                *state = State::Mismatched(actual);
                return Err(mismatch());
            }
            State::Pending { enter, expected } => {
                match piped_read(conn, &enter, (&stmt.sql, &read), &commit, &params).await {
                    Piping::Done(entered, rows) => {
                        self.close(inner);
                        if entered != expected {
                            inner.state = State::Mismatched(entered);
                            return Err(mismatch());
                        }
                        return Ok(Read::Piped(rows));
                    }
                    // Cut off: the tap is poisoned, and the drop closes
                    // the connection.
                    Piping::Broken => return Err(broken()),
                    // Nothing happened: the usual way.
                    Piping::NotUsed => {}
                }
                let (entered, out) = enter_and(conn, &enter, both).await.map_err(query_err)?;
                (out, (entered != expected).then_some(entered))
            }
        };
        committed.map_err(exec_err)?;
        self.close(inner);
        if let Some(actual) = mismatched {
            inner.state = State::Mismatched(actual);
            return Err(mismatch());
        }
        rows.map(Read::Driver).map_err(query_err)
    }

    /// Runs one write and commits, pipelined: with `BEGIN` and the entry
    /// too if nothing was sent yet, so a single-statement mutation is one
    /// round trip. The entry of a `begin_expecting` transaction is then
    /// checked in SQL (`checked_entry`): entered otherwise than expected,
    /// the transaction fails before the write, and the `COMMIT` ends it as
    /// a rollback. The transaction is over whatever this returns; the
    /// caller has the rows only if the write was committed.
    pub async fn write_and_commit(&self, stmt: &Statement) -> Result<Vec<Row>, WriteFailed> {
        let not_committed = |e| WriteFailed::NotCommitted(query_err(e));
        let mut inner = self.inner.lock().await;
        let inner = &mut *inner;
        let (conn, state) = inner.live().map_err(WriteFailed::NotCommitted)?;
        let bound = Bound::new(values(stmt));
        let write = conn.prepare(&stmt.sql, &bound.types).await.map_err(not_committed)?;
        let commit = conn.prepare("COMMIT", &[]).await.map_err(not_committed)?;
        let params = bound.refs();
        let both = async |c: &Client| tokio::join!(c.query(&write, &params), c.execute(&commit, &[]));
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        // From here on something may have been sent: a drop recovers.
        let (entered, (rows, committed)) = match std::mem::replace(state, State::Open) {
            State::Open => (Ok(()), both(&conn.client).await),
            State::Mismatched(actual) => {
                *state = State::Mismatched(actual);
                return Err(WriteFailed::Mismatch);
            }
            State::Pending { enter, expected } => {
                let (began, entry, out) = begin_then(conn, checked_entry(&enter, &expected), both)
                    .await
                    .map_err(not_committed)?;
                // Without its `BEGIN` each statement would have committed
                // on its own: what happened is not known.
                began.map_err(|e| WriteFailed::Unknown(exec_err(e)))?;
                (entry.map(|_| ()), out)
            }
        };
        // A `COMMIT` that failed (or never got its answer) may or may not
        // have committed; the drop's recovery settles the connection.
        committed.map_err(|e| WriteFailed::Unknown(exec_err(e)))?;
        // Answered: committed, or a rollback if anything before it failed.
        self.close(inner);
        match entered {
            Err(e) if is_entry_mismatch(&e) => return Err(WriteFailed::Mismatch),
            Err(e) => return Err(not_committed(e)),
            Ok(()) => {}
        }
        rows.map_err(not_committed)
    }

    /// The rows of a statement as they come, for code that reads cells by
    /// position (`tokio_postgres::Row::try_get`).
    pub async fn rows(&self, stmt: &Statement) -> Result<Vec<Row>, DbErr> {
        match self.run(Kind::Rows, &stmt.sql, values(stmt)).await? {
            Out::Rows(rows) => Ok(rows),
            Out::Count(_) => Ok(Vec::new()),
        }
    }
}

fn values(stmt: &Statement) -> &[Value] {
    stmt.values.as_ref().map(|v| v.0.as_slice()).unwrap_or_default()
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
        if let State::Pending { .. } = inner.state {
            // Nothing was sent: the connection is as it was lent.
            self.db.release(lease);
            return;
        }
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
        if let Some(lease) = self.0.as_ref() {
            lease.conn.close_now();
        }
    }
}

/// Ends an abandoned transaction: the answers to whatever was still in
/// flight are read (and dropped) by the connection's driver first, then
/// `ROLLBACK` ends the transaction block and with it every tenant setting
/// (all are transaction-local). The lease keeps its permit meanwhile, so
/// the pool never counts the connection twice.
async fn recover(db: Db, mut unfinished: Unfinished) {
    let Some(lease) = unfinished.0.as_mut() else { return };
    match tokio::time::timeout(RECOVER_TIMEOUT, lease.conn.client.batch_execute("ROLLBACK")).await {
        Ok(Ok(())) => {
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

#[async_trait::async_trait]
impl ConnectionTrait for Tx {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self.run(Kind::Count, &stmt.sql, values(&stmt)).await? {
            Out::Count(n) => Ok(affected(n)),
            Out::Rows(rows) => Ok(affected(rows.len() as u64)),
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self.run(Kind::Script, sql, &[]).await? {
            Out::Count(n) => Ok(affected(n)),
            Out::Rows(rows) => Ok(affected(rows.len() as u64)),
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.rows(&stmt).await?.first().map(query_result).transpose()
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.rows(&stmt).await?.iter().map(query_result).collect()
    }
}

fn affected(rows_affected: u64) -> ExecResult {
    ProxyExecResult {
        last_insert_id: 0,
        rows_affected,
    }
    .into()
}
