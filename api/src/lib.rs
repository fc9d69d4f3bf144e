//! Campaign Studio: a multi-tenant GraphQL backend for AI-generated
//! marketing campaigns. See the README for how the pieces fit.

pub mod auth;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod idempotency;
pub mod images;
pub mod jobs;
pub mod lanes;
pub mod leads;
pub mod metrics;
pub mod pipeline;
pub mod repo;
pub mod seed;
pub mod server;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod tenancy;
