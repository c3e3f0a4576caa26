//! Promises to pay keep or break by themselves: the grace boundary on both sides, the payment
//! that keeps one at once, a broken one told to the owners, and reminders held back meanwhile.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use chrono::{Duration, NaiveDate};
use common::{TestDb, as_role, audit_count, code, login_role, one, seeded_db};
use settle::store::{actions, promises};
use sqlx::PgPool;

/// An open invoice with at least 100.00 open, no dispute, no promise, and not `other`.
async fn plain_invoice(admin: &PgPool, other: i64) -> (i64, i64, String) {
    sqlx::query_as(
        "SELECT i.id, i.customer_id, i.currency::text FROM invoices i
          WHERE i.open_minor >= 10000 AND i.id <> $1
            AND NOT EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id)
            AND NOT EXISTS (SELECT 1 FROM promises p WHERE p.invoice_id = i.id)
            AND EXISTS (SELECT 1 FROM customer_owners o WHERE o.customer_id = i.customer_id
                         AND o.relation IN ('account_executive', 'customer_success'))
          ORDER BY i.id LIMIT 1",
    )
    .bind(other)
    .fetch_one(admin)
    .await
    .unwrap()
}

/// What an ERP does: a payment of `amount` applied to `invoice` on `day`.
async fn pay(admin: &PgPool, invoice: (i64, i64, String), amount: i64, day: NaiveDate) {
    sqlx::query(
        "WITH p AS (INSERT INTO payments (customer_id, reference, received_on, amount_minor, currency, unapplied_minor)
                    VALUES ($1, 'PAY-' || $2 || '-' || $4, $4, $3, $5, $3) RETURNING id)
         INSERT INTO allocations (invoice_id, payment_id, applied_on, amount_minor) SELECT $2, id, $4, $3 FROM p",
    )
    .bind(invoice.1)
    .bind(invoice.0)
    .bind(amount)
    .bind(day)
    .bind(invoice.2)
    .execute(admin)
    .await
    .unwrap();
}

async fn status(admin: &PgPool, promise: i64) -> (String, Option<NaiveDate>) {
    sqlx::query_as("SELECT status, closed_on FROM promises WHERE id = $1")
        .bind(promise)
        .fetch_one(admin)
        .await
        .unwrap()
}

async fn worker(db: &TestDb, admin: &PgPool) -> PgPool {
    login_role(admin, "promise_worker", Some("settle_worker")).await;
    as_role(db, "promise_worker").await
}

async fn today(admin: &PgPool) -> NaiveDate {
    sqlx::query_scalar("SELECT settle_today()")
        .fetch_one(admin)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_payment_on_the_last_grace_day_keeps_a_promise_and_one_a_day_later_does_not() {
    let (db, admin) = seeded_db(150, 11).await;
    let (ben, worker) = (as_role(&db, "ben").await, worker(&db, &admin).await);
    let today = today(&admin).await;
    let promised_for = today + Duration::days(3);
    let deadline = promised_for + Duration::days(2);

    let first = plain_invoice(&admin, 0).await;
    let kept = actions::record_promise(&ben, first.0, 5000, promised_for)
        .await
        .unwrap();
    // Still open on its last grace day (the seeded book's own promises may break meanwhile).
    promises::run_time_jobs(&worker, Some(deadline))
        .await
        .unwrap();
    assert_eq!(status(&admin, kept).await, ("open".into(), None));
    // Paid in full on that last day: kept at once, in the payment's own transaction.
    pay(&admin, first.clone(), 5000, deadline).await;
    assert_eq!(status(&admin, kept).await, ("kept".into(), Some(deadline)));
    assert_eq!(audit_count(&admin, "promise_kept", kept).await, 1);

    let second = plain_invoice(&admin, first.0).await;
    let broken = actions::record_promise(&ben, second.0, 5000, promised_for)
        .await
        .unwrap();
    // Paid the day after the deadline: too late to count.
    pay(&admin, second.clone(), 5000, deadline + Duration::days(1)).await;
    assert_eq!(status(&admin, broken).await.0, "open");
    let notes_before = one(
        &admin,
        "SELECT count(*) FROM notifications WHERE kind = 'promise_broken'",
    )
    .await;
    let run = promises::run_time_jobs(&worker, Some(deadline + Duration::days(1)))
        .await
        .unwrap();
    assert!(run.broken >= 1, "{run:?}");
    assert_eq!(
        status(&admin, broken).await,
        ("broken".into(), Some(deadline + Duration::days(1)))
    );
    assert_eq!(audit_count(&admin, "promise_broken", broken).await, 1);
    let told = one(
        &admin,
        "SELECT count(*) FROM notifications WHERE kind = 'promise_broken'",
    )
    .await;
    assert!(told > notes_before, "the relationship owners are told");
    // Running again changes nothing and writes nothing more.
    let again = promises::run_time_jobs(&worker, Some(deadline + Duration::days(1)))
        .await
        .unwrap();
    assert_eq!((again.kept, again.broken), (0, 0));
    assert_eq!(audit_count(&admin, "promise_broken", broken).await, 1);
}

#[tokio::test]
async fn an_open_promise_holds_reminders_back_until_its_deadline_and_collectors_cannot_run_jobs() {
    let (db, admin) = seeded_db(150, 12).await;
    let ben = as_role(&db, "ben").await;
    let today = today(&admin).await;
    let invoice = plain_invoice(&admin, 0).await;
    actions::record_promise(&ben, invoice.0, 5000, today + Duration::days(4))
        .await
        .unwrap();
    let why = actions::reminder_block(&ben, invoice.0, today)
        .await
        .unwrap()
        .expect("held back");
    assert!(why.starts_with("promised "), "{why}");
    let until = (today + Duration::days(7)).format("%-d %b").to_string();
    assert!(why.contains(&format!("wait until {until}")), "{why}");
    // After the deadline the promise no longer holds it back.
    let later = actions::reminder_block(&ben, invoice.0, today + Duration::days(7))
        .await
        .unwrap();
    assert!(
        later.as_ref().is_none_or(|w| !w.starts_with("promised")),
        "{later:?}"
    );

    // A collector cannot break promises by running the jobs with a date of their choosing.
    for sql in [
        "SELECT run_time_jobs(current_date + 30)",
        "SELECT * FROM settle_promises(current_date + 30)",
    ] {
        let err = sqlx::query(sql).execute(&ben).await.unwrap_err();
        assert_eq!(code(err), "42501", "{sql}");
    }
}

#[tokio::test]
async fn the_promises_list_shows_every_promise_with_its_invoice_and_who_took_it() {
    let (_db, admin) = seeded_db(120, 13).await;
    let q = settle::store::lists::ListQuery {
        limit: 500,
        me: "ben".into(),
        ..Default::default()
    };
    let page = promises::promises(&admin, &q).await.unwrap();
    let total = one(&admin, "SELECT count(*) FROM promises").await;
    assert_eq!(page.total, total);
    assert!(
        page.rows
            .iter()
            .all(|p| p.invoice.is_some() && p.taken_by.is_some())
    );
    // Open ones first, soonest first; then broken; then kept.
    let rank = |s: &str| {
        ["open", "broken", "kept"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    let ranks: Vec<usize> = page.rows.iter().map(|p| rank(p.status.as_str())).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    let broken = settle::store::lists::ListQuery {
        filter: settle::filter::Filter::parse("status:broken"),
        ..q
    };
    let page = promises::promises(&admin, &broken).await.unwrap();
    assert!(page.total > 0);
    assert!(
        page.rows
            .iter()
            .all(|p| p.closed_on.is_some() && p.status.as_str() == "broken")
    );
}
