//! `Db`: the connections requests and jobs run on.
//!
//! A small pool of tokio-postgres connections (`pg.rs`), each with the
//! statements prepared on it:
//!
//! - `Db` has as many permits as connections may be open; a permit is taken
//!   before a connection, so a waiter finds the connection the last holder
//!   gave back, or room to open one;
//! - a connection is handed back (`release`) only by a `Tx` whose `COMMIT`
//!   or `ROLLBACK` was answered, so it is idle and outside any transaction;
//!   it is lent to the next `Tx` as it is, most recently used first, with no
//!   test (that would be one more round trip per request). One the server
//!   closed meanwhile shows as closed and is dropped at the next checkout;
//! - a connection idle for [`IDLE_TIMEOUT`] is closed (one is kept open),
//!   and one older than [`MAX_LIFETIME`] is closed when it comes back;
//! - a `Tx` dropped unfinished hands its connection back only once its
//!   `ROLLBACK` was answered (`tx.rs`, `recover`); otherwise it is closed;
//! - with a runtime per core (`lanes.rs`) the pool is split into one shard
//!   per lane, each with its share of the permits and its own idle list: a
//!   connection's socket is driven by the runtime that opened it, so a
//!   request that used another lane's connection would wake that lane's
//!   thread twice per round trip. The lane is a thread-local ([`set_lane`]);
//! - each lane may also hold one *shared* connection ([`Shared`]) for
//!   closed transactions: those whose every statement, `COMMIT` included, is
//!   sent at once (`tx::read_closed`). Several requests' closed transactions
//!   follow one another on it, each whole, so one wake-up of its backend
//!   serves several requests. It is never lent to a `Tx`, and it holds one
//!   of its shard's permits while open (closed after [`SHARED_IDLE`] unused).

use super::pg::{Options, RustlsStream};
use super::value::conn_err;
use sea_orm::DbErr;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Connection, Socket, Statement};

/// Idle this long, a connection is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Open this long, a connection is closed when it comes back.
const MAX_LIFETIME: Duration = Duration::from_secs(1800);
/// How long a checkout waits for a permit.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// A shared connection unused this long is closed (its permit is free
/// again for the shard's transactions).
const SHARED_IDLE: Duration = Duration::from_secs(30);
/// Closed transactions in flight on one shared connection at most; beyond,
/// a request takes a connection of its own.
const SHARED_IN_FLIGHT: u32 = 64;
/// Prepared statements kept per connection; beyond, the cache starts over
/// (the application has a few hundred distinct statements at most).
const STATEMENTS: usize = 512;

thread_local! {
    static LANE: Cell<usize> = const { Cell::new(0) };
}

/// Says which lane (runtime) this thread serves; its requests take their
/// connections from that lane's shard. Threads never told are lane 0.
pub fn set_lane(lane: usize) {
    LANE.with(|l| l.set(lane));
}

#[derive(Clone)]
pub struct Db(Arc<Inner>);

struct Inner {
    options: Options,
    max: u32,
    shards: Box<[Shard]>,
    open: Arc<AtomicU32>,
}

/// One lane's share of the pool.
struct Shard {
    permits: Arc<Semaphore>,
    /// Its permits in all.
    share: usize,
    idle: Mutex<Vec<Idle>>,
    shared: Mutex<SharedSlot>,
}

/// A shard's shared connection, if open.
#[derive(Default)]
struct SharedSlot {
    conn: Option<Arc<Shared>>,
    /// Being opened: meanwhile requests take connections of their own.
    opening: bool,
}

struct Idle {
    conn: Conn,
    since: Instant,
}

/// One connection: its client, the task that drives its socket, and the
/// statements prepared on it.
pub(crate) struct Conn {
    pub(crate) client: Client,
    driver: JoinHandle<()>,
    born: Instant,
    statements: Statements,
    open: Arc<AtomicU32>,
}

/// The statements prepared on a connection, by text and parameter types.
#[derive(Default)]
struct Statements {
    by_sql: HashMap<String, Vec<(Vec<Type>, Statement)>>,
    count: usize,
}

