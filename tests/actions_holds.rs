//! Holds: only leads release them, races make one release and one confirmation, and a payment clears them by itself.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use common::{as_role, audit_count, code, one, seeded_db};
use settle::store::actions::{self, ActionError};

#[tokio::test]
async fn only_leads_release_holds_through_the_console_path_and_straight_sql() {
    let (db, admin) = seeded_db(200, 42).await;
    let hold = one(
        &admin,
        "SELECT id FROM holds WHERE status = 'held' ORDER BY id LIMIT 1",
    )
    .await;
    for role in ["ben", "vic"] {
        let pool = as_role(&db, role).await;
        let err = actions::release_hold(&pool, hold, "paid")
            .await
            .unwrap_err();
        assert!(matches!(err, ActionError::Forbidden(_)), "{role}: {err:?}");
        let raw =
            sqlx::query("UPDATE holds SET status = 'released', released_at = now() WHERE id = $1")
                .bind(hold)
                .execute(&pool)
                .await;
        assert_eq!(
            code(raw.unwrap_err()),
            "42501",
            "{role} cannot write the table"
        );
    }
    let lead = as_role(&db, "ava").await;
    assert!(
        matches!(
            actions::release_hold(&lead, hold, "  ").await,
            Err(ActionError::Refused(_))
        ),
        "a reason is required"
    );
    actions::release_hold(&lead, hold, "CFO approved, wire on its way")
        .await
        .unwrap();
    let (status, by): (String, String) = sqlx::query_as(
        "SELECT h.status, a.role_name FROM holds h JOIN agents a ON a.id = h.released_by WHERE h.id = $1",
    )
    .bind(hold)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!((status.as_str(), by.as_str()), ("released", "ava"));
    assert_eq!(audit_count(&admin, "release_hold", hold).await, 1);
    let actor: String = sqlx::query_scalar(
        "SELECT actor FROM audit_log WHERE action = 'release_hold' AND entity_id = $1",
    )
    .bind(hold)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(
        actor, "ava",
        "the audit names the person, not the function's owner"
    );
    let told: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE kind = 'hold_released'")
            .fetch_one(&admin)
            .await
            .unwrap();
    assert!(told >= 1, "relationship owners are told");
}

#[tokio::test]
async fn two_leads_racing_for_a_cleared_hold_make_one_release_and_one_confirmation() {
    let (db, admin) = seeded_db(200, 42).await;
    let hold = one(
        &admin,
        "SELECT id FROM holds WHERE status = 'cleared' ORDER BY id LIMIT 1",
    )
    .await;
    let (a, b) = (as_role(&db, "ava").await, as_role(&db, "marco").await);
    let (ra, rb) = tokio::join!(
        actions::release_hold(&a, hold, "paid"),
        actions::release_hold(&b, hold, "paid")
    );
    let results = [ra, rb];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let loser = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    match loser {
        ActionError::Conflict(msg) => assert!(
            msg.starts_with("already released by ") && msg.contains(" at "),
            "{msg}"
        ),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(audit_count(&admin, "release_hold", hold).await, 1);
    let confirmations: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outreach WHERE hold_id = $1 AND purpose = 'hold_release'",
    )
    .bind(hold)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(confirmations, 1);
}

#[tokio::test]
async fn a_payment_through_plain_sql_clears_and_releases_a_hold_and_queues_one_confirmation() {
    let (_db, admin) = seeded_db(200, 42).await;
    sqlx::query("UPDATE hold_policies SET auto_release = true WHERE reason = 'overdue_balance'")
        .execute(&admin)
        .await
        .unwrap();
    let hold = one(
        &admin,
        "SELECT id FROM holds WHERE status = 'held' ORDER BY id LIMIT 1",
    )
    .await;
    let blockers: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT i.id, i.customer_id, i.open_minor::bigint, i.currency::text FROM hold_blockers b JOIN invoices i ON i.id = b.invoice_id WHERE b.hold_id = $1",
    )
    .bind(hold)
    .fetch_all(&admin)
    .await
    .unwrap();
    for (n, (invoice, customer, open, currency)) in blockers.iter().enumerate() {
        // What an ERP would do: a payment, and its allocation.
        sqlx::query(
            "WITH p AS (INSERT INTO payments (customer_id, reference, received_on, amount_minor, currency, unapplied_minor)
                        VALUES ($1, $2, current_date, $3, $4, $3) RETURNING id)
             INSERT INTO allocations (invoice_id, payment_id, applied_on, amount_minor) SELECT $5, id, current_date, $3 FROM p",
        )
        .bind(customer)
        .bind(format!("ERP-{hold}-{n}"))
        .bind(open)
        .bind(currency)
        .bind(invoice)
        .execute(&admin)
        .await
        .unwrap();
    }
    let status: String = sqlx::query_scalar("SELECT status FROM holds WHERE id = $1")
        .bind(hold)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(status, "released");
    let confirmations: i64 = sqlx::query_scalar("SELECT count(*) FROM outreach WHERE hold_id = $1")
        .bind(hold)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(confirmations, 1);
    assert_eq!(audit_count(&admin, "auto_release_hold", hold).await, 1);
}

#[tokio::test]
async fn a_payment_under_a_manual_policy_leaves_the_hold_cleared_with_the_lag_clock_running() {
    let (_db, admin) = seeded_db(200, 42).await;
    let hold = one(&admin, "SELECT h.id FROM holds h WHERE status = 'held' AND (SELECT count(*) FROM hold_blockers b WHERE b.hold_id = h.id) = 1 ORDER BY id LIMIT 1").await;
    let (invoice, customer, open, currency): (i64, i64, i64, String) = sqlx::query_as(
        "SELECT i.id, i.customer_id, i.open_minor::bigint, i.currency::text FROM hold_blockers b JOIN invoices i ON i.id = b.invoice_id WHERE b.hold_id = $1",
    )
    .bind(hold)
    .fetch_one(&admin)
    .await
    .unwrap();
    sqlx::query(
        "WITH p AS (INSERT INTO payments (customer_id, reference, received_on, amount_minor, currency, unapplied_minor)
                    VALUES ($1, 'ERP-X', current_date, $2, $3, $2) RETURNING id)
         INSERT INTO allocations (invoice_id, payment_id, applied_on, amount_minor) SELECT $4, id, current_date, $2 FROM p",
    )
    .bind(customer)
    .bind(open)
    .bind(currency)
    .bind(invoice)
    .execute(&admin)
    .await
    .unwrap();
    let (status, cleared): (String, bool) =
        sqlx::query_as("SELECT status, cleared_at IS NOT NULL FROM holds WHERE id = $1")
            .bind(hold)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!((status.as_str(), cleared), ("cleared", true));
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outreach WHERE hold_id = $1")
        .bind(hold)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(queued, 0, "no confirmation until a person releases it");
}
