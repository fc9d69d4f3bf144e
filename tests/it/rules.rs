//! Column rules the database enforces itself, whatever the caller: a
//! campaign's name, status, locales and platforms (domains, migration
//! 0009), through the application role, with values bound as the server
//! binds them.

use crate::helpers::db::{TestDb, enter_org};
use crate::rls::two_orgs;
use sqlx::PgConnection;
use uuid::Uuid;

/// Runs `sql` (binding `values` as text) in org `org`'s transaction, then
/// rolls back. The SQLSTATE it failed with, or None.
async fn run(c: &mut PgConnection, org: Uuid, sql: &str, values: &[&str]) -> Option<String> {
    let mut tx = enter_org(c, org).await;
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for v in values {
        q = q.bind(*v);
    }
    let r = q.execute(&mut *tx).await;
    tx.rollback().await.unwrap();
    match r {
        Ok(done) => {
            assert_eq!(done.rows_affected(), 1, "{sql} {values:?}");
            None
        }
        Err(e) => Some(
            e.as_database_error()
                .and_then(|d| d.code())
                .unwrap_or_default()
                .to_string(),
        ),
    }
}

const INSERT: &str = "INSERT INTO campaigns (org_id, name, slug, status, brief, locales, platforms)
  VALUES (current_setting('app.org_id')::uuid, $1, 's', $2, '{}', $3::text[], $4::text[])";
const UPDATE: &str = "UPDATE campaigns SET name = coalesce($1, name), status = coalesce($2, status),
  locales = coalesce($3::text[], locales), platforms = coalesce($4::text[], platforms)
  WHERE id = (SELECT id FROM campaigns LIMIT 1)";

#[tokio::test]
async fn a_campaign_that_breaks_a_column_rule_is_refused_on_insert_and_update() {
    let db = TestDb::new().await;
    let (a, _) = two_orgs(&db).await;
    let mut c = db.app_conn().await;
    let long = "n".repeat(201);
    let longest = "n".repeat(200);
    let eleven = format!("{{{}}}", ["en"; 11].join(","));
    let ten = format!("{{{}}}", ["en"; 10].join(","));

    // (name, status, locales, platforms): the first ones keep every rule,
    // each later one breaks exactly one.
    let fine: [[&str; 4]; 3] = [
        ["Spring", "DRAFT", "{en}", "{X}"],
        [&longest, "CHANGES_REQUESTED", &ten, "{X,TIKTOK}"],
        ["é", "ARCHIVED", "{pt-BR}", "{INSTAGRAM}"],
    ];
    let broken: [[&str; 4]; 6] = [
        ["", "DRAFT", "{en}", "{X}"],
        [&long, "DRAFT", "{en}", "{X}"],
        ["Spring", "BOGUS", "{en}", "{X}"],
        ["Spring", "draft", "{en}", "{X}"],
        ["Spring", "DRAFT", "{}", "{X}"],
        ["Spring", "DRAFT", &eleven, "{X}"],
    ];
    for v in &fine {
        assert_eq!(run(&mut c, a, INSERT, v).await, None, "insert {v:?}");
        assert_eq!(run(&mut c, a, UPDATE, v).await, None, "update {v:?}");
    }
    for v in &broken {
        assert_eq!(
            run(&mut c, a, INSERT, v).await.as_deref(),
            Some("23514"),
            "insert {v:?}"
        );
        assert_eq!(
            run(&mut c, a, UPDATE, v).await.as_deref(),
            Some("23514"),
            "update {v:?}"
        );
    }
    let platforms_only = ["Spring", "DRAFT", "{en}", "{}"];
    assert_eq!(run(&mut c, a, INSERT, &platforms_only).await.as_deref(), Some("23514"));
    assert_eq!(run(&mut c, a, UPDATE, &platforms_only).await.as_deref(), Some("23514"));

    // Nothing was kept: every transaction above rolled back.
    let mut tx = enter_org(&mut c, a).await;
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM campaigns")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(names, ["C"], "only the seeded campaign");
}
