//! Row-level security at the database level, table by table, through the
//! application role: no org set means no rows; org A cannot write org B's.

use crate::helpers::db::{TestDb, enter_org};
use sqlx::{Connection, PgConnection, Row};
use uuid::Uuid;

/// Puts one row in every tenant table for `org`, entering it the way the
/// server does. Returns the ids that identify the org's rows.
async fn seed_org(c: &mut PgConnection, org: Uuid, user: Uuid) {
    let mut tx = c.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)")
        .bind(org.to_string())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let campaign = Uuid::new_v4();
    let angle = Uuid::new_v4();
    let job = Uuid::new_v4();
    let source = Uuid::new_v4();
    let sql = format!(
        "INSERT INTO orgs (id, name, slug) VALUES ('{org}', 'Org', 'org-{s}');
         INSERT INTO memberships (org_id, user_id, role) VALUES ('{org}', '{user}', 'OWNER');
         INSERT INTO brand_kits (org_id) VALUES ('{org}');
         INSERT INTO api_keys (org_id, name, prefix, key_hash, role) VALUES ('{org}', 'k', 'cs_live_x', 'hash-{s}', 'ADMIN');
         INSERT INTO audit_events (org_id, action, target_type) VALUES ('{org}', 'test', 'Org');
         INSERT INTO idempotency_keys (org_id, key, request_hash) VALUES ('{org}', 'k', 'h');
         INSERT INTO campaigns (org_id, id, name, slug, brief, locales, platforms)
           VALUES ('{org}', '{campaign}', 'C', 'c', '{{}}', '{{en}}', '{{X}}');
         INSERT INTO angles (org_id, id, campaign_id, locale, title, hook, provenance)
           VALUES ('{org}', '{angle}', '{campaign}', 'en', 't', 'h', '{{}}');
         INSERT INTO copies (org_id, campaign_id, angle_id, platform, locale, body, character_count, provenance)
           VALUES ('{org}', '{campaign}', '{angle}', 'X', 'en', 'b', 1, '{{}}');
         INSERT INTO review_notes (org_id, campaign_id, decision) VALUES ('{org}', '{campaign}', 'APPROVED');
         INSERT INTO credit_balances (org_id, available) VALUES ('{org}', 10);
         INSERT INTO credit_entries (org_id, kind, amount, balance_after, reserved_after) VALUES ('{org}', 'GRANT', 10, 10, 0);
         INSERT INTO jobs (org_id, id, kind, campaign_id) VALUES ('{org}', '{job}', 'GENERATE_CAMPAIGN', '{campaign}');
         INSERT INTO job_queue (org_id, job_id) VALUES ('{org}', '{job}');
         INSERT INTO job_events (org_id, job_id, seq, type) VALUES ('{org}', '{job}', 1, 'QUEUED');
         INSERT INTO step_cache (org_id, step, input_hash, output) VALUES ('{org}', 'ANGLES', 'h', '{{}}');
         INSERT INTO assets (org_id, kind, mime_type, byte_size, object_key) VALUES ('{org}', 'LOGO', 'image/png', 1, 'orgs/{org}/logo/x.png');
         INSERT INTO lead_sources (org_id, id, name, secret_ciphertext) VALUES ('{org}', '{source}', 's', 'x');
         INSERT INTO leads (org_id, source_id, campaign_id, external_id) VALUES ('{org}', '{source}', '{campaign}', 'e1');
         INSERT INTO lead_scoring_rules (org_id, name, field, op, score_delta) VALUES ('{org}', 'r', 'email', 'exists', 1);",
        s = org.simple()
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

pub(crate) async fn two_orgs(db: &TestDb) -> (Uuid, Uuid) {
    let mut c = db.app_conn().await;
    let mut users = Vec::new();
    for email in ["a@rls.test", "b@rls.test"] {
        let id: Uuid = sqlx::query_scalar("SELECT cs_jit_user($1, $2, NULL)")
            .bind(format!("sub|{email}"))
            .bind(email)
            .fetch_one(&mut c)
            .await
            .unwrap();
        users.push(id);
    }
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    seed_org(&mut c, a, users[0]).await;
    seed_org(&mut c, b, users[1]).await;
    (a, b)
}

/// Tables that carry `org_id` (every tenant table), read from the catalog.
async fn tenant_tables(c: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r'
            AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped)
          ORDER BY 1",
    )
    .fetch_all(c)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_app_role_sees_no_rows_without_an_org() {
    let db = TestDb::new().await;
    two_orgs(&db).await;
    let mut c = db.app_conn().await;
    let tables = tenant_tables(&mut c).await;
    assert!(tables.len() >= 20, "expected every tenant table, got {tables:?}");
    for t in tables.iter().chain(["orgs".to_string(), "users".to_string()].iter()) {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {t}")))
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(n, 0, "{t}: the app role without an org must see nothing");
    }
    // A session that set an org in an earlier transaction sees nothing after it.
    let mut tx = c.begin().await.unwrap();
    let org: Uuid = sqlx::query_scalar("SELECT org_id FROM memberships LIMIT 1")
        .fetch_optional(&mut *tx)
        .await
        .unwrap()
        .unwrap_or_default();
    sqlx::query("SELECT set_config('app.org_id', $1, true)")
        .bind(org.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for t in &tables {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {t}")))
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(n, 0, "{t}: a transaction-local org must not outlive its transaction");
    }
}

#[tokio::test]
async fn org_a_reads_only_its_rows_and_cannot_write_org_b_rows() {
    let db = TestDb::new().await;
    let (a, b) = two_orgs(&db).await;
    let mut c = db.app_conn().await;
    let tables = tenant_tables(&mut c).await;
    for t in &tables {
        let mut tx = enter_org(&mut c, a).await;
        let foreign: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {t} WHERE org_id <> $1"
        )))
        .bind(a)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(foreign, 0, "{t}: org A must not see org B's rows");
        let own: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {t}")))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert!(own >= 1, "{t}: org A should see its own row");
        // UPDATE of org B's rows touches nothing (or is refused outright).
        let upd = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {t} SET org_id = org_id WHERE org_id = $1"
        )))
        .bind(b)
        .execute(&mut *tx)
        .await;
        match upd {
            Ok(r) => assert_eq!(r.rows_affected(), 0, "{t}: updated org B's rows"),
            Err(e) => assert!(
                e.to_string().contains("permission denied") || e.to_string().contains("append-only"),
                "{t}: {e}"
            ),
        }
        tx.rollback().await.unwrap();

        // DELETE of org B's rows touches nothing (or is refused).
        let mut tx = enter_org(&mut c, a).await;
        let del = sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {t} WHERE org_id = $1")))
            .bind(b)
            .execute(&mut *tx)
            .await;
        match del {
            Ok(r) => assert_eq!(r.rows_affected(), 0, "{t}: deleted org B's rows"),
            Err(e) => assert!(e.to_string().contains("permission denied"), "{t}: {e}"),
        }
        tx.rollback().await.unwrap();

        // Moving an own row into org B is refused by the WITH CHECK.
        let mut tx = enter_org(&mut c, a).await;
        let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {t} SET org_id = $1 WHERE org_id = $2"
        )))
        .bind(b)
        .bind(a)
        .execute(&mut *tx)
        .await;
        assert!(moved.is_err(), "{t}: moved a row into org B");
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn inserting_a_row_for_another_org_is_refused() {
    let db = TestDb::new().await;
    let (a, b) = two_orgs(&db).await;
    let mut c = db.app_conn().await;
    let cases = [
        format!(
            "INSERT INTO campaigns (org_id, name, slug, brief, locales, platforms) VALUES ('{b}', 'x', 'x', '{{}}', '{{en}}', '{{X}}')"
        ),
        format!("INSERT INTO audit_events (org_id, action, target_type) VALUES ('{b}', 'x', 'x')"),
        format!(
            "INSERT INTO credit_entries (org_id, kind, amount, balance_after, reserved_after) VALUES ('{b}', 'GRANT', 5, 5, 0)"
        ),
        format!("INSERT INTO memberships (org_id, user_id, role) SELECT '{b}', id, 'OWNER' FROM users LIMIT 1"),
        format!("INSERT INTO leads (org_id, name) VALUES ('{b}', 'x')"),
        format!("INSERT INTO jobs (org_id, kind) VALUES ('{b}', 'EXPORT_KIT')"),
        format!(
            "INSERT INTO assets (org_id, kind, mime_type, byte_size, object_key) VALUES ('{b}', 'LOGO', 'x', 1, 'orgs/{b}/x')"
        ),
        format!("INSERT INTO lead_sources (org_id, name, secret_ciphertext) VALUES ('{b}', 'x', 'x')"),
    ];
    for sql in cases {
        let mut tx = enter_org(&mut c, a).await;
        let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&mut *tx).await;
        assert!(r.is_err(), "allowed: {sql}");
        tx.rollback().await.unwrap();
    }
    // and a row pointing into another org's campaign is refused by the composite key
    let mut tx = enter_org(&mut c, b).await;
    let b_campaign: Uuid = sqlx::query_scalar("SELECT id FROM campaigns LIMIT 1")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let mut tx = enter_org(&mut c, a).await;
    let r = sqlx::query("INSERT INTO angles (org_id, campaign_id, locale, title, hook, provenance) VALUES ($1, $2, 'en', 't', 'h', '{}')")
        .bind(a)
        .bind(b_campaign)
        .execute(&mut *tx)
        .await;
    assert!(r.is_err(), "an angle of org A pointed at org B's campaign");
}

