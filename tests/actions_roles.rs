//! Who may do what, straight through SQL, and an audit log no settle role can change.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use common::{as_role, code, one, seeded_db};

#[tokio::test]
async fn audit_rows_cannot_be_changed_by_any_settle_role() {
    let (db, _admin) = seeded_db(60, 42).await;
    for role in ["ava", "ben", "vic"] {
        let pool = as_role(&db, role).await;
        for sql in [
            "UPDATE audit_log SET action = 'x'",
            "DELETE FROM audit_log",
            "INSERT INTO audit_log (action, entity) VALUES ('a', 'b')",
        ] {
            let err = sqlx::query(sql).execute(&pool).await.expect_err(sql);
            assert_eq!(code(err), "42501", "{role}: {sql}");
        }
    }
}

#[tokio::test]
async fn every_action_per_role_straight_through_sql() {
    let (db, admin) = seeded_db(200, 42).await;
    let hold = one(
        &admin,
        "SELECT id FROM holds WHERE status <> 'released' ORDER BY id LIMIT 1",
    )
    .await;
    // Ben's own dispute (a collector works only theirs or unassigned ones), and an unassigned
    // one to take.
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state = 'investigating' AND assignee_id = 3 ORDER BY id LIMIT 1",
    )
    .await;
    let unassigned = one(
        &admin,
        "SELECT id FROM disputes WHERE state = 'open' AND assignee_id IS NULL ORDER BY id LIMIT 1",
    )
    .await;
    let invoice = one(
        &admin,
        "SELECT id FROM invoices WHERE open_minor > 0 ORDER BY id LIMIT 1",
    )
    .await;
    let message = one(
        &admin,
        "SELECT id FROM outreach WHERE status = 'queued' ORDER BY id LIMIT 1",
    )
    .await;
    let customer = one(&admin, "SELECT id FROM customers ORDER BY id LIMIT 1").await;
    // (call, who may): each is tried as a viewer, a collector and a lead, in a transaction
    // that is rolled back, so every role meets the same rows.
    let calls: Vec<(String, &[&str])> = vec![
        (format!("SELECT release_hold({hold}, 'paid')"), &["ava"]),
        (
            format!("SELECT set_segment_override({customer}, 'vip', 'partner')"),
            &["ava"],
        ),
        (
            format!("SELECT assign_dispute({unassigned}, settle_agent(), NULL)"),
            &["ben", "ava"],
        ),
        (
            format!("SELECT respond_dispute({dispute}, 'noted')"),
            &["ben", "ava"],
        ),
        (
            format!(
                "SELECT move_dispute({dispute}, 'investigating', 'awaiting_customer', NULL, NULL, '')"
            ),
            &["ben", "ava"],
        ),
        (
            format!("SELECT escalate_dispute({dispute}, 'urgent')"),
            &["ben", "ava"],
        ),
        (
            format!(
                "SELECT queue_outreach({invoice}, 'reminder', 'email', 'firm', 's', 'b', now(), 'reviewed')"
            ),
            &["ben", "ava"],
        ),
        (
            format!("SELECT cancel_outreach({message})"),
            &["ben", "ava"],
        ),
        (
            format!("SELECT record_promise({invoice}, 100, current_date + 7)"),
            &["ben", "ava"],
        ),
        (
            format!("SELECT touch_presence('dispute', {dispute})"),
            &["ben", "ava"],
        ),
        (
            format!("UPDATE invoices SET open_minor = 0 WHERE id = {invoice}"),
            &[],
        ),
        (
            format!(
                "INSERT INTO allocations (invoice_id, payment_id, applied_on, amount_minor) VALUES ({invoice}, 1, current_date, 1)"
            ),
            &[],
        ),
        (
            format!("UPDATE disputes SET state = 'resolved' WHERE id = {dispute}"),
            &[],
        ),
    ];
    for role in ["vic", "ben", "ava"] {
        let pool = as_role(&db, role).await;
        for (sql, allowed) in &calls {
            let mut tx = pool.begin().await.unwrap();
            let result = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *tx)
                .await;
            tx.rollback().await.unwrap();
            if allowed.contains(&role) {
                assert!(result.is_ok(), "{role} may: {sql}: {result:?}");
            } else {
                assert_eq!(code(result.unwrap_err()), "42501", "{role} may not: {sql}");
            }
        }
    }
}