impl Statements {
    fn get(&self, sql: &str, types: &[Type]) -> Option<Statement> {
        self.by_sql
            .get(sql)
            .and_then(|v| v.iter().find(|(t, _)| t == types))
            .map(|(_, s)| s.clone())
    }

    fn put(&mut self, sql: &str, types: &[Type], statement: Statement) {
        if self.count >= STATEMENTS {
            // Dropping them closes them on the server.
            self.by_sql.clear();
            self.count = 0;
        }
        self.by_sql
            .entry(sql.to_string())
            .or_default()
            .push((types.to_vec(), statement));
        self.count += 1;
    }
}

impl Conn {
    /// The statement for `sql` with parameters of `types`, prepared on this
    /// connection once (a round trip the first time).
    pub(crate) async fn prepare(&mut self, sql: &str, types: &[Type]) -> Result<Statement, tokio_postgres::Error> {
        if let Some(found) = self.statements.get(sql, types) {
            return Ok(found);
        }
        let statement = self.client.prepare_typed(sql, types).await?;
        self.statements.put(sql, types, statement.clone());
        Ok(statement)
    }

    /// Closes the connection now, whatever it was doing (the server rolls
    /// back what was open).
    pub(crate) fn close_now(&self) {
        self.driver.abort();
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Dropping the client ends the driver task once the server has
        // answered what was sent (then it says goodbye).
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection lent to one `Tx`, with the permit it holds.
pub(crate) struct Lease {
    pub(crate) conn: Conn,
    shard: usize,
    _permit: OwnedSemaphorePermit,
}

/// A lane's connection for closed transactions (`tx::read_closed`). Each
/// one's messages, `BEGIN` to `COMMIT`, are sent together
/// ([`Shared::sent_together`]), so the transactions of several requests
/// follow one another on it whole, never interleaved: a transaction's
/// tenant setting (transaction-local) ends with its own `COMMIT`, before
/// the next one's `BEGIN`.
pub(crate) struct Shared {
    conn: Conn,
    statements: Mutex<Statements>,
    /// Held while a closed transaction's messages are sent.
    gate: Mutex<()>,
    in_flight: AtomicU32,
    /// When it was last used, in milliseconds since it was opened.
    used_ms: AtomicU64,
    _permit: OwnedSemaphorePermit,
}

impl Shared {
    pub(crate) fn client(&self) -> &Client {
        &self.conn.client
    }

    /// As [`Conn::prepare`]. A statement is prepared in a message cycle of
    /// its own, so between closed transactions, never inside one.
    pub(crate) async fn prepare(&self, sql: &str, types: &[Type]) -> Result<Statement, tokio_postgres::Error> {
        if let Some(found) = self.statements.lock().ok().and_then(|s| s.get(sql, types)) {
            return Ok(found);
        }
        let statement = self.conn.client.prepare_typed(sql, types).await?;
        if let Ok(mut s) = self.statements.lock() {
            s.put(sql, types, statement.clone());
        }
        Ok(statement)
    }

    /// Runs `send`, whose first poll sends all its messages (as a
    /// `tokio::join!` of the driver's calls does, in order), with its first
    /// poll made under the gate: no other closed transaction's messages can
    /// come between them, whichever thread sends them.
    pub(crate) async fn sent_together<F: Future>(&self, send: F) -> F::Output {
        let mut send = std::pin::pin!(send);
        {
            let _gate = self.gate.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // The waker of this first poll is replaced by the task's at the
            // next one, the `.await` below.
            if let Poll::Ready(out) = send.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                return out;
            }
        }
        send.await
    }
}

/// A shared connection in use by one closed transaction.
pub(crate) struct SharedUse(Arc<Shared>);

impl std::ops::Deref for SharedUse {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Drop for SharedUse {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

fn use_shared(shared: &Arc<Shared>) -> SharedUse {
    shared.in_flight.fetch_add(1, Ordering::Relaxed);
    let ms = u64::try_from(shared.conn.born.elapsed().as_millis()).unwrap_or(u64::MAX);
    shared.used_ms.store(ms, Ordering::Relaxed);
    SharedUse(shared.clone())
}

/// Clears a shard's `opening` mark however the opening ends (done, failed,
/// or its request dropped).
struct Opening<'a>(&'a Mutex<SharedSlot>);

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.0.lock() {
            slot.opening = false;
        }
    }
}

