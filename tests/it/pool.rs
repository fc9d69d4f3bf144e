//! The connections requests run on (`api::db::Db`): a connection is reused
//! only after its transaction ended (committed, rolled back, or abandoned
//! and then rolled back), carries no tenant into the next one, and a
//! limited pool serves everyone who waits.

use crate::helpers::*;
use api::config::Secret;
use api::db::{Db, Enter, Tx, WriteFailed};
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

/// A pool of one and an org's owner, with how the owner enters it and
/// what the database answered when they did.
async fn owner_entered(email: &str, slug: &str) -> (TestApp, Db, Uuid, Enter, api::db::Entered) {
    let (app, db, org) = setup(1, email, slug).await;
    let me = app
        .gql(&app.user(email), "{ viewer { user { id } } }", serde_json::json!({}))
        .await;
    let owner: Uuid = me["data"]["viewer"]["user"]["id"].as_str().unwrap().parse().unwrap();
    let enter = Enter::User {
        user_id: owner,
        org_id: Some(org),
    };
    let (tx, entered) = Tx::begin(&db, &enter).await.unwrap();
    tx.commit().await.unwrap();
    (app, db, org, enter, entered)
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

/// The one value (column `v`) of a one-row statement.
async fn value<T: sea_orm::TryGetable>(tx: &Tx, stmt: Statement) -> T {
    tx.query_one_raw(stmt).await.unwrap().unwrap().try_get("", "v").unwrap()
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
    let visible: i64 = value(
        &tx,
        Statement::from_string(DbBackend::Postgres, "SELECT count(*) AS v FROM orgs"),
    )
    .await;
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

/// Campaigns named `name` in `org`, read in a transaction of its own.
async fn campaigns_named(db: &Db, org: Uuid, name: &str) -> i64 {
    let (tx, _) = Tx::begin(db, &Enter::Org { org_id: org }).await.unwrap();
    let n: i64 = value(
        &tx,
        Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS v FROM campaigns WHERE name = $1",
            [name.into()],
        ),
    )
    .await;
    tx.commit().await.unwrap();
    n
}

const ABANDONED_INSERT: &str = "INSERT INTO campaigns (org_id, name, slug, brief, locales, platforms)
     VALUES (current_setting('app.org_id')::uuid, 'abandoned', 'abandoned', '{}', '{en}', '{X}')";

#[tokio::test]
async fn a_transaction_dropped_unfinished_is_rolled_back_before_its_connection_is_reused() {
    let (_app, db, org) = setup(1, "pool-drop@example.com", "pool-drop").await;

    let (tx, _) = Tx::begin(&db, &Enter::Org { org_id: org }).await.unwrap();
    let (pid, seen_org, _) = facts(&tx).await;
    assert_eq!(seen_org, org.to_string());
    tx.execute_unprepared(ABANDONED_INSERT).await.unwrap();
    drop(tx);

    // One connection: the next transaction waits for the rollback, then
    // gets the same backend, without the tenant and without the write.
    let (tx, _) = Tx::begin(&db, &Enter::Nobody).await.unwrap();
    let (pid2, seen_org, seen_user) = facts(&tx).await;
    assert_eq!(pid2, pid, "the rolled-back connection was kept");
    assert_eq!((seen_org.as_str(), seen_user.as_str()), ("", ""));
    tx.commit().await.unwrap();
    assert_eq!(
        campaigns_named(&db, org, "abandoned").await,
        0,
        "the write was rolled back"
    );
}

#[tokio::test]
async fn a_transaction_dropped_in_the_middle_of_a_statement_is_rolled_back_too() {
    let (_app, db, org) = setup(1, "pool-cut@example.com", "pool-cut").await;

    let (tx, _) = Tx::begin(&db, &Enter::Org { org_id: org }).await.unwrap();
    let (pid, _, _) = facts(&tx).await;
    tx.execute_unprepared(ABANDONED_INSERT).await.unwrap();
    // The client goes away while a statement is running: its future is
    // dropped with the answer still to come, then the transaction.
    let cut = tokio::time::timeout(Duration::from_millis(50), tx.execute_unprepared("SELECT pg_sleep(0.4)")).await;
    assert!(cut.is_err(), "the statement was still running");
    drop(tx);

    let (tx, _) = Tx::begin(&db, &Enter::Nobody).await.unwrap();
    let (pid2, seen_org, _) = facts(&tx).await;
    assert_eq!(pid2, pid, "kept once the statement was answered and rolled back");
    assert_eq!(seen_org, "");
    // The connection is in step: this statement gets its own answer.
    let one: i32 = value(&tx, Statement::from_string(DbBackend::Postgres, "SELECT 1 AS v")).await;
    assert_eq!(one, 1);
    tx.commit().await.unwrap();
    assert_eq!(campaigns_named(&db, org, "abandoned").await, 0);
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
    assert_eq!(
        pids.len(),
        2,
        "abandoned transactions' connections were rolled back and reused, not replaced: {pids:?}"
    );
    // Every connection is idle now; a probe still gets one.
    assert!(api::db::ping(&db).await);
}

/// A transaction that expects its entry sends `BEGIN`, the entry and its
/// first statement in one round trip; entered otherwise than expected, that
/// statement and every later one fail, the commit fails, and nothing it did
/// is kept. Entered as expected, it is an ordinary transaction.
#[tokio::test]
async fn an_expected_entry_is_checked_by_the_database_before_anything_is_kept() {
    let (_app, db, org, enter, entered) = owner_entered("pool-expect@example.com", "pool-expect").await;
    assert_eq!(entered.role.as_deref(), Some("OWNER"));

    // As expected: one round trip for the entry and the first statement.
    let tx = Tx::begin_expecting(&db, enter.clone(), entered.clone()).await.unwrap();
    let (_, seen_org, _) = facts(&tx).await;
    assert_eq!(seen_org, org.to_string());
    assert_eq!(tx.statement_count(), 1);
    assert!(tx.mismatched().await.is_none());
    tx.commit().await.unwrap();

    // Expecting another role: the write fails, and is not kept.
    let wrong = api::db::Entered {
        role: Some("VIEWER".into()),
        ..entered.clone()
    };
    let tx = Tx::begin_expecting(&db, enter.clone(), wrong.clone()).await.unwrap();
    assert!(tx.execute_unprepared(ABANDONED_INSERT).await.is_err());
    assert_eq!(tx.mismatched().await, Some(entered.clone()));
    assert!(
        tx.execute_unprepared("SELECT 1").await.is_err(),
        "later statements fail too"
    );
    assert!(
        tx.commit().await.is_err(),
        "a mismatched transaction is rolled back, never committed"
    );
    assert_eq!(campaigns_named(&db, org, "abandoned").await, 0);

    // Expecting another role with nothing run: the commit enters, and fails.
    let tx = Tx::begin_expecting(&db, enter, wrong).await.unwrap();
    assert!(tx.commit().await.is_err());
    assert_eq!(tx.mismatched().await, Some(entered));

    // The one connection is in step for the next transaction.
    let (tx, _) = Tx::begin(&db, &Enter::Nobody).await.unwrap();
    let (_, seen_org, _) = facts(&tx).await;
    assert_eq!(seen_org, "");
    tx.commit().await.unwrap();
}

/// A write and its `COMMIT` in one round trip (`Tx::write_and_commit`): the
/// entry of a `begin_expecting` transaction is checked in SQL, so a
/// mismatch fails the transaction before the write and the `COMMIT` ends it
/// as a rollback; a write the database refuses is not committed either.
/// Whatever happened, the transaction is over and its connection in step.
#[tokio::test]
async fn a_write_and_its_commit_in_one_round_trip_keep_only_a_write_entered_as_expected() {
    let (_app, db, org, enter, entered) = owner_entered("pool-write@example.com", "pool-write").await;
    let insert = |name: &str| {
        Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO campaigns (org_id, name, slug, brief, locales, platforms)
             VALUES (current_setting('app.org_id')::uuid, $1, $1, '{}', '{en}', '{X}') RETURNING id, name",
            [name.into()],
        )
    };
    let in_step = async || {
        let (tx, _) = Tx::begin(&db, &Enter::Nobody).await.unwrap();
        let (_, seen_org, seen_user) = facts(&tx).await;
        assert_eq!((seen_org.as_str(), seen_user.as_str()), ("", ""));
        tx.commit().await.unwrap();
    };

    // As expected: BEGIN, the checked entry, the write and COMMIT, one
    // round trip, committed.
    let tx = Tx::begin_expecting(&db, enter.clone(), entered.clone()).await.unwrap();
    let rows = tx.write_and_commit(&insert("w-expected")).await.unwrap();
    assert_eq!(rows.len(), 1, "the inserted row");
    assert_eq!(tx.statement_count(), 1);
    assert!(tx.commit().await.is_err(), "the transaction is over");
    assert_eq!(campaigns_named(&db, org, "w-expected").await, 1);
    in_step().await;

    // Expecting another role (or another org's membership): nothing runs
    // after the entry, nothing is kept.
    for wrong in [
        api::db::Entered {
            role: Some("VIEWER".into()),
            ..entered.clone()
        },
        api::db::Entered::default(),
    ] {
        let tx = Tx::begin_expecting(&db, enter.clone(), wrong).await.unwrap();
        assert!(matches!(
            tx.write_and_commit(&insert("w-mismatched")).await,
            Err(WriteFailed::Mismatch)
        ));
        assert_eq!(campaigns_named(&db, org, "w-mismatched").await, 0);
        in_step().await;
    }

    // A write the database refuses (an empty name breaks its domain).
    let tx = Tx::begin_expecting(&db, enter.clone(), entered.clone()).await.unwrap();
    assert!(matches!(
        tx.write_and_commit(&insert("")).await,
        Err(WriteFailed::NotCommitted(_))
    ));
    in_step().await;

    // Entered first (`begin`): the write and COMMIT, committed.
    let (tx, _) = Tx::begin(&db, &enter).await.unwrap();
    tx.write_and_commit(&insert("w-entered")).await.unwrap();
    assert_eq!(tx.statement_count(), 2);
    assert_eq!(campaigns_named(&db, org, "w-entered").await, 1);
    in_step().await;
}

