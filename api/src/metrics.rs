//! Prometheus metrics in text format, without a metrics framework: request
//! counters by operation and outcome, a latency histogram, pool gauges.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
/// Distinct operation names kept; the rest are counted as "other".
const MAX_OPERATIONS: usize = 500;

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: HashMap<(String, &'static str), u64>,
    latency: Histogram,
    http: HashMap<(String, u16), u64>,
    /// Accepted connections by the lane that serves them.
    connections: HashMap<usize, u64>,
}

#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<Inner>>,
    pub events_published: Arc<AtomicU64>,
    pub jobs_finished: Arc<AtomicU64>,
    pub webhooks_received: Arc<AtomicU64>,
    /// Connections built by `graphql::direct` rather than field by field.
    pub direct_connections: Arc<AtomicU64>,
    /// Lookups answered by `graphql::lookup`, before the executor.
    pub direct_lookups: Arc<AtomicU64>,
    /// Mutations committed by `graphql::insert`, before the executor.
    pub direct_inserts: Arc<AtomicU64>,
    /// Requests run without validating again a document that passed.
    pub validation_skipped: Arc<AtomicU64>,
    /// Requests run again because their tenant was entered otherwise than
    /// expected (a role or membership changed since it was last entered).
    pub entry_rechecks: Arc<AtomicU64>,
}

fn sanitize(op: &str) -> String {
    op.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

impl Metrics {
    pub fn graphql_request(&self, operation: &str, outcome: &'static str, elapsed: Duration) {
        let Ok(mut inner) = self.inner.lock() else { return };
        let mut op = sanitize(operation);
        if !inner.requests.keys().any(|(o, _)| *o == op) && inner.requests.len() >= MAX_OPERATIONS {
            op = "other".into();
        }
        *inner.requests.entry((op, outcome)).or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let h = &mut inner.latency;
        h.count += 1;
        h.sum += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.buckets[i] += 1;
            }
        }
    }

    pub fn http_response(&self, route: &str, status: u16) {
        if let Ok(mut inner) = self.inner.lock() {
            *inner.http.entry((route.to_string(), status)).or_default() += 1;
        }
    }

    pub fn connection_dealt(&self, lane: usize) {
        if let Ok(mut inner) = self.inner.lock() {
            *inner.connections.entry(lane).or_default() += 1;
        }
    }

    pub fn render(&self, pool: &crate::db::Db) -> String {
        let mut out = String::new();
        if let Ok(inner) = self.inner.lock() {
            out.push_str("# HELP graphql_requests_total GraphQL requests by operation name and outcome code.\n");
            out.push_str("# TYPE graphql_requests_total counter\n");
            let mut rows: Vec<_> = inner.requests.iter().collect();
            rows.sort();
            for ((op, outcome), n) in rows {
                let _ = writeln!(
                    out,
                    "graphql_requests_total{{operation=\"{op}\",outcome=\"{outcome}\"}} {n}"
                );
            }
            out.push_str("# HELP graphql_request_duration_seconds GraphQL request latency.\n");
            out.push_str("# TYPE graphql_request_duration_seconds histogram\n");
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "graphql_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                    inner.latency.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "graphql_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
                inner.latency.count
            );
            let _ = writeln!(out, "graphql_request_duration_seconds_sum {}", inner.latency.sum);
            let _ = writeln!(out, "graphql_request_duration_seconds_count {}", inner.latency.count);
            out.push_str("# HELP http_responses_total HTTP responses by route and status.\n");
            out.push_str("# TYPE http_responses_total counter\n");
            let mut rows: Vec<_> = inner.http.iter().collect();
            rows.sort();
            for ((route, status), n) in rows {
                let _ = writeln!(out, "http_responses_total{{route=\"{route}\",status=\"{status}\"}} {n}");
            }
            out.push_str("# HELP http_connections_total Connections accepted, by the lane (runtime) serving them.\n");
            out.push_str("# TYPE http_connections_total counter\n");
            let mut rows: Vec<_> = inner.connections.iter().collect();
            rows.sort();
            for (lane, n) in rows {
                let _ = writeln!(out, "http_connections_total{{lane=\"{lane}\"}} {n}");
            }
        }
        out.push_str("# HELP db_pool_connections Connections in the database pool.\n");
        out.push_str("# TYPE db_pool_connections gauge\n");
        let (open, idle) = pool.stats();
        let _ = writeln!(out, "db_pool_connections{{state=\"open\"}} {open}");
        let _ = writeln!(out, "db_pool_connections{{state=\"idle\"}} {idle}");
        let _ = writeln!(out, "db_pool_connections{{state=\"max\"}} {}", pool.max_connections());
        for (name, help, v) in [
            (
                "events_published_total",
                "Subscription events published.",
                &self.events_published,
            ),
            (
                "jobs_finished_total",
                "Jobs that reached a terminal state here.",
                &self.jobs_finished,
            ),
            (
                "webhook_requests_total",
                "Lead webhook deliveries received.",
                &self.webhooks_received,
            ),
            (
                "graphql_direct_connections_total",
                "Connections resolved in one pass (plain selections).",
                &self.direct_connections,
            ),
            (
                "graphql_direct_lookups_total",
                "Single-object lookups answered before the executor (plain selections), in one round trip.",
                &self.direct_lookups,
            ),
            (
                "graphql_direct_inserts_total",
                "Single-statement mutations (plain selections) committed before the executor, in one round trip.",
                &self.direct_inserts,
            ),
            (
                "graphql_validation_skipped_total",
                "Requests whose document and operation passed full validation before, run checking only their variables.",
                &self.validation_skipped,
            ),
            (
                "graphql_entry_rechecks_total",
                "Requests run again because the database entered their tenant otherwise than the last time (a changed role or membership).",
                &self.entry_rechecks,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        out
    }
}