impl Db {
    /// Opens the pool (and one connection, so a wrong URL or password stops
    /// start-up with the driver's message); must run inside the runtime (it
    /// starts the task that closes idle connections).
    pub async fn connect(url: &crate::config::Secret, max_connections: u32) -> anyhow::Result<Self> {
        Self::connect_lanes(url, max_connections, 1).await
    }

    /// Opens the pool split into `lanes` shards (at most one per
    /// connection), `max_connections` in all, shared out evenly.
    pub async fn connect_lanes(
        url: &crate::config::Secret,
        max_connections: u32,
        lanes: usize,
    ) -> anyhow::Result<Self> {
        let options = Options::parse(url.expose()).map_err(|e| anyhow::anyhow!("DATABASE_URL: {e:#}"))?;
        let max = max_connections.max(1);
        let lanes = lanes.clamp(1, max as usize);
        let shards = (0..lanes)
            .map(|i| {
                let share = max as usize / lanes + usize::from(i < max as usize % lanes);
                Shard {
                    permits: Arc::new(Semaphore::new(share)),
                    share,
                    idle: Mutex::new(Vec::with_capacity(share)),
                    shared: Mutex::new(SharedSlot::default()),
                }
            })
            .collect();
        let db = Db(Arc::new(Inner {
            options,
            max,
            shards,
            open: Arc::new(AtomicU32::new(0)),
        }));
        let lease = db
            .acquire()
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to the database at DATABASE_URL: {e}"))?;
        db.release(lease);
        tokio::spawn(close_idle(Arc::downgrade(&db.0)));
        Ok(db)
    }

    pub fn max_connections(&self) -> u32 {
        self.0.max
    }

    /// The shards the pool is split into (one per lane).
    pub fn lanes(&self) -> usize {
        self.0.shards.len()
    }

    /// Connections open, and of those, idle.
    pub fn stats(&self) -> (u32, usize) {
        let idle = self
            .0
            .shards
            .iter()
            .map(|s| s.idle.lock().map(|i| i.len()).unwrap_or(0))
            .sum();
        (self.0.open.load(Ordering::Relaxed), idle)
    }

