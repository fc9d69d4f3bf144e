//! One Sync per pipeline, under the driver.
//!
//! tokio-postgres ends every statement with a Sync, and Postgres answers
//! each Sync with a ReadyForQuery and a flush of its own: four sends of the
//! backend, four wake-ups of ours, for a lookup's `BEGIN`, entry, read and
//! `COMMIT`. Sent with one Sync, as pgbench sends its pipelines, the same
//! statements cost the database about a quarter less
//! (`scripts/bench-syncs.sh`). The driver has no way to send them so, so a
//! connection's socket goes to the driver through a [`Tapped`] stream,
//! which the connection's holder can take over for a while ([`Tap::divert`])
//! to write its own pipeline and read its answers.
//!
//! Taking the socket is safe only between messages and when the driver
//! waits for nothing: [`Tapped`] counts the requests the driver ends (a
//! Sync or a simple Query) and the ReadyForQuery answers it is handed, and
//! a diversion is refused unless every request has its answer and both
//! directions stand between two messages. While diverted, the driver's
//! reads and writes wait; a holder dropped mid-exchange poisons the
//! stream, so the driver fails and the connection is closed, never lent
//! again. An encrypted connection is never tapped (the tap sits under TLS).

use bytes::{Buf as _, BytesMut};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

/// The socket under a connection.
pub(crate) enum Sock {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Sock {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self {
            Sock::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Sock::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            Sock::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Sock::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Sock::Tcp(s) => Pin::new(s).poll_flush(cx),
            Sock::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Sock::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Sock::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Splits one direction of the protocol into messages (a tag byte, a
/// length that counts itself, the body) as bytes cross, to count tags.
#[derive(Default)]
struct Frames {
    header: [u8; 5],
    have: usize,
    body_left: usize,
}

impl Frames {
    /// Takes `bytes`; returns how many messages tagged with one of `tags`
    /// began in them.
    fn feed(&mut self, mut bytes: &[u8], tags: &[u8]) -> usize {
        let mut found = 0;
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let n = self.body_left.min(bytes.len());
                self.body_left -= n;
                bytes = &bytes[n..];
                continue;
            }
            let n = (5 - self.have).min(bytes.len());
            self.header[self.have..self.have + n].copy_from_slice(&bytes[..n]);
            self.have += n;
            bytes = &bytes[n..];
            if self.have == 5 {
                let len = i32::from_be_bytes([self.header[1], self.header[2], self.header[3], self.header[4]]);
                self.body_left = usize::try_from(len).unwrap_or(0).saturating_sub(4);
                self.have = 0;
                found += usize::from(tags.contains(&self.header[0]));
            }
        }
        found
    }

    fn between_messages(&self) -> bool {
        self.have == 0 && self.body_left == 0
    }
}

struct State {
    sock: Sock,
    /// Counting started (after the startup, which has untagged messages).
    armed: bool,
    /// TLS runs over this stream: its bytes cannot be read or written here.
    encrypted: bool,
    diverted: bool,
    poisoned: bool,
    /// Requests the driver ended (Sync, Query) and answers (ReadyForQuery)
    /// it was handed.
    ended: u64,
    answered: u64,
    sent: Frames,
    received: Frames,
    /// Bytes read during a diversion after its last answer: the driver's.
    leftover: BytesMut,
    /// The driver's task, to wake when the stream is given back.
    driver: Option<Waker>,
}

type Shared = Arc<Mutex<State>>;

fn lock(s: &Shared) -> MutexGuard<'_, State> {
    // Nothing here panics while holding the lock; a poisoned mutex still
    // holds a consistent state.
    s.lock().unwrap_or_else(|p| p.into_inner())
}

fn abandoned() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "a pipeline was abandoned midway")
}

/// The stream the driver reads and writes.
pub(crate) struct Tapped(Shared);

/// The holder's handle on a connection's [`Tapped`] stream.
#[derive(Clone)]
pub(crate) struct Tap(Shared);

/// A new tapped socket, and its tap.
pub(crate) fn tapped(sock: Sock) -> (Tapped, Tap) {
    let shared = Arc::new(Mutex::new(State {
        sock,
        armed: false,
        encrypted: false,
        diverted: false,
        poisoned: false,
        ended: 0,
        answered: 0,
        sent: Frames::default(),
        received: Frames::default(),
        leftover: BytesMut::new(),
        driver: None,
    }));
    (Tapped(shared.clone()), Tap(shared))
}

impl Tapped {
    /// TLS is starting over this stream: it will never be tapped.
    pub(crate) fn encrypting(&self) {
        lock(&self.0).encrypted = true;
    }
}

