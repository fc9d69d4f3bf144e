//! Integration tests: the real server over HTTP and WebSocket, a fresh
//! Postgres database per test, real Redis, a real S3-compatible server and
//! local HTTP servers standing in for LLM providers.

mod helpers;

mod http_surface;
mod leads;
mod rls;
mod schema;
mod tenancy;
