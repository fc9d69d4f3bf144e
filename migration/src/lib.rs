//! Database schema of Campaign Studio: tables, indexes, row-level security
//! policies and the privileges of the application role.
//!
//! Migrations run as the owner role (`MIGRATION_DATABASE_URL`). The server
//! connects as a separate application role that owns nothing and cannot
//! bypass RLS; [`grant_app_role`] gives it exactly the privileges listed in
//! [`APP_GRANTS`].

#![expect(
    elided_lifetimes_in_paths,
    reason = "MigrationTrait (async_trait) takes &SchemaManager without a lifetime"
)]

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_tenancy;
mod m20261122_000002_create_campaigns;
mod m20261122_000003_create_credits;
mod m20261122_000004_create_jobs;
mod m20261122_000005_create_assets;
mod m20261122_000006_create_leads;
mod m20261129_000007_history_names_its_actor;
mod m20261202_000008_enter_without_perform;
mod m20261206_000009_campaign_checks_as_domains;
mod m20261207_000010_entry_checked_in_sql;
pub mod rls;

pub use rls::{APP_GRANTS, grant_app_role};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_tenancy::Migration),
            Box::new(m20261122_000002_create_campaigns::Migration),
            Box::new(m20261122_000003_create_credits::Migration),
            Box::new(m20261122_000004_create_jobs::Migration),
            Box::new(m20261122_000005_create_assets::Migration),
            Box::new(m20261122_000006_create_leads::Migration),
            Box::new(m20261129_000007_history_names_its_actor::Migration),
            Box::new(m20261202_000008_enter_without_perform::Migration),
            Box::new(m20261206_000009_campaign_checks_as_domains::Migration),
            Box::new(m20261207_000010_entry_checked_in_sql::Migration),
        ]
    }
}

/// The text of every migration, in order: tests fingerprint their template
/// database with it, so a changed migration rebuilds the template.
pub const SOURCES: &[&str] = &[
    include_str!("rls.rs"),
    include_str!("m20261122_000001_create_tenancy.rs"),
    include_str!("m20261122_000002_create_campaigns.rs"),
    include_str!("m20261122_000003_create_credits.rs"),
    include_str!("m20261122_000004_create_jobs.rs"),
    include_str!("m20261122_000005_create_assets.rs"),
    include_str!("m20261122_000006_create_leads.rs"),
    include_str!("m20261129_000007_history_names_its_actor.rs"),
    include_str!("m20261202_000008_enter_without_perform.rs"),
    include_str!("m20261206_000009_campaign_checks_as_domains.rs"),
    include_str!("m20261207_000010_entry_checked_in_sql.rs"),
];

/// Runs a batch of SQL statements (simple protocol, so several per string).
pub(crate) async fn exec(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager.get_connection().execute_unprepared(sql).await?;
    Ok(())
}
