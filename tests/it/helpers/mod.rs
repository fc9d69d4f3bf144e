//! Test harness: a fresh database per test (cloned from a migrated
//! template), the real server on a random port, and GraphQL clients.

pub mod app;
pub mod db;
pub mod direct;
pub mod fixtures;
pub mod gql;
pub mod llm;
pub mod process;
pub mod ws;

pub use app::{TestApp, spawn_app, spawn_app_with};
pub use gql::{Caller, code_of, data_of};