/// A campaign of `org`, made as the org's background work would.
async fn campaign_in(db: &Db, org: Uuid, name: &str) -> Uuid {
    let (tx, _) = Tx::begin(db, &Enter::Org { org_id: org }).await.unwrap();
    let id = value(
        &tx,
        Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO campaigns (org_id, name, slug, brief, locales, platforms)
             VALUES (current_setting('app.org_id')::uuid, $1, $1, '{}', '{en}', '{X}') RETURNING id AS v",
            [name.into()],
        ),
    )
    .await;
    tx.commit().await.unwrap();
    id
}

/// A read with `BEGIN`, the entry and `COMMIT`, all four with one Sync on
/// the connection's tap (`Tx::read_and_commit`, `db/tap.rs`): its row, RLS
/// as ever, a mismatch still found, a failing read rolled back and then
/// answered by the driver, and a read cut off midway closing its
/// connection. Every time the next transaction starts with no tenant.
#[tokio::test]
async fn a_read_with_one_sync_keeps_tenancy_and_its_connection_in_step() {
    let (app, db, org, enter, entered) = owner_entered("pool-piped@example.com", "pool-piped").await;
    let (other, _) = app.org_with_owner("pool-piped-b@example.com", "pool-piped-b").await;
    let mine = campaign_in(&db, org, "piped-mine").await;
    let theirs = campaign_in(&db, other.parse().unwrap(), "piped-theirs").await;
    let read = |id: Uuid| {
        Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id, name, created_at FROM campaigns WHERE id = $1",
            [id.into()],
        )
    };
    // The backend the next transaction runs on; it sees no tenant.
    let next_backend = async || {
        let (tx, _) = Tx::begin(&db, &Enter::Nobody).await.unwrap();
        let (pid, seen_org, seen_user) = facts(&tx).await;
        assert_eq!((seen_org.as_str(), seen_user.as_str()), ("", ""));
        tx.commit().await.unwrap();
        pid
    };
    let pid = next_backend().await;

    // As expected: one round trip, piped, the row as the driver reads it.
    for _ in 0..2 {
        let tx = Tx::begin_expecting(&db, enter.clone(), entered.clone()).await.unwrap();
        let rows = tx.read_and_commit(&read(mine)).await.unwrap();
        assert!(rows.piped(), "BEGIN, entry, read and COMMIT with one Sync");
        let row = rows.only().expect("the campaign");
        assert_eq!(api::db::cell::<Uuid>(row, 0).unwrap(), mine);
        assert_eq!(api::db::cell::<&str>(row, 1).unwrap(), "piped-mine");
        assert!(api::db::cell::<chrono::DateTime<chrono::Utc>>(row, 2).is_ok());
        assert!(api::db::cell::<i64>(row, 1).is_err(), "text is not a number");
        assert_eq!(tx.statement_count(), 1);
        assert!(tx.commit().await.is_err(), "the transaction is over");
        assert_eq!(next_backend().await, pid, "the same connection, in step");
    }

    // Another org's campaign: RLS hides it.
    let tx = Tx::begin_expecting(&db, enter.clone(), entered.clone()).await.unwrap();
    let rows = tx.read_and_commit(&read(theirs)).await.unwrap();
    assert!(rows.piped() && rows.is_empty(), "another org's row is not seen");
    assert_eq!(next_backend().await, pid);

    // Expecting another role: the rows are dropped, the actual entry known.
    let wrong = api::db::Entered {
        role: Some("VIEWER".into()),
        ..entered.clone()
    };
    let tx = Tx::begin_expecting(&db, enter.clone(), wrong).await.unwrap();
    assert!(tx.read_and_commit(&read(mine)).await.is_err());
    assert_eq!(tx.mismatched().await, Some(entered.clone()));
    drop(tx);
    assert_eq!(next_backend().await, pid);

    // A read that fails: rolled back on the tap, then run by the driver,
    // whose error it is.
    let failing = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT 1 / (count(*) - count(*)) AS v FROM campaigns WHERE id = $1",
        [mine.into()],
    );
    let tx = Tx::begin_expecting(&db, enter.clone(), entered.clone()).await.unwrap();
    let err = tx.read_and_commit(&failing).await.unwrap_err();
    assert!(err.to_string().contains("division by zero"), "{err}");
    drop(tx);
    assert_eq!(next_backend().await, pid);

    // Cut off midway: the connection is closed, never lent again.
    let slow = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT $1::uuid AS id FROM pg_sleep(2)",
        [mine.into()],
    );
    let tx = Tx::begin_expecting(&db, enter.clone(), entered.clone()).await.unwrap();
    let cut = tokio::time::timeout(Duration::from_millis(200), tx.read_and_commit(&slow)).await;
    assert!(cut.is_err(), "still sleeping");
    drop(tx);
    assert_ne!(next_backend().await, pid, "a new connection");
}