    pub(crate) async fn acquire(&self) -> Result<Lease, DbErr> {
        let shard = LANE.with(Cell::get) % self.0.shards.len();
        let own = &self.0.shards[shard];
        let permit = match tokio::time::timeout(ACQUIRE_TIMEOUT, own.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            Ok(Err(_)) => return Err(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::ConnectionClosed)),
            Err(_) => return Err(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)),
        };
        loop {
            let idle = own.idle.lock().ok().and_then(|mut i| i.pop());
            match idle {
                // Closed by the server meanwhile (restart, terminated
                // backend): dropped, try the next.
                Some(i) if i.conn.client.is_closed() => continue,
                Some(i) => {
                    return Ok(Lease {
                        conn: i.conn,
                        shard,
                        _permit: permit,
                    });
                }
                None => break,
            }
        }
        // Boxed: opening a connection is a large future, and inline it
        // would make every request's future that much larger to move,
        // though a kept connection is the usual case.
        let conn = Box::pin(self.open()).await.map_err(conn_err)?;
        Ok(Lease {
            conn,
            shard,
            _permit: permit,
        })
    }

    /// This lane's shared connection (opened on first use), for one closed
    /// transaction. `None` when the runtime is not a lane's single thread,
    /// the shard has a single connection, or the shared one is busy
    /// ([`SHARED_IN_FLIGHT`]) or being opened, or no permit is free to open
    /// it: the caller takes a connection of its own then.
    pub(crate) async fn shared(&self) -> Option<SharedUse> {
        // A lane's tasks all run on its one thread; with a multi-threaded
        // runtime, requests would contend for one connection across threads.
        if tokio::runtime::Handle::current().runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread {
            return None;
        }
        let own = &self.0.shards[LANE.with(Cell::get) % self.0.shards.len()];
        // It keeps its permit while in use: a shard of one connection keeps
        // that for its transactions.
        if own.share < 2 {
            return None;
        }
        let permit = {
            let mut slot = own.shared.lock().ok()?;
            if let Some(c) = &slot.conn {
                if !c.conn.client.is_closed() && c.conn.born.elapsed() < MAX_LIFETIME {
                    return (c.in_flight.load(Ordering::Relaxed) < SHARED_IN_FLIGHT).then(|| use_shared(c));
                }
                // Closed or old: replaced (its requests in flight keep it
                // until they are answered).
                slot.conn = None;
            }
            if slot.opening {
                return None;
            }
            let permit = own.permits.clone().try_acquire_owned().ok()?;
            slot.opening = true;
            permit
        };
        let _opening = Opening(&own.shared);
        let conn = Box::pin(self.open()).await.ok()?;
        let shared = Arc::new(Shared {
            conn,
            statements: Mutex::new(Statements::default()),
            gate: Mutex::new(()),
            in_flight: AtomicU32::new(0),
            used_ms: AtomicU64::new(0),
            _permit: permit,
        });
        let used = use_shared(&shared);
        own.shared.lock().ok()?.conn = Some(shared);
        Some(used)
    }

    async fn open(&self) -> Result<Conn, tokio_postgres::Error> {
        let (client, connection) = self.0.options.connect().await?;
        self.0.open.fetch_add(1, Ordering::Relaxed);
        Ok(Conn {
            client,
            driver: tokio::spawn(drive(connection)),
            born: Instant::now(),
            statements: Statements::default(),
            open: self.0.open.clone(),
        })
    }

    /// Takes back a connection whose transaction ended (answered COMMIT or
    /// ROLLBACK).
    pub(crate) fn release(&self, lease: Lease) {
        let Lease { conn, shard, _permit } = lease;
        if conn.born.elapsed() >= MAX_LIFETIME || conn.client.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.0.shards[shard].idle.lock() {
            idle.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
        // The permit is released after the connection is kept, so whoever
        // it wakes finds the connection.
    }
}

/// Drives one connection's socket until the connection ends.
async fn drive(connection: Connection<Socket, RustlsStream>) {
    if let Err(e) = connection.await {
        tracing::debug!(error = %e, "database connection ended");
    }
}

/// Every few seconds, closes the connections idle for [`IDLE_TIMEOUT`]
/// (oldest first, keeping one per shard), and the shared ones unused for
/// [`SHARED_IDLE`]. Ends when the `Db` is gone.
async fn close_idle(db: Weak<Inner>) {
    let mut tick = tokio::time::interval(IDLE_TIMEOUT / 10);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(db) = db.upgrade() else { return };
        for shard in db.shards.iter() {
            let stale: Vec<Idle> = match shard.idle.lock() {
                Ok(mut idle) => {
                    // Oldest first: the bottom of the stack.
                    let n = idle
                        .iter()
                        .take_while(|i| i.since.elapsed() >= IDLE_TIMEOUT)
                        .count()
                        .min(idle.len().saturating_sub(1));
                    idle.drain(..n).collect()
                }
                Err(_) => Vec::new(),
            };
            drop(stale);
            let unused = shard.shared.lock().ok().and_then(|mut slot| {
                let c = slot.conn.as_ref()?;
                let used = Duration::from_millis(c.used_ms.load(Ordering::Relaxed));
                let idle = c.conn.born.elapsed().saturating_sub(used) >= SHARED_IDLE;
                (idle && c.in_flight.load(Ordering::Relaxed) == 0).then(|| slot.conn.take())
            });
            drop(unused);
        }
    }
}
