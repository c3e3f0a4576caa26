//! Acting on one shared store from many consoles: roles decide, races have one winner and a
//! clear message for the other, every change leaves one audit row, nothing is sent twice.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use common::{TestDb, seeded_db};
use settle::store::actions::{self, ActionError, NewMessage};
use sqlx::PgPool;

async fn as_role(db: &TestDb, role: &str) -> PgPool {
    settle::store::pool(&db.url_as(role), 2).await.unwrap()
}

fn code(e: sqlx::Error) -> String {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.to_string())
        .unwrap_or_default()
}

async fn audit_count(pool: &PgPool, action: &str, entity_id: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1 AND entity_id = $2")
        .bind(action)
        .bind(entity_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn one(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(pool)
        .await
        .unwrap()
}

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
async fn two_collectors_racing_for_a_dispute_get_one_winner_and_a_message_naming_them() {
    let (db, admin) = seeded_db(200, 42).await;
    let dispute = one(&admin, "SELECT id FROM disputes WHERE assignee_id IS NULL AND state <> 'resolved' ORDER BY id LIMIT 1").await;
    let (ben, chloe) = (as_role(&db, "ben").await, as_role(&db, "chloe").await);
    let (rb, rc) = tokio::join!(
        actions::assign_dispute(&ben, dispute, None, None),
        actions::assign_dispute(&chloe, dispute, None, None)
    );
    let results = [rb, rc];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let winner: String = sqlx::query_scalar("SELECT a.display_name FROM disputes d JOIN agents a ON a.id = d.assignee_id WHERE d.id = $1")
        .bind(dispute)
        .fetch_one(&admin)
        .await
        .unwrap();
    match results.iter().find_map(|r| r.as_ref().err()).unwrap() {
        ActionError::Conflict(msg) => assert!(
            msg.contains(&format!("was assigned to {winner} at ")),
            "{msg}"
        ),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(audit_count(&admin, "assign_dispute", dispute).await, 1);
    // A collector may not hand a dispute to someone else; a lead may.
    let dev = one(
        &admin,
        "SELECT id::bigint FROM agents WHERE role_name = 'dev'",
    )
    .await as i32;
    let current = one(
        &admin,
        &format!("SELECT assignee_id::bigint FROM disputes WHERE id = {dispute}"),
    )
    .await as i32;
    assert!(matches!(
        actions::assign_dispute(&ben, dispute, Some(dev), Some(current)).await,
        Err(ActionError::Forbidden(_))
    ));
    actions::assign_dispute(
        &as_role(&db, "ava").await,
        dispute,
        Some(dev),
        Some(current),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn responding_stops_the_first_response_clock_and_moves_follow_the_states() {
    let (db, admin) = seeded_db(200, 42).await;
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state = 'open' ORDER BY id LIMIT 1",
    )
    .await;
    let ben = as_role(&db, "ben").await;
    actions::respond_dispute(&ben, dispute, "Looking into the pricing now.")
        .await
        .unwrap();
    let (state, first): (String, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("SELECT state, first_response_at FROM disputes WHERE id = $1")
            .bind(dispute)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(state, "investigating");
    let first = first.expect("first response recorded");
    actions::respond_dispute(&ben, dispute, "Second note.")
        .await
        .unwrap();
    let again: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT first_response_at FROM disputes WHERE id = $1")
            .bind(dispute)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(again, first, "only the first response stops the clock");
    assert!(matches!(
        actions::move_dispute(&ben, dispute, "investigating", "open", None, None, "").await,
        Err(ActionError::Refused(_))
    ));
    let stale = actions::move_dispute(&ben, dispute, "open", "investigating", None, None, "")
        .await
        .unwrap_err();
    assert!(
        matches!(&stale, ActionError::Conflict(m) if m.contains("is investigating now, not open (moved by Ben Okafor")),
        "{stale:?}"
    );
    actions::move_dispute(
        &ben,
        dispute,
        "investigating",
        "awaiting_customer",
        None,
        None,
        "asked for the PO",
    )
    .await
    .unwrap();
    actions::move_dispute(
        &ben,
        dispute,
        "awaiting_customer",
        "investigating",
        None,
        None,
        "",
    )
    .await
    .unwrap();
    assert!(matches!(
        actions::move_dispute(&ben, dispute, "investigating", "resolved", None, None, "").await,
        Err(ActionError::Refused(_))
    ));
    actions::move_dispute(
        &ben,
        dispute,
        "investigating",
        "resolved",
        Some("partially_credited"),
        Some(100),
        "half",
    )
    .await
    .unwrap();
    let (state, credited): (String, Option<i64>) =
        sqlx::query_as("SELECT state, credited_minor::bigint FROM disputes WHERE id = $1")
            .bind(dispute)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!((state.as_str(), credited), ("resolved", Some(100)));
    let vic = as_role(&db, "vic").await;
    assert!(matches!(
        actions::respond_dispute(&vic, dispute, "hi").await,
        Err(ActionError::Forbidden(_))
    ));
}

fn reminder(invoice: i64) -> NewMessage {
    NewMessage {
        invoice,
        purpose: "reminder".into(),
        channel: "email".into(),
        tone: "friendly".into(),
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
        let sql = format!("CREATE ROLE {name} LOGIN IN ROLE settle_sender");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&admin)
            .await
            .unwrap();
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
async fn a_dispute_row_shows_who_else_is_working_it() {
    let (db, admin) = seeded_db(200, 42).await;
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state <> 'resolved' ORDER BY id LIMIT 1",
    )
    .await;
    let (ben, chloe) = (as_role(&db, "ben").await, as_role(&db, "chloe").await);
    actions::touch_presence(&chloe, "dispute", dispute)
        .await
        .unwrap();
    actions::touch_presence(&ben, "dispute", dispute)
        .await
        .unwrap();
    let q = settle::store::lists::ListQuery {
        limit: 1000,
        ..Default::default()
    };
    let rows = settle::store::disputes::open_disputes(&ben, &q, chrono::Utc::now())
        .await
        .unwrap();
    let row = rows.iter().find(|d| d.id == dispute).unwrap();
    assert_eq!(row.watchers, ["Chloe Martin"], "others, not me");
    let viewer = as_role(&db, "vic").await;
    assert!(matches!(
        actions::touch_presence(&viewer, "dispute", dispute).await,
        Err(ActionError::Forbidden(_))
    ));
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
            .filter(|o| o.status == "sent")
            .all(|o| o.suppression.is_none()),
        "sent messages are not held back"
    );
}