#[tokio::test]
async fn every_tenant_table_is_forced_under_four_policies_and_granted_as_listed() {
    let db = TestDb::new().await;
    let mut c = db.app_conn().await;
    let tables = tenant_tables(&mut c).await;
    for t in &tables {
        let row = sqlx::query(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1 AND relkind = 'r'",
        )
        .bind(t)
        .fetch_one(&mut c)
        .await
        .unwrap();
        assert!(
            row.get::<bool, _>(0) && row.get::<bool, _>(1),
            "{t}: RLS must be enabled and forced"
        );
        let cmds: Vec<String> =
            sqlx::query_scalar("SELECT cmd::text FROM pg_policies WHERE tablename = $1 ORDER BY cmd")
                .bind(t)
                .fetch_all(&mut c)
                .await
                .unwrap();
        for cmd in ["DELETE", "INSERT", "SELECT", "UPDATE"] {
            assert!(cmds.iter().any(|c| c == cmd), "{t}: no {cmd} policy ({cmds:?})");
        }
    }
    // Every table is in APP_GRANTS, and the role has exactly those privileges.
    let all: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'seaql_migrations' ORDER BY 1",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for t in &all {
        let granted = migration::APP_GRANTS
            .iter()
            .find(|(n, _)| n == t)
            .unwrap_or_else(|| panic!("{t} is missing from APP_GRANTS"));
        for p in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
            let has: bool = sqlx::query_scalar("SELECT has_table_privilege(current_user, $1, $2)")
                .bind(t)
                .bind(p)
                .fetch_one(&mut c)
                .await
                .unwrap();
            assert_eq!(
                has,
                granted.1.contains(p),
                "{t}: {p} privilege should be {}",
                granted.1.contains(p)
            );
        }
    }
    let migrations: bool = sqlx::query_scalar("SELECT has_table_privilege(current_user, 'seaql_migrations', 'SELECT')")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert!(!migrations, "the app role must not read the migration table");
}