/// With lanes (a runtime per core), each lane takes connections from its
/// own share of the pool: a lane that used its share waits, even while
/// another lane's connections are free, and never gets another lane's.
#[tokio::test]
async fn lanes_each_use_their_own_share_of_the_pool() {
    let app = spawn_app().await;
    let url = Secret::new(app.db.app_url.clone());
    // More lanes than connections: one shard per connection.
    assert_eq!(Db::connect_lanes(&url, 1, 4).await.unwrap().lanes(), 1);

    // 3 connections over 2 lanes: lane 0 gets 2, lane 1 gets 1.
    let db = Db::connect_lanes(&url, 3, 2).await.unwrap();
    assert_eq!((db.lanes(), db.max_connections()), (2, 3));
    let (a, _) = Tx::begin(&db, &Enter::Nobody).await.unwrap();
    let (b, _) = Tx::begin(&db, &Enter::Nobody).await.unwrap();
    let lane0 = [facts(&a).await.0, facts(&b).await.0];
    assert_ne!(lane0[0], lane0[1]);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), Tx::begin(&db, &Enter::Nobody))
            .await
            .is_err(),
        "lane 0 had a third connection"
    );

    // Lane 1, on a thread and runtime of its own, as the server runs it.
    let lane1_db = db.clone();
    let lane1 = std::thread::spawn(move || {
        api::db::set_lane(1);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (tx, _) = Tx::begin(&lane1_db, &Enter::Nobody).await.unwrap();
            let pid = facts(&tx).await.0;
            let second = tokio::time::timeout(Duration::from_millis(300), Tx::begin(&lane1_db, &Enter::Nobody)).await;
            tx.commit().await.unwrap();
            // Its own connection again, once handed back.
            let (again, _) = Tx::begin(&lane1_db, &Enter::Nobody).await.unwrap();
            let pid_again = facts(&again).await.0;
            again.commit().await.unwrap();
            (pid, second.is_err(), pid_again)
        })
    })
    .join()
    .unwrap();
    let (pid1, lane1_waited, pid1_again) = lane1;
    assert!(!lane0.contains(&pid1), "lane 1 got one of lane 0's connections");
    assert!(lane1_waited, "lane 1 had a second connection");
    assert_eq!(pid1_again, pid1);
    a.commit().await.unwrap();
    b.commit().await.unwrap();
    assert_eq!(db.stats(), (3, 3));
}

