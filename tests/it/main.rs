//! Integration tests: the real server over HTTP and WebSocket, a fresh
//! Postgres database per test, real Redis, a real S3-compatible server and
//! local HTTP servers standing in for LLM providers.

mod helpers;

mod assets;
mod campaigns;
mod campaigns_list;
mod conformance;
mod credits;
mod direct;
mod http_surface;
mod images;
mod insert;
mod jobs;
mod leads;
mod lookup;
mod pool;
mod processes;
mod rls;
mod rules;
mod schema;
mod subscriptions;
mod tenancy;
mod validation;
