//! The live feed: a second console sees a change without a key press and comes back after its connection is cut.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use common::{as_role, one, seeded_db};
use settle::store::actions::{self};
use sqlx::PgPool;

/// Reads the feed until it shows a change to `table` (a transaction still running anywhere in
/// the cluster holds the snapshot's xmin back, so a change can take a moment to be readable).
async fn wait_for_change(
    pool: &PgPool,
    cursor: settle::store::feed::Cursor,
    table: &str,
) -> settle::store::feed::Cursor {
    let start = std::time::Instant::now();
    loop {
        if let Ok((changes, next)) = settle::store::feed::read_after(pool, cursor, 1000).await
            && changes.iter().any(|c| c.table == table)
        {
            return next;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "no change to {table} seen"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_second_console_sees_a_change_without_a_key_press() {
    let (db, admin) = seeded_db(60, 42).await;
    let watcher = settle::store::pool(&db.url, 1).await.unwrap();
    let cursor = settle::store::feed::tail(&watcher).await.unwrap();
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state <> 'resolved' AND (assignee_id IS NULL OR assignee_id = 3) ORDER BY id LIMIT 1",
    )
    .await;
    actions::respond_dispute(&as_role(&db, "ben").await, dispute, "on it")
        .await
        .unwrap();
    let next = wait_for_change(&watcher, cursor, "disputes").await;
    assert!(next != cursor);
    // The feed is cut (the server drops its connection) and comes back: nothing is lost.
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        .execute(&admin)
        .await
        .unwrap();
    actions::respond_dispute(&as_role(&db, "ben").await, dispute, "still on it")
        .await
        .unwrap();
    wait_for_change(&watcher, next, "dispute_events").await;
}

#[tokio::test]
async fn changes_held_back_by_an_open_transaction_are_noticed_with_whose_it_is() {
    use sqlx::Connection;
    let (db, admin) = seeded_db(60, 42).await;
    let watcher = settle::store::pool(&db.url, 1).await.unwrap();
    // The snapshot horizon is the cluster's: other tests' transactions in other databases can
    // hold it back for a moment too. Wait for the quiet a real store has between them.
    let quiet = |watcher: sqlx::PgPool| async move {
        for _ in 0..100 {
            if settle::store::feed::held_back(&watcher)
                .await
                .unwrap()
                .is_none()
            {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        false
    };
    assert!(
        quiet(watcher.clone()).await,
        "nothing held back to begin with"
    );
    // Someone leaves a transaction open (it has taken an xid)…
    let mut idle = sqlx::PgConnection::connect(&format!(
        "{}{}application_name=forgotten",
        db.url,
        if db.url.contains('?') { "&" } else { "?" }
    ))
    .await
    .unwrap();
    sqlx::query("BEGIN").execute(&mut idle).await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut idle)
        .await
        .unwrap();
    // …and then a change commits: it cannot be read past the open transaction.
    sqlx::query("UPDATE customers SET name = name WHERE id = (SELECT min(id) FROM customers)")
        .execute(&admin)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // Whose it is: ours, once no other test's transaction happens to be older.
    let mut holder = String::new();
    for _ in 0..100 {
        let held = settle::store::feed::held_back(&watcher)
            .await
            .unwrap()
            .expect("the change is held back");
        assert!(held.seconds >= 1, "{held:?}");
        holder = held.holder.unwrap_or_default();
        if holder.contains("forgotten") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        holder.contains("postgres") && holder.contains("forgotten"),
        "{holder}"
    );
    sqlx::query("COMMIT").execute(&mut idle).await.unwrap();
    assert!(quiet(watcher.clone()).await, "released once it commits");
}

#[tokio::test]
async fn a_feed_poll_that_gets_no_answer_counts_as_lost_within_seconds() {
    let (db, admin) = seeded_db(30, 42).await;
    let watcher = settle::store::pool(&db.url, 1).await.unwrap();
    settle::runtime::console::poll_head(&watcher).await.unwrap();
    // Something blocks every read of the change log (as a dead link would leave a poll hanging).
    let mut blocker = admin.begin().await.unwrap();
    sqlx::query("LOCK TABLE change_log IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = settle::runtime::console::poll_head(&watcher)
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        err.to_string().contains("no answer from the store"),
        "{err}"
    );
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    blocker.rollback().await.unwrap();
}
