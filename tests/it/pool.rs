//! The connections requests run on (`api::db::Db`): a connection is reused
//! only after its transaction ended, carries no tenant into the next one,
//! and a limited pool serves everyone who waits.

use crate::helpers::*;
use api::config::Secret;
use api::db::{Db, Enter, Tx};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::time::Duration;
use uuid::Uuid;

/// A running app (for its database), a `Db` of `max` connections on it,
/// and an org.
async fn setup(max: u32, email: &str, slug: &str) -> (TestApp, Db, Uuid) {
    let app = spawn_app().await;
    let db = Db::connect(&Secret::new(app.db.app_url.clone()), max).await.unwrap();
    let (org, _) = app.org_with_owner(email, slug).await;
    (app, db, org.parse().unwrap())
}

/// The backend's pid and the tenant settings the transaction sees.
async fn facts(tx: &Tx) -> (i32, String, String) {
    let row = tx
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_backend_pid() AS pid,
                    coalesce(current_setting('app.org_id', true), '') AS org,
                    coalesce(current_setting('app.user_id', true), '') AS usr",
        ))
        .await
        .unwrap()
        .unwrap();
    (
        row.try_get("", "pid").unwrap(),
        row.try_get("", "org").unwrap(),
        row.try_get("", "usr").unwrap(),
    )
}

#[tokio::test]
async fn a_reused_connection_carries_no_tenant_into_the_next_transaction() {
    let (_app, db, org) = setup(1, "pool-owner@example.com", "pool-org").await;

    let (tx, _) = Tx::begin(&db, &Enter::Org { org_id: org }).await.unwrap();
    let (pid, seen_org, _) = facts(&tx).await;
    assert_eq!(seen_org, org.to_string());
    tx.commit().await.unwrap();

    // One connection: the next transaction runs on the same backend, and
    // sees nothing of the previous one's tenant.
    let (tx, _) = Tx::begin(&db, &Enter::Nobody).await.unwrap();
    let (pid2, seen_org, seen_user) = facts(&tx).await;
    assert_eq!(pid2, pid, "the kept connection was reused");
    assert_eq!((seen_org.as_str(), seen_user.as_str()), ("", ""));
    let visible: i64 = tx
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM orgs",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(visible, 0, "no tenant, no rows");
    tx.rollback().await.unwrap();

    // After a rollback too.
    let (tx, _) = Tx::begin(
        &db,
        &Enter::User {
            user_id: Uuid::new_v4(),
            org_id: None,
        },
    )
    .await
    .unwrap();
    let (pid3, seen_org, _) = facts(&tx).await;
    assert_eq!((pid3, seen_org.as_str()), (pid, ""));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_transaction_dropped_unfinished_closes_its_connection() {
    let (app, db, org) = setup(1, "pool-drop@example.com", "pool-drop").await;

    let (tx, _) = Tx::begin(&db, &Enter::Org { org_id: org }).await.unwrap();
    let (pid, seen_org, _) = facts(&tx).await;
    assert_eq!(seen_org, org.to_string());
    drop(tx);

    let (tx, _) = Tx::begin(&db, &Enter::Nobody).await.unwrap();
    let (pid2, seen_org, _) = facts(&tx).await;
    assert_ne!(pid2, pid, "an unfinished transaction's connection is never reused");
    assert_eq!(seen_org, "");
    tx.commit().await.unwrap();

    let mut c = app.db.app_conn().await;
    let mut gone = false;
    for _ in 0..50 {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = $1")
            .bind(pid)
            .fetch_one(&mut c)
            .await
            .unwrap();
        if n == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "backend {pid} was closed");
}

#[tokio::test]
async fn a_small_pool_serves_every_waiter_and_stays_within_its_limit() {
    let (_app, db, org) = setup(2, "pool-wait@example.com", "pool-wait").await;

    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let (tx, _) = Tx::begin(&db, &Enter::Org { org_id: org }).await.unwrap();
                let (pid, seen_org, _) = facts(&tx).await;
                assert_eq!(seen_org, org.to_string());
                tx.execute_unprepared("SELECT pg_sleep(0.005)").await.unwrap();
                // Some end in a rollback, some are abandoned: all free a slot.
                match i % 4 {
                    0 => tx.rollback().await.unwrap(),
                    1 => drop(tx),
                    _ => tx.commit().await.unwrap(),
                }
                pid
            })
        })
        .collect();
    let mut pids = std::collections::HashSet::new();
    for t in tasks {
        pids.insert(t.await.unwrap());
    }
    let (open, idle) = db.stats();
    assert!(open <= 2, "{open} connections open");
    assert!(idle <= open as usize, "{idle} idle of {open}");
    assert!(
        pids.len() >= 2,
        "abandoned transactions' connections were replaced: {pids:?}"
    );
    // Every connection is idle now; a probe still gets one.
    assert!(api::db::ping(&db).await);
}
