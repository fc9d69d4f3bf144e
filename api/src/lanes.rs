//! Lanes: `serve`'s HTTP work on a single-threaded runtime per core.
//!
//! One multi-threaded runtime moves tasks between its threads and wakes
//! idle ones to steal work. On a one-row query that is a third of our CPU,
//! and half of it is the kernel (futex wake-ups, context switches). A
//! lane is instead a thread with a runtime of its own. A connection is
//! served start to finish on the lane it was dealt to. Its pooled database
//! connections come from that lane's shard of the pool (`db/pool.rs`), so
//! their sockets are driven by the same thread.
//!
//! Lane 0 is the runtime that started the server. It accepts every
//! connection and deals them out in turn, so each lane gets an even share
//! whatever their timing. The other lanes get theirs as std sockets over a
//! channel. The state (event hub, caches, limits) is one, shared by all
//! lanes; only the pool is split.
//!
//! The lane threads keep their runtimes until [`Lanes`] is dropped: after
//! HTTP has stopped, job workers may still be draining, and they may use
//! tasks or connections that live on those runtimes.

use crate::metrics::Metrics;
use axum::Router;
use axum::serve::Listener;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// The lanes serving one listener.
pub struct Lanes {
    stop: watch::Sender<bool>,
    first: Option<JoinHandle<()>>,
    served: Vec<oneshot::Receiver<()>>,
    /// Dropped with `Lanes`: the lane threads then end their runtimes.
    _release: watch::Sender<()>,
}

impl Lanes {
    /// Serves `router` on `listener` with `count` lanes (at least 1). Lane 0
    /// is a task on the current runtime; each other lane is a thread.
    pub fn start(listener: TcpListener, router: Router, count: usize, metrics: Metrics) -> std::io::Result<Lanes> {
        let (stop, stopped) = watch::channel(false);
        let (release, released) = watch::channel(());
        let mut inboxes = Vec::new();
        let mut served = Vec::new();
        for lane in 1..count.max(1) {
            // Built here, so a failure stops start-up instead of a thread.
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (deal, inbox) = mpsc::unbounded_channel();
            let (done, was_served) = oneshot::channel();
            let (router, stopped, mut released) = (router.clone(), stopped.clone(), released.clone());
            std::thread::Builder::new()
                .name(format!("lane-{lane}"))
                .spawn(move || {
                    crate::db::set_lane(lane);
                    runtime.block_on(async move {
                        serve(Inbox { inbox, lane }, router, stopped, lane).await;
                        let _ = done.send(());
                        // Until `Lanes` is dropped (the error says so).
                        let _ = released.changed().await;
                    });
                })?;
            inboxes.push(deal);
            served.push(was_served);
        }
        let dealer = Dealer {
            listener,
            lanes: inboxes,
            next: 0,
            metrics,
        };
        let first = tokio::spawn(serve(dealer, router, stopped, 0));
        Ok(Lanes {
            stop,
            first: Some(first),
            served,
            _release: release,
        })
    }

    /// Stops accepting, and waits for every lane to finish the requests it
    /// has (graceful shutdown). The lane runtimes live on until drop.
    pub async fn stop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(first) = self.first.take() {
            let _ = first.await;
        }
        for served in self.served.drain(..) {
            let _ = served.await;
        }
    }
}

/// Serves one lane's connections until `stopped` says so (or its sender is
/// gone), then waits for them to finish (graceful shutdown).
async fn serve<L: Listener>(listener: L, router: Router, mut stopped: watch::Receiver<bool>, lane: usize)
where
    L::Addr: std::fmt::Debug,
{
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })
        .await;
    if let Err(e) = result {
        tracing::error!(lane, error = %e, "lane stopped");
    }
}

/// Lane 0's listener: accepts, and keeps every `lanes.len() + 1`-th
/// connection, handing the others to their lanes.
struct Dealer {
    listener: TcpListener,
    lanes: Vec<mpsc::UnboundedSender<(std::net::TcpStream, SocketAddr)>>,
    next: usize,
    metrics: Metrics,
}

impl Listener for Dealer {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            // Retries and logs accept errors as axum's own listener does.
            let (tcp, addr) = Listener::accept(&mut self.listener).await;
            // Small writes go out at once: a subscription's events, a
            // WebSocket pong, a response written in more than one piece.
            // With Nagle on, a write behind one not yet acknowledged waits
            // for the peer's (delayed, up to 40 ms) ACK.
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY on an accepted connection");
            }
            let lane = self.next;
            self.next = (self.next + 1) % (self.lanes.len() + 1);
            if lane == 0 {
                self.metrics.connection_dealt(0);
                return (tcp, addr);
            }
            // Leaves this runtime's reactor; the lane registers it with its own.
            let tcp = match tcp.into_std() {
                Ok(tcp) => tcp,
                Err(e) => {
                    tracing::debug!(error = %e, "cannot hand an accepted connection to its lane");
                    continue;
                }
            };
            match self.lanes[lane - 1].send((tcp, addr)) {
                Ok(()) => self.metrics.connection_dealt(lane),
                // That lane is gone (it can only be stopping): served here.
                Err(mpsc::error::SendError((tcp, addr))) => match TcpStream::from_std(tcp) {
                    Ok(tcp) => {
                        self.metrics.connection_dealt(0);
                        return (tcp, addr);
                    }
                    Err(e) => tracing::debug!(error = %e, "cannot take back an accepted connection"),
                },
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// Another lane's listener: the connections dealt to it.
struct Inbox {
    inbox: mpsc::UnboundedReceiver<(std::net::TcpStream, SocketAddr)>,
    lane: usize,
}

impl Listener for Inbox {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            match self.inbox.recv().await {
                Some((tcp, addr)) => match TcpStream::from_std(tcp) {
                    Ok(tcp) => return (tcp, addr),
                    Err(e) => tracing::debug!(lane = self.lane, error = %e, "cannot take a dealt connection"),
                },
                // The dealer stopped: so did the server, and graceful
                // shutdown ends this lane's `serve`.
                None => std::future::pending::<()>().await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Err(std::io::Error::other("a lane has no listener of its own"))
    }
}
