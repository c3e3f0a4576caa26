//! Outreach and promises: reminders queued once, never on a disputed invoice unless overridden; senders never share a message; promises and segment overrides.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use common::{as_role, audit_count, code, one, seeded_db};
use settle::store::actions::{self, ActionError, NewMessage};
use sqlx::PgPool;

fn reminder(invoice: i64) -> NewMessage {
    NewMessage {
        invoice,
        purpose: "reminder".parse().unwrap(),
        channel: "email".parse().unwrap(),
        tone: "friendly".parse().unwrap(),
        subject: "Friendly reminder".into(),
        body: "Hello".into(),
        send_after: None,
        override_reason: None,
    }
}

#[tokio::test]
async fn queuing_a_reminder_is_idempotent_across_consoles_and_refuses_disputed_invoices() {
    let (db, admin) = seeded_db(200, 42).await;
    let invoice = one(
        &admin,
        "SELECT i.id FROM invoices i JOIN customer_profiles p ON p.customer_id = i.customer_id
          WHERE i.open_minor > 0 AND i.due_date < current_date - 60 AND reminder_block(i.id, current_date) IS NULL
            AND NOT EXISTS (SELECT 1 FROM outreach o WHERE o.invoice_id = i.id AND o.status IN ('draft', 'queued'))
          ORDER BY i.id LIMIT 1",
    )
    .await;
    let (ben, chloe) = (as_role(&db, "ben").await, as_role(&db, "chloe").await);
    let m = reminder(invoice);
    let (a, b, c) = tokio::join!(
        actions::queue_outreach(&ben, &m),
        actions::queue_outreach(&chloe, &m),
        actions::queue_outreach(&ben, &m)
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert!(a == b && b == c, "every console gets the same message");
    let active: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outreach WHERE invoice_id = $1 AND status IN ('draft', 'queued')",
    )
    .bind(invoice)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(active, 1);
    assert_eq!(audit_count(&admin, "queue_outreach", a).await, 1);
    actions::cancel_outreach(&ben, a).await.unwrap();
    assert!(matches!(
        actions::cancel_outreach(&chloe, a).await,
        Err(ActionError::Conflict(_))
    ));

    let disputed = one(
        &admin,
        "SELECT invoice_id FROM disputes WHERE state <> 'resolved' ORDER BY id LIMIT 1",
    )
    .await;
    let err = actions::queue_outreach(&ben, &reminder(disputed))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ActionError::Refused("not queued: the invoice is under dispute".into())
    );
    let mut forced = reminder(disputed);
    forced.override_reason = Some("customer asked for a copy".into());
    let id = actions::queue_outreach(&ben, &forced).await.unwrap();
    let details: String = sqlx::query_scalar(
        "SELECT details::text FROM audit_log WHERE action = 'queue_outreach' AND entity_id = $1",
    )
    .bind(id)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!(
        details.contains("customer asked for a copy") && details.contains("under dispute"),
        "{details}"
    );
}

#[tokio::test]
async fn senders_claiming_the_queue_never_share_a_message() {
    let (db, admin) = seeded_db(200, 42).await;
    sqlx::query(
        "UPDATE outreach SET send_after = now() - interval '1 minute' WHERE status = 'queued'",
    )
    .execute(&admin)
    .await
    .unwrap();
    let due = one(
        &admin,
        "SELECT count(*) FROM outreach WHERE status = 'queued'",
    )
    .await;
    assert!(due > 10);
    for name in ["sender_a", "sender_b"] {
        common::login_role(&admin, name, Some("settle_sender")).await;
    }
    let (sa, sb) = (
        as_role(&db, "sender_a").await,
        as_role(&db, "sender_b").await,
    );
    let claim = |pool: PgPool| async move {
        let mut mine = Vec::new();
        loop {
            let batch: Vec<i64> = sqlx::query_scalar("SELECT id FROM claim_outreach(3)")
                .fetch_all(&pool)
                .await
                .unwrap();
            if batch.is_empty() {
                return mine;
            }
            mine.extend(batch);
        }
    };
    let (a, b) = tokio::join!(claim(sa.clone()), claim(sb));
    assert_eq!(a.len() + b.len(), due as usize, "every message claimed");
    assert!(
        a.iter().all(|id| !b.contains(id)),
        "no message handed to two senders"
    );
    sqlx::query("SELECT mark_outreach_sent($1)")
        .bind(a[0])
        .execute(&sa)
        .await
        .unwrap();
    let twice = sqlx::query("SELECT mark_outreach_sent($1)")
        .bind(a[0])
        .execute(&sa)
        .await
        .unwrap_err();
    assert_eq!(code(twice), "SE409", "never sent twice");
}

#[tokio::test]
async fn promises_are_recorded_and_segment_overrides_win_with_their_reason() {
    let (db, admin) = seeded_db(200, 42).await;
    let invoice = one(
        &admin,
        "SELECT id FROM invoices WHERE open_minor > 0 ORDER BY id LIMIT 1",
    )
    .await;
    let ben = as_role(&db, "ben").await;
    let promise = actions::record_promise(
        &ben,
        invoice,
        5_000,
        chrono::Utc::now().date_naive() + chrono::Duration::days(7),
    )
    .await
    .unwrap();
    assert_eq!(audit_count(&admin, "record_promise", promise).await, 1);
    let customer = one(
        &admin,
        &format!("SELECT customer_id FROM invoices WHERE id = {invoice}"),
    )
    .await;
    let override_sql = "SELECT set_segment_override($1, 'vip', 'new strategic partner')";
    let err = sqlx::query(override_sql)
        .bind(customer)
        .execute(&ben)
        .await
        .unwrap_err();
    assert_eq!(code(err), "42501", "collectors cannot override segments");
    sqlx::query(override_sql)
        .bind(customer)
        .execute(&as_role(&db, "ava").await)
        .await
        .unwrap();
    settle::store::refresh_profiles(&admin, chrono::Utc::now().date_naive())
        .await
        .unwrap();
    let (segment, reason): (String, String) = sqlx::query_as(
        "SELECT segment, segment_reason FROM customer_profiles WHERE customer_id = $1",
    )
    .bind(customer)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(
        (segment.as_str(), reason.as_str()),
        ("vip", "override: new strategic partner"),
        "the override survives a refresh"
    );
    assert_eq!(audit_count(&admin, "segment_override", customer).await, 1);
}

#[tokio::test]
async fn the_outreach_view_says_why_a_queued_reminder_would_be_held_back() {
    let (db, admin) = seeded_db(200, 42).await;
    let disputed = one(
        &admin,
        "SELECT invoice_id FROM disputes WHERE state <> 'resolved' ORDER BY id LIMIT 1",
    )
    .await;
    let mut m = reminder(disputed);
    m.override_reason = Some("customer asked for a copy".into());
    let id = actions::queue_outreach(&as_role(&db, "ben").await, &m)
        .await
        .unwrap();
    let q = settle::store::lists::ListQuery {
        limit: 1000,
        ..Default::default()
    };
    let page = settle::store::lists::outreach(&admin, &q).await.unwrap();
    let row = page
        .rows
        .iter()
        .find(|o| o.id == id)
        .expect("the queued reminder is listed");
    assert_eq!(
        row.suppression.as_deref(),
        Some("the invoice is under dispute")
    );
    assert!(
        page.rows
            .iter()
            .filter(|o| o.status.as_str() == "sent")
            .all(|o| o.suppression.is_none()),
        "sent messages are not held back"
    );
}