impl AsyncRead for Tapped {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let mut s = lock(&self.0);
        if s.poisoned {
            return Poll::Ready(Err(abandoned()));
        }
        // Kept even when the socket is the driver's: a diversion takes the
        // socket's read wake-up, so it wakes the driver when it gives the
        // socket back, and what came meanwhile (the server closing an idle
        // connection) is still read.
        if !s.driver.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            s.driver = Some(cx.waker().clone());
        }
        if s.diverted {
            return Poll::Pending;
        }
        let start = buf.filled().len();
        if s.leftover.is_empty() {
            ready!(s.sock.poll_read(cx, buf))?;
        } else {
            let n = s.leftover.len().min(buf.remaining());
            buf.put_slice(&s.leftover[..n]);
            s.leftover.advance(n);
        }
        if s.armed {
            let state = &mut *s;
            state.answered += state.received.feed(&buf.filled()[start..], b"Z") as u64;
        }
        Poll::Ready(Ok(()))
    }
}

/// What the driver is answered while the socket is not its own (taken,
/// or broken); `None` when it is.
fn held<T>(s: &mut State, cx: &Context<'_>) -> Option<Poll<io::Result<T>>> {
    if s.poisoned {
        return Some(Poll::Ready(Err(abandoned())));
    }
    if s.diverted {
        s.driver = Some(cx.waker().clone());
        return Some(Poll::Pending);
    }
    None
}

impl AsyncWrite for Tapped {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let mut s = lock(&self.0);
        if let Some(wait) = held(&mut s, cx) {
            return wait;
        }
        let n = ready!(s.sock.poll_write(cx, buf))?;
        if s.armed {
            s.ended += s.sent.feed(&buf[..n], b"SQ") as u64;
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut s = lock(&self.0);
        if let Some(wait) = held(&mut s, cx) {
            return wait;
        }
        s.sock.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut s = lock(&self.0);
        if let Some(wait) = held(&mut s, cx) {
            return wait;
        }
        s.sock.poll_shutdown(cx)
    }
}

impl Tap {
    /// Starts counting, once the connection is established; a connection
    /// that went over to TLS stays untapped (`false`).
    pub(crate) fn arm(&self) -> bool {
        let mut s = lock(&self.0);
        s.armed = !s.encrypted;
        s.armed
    }

    /// Takes the socket from the driver, if it waits for no answer and
    /// stands between two messages either way; `None` otherwise (the
    /// caller goes through the driver as usual).
    pub(crate) fn divert(&self) -> Option<Diverted<'_>> {
        let mut s = lock(&self.0);
        let idle = s.ended == s.answered && s.sent.between_messages() && s.received.between_messages();
        if !s.armed || s.poisoned || s.diverted || !idle || !s.leftover.is_empty() {
            return None;
        }
        s.diverted = true;
        Some(Diverted { tap: self, done: false })
    }
}

/// The socket, taken from the driver until this is given back
/// ([`Diverted::give_back`]) or dropped (then the connection is broken).
pub(crate) struct Diverted<'t> {
    tap: &'t Tap,
    done: bool,
}