/// A `DATABASE_URL` naming the server's Unix socket directory connects, in
/// the default `sslmode` (tokio-postgres asks for a TLS connector even
/// there, with an empty host name, and Postgres then declines TLS).
#[tokio::test]
async fn a_unix_socket_url_connects() {
    let app = spawn_app().await;
    let mut conn = app.db.app_conn().await;
    let port: String = sqlx::query_scalar("SELECT current_setting('port')")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    // Where the server's socket is: only a superuser may read the setting
    // (scripts/lib.sh exports PG_ADMIN_URL); else the usual directories.
    let dirs = match std::env::var("PG_ADMIN_URL").ok().filter(|u| !u.is_empty()) {
        Some(admin) => {
            let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
            sqlx::query_scalar("SELECT current_setting('unix_socket_directories')")
                .fetch_one(&mut admin)
                .await
                .unwrap()
        }
        None => "/var/run/postgresql, /tmp".to_string(),
    };
    let dir = dirs
        .split(',')
        .map(str::trim)
        .find(|d| std::path::Path::new(d).join(format!(".s.PGSQL.{port}")).exists());
    let dir = dir.unwrap_or_else(|| panic!("no socket of the test server (port {port}) in {dirs}"));
    let host: String = url::form_urlencoded::byte_serialize(dir.as_bytes()).collect();
    let mut url = url::Url::parse(&app.db.app_url).unwrap();
    url.set_query(None);
    let url = format!(
        "postgres://{}:{}@{host}:{port}{}",
        url.username(),
        url.password().unwrap_or_default(),
        url.path()
    );

    let db = Db::connect(&Secret::new(url.clone()), 1)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e:#}"));
    let (org, _) = app.org_with_owner("socket-owner@example.com", "socket-org").await;
    let (tx, _) = Tx::begin(
        &db,
        &Enter::Org {
            org_id: org.parse().unwrap(),
        },
    )
    .await
    .unwrap();
    let (_, seen_org, _) = facts(&tx).await;
    assert_eq!(seen_org, org);
    let over_socket: bool = value(
        &tx,
        Statement::from_string(DbBackend::Postgres, "SELECT inet_server_addr() IS NULL AS v"),
    )
    .await;
    assert!(over_socket, "the connection is not over the socket");
    tx.commit().await.unwrap();
}

/// A URL with several hosts tries them in turn, as libpq does: the first
/// that answers serves, and when none does the error names where it tried.
#[tokio::test]
async fn the_hosts_of_a_url_are_tried_in_turn() {
    let app = spawn_app().await;
    let url = url::Url::parse(&app.db.app_url).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = closed.local_addr().unwrap().port();
    drop(closed);
    let live = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let with_hosts = |hosts: &str| {
        Secret::new(format!(
            "postgres://{}:{}@{hosts}{}{}",
            url.username(),
            url.password().unwrap_or_default(),
            url.path(),
            url.query().map(|q| format!("?{q}")).unwrap_or_default()
        ))
    };

    let db = Db::connect(&with_hosts(&format!("127.0.0.1:{dead},{live}")), 1)
        .await
        .expect("the second host answers");
    let (tx, _) = Tx::begin(&db, &Enter::Nobody).await.unwrap();
    tx.commit().await.unwrap();

    let err = Db::connect(&with_hosts(&format!("127.0.0.1:{dead}")), 1)
        .await
        .err()
        .expect("nothing listens there")
        .to_string();
    assert!(err.contains(&format!("127.0.0.1:{dead}")), "{err}");
}