#[tokio::test]
async fn the_app_role_cannot_bypass_rls_and_the_server_refuses_one_that_can() {
    let db = TestDb::new().await;
    let mut c = db.app_conn().await;
    let row = sqlx::query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert!(!row.get::<bool, _>(0) && !row.get::<bool, _>(1));
    let owns: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(owns, 0);
    // The owner's connection is refused by the start-up check.
    let pool = api::db::Db::connect(&api::config::Secret::new(db.owner_url.clone()), 1)
        .await
        .unwrap();
    let err = api::db::check_app_role(&pool).await.unwrap_err().to_string();
    assert!(err.contains("owns"), "{err}");
    let ok = api::db::Db::connect(&api::config::Secret::new(db.app_url.clone()), 1)
        .await
        .unwrap();
    api::db::check_app_role(&ok).await.unwrap();
}

#[tokio::test]
async fn ledger_entries_and_audit_events_are_append_only_even_for_the_owner() {
    let db = TestDb::new().await;
    let (a, _) = two_orgs(&db).await;
    let mut c = db.owner_conn().await;
    for sql in [
        "UPDATE credit_entries SET amount = 1000",
        "DELETE FROM credit_entries",
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM job_events",
    ] {
        let mut tx = enter_org(&mut c, a).await;
        let r = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await;
        assert!(r.is_err(), "{sql} must be refused");
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn deleting_a_user_keeps_the_history_that_names_them() {
    let db = TestDb::new().await;
    let (a, _) = two_orgs(&db).await;
    let mut app = db.app_conn().await;
    let user: Uuid = sqlx::query_scalar("SELECT cs_jit_user('sub|a@rls.test', 'a@rls.test', NULL)")
        .fetch_one(&mut app)
        .await
        .unwrap();
    // Users are never deleted through the product (their DELETE policy is
    // `false`, forced even for the owner); an operator does it outside RLS.
    // This transaction does the same, and is rolled back.
    let mut c = db.owner_conn().await;
    let mut tx = c.begin().await.unwrap();
    let sql = format!(
        "SELECT set_config('app.org_id', '{a}', true);
         ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
         INSERT INTO audit_events (org_id, actor_user_id, action, target_type) VALUES ('{a}', '{user}', 'x', 'Org');
         INSERT INTO credit_entries (org_id, kind, amount, balance_after, reserved_after, actor_user_id)
           VALUES ('{a}', 'GRANT', 1, 11, 0, '{user}');
         INSERT INTO review_notes (org_id, campaign_id, decision, author_id)
           SELECT org_id, id, 'APPROVED', '{user}' FROM campaigns WHERE org_id = '{a}' LIMIT 1;"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.unwrap();
    let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await
        .expect("a user who acted can be deleted");
    assert_eq!(deleted.rows_affected(), 1);
    for (table, col) in [
        ("audit_events", "actor_user_id"),
        ("credit_entries", "actor_user_id"),
        ("review_notes", "author_id"),
    ] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} WHERE {col} = $1"
        )))
        .bind(user)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(n, 1, "{table}.{col} still names the user");
    }
    tx.rollback().await.unwrap();
}
