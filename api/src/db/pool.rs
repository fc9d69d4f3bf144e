//! `Db`: the connections requests run on.
//!
//! sqlx's pool opens, limits and closes the connections, but it also tests
//! every connection handed back to it (a Sync and a ReadyForQuery, in a task
//! of its own): one round trip in four of a short request, and a wake-up of
//! the other worker thread. A `Tx` only hands a connection back after its
//! COMMIT or ROLLBACK was answered, so that test can tell us nothing new.
//! `Db` keeps such connections itself, most recently used first, and gives
//! them to the next `Tx` as they are:
//!
//! - `Db` has as many permits as sqlx has connections; a permit is taken
//!   before a connection, so a connection kept here is always found by the
//!   next permit holder, and a permit holder that finds none here can always
//!   get one from sqlx (every connection sqlx counts as out is held by
//!   another permit holder or kept here, and then it is not empty);
//! - a connection that has been idle here for [`IDLE_HANDBACK`], or out of
//!   sqlx's hands for [`CUSTODY`], goes back to sqlx, which tests it and
//!   applies its idle timeout, minimum and maximum lifetime as usual;
//! - a `Tx` dropped unfinished comes here only once its `ROLLBACK` was
//!   answered (`tx.rs`, `recover`); otherwise its connection is closed.

use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Idle this long here, a connection goes back to sqlx's pool.
const IDLE_HANDBACK: Duration = Duration::from_secs(30);
/// Out of sqlx's pool this long, a connection goes back at its next release.
const CUSTODY: Duration = Duration::from_secs(120);

#[derive(Clone)]
pub struct Db(Arc<Inner>);

struct Inner {
    pool: PgPool,
    permits: Arc<Semaphore>,
    kept: Mutex<Vec<Kept>>,
}

struct Kept {
    conn: PoolConnection<Postgres>,
    taken: Instant,
    idle_since: Instant,
}

/// A connection lent to one `Tx`, with the permit it holds.
pub(crate) struct Lease {
    pub(crate) conn: PoolConnection<Postgres>,
    taken: Instant,
    _permit: OwnedSemaphorePermit,
}

impl Db {
    /// Opens the pool ([`super::connect`]) and wraps it; must run inside the
    /// runtime (it starts the task that hands idle connections back).
    pub async fn connect(url: &crate::config::Secret, max_connections: u32) -> anyhow::Result<Self> {
        Ok(Self::new(super::connect(url, max_connections).await?))
    }

    fn new(pool: PgPool) -> Self {
        let max = pool.options().get_max_connections() as usize;
        let db = Db(Arc::new(Inner {
            pool,
            permits: Arc::new(Semaphore::new(max)),
            kept: Mutex::new(Vec::with_capacity(max)),
        }));
        let weak = Arc::downgrade(&db.0);
        tokio::spawn(hand_back_idle(weak));
        db
    }

    /// sqlx's pool, for statements outside a tenant transaction that do not
    /// run per request (startup checks).
    pub fn sqlx(&self) -> &PgPool {
        &self.0.pool
    }

    pub fn max_connections(&self) -> u32 {
        self.0.pool.options().get_max_connections()
    }

    /// Connections open, and of those, idle (here or in sqlx's pool).
    pub fn stats(&self) -> (u32, usize) {
        let kept = self.0.kept.lock().map(|k| k.len()).unwrap_or(0);
        (self.0.pool.size(), self.0.pool.num_idle() + kept)
    }

    pub(crate) async fn acquire(&self) -> Result<Lease, sqlx::Error> {
        let timeout = self.0.pool.options().get_acquire_timeout();
        let permit = match tokio::time::timeout(timeout, self.0.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            Ok(Err(_)) => return Err(sqlx::Error::PoolClosed),
            Err(_) => return Err(sqlx::Error::PoolTimedOut),
        };
        let kept = self.0.kept.lock().ok().and_then(|mut k| k.pop());
        let (conn, taken) = match kept {
            Some(k) => (k.conn, k.taken),
            // Boxed: sqlx's acquire is a large future, and inline it would
            // make every caller's future (and so every request's) that much
            // larger to move, though a kept connection is the usual case.
            None => (Box::pin(self.0.pool.acquire()).await?, Instant::now()),
        };
        Ok(Lease {
            conn,
            taken,
            _permit: permit,
        })
    }

    /// Takes back a connection whose transaction ended (answered COMMIT or
    /// ROLLBACK).
    pub(crate) fn release(&self, lease: Lease) {
        let Lease { conn, taken, _permit } = lease;
        if taken.elapsed() >= CUSTODY {
            // Dropped: back to sqlx (tested there); the permit goes with it.
            return;
        }
        if let Ok(mut kept) = self.0.kept.lock() {
            kept.push(Kept {
                conn,
                taken,
                idle_since: Instant::now(),
            });
        }
        // The permit is released after the connection is kept, so whoever
        // it wakes finds the connection.
    }
}

/// Every few seconds, the connections idle here for [`IDLE_HANDBACK`] go back
/// to sqlx's pool (its idle timeout then closes what a quiet server does
/// not need). Ends when the `Db` is gone.
async fn hand_back_idle(db: Weak<Inner>) {
    let mut tick = tokio::time::interval(IDLE_HANDBACK / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(db) = db.upgrade() else { return };
        let stale: Vec<Kept> = match db.kept.lock() {
            Ok(mut kept) => {
                // Oldest first: the bottom of the stack.
                let n = kept
                    .iter()
                    .take_while(|k| k.idle_since.elapsed() >= IDLE_HANDBACK)
                    .count();
                kept.drain(..n).collect()
            }
            Err(_) => Vec::new(),
        };
        drop(stale);
    }
}
