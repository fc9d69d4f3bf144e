//! Lead capture: signed webhooks, scoring rules, attribution to campaigns.
//!
//! - [`webhook::ingest`] serves `POST /webhooks/leads/{sourceId}`.
//! - [`capture::capture`] and [`capture::update`] write leads in the caller's
//!   transaction (webhook and GraphQL alike): attribution, scoring, one row
//!   per external id.
//! - [`scoring`] is the pure rule engine; [`payload`] and [`signature`] the
//!   pure parts of the webhook; [`RateLimiter`] the per-source token bucket.

pub mod capture;
pub mod payload;
pub mod rate_limit;
pub mod scoring;
pub mod signature;
pub mod webhook;

pub use rate_limit::RateLimiter;
