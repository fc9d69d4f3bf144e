//! Q1's four statements (`BEGIN`, entering the tenant, the campaign,
//! `COMMIT`), pipelined on CONNS connections for SECS seconds, in one of
//! two shapes:
//!
//! - `per-statement`: Bind, Execute, Sync for each statement, as
//!   tokio-postgres sends a pipeline (each `Client::query` is its own
//!   request, ended by a Sync, answered by a ReadyForQuery);
//! - `one-sync`: Bind, Execute for each and one Sync at the end, as pgbench
//!   sends `\startpipeline ... \endpipeline`.
//!
//! Prints `RESULT shape=.. txs=.. secs=.. tps=..` (transactions after the
//! warm-up). Usage:
//!   bench-syncs SHAPE HOST PORT DBNAME USER BENCH_USER ORGS CAMPAIGNS CONNS WARMUP SECS

use bytes::{BufMut, BytesMut};
use fallible_iterator::FallibleIterator;
use postgres_protocol::IsNull;
use postgres_protocol::message::{backend, frontend};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const STATEMENTS: [(&str, &str); 4] = [
    ("begin", "BEGIN"),
    (
        "enter",
        "SELECT cs_enter_user($1::uuid, md5('org:' || $2)::uuid) AS role",
    ),
    (
        "campaign",
        "SELECT id, name, status, created_at, brief FROM campaigns WHERE id = md5('campaign:' || $1 || ':' || $2)::uuid",
    ),
    ("commit", "COMMIT"),
];

struct Settings {
    one_sync: bool,
    addr: String,
    dbname: String,
    user: String,
    bench_user: String,
    orgs: u64,
    campaigns: u64,
}

/// Reads until the `n`th ReadyForQuery; returns the data rows seen.
async fn answers(s: &mut TcpStream, buf: &mut BytesMut, n: usize) -> Result<usize, String> {
    let (mut ready, mut rows) = (0, 0);
    loop {
        while let Some(m) = backend::Message::parse(buf).map_err(|e| e.to_string())? {
            match m {
                backend::Message::ReadyForQuery(_) => {
                    ready += 1;
                    if ready == n {
                        return Ok(rows);
                    }
                }
                backend::Message::DataRow(_) => rows += 1,
                backend::Message::ErrorResponse(e) => {
                    let mut text = String::new();
                    let mut fields = e.fields();
                    while let Ok(Some(f)) = fields.next() {
                        text.push_str(&format!(
                            "{}={} ",
                            f.type_() as char,
                            String::from_utf8_lossy(f.value_bytes())
                        ));
                    }
                    return Err(text);
                }
                backend::Message::AuthenticationOk | backend::Message::ParameterStatus(_) => {}
                backend::Message::BackendKeyData(_) | backend::Message::ParseComplete => {}
                backend::Message::BindComplete | backend::Message::CommandComplete(_) => {}
                backend::Message::NoticeResponse(_) => {}
                backend::Message::AuthenticationCleartextPassword
                | backend::Message::AuthenticationMd5Password(_)
                | backend::Message::AuthenticationSasl(_) => {
                    return Err("the server asks for a password: run against a trust-auth Postgres".into());
                }
                _ => {}
            }
        }
        buf.reserve(8192);
        if s.read_buf(buf).await.map_err(|e| e.to_string())? == 0 {
            return Err("the server closed the connection".into());
        }
    }
}

fn bind(statement: &str, values: &[&str], buf: &mut BytesMut) {
    let text = |v: &str, b: &mut BytesMut| {
        b.put_slice(v.as_bytes());
        Ok(IsNull::No)
    };
    if frontend::bind("", statement, Some(0), values.iter().copied(), text, Some(0), buf).is_err() {
        unreachable!("text values always encode");
    }
    frontend::execute("", 0, buf).expect("an unnamed portal encodes");
}

async fn client(i: u64, cfg: Arc<Settings>, done: Arc<AtomicU64>, stop: Arc<AtomicBool>) -> Result<(), String> {
    let mut s = TcpStream::connect(&cfg.addr).await.map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut out, mut inp) = (BytesMut::new(), BytesMut::new());
    let startup = [("user", cfg.user.as_str()), ("database", cfg.dbname.as_str())];
    frontend::startup_message(startup, &mut out).map_err(|e| e.to_string())?;
    s.write_all(&out).await.map_err(|e| e.to_string())?;
    out.clear();
    answers(&mut s, &mut inp, 1).await?;
    for (name, sql) in STATEMENTS {
        frontend::parse(name, sql, None, &mut out).map_err(|e| e.to_string())?;
    }
    frontend::sync(&mut out);
    s.write_all(&out).await.map_err(|e| e.to_string())?;
    out.clear();
    answers(&mut s, &mut inp, 1).await?;
    // xorshift64: a random (org, campaign) per transaction, as pgbench's
    // `\set ... random()`.
    let mut x = 0x9E37_79B9_7F4A_7C15_u64 ^ (i + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    while !stop.load(Ordering::Relaxed) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let org = (x % cfg.orgs + 1).to_string();
        let campaign = ((x >> 24) % cfg.campaigns + 1).to_string();
        let values: [&[&str]; 4] = [&[], &[&cfg.bench_user, &org], &[&org, &campaign], &[]];
        for ((name, _), v) in STATEMENTS.iter().zip(values) {
            bind(name, v, &mut out);
            if !cfg.one_sync {
                frontend::sync(&mut out);
            }
        }
        if cfg.one_sync {
            frontend::sync(&mut out);
        }
        s.write_all(&out).await.map_err(|e| e.to_string())?;
        out.clear();
        let rows = answers(&mut s, &mut inp, if cfg.one_sync { 1 } else { 4 }).await?;
        if rows != 2 {
            return Err(format!(
                "expected the role and the campaign, got {rows} rows (org {org}, campaign {campaign})"
            ));
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() != 11 || !matches!(a[0].as_str(), "per-statement" | "one-sync") {
        eprintln!(
            "usage: bench-syncs per-statement|one-sync HOST PORT DBNAME USER BENCH_USER ORGS CAMPAIGNS CONNS WARMUP SECS"
        );
        std::process::exit(2);
    }
    let num = |i: usize| a[i].parse::<u64>().unwrap_or_else(|_| panic!("not a number: {}", a[i]));
    let cfg = Arc::new(Settings {
        one_sync: a[0] == "one-sync",
        addr: format!("{}:{}", a[1], a[2]),
        dbname: a[3].clone(),
        user: a[4].clone(),
        bench_user: a[5].clone(),
        orgs: num(6),
        campaigns: num(7),
    });
    let (conns, warmup, secs) = (num(8), num(9), num(10));
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..conns)
        .map(|i| tokio::spawn(client(i, cfg.clone(), done.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(warmup)).await;
    let (n0, t0) = (done.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (n1, elapsed) = (done.load(Ordering::Relaxed), t0.elapsed().as_secs_f64());
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        if let Ok(Err(e)) = t.await {
            eprintln!("bench-syncs: {e}");
            std::process::exit(1);
        }
    }
    let txs = n1 - n0;
    println!(
        "RESULT shape={} txs={txs} secs={elapsed:.2} tps={:.1}",
        a[0],
        txs as f64 / elapsed
    );
}
