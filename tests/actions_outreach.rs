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
        replace: None,
    }
}

#[tokio::test]
async fn a_second_reminder_is_refused_naming_the_first_replaced_only_when_asked_and_disputed_invoices_refuse()
 {
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
    let results = {
        let (a, b, c) = tokio::join!(
            actions::queue_outreach(&ben, &m),
            actions::queue_outreach(&chloe, &m),
            actions::queue_outreach(&ben, &m)
        );
        [a, b, c]
    };
    let won: Vec<i64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    assert_eq!(won.len(), 1, "one reminder is queued: {results:?}");
    let a = won[0];
    for r in &results {
        if let Err(e) = r {
            let ActionError::Conflict(why) = e else {
                panic!("a conflict, not {e:?}")
            };
            assert!(
                why.contains(&format!("MSG-{a} by ")) && why.contains("tone friendly"),
                "the racer is told whose reminder is there: {why}"
            );
        }
    }
    // Replacing it, when asked for by its id, cancels the old one and queues the new one.
    let firmer = actions::NewMessage {
        tone: "firm".parse().unwrap(),
        replace: Some(a),
        ..reminder(invoice)
    };
    let replaced = actions::queue_outreach(&chloe, &firmer).await.unwrap();
    assert_ne!(replaced, a);
    assert_eq!(audit_count(&admin, "replace_outreach", a).await, 1);
    let stale = actions::queue_outreach(&ben, &firmer).await.unwrap_err();
    assert!(
        matches!(&stale, ActionError::Conflict(w) if w.contains(&format!("MSG-{replaced}"))),
        "replacing a message that was already replaced names the new one: {stale:?}"
    );
    actions::cancel_outreach(&chloe, replaced).await.unwrap();
    let a = actions::queue_outreach(&ben, &m).await.unwrap();
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

#[tokio::test]
async fn a_held_back_reminder_can_be_queued_for_when_it_may_go_and_escalations_wait_for_a_lead() {
    let (db, admin) = seeded_db(150, 44).await;
    let (ben, ava) = (as_role(&db, "ben").await, as_role(&db, "ava").await);
    let invoice = one(
        &admin,
        "SELECT i.id FROM invoices i WHERE i.open_minor >= 10000
            AND NOT EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id)
            AND NOT EXISTS (SELECT 1 FROM promises p WHERE p.invoice_id = i.id)
            AND NOT EXISTS (SELECT 1 FROM outreach o WHERE o.invoice_id = i.id AND o.status IN ('draft', 'queued'))
          ORDER BY i.id LIMIT 1",
    )
    .await;
    let today: chrono::NaiveDate = sqlx::query_scalar("SELECT settle_today()")
        .fetch_one(&admin)
        .await
        .unwrap();
    actions::record_promise(&ben, invoice, 5000, today + chrono::Duration::days(3))
        .await
        .unwrap();
    // Now: refused, the promise holds it back.
    let now = actions::queue_outreach(&ben, &reminder(invoice))
        .await
        .unwrap_err();
    assert!(now.to_string().contains("promised"), "{now}");
    // For when it may go: queued with no override.
    let ctx = actions::reminder_context(&ben, invoice, today)
        .await
        .unwrap();
    let at = ctx
        .may_go_at
        .expect("a held-back reminder has a time it may go");
    let expected: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT reminder_due_at($1, $2)")
            .bind(invoice)
            .bind(today)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(at, expected);
    assert!(
        at.date_naive() >= today + chrono::Duration::days(6),
        "after the deadline: {at}"
    );
    let later = actions::NewMessage {
        send_after: Some(at),
        ..reminder(invoice)
    };
    let id = actions::queue_outreach(&ben, &later).await.unwrap();
    let (status, override_reason): (String, Option<String>) =
        sqlx::query_as("SELECT status, override_reason FROM outreach WHERE id = $1")
            .bind(id)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!((status.as_str(), override_reason), ("queued", None));
    let ctx = actions::reminder_context(&ben, invoice, today)
        .await
        .unwrap();
    assert!(
        ctx.existing
            .unwrap()
            .1
            .starts_with(&format!("MSG-{id} by Ben Okafor"))
    );

    // A collector's escalation waits for a lead; a rejection needs a reason.
    let other = one(
        &admin,
        "SELECT i.id FROM invoices i WHERE i.open_minor > 0 AND reminder_block(i.id, settle_today()) IS NULL
            AND NOT EXISTS (SELECT 1 FROM outreach o WHERE o.invoice_id = i.id AND o.status IN ('draft', 'queued'))
          ORDER BY i.id LIMIT 1",
    )
    .await;
    let stern = actions::NewMessage {
        tone: "escalation".parse().unwrap(),
        ..reminder(other)
    };
    let pending = actions::queue_outreach(&ben, &stern).await.unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM outreach WHERE id = $1")
        .bind(pending)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(status, "pending_approval");
    let err = actions::approve_outreach(&ben, pending, true, "")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
    let err = actions::approve_outreach(&ava, pending, false, " ")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs a reason"), "{err}");
    actions::approve_outreach(&ava, pending, true, "")
        .await
        .unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM outreach WHERE id = $1")
        .bind(pending)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(status, "queued");
    assert_eq!(audit_count(&admin, "approve_outreach", pending).await, 1);
}

#[tokio::test]
async fn a_reminder_knows_the_orders_waiting_on_its_invoice_and_its_dispute() {
    let (db, admin) = seeded_db(150, 45).await;
    let ben = as_role(&db, "ben").await;
    let (invoice, order): (i64, String) = sqlx::query_as(
        "SELECT hb.invoice_id, o.number FROM hold_blockers hb JOIN holds h ON h.id = hb.hold_id
           JOIN orders o ON o.id = h.order_id WHERE h.status = 'held' ORDER BY 1 LIMIT 1",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    let today = chrono::Utc::now().date_naive();
    let ctx = actions::reminder_context(&ben, invoice, today)
        .await
        .unwrap();
    assert!(ctx.orders.contains(&order), "{:?}", ctx.orders);
    let (disputed, number): (i64, String) = sqlx::query_as(
        "SELECT invoice_id, number FROM disputes WHERE state <> 'resolved' ORDER BY id LIMIT 1",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    let ctx = actions::reminder_context(&ben, disputed, today)
        .await
        .unwrap();
    assert!(ctx.dispute.unwrap().starts_with(&format!("{number}, ")));
    assert!(
        ctx.may_go_at.is_none(),
        "a disputed invoice goes only with an override"
    );
}
