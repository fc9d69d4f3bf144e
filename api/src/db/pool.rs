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
//!   thread twice per round trip. The lane is a thread-local ([`set_lane`]).

use super::pg::{Options, RustlsStream};
use super::piped::PipedStatements;
use super::tap::{Tap, Tapped};
use sea_orm::DbErr;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Connection, Statement};

/// Idle this long, a connection is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Open this long, a connection is closed when it comes back.
const MAX_LIFETIME: Duration = Duration::from_secs(1800);
/// How long a checkout waits for a permit.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
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
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    conn: Conn,
    since: Instant,
}

/// One connection: its client, the task that drives its socket, the tap
/// on that socket (unless it is encrypted), and the statements prepared on
/// it, by the driver and on the tap.
pub(crate) struct Conn {
    pub(crate) client: Client,
    pub(crate) tap: Option<Tap>,
    pub(crate) piped: PipedStatements,
    driver: JoinHandle<()>,
    born: Instant,
    statements: HashMap<String, Vec<(Vec<Type>, Statement)>>,
    prepared: usize,
    open: Arc<AtomicU32>,
}

impl Conn {
    /// The statement for `sql` with parameters of `types`, prepared on this
    /// connection once (a round trip the first time).
    pub(crate) async fn prepare(&mut self, sql: &str, types: &[Type]) -> Result<Statement, tokio_postgres::Error> {
        if let Some(found) = self
            .statements
            .get(sql)
            .and_then(|v| v.iter().find(|(t, _)| t == types))
        {
            return Ok(found.1.clone());
        }
        let statement = self.client.prepare_typed(sql, types).await?;
        if self.prepared >= STATEMENTS {
            // Dropping them closes them on the server.
            self.statements.clear();
            self.prepared = 0;
        }
        self.statements
            .entry(sql.to_string())
            .or_default()
            .push((types.to_vec(), statement.clone()));
        self.prepared += 1;
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
                    idle: Mutex::new(Vec::with_capacity(share)),
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
        let conn = Box::pin(self.open()).await?;
        Ok(Lease {
            conn,
            shard,
            _permit: permit,
        })
    }

    async fn open(&self) -> Result<Conn, DbErr> {
        let (client, connection, tap) = self.0.options.connect().await?;
        self.0.open.fetch_add(1, Ordering::Relaxed);
        Ok(Conn {
            client,
            tap,
            piped: PipedStatements::default(),
            driver: tokio::spawn(drive(connection)),
            born: Instant::now(),
            statements: HashMap::new(),
            prepared: 0,
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
async fn drive(connection: Connection<Tapped, RustlsStream>) {
    if let Err(e) = connection.await {
        tracing::debug!(error = %e, "database connection ended");
    }
}

/// Every few seconds, closes the connections idle for [`IDLE_TIMEOUT`]
/// (oldest first, keeping one per shard). Ends when the `Db` is gone.
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
        }
    }
}