impl Diverted<'_> {
    /// Writes `out` (messages ending with one Sync or Query), then reads
    /// the answers into `into` up to and with the ReadyForQuery.
    pub(crate) async fn exchange(&mut self, out: &[u8], into: &mut BytesMut) -> io::Result<()> {
        let shared = &self.tap.0;
        let mut written = 0;
        poll_fn(|cx| {
            let mut s = lock(shared);
            while written < out.len() {
                match ready!(s.sock.poll_write(cx, &out[written..]))? {
                    0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    n => written += n,
                }
            }
            s.sock.poll_flush(cx)
        })
        .await?;
        let mut scanned = 0;
        let mut chunk = [0u8; 8192];
        loop {
            while into.len() - scanned >= 5 {
                let h = &into[scanned..];
                let len = i32::from_be_bytes([h[1], h[2], h[3], h[4]]);
                let total = 1 + usize::try_from(len).map_err(|_| io::Error::other("bad message length"))?;
                if into.len() - scanned < total {
                    break;
                }
                let tag = h[0];
                scanned += total;
                if tag == b'Z' {
                    let rest = into.split_off(scanned);
                    lock(shared).leftover.extend_from_slice(&rest);
                    return Ok(());
                }
            }
            let n = poll_fn(|cx| {
                let mut buf = ReadBuf::new(&mut chunk);
                ready!(lock(shared).sock.poll_read(cx, &mut buf))?;
                Poll::Ready(Ok::<_, io::Error>(buf.filled().len()))
            })
            .await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            into.extend_from_slice(&chunk[..n]);
        }
    }

    /// Gives the socket back to the driver.
    pub(crate) fn give_back(mut self) {
        self.done = true;
        self.release(false);
    }

    fn release(&self, poison: bool) {
        let waker = {
            let mut s = lock(&self.tap.0);
            s.diverted = false;
            s.poisoned |= poison;
            s.driver.clone()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Drop for Diverted<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Cut off mid-exchange: what is in flight is unknown.
            self.release(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A tapped, armed stream over one end of a socket pair, and the other
    /// end (the "database").
    fn pair() -> (Tapped, Tap, UnixStream) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let (stream, tap) = tapped(Sock::Unix(ours));
        assert!(tap.arm());
        (stream, tap, theirs)
    }

    #[tokio::test]
    async fn the_socket_is_taken_only_while_the_driver_awaits_nothing() {
        let (mut driver, tap, mut db) = pair();
        // The driver sends a request (a Sync ends it): busy until its
        // ReadyForQuery has been handed to it.
        driver.write_all(&message(b'S', b"")).await.unwrap();
        assert!(tap.divert().is_none(), "a request in flight");
        let mut answer = message(b'1', b"");
        answer.extend(message(b'Z', b"I"));
        db.write_all(&answer[..3]).await.unwrap();
        let mut got = [0u8; 3];
        driver.read_exact(&mut got).await.unwrap();
        assert!(tap.divert().is_none(), "still waiting, and inside a message");
        db.write_all(&answer[3..]).await.unwrap();
        let mut rest = vec![0u8; answer.len() - 3];
        driver.read_exact(&mut rest).await.unwrap();

        // Idle: taken; the exchange reads up to its ReadyForQuery, and
        // what came after it is the driver's.
        let mut diverted = tap.divert().expect("idle");
        assert!(tap.divert().is_none(), "taken once");
        let ours = message(b'S', b"");
        let mut reply = message(b'2', b"");
        reply.extend(message(b'Z', b"I"));
        let after = message(b'N', b"notice");
        let mut sent = reply.clone();
        sent.extend(&after);
        db.write_all(&sent).await.unwrap();
        let mut into = BytesMut::new();
        diverted.exchange(&ours, &mut into).await.unwrap();
        assert_eq!(&into[..], &reply[..]);
        let mut seen = [0u8; 5];
        db.read_exact(&mut seen).await.unwrap();
        assert_eq!(&seen[..], &ours[..]);
        diverted.give_back();
        let mut left = vec![0u8; after.len()];
        driver.read_exact(&mut left).await.unwrap();
        assert_eq!(left, after, "bytes after the answer go back to the driver");
        assert!(tap.divert().is_some(), "idle again");
    }

    /// The driver waits on the socket while idle; a diversion takes that
    /// wait over, and giving the socket back hands it back: what the
    /// server sends afterwards (here, closing an idle connection) reaches
    /// the driver.
    #[tokio::test]
    async fn a_driver_waiting_on_the_socket_is_woken_when_it_is_given_back() {
        let (mut driver, tap, mut db) = pair();
        let waiting = tokio::spawn(async move {
            let mut got = vec![0u8; 6];
            driver.read_exact(&mut got).await.map(|_| got)
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let mut diverted = tap.divert().expect("idle");
        db.write_all(&message(b'Z', b"I")).await.unwrap();
        diverted
            .exchange(&message(b'S', b""), &mut BytesMut::new())
            .await
            .unwrap();
        diverted.give_back();
        let fatal = message(b'E', b"X");
        db.write_all(&fatal).await.unwrap();
        let got = tokio::time::timeout(std::time::Duration::from_secs(2), waiting)
            .await
            .expect("the driver was woken")
            .unwrap()
            .unwrap();
        assert_eq!(got, fatal);
    }

    #[tokio::test]
    async fn a_diversion_cut_off_midway_breaks_the_stream_for_good() {
        let (mut driver, tap, _db) = pair();
        let mut diverted = tap.divert().unwrap();
        let mut into = BytesMut::new();
        // No answer comes: cut off while waiting for it.
        let cut = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            diverted.exchange(&message(b'S', b""), &mut into),
        )
        .await;
        assert!(cut.is_err());
        drop(diverted);
        let err = driver.read_u8().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        assert!(driver.write_all(b"x").await.is_err());
        assert!(tap.divert().is_none(), "never taken again");
    }

    #[tokio::test]
    async fn an_encrypted_stream_is_never_tapped() {
        let (ours, _theirs) = UnixStream::pair().unwrap();
        let (stream, tap) = tapped(Sock::Unix(ours));
        stream.encrypting();
        assert!(!tap.arm());
        assert!(tap.divert().is_none());
    }

    fn message(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![tag];
        m.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn frames_count_tags_across_any_split() {
        let mut stream = Vec::new();
        stream.extend(message(b'B', b"portal\0stmt\0"));
        stream.extend(message(b'E', b"\0\0\0\0\0"));
        stream.extend(message(b'S', b""));
        // A body holding the tag bytes counts for nothing.
        stream.extend(message(b'd', b"SQSQZ"));
        stream.extend(message(b'Q', b"ROLLBACK\0"));
        for step in 1..=stream.len() {
            let mut f = Frames::default();
            let n: usize = stream.chunks(step).map(|c| f.feed(c, b"SQ")).sum();
            assert_eq!(n, 2, "chunks of {step}");
            assert!(f.between_messages(), "chunks of {step}");
        }
        let mut f = Frames::default();
        f.feed(&stream[..3], b"SQ");
        assert!(!f.between_messages(), "inside a header");
        f.feed(&stream[3..8], b"SQ");
        assert!(!f.between_messages(), "inside a body");
    }
}
