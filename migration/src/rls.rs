//! The row-level security pattern, written once.
//!
//! Every tenant table carries `org_id` and gets RLS ENABLED and FORCED (so the
//! owner is covered too) with one policy per command. The current org comes
//! from the transaction-local setting `app.org_id`; `NULLIF(.., '')` because a
//! pooled session returns `''` (not NULL) after any transaction that set it,
//! and `(select ..)` so Postgres evaluates it once per statement (an initPlan)
//! and can use the `org_id` index. A missing setting compares as NULL: no rows.

use sea_orm_migration::prelude::*;

/// The current org of the transaction, or NULL.
pub const CURRENT_ORG: &str = "(select nullif(current_setting('app.org_id', true), '')::uuid)";
/// The current user of the transaction, or NULL.
pub const CURRENT_USER: &str = "(select nullif(current_setting('app.user_id', true), '')::uuid)";

/// SQL that puts `table` under the standard tenant policies.
pub fn tenant_policies(table: &str) -> String {
    tenant_policies_with(table, None)
}

/// Like [`tenant_policies`], with an extra SELECT condition OR-ed in (used for
/// lookups that must happen before the org is known, each bound to a setting
/// only the server's authentication code sets).
pub fn tenant_policies_with(table: &str, extra_select: Option<&str>) -> String {
    let org = format!("org_id = {CURRENT_ORG}");
    let select = match extra_select {
        Some(extra) => format!("({org}) OR ({extra})"),
        None => org.clone(),
    };
    format!(
        "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
         ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
         CREATE POLICY {table}_select ON {table} FOR SELECT USING ({select});
         CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({org});
         CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({org}) WITH CHECK ({org});
         CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({org});"
    )
}

/// SQL that makes `table` append-only for everyone, owner included.
pub fn append_only(table: &str) -> String {
    format!(
        "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
         FOR EACH ROW EXECUTE FUNCTION cs_reject_change();"
    )
}

/// What the application role may do, table by table. A test checks that every
/// table of the schema is listed here and that every table with `org_id` is
/// under forced RLS with all four policies.
pub const APP_GRANTS: &[(&str, &str)] = &[
    ("orgs", "SELECT, INSERT, UPDATE"),
    ("users", "SELECT, INSERT, UPDATE"),
    ("memberships", "SELECT, INSERT, UPDATE, DELETE"),
    ("api_keys", "SELECT, INSERT, UPDATE"),
    ("brand_kits", "SELECT, INSERT, UPDATE"),
    ("audit_events", "SELECT, INSERT"),
    ("idempotency_keys", "SELECT, INSERT, UPDATE, DELETE"),
    ("campaigns", "SELECT, INSERT, UPDATE"),
    ("angles", "SELECT, INSERT, UPDATE"),
    ("copies", "SELECT, INSERT, UPDATE"),
    ("review_notes", "SELECT, INSERT"),
    ("credit_balances", "SELECT, INSERT, UPDATE"),
    ("credit_entries", "SELECT, INSERT"),
    ("jobs", "SELECT, INSERT, UPDATE"),
    ("job_queue", "SELECT, INSERT, UPDATE, DELETE"),
    ("job_events", "SELECT, INSERT"),
    ("step_cache", "SELECT, INSERT, UPDATE"),
    ("assets", "SELECT, INSERT, UPDATE, DELETE"),
    ("lead_sources", "SELECT, INSERT, UPDATE"),
    ("leads", "SELECT, INSERT, UPDATE"),
    ("lead_scoring_rules", "SELECT, INSERT, UPDATE, DELETE"),
    ("lead_daily_stats", "SELECT, INSERT, UPDATE"),
];

/// Grants the application role exactly [`APP_GRANTS`] (idempotent: privileges
/// are revoked first, so a privilege removed from the list is taken away).
pub async fn grant_app_role<C: ConnectionTrait>(db: &C, role: &str) -> Result<(), DbErr> {
    let role = quote_ident(role);
    let mut sql = format!(
        "GRANT USAGE ON SCHEMA public TO {role};
         REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};
         REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role};"
    );
    for (table, privileges) in APP_GRANTS {
        sql.push_str(&format!("GRANT {privileges} ON {table} TO {role};"));
    }
    db.execute_unprepared(&sql).await?;
    Ok(())
}

/// Quotes an SQL identifier (role names come from configuration).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
