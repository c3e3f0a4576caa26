//! `:work` ranks a small fixed book by its one rule (late first, then money at stake), shows
//! a collector their own work and the unassigned disputes of their customers, shows leads the
//! holds, and refuses a collector another person's work.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a failed test

mod common;

use chrono::{Duration, Utc};
use common::{as_role, seeded_db};
use settle::domain::states::WorkKind;
use settle::filter::Filter;
use settle::store::{lists::ListQuery, work};
use sqlx::PgPool;

/// One customer collected by ben, with two overdue invoices nobody has reminded (9,000.00 and
/// 100.00), a dispute breached an hour ago on a wall clock (50.00), one breaching in 10 minutes
/// (500.00), and an order paid 10 minutes ago and still held (overdue balance: 4 hours to
/// release it). Every moment is relative to the store's clock.
async fn fixture(admin: &PgPool) {
    sqlx::query(
        "WITH c AS (INSERT INTO customers (code, name, region, terms_days, credit_limit_minor, currency, reporting_currency)
                    VALUES ('FIX001', 'Worklist Fixture Ltd', 'NA-West', 30, 100000000, 'USD', 'USD') RETURNING id)
         INSERT INTO customer_owners (customer_id, agent_id, relation)
         SELECT c.id, a.id, 'collector' FROM c, agents a WHERE a.role_name = 'ben'",
    )
    .execute(admin)
    .await
    .unwrap();
    for (number, amount) in [
        ("FIX-R1", 900_000),
        ("FIX-R2", 10_000),
        ("FIX-D1", 50_000),
        ("FIX-D2", 5_000),
        ("FIX-H", 70_000),
    ] {
        // FIX-H blocked the order and is paid (today).
        sqlx::query(
            "INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor, settled_on)
             SELECT id, $1, current_date - 60, current_date - 30, $2, 'USD',
                    CASE WHEN $1 = 'FIX-H' THEN 0 ELSE $2 END, CASE WHEN $1 = 'FIX-H' THEN current_date END
               FROM customers WHERE code = 'FIX001'",
        )
        .bind(number)
        .bind(amount)
        .execute(admin)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO sla_policies (name, first_response_minutes, resolution_minutes, priority)
         VALUES ('Fixture wall clock', 60, 6000, -100)",
    )
    .execute(admin)
    .await
    .unwrap();
    for (number, invoice, amount, ago) in [
        ("DSP-FIX1", "FIX-D1", 50_000, 50),
        ("DSP-FIX2", "FIX-D2", 5_000, 120),
    ] {
        sqlx::query(
            "INSERT INTO disputes (number, invoice_id, customer_id, amount_minor, currency, category, state, policy_id, opened_at)
             SELECT $1, i.id, i.customer_id, $3, 'USD', 'pricing', 'open',
                    (SELECT id FROM sla_policies WHERE name = 'Fixture wall clock'), now() - make_interval(mins => $4)
               FROM invoices i WHERE i.number = $2",
        )
        .bind(number)
        .bind(invoice)
        .bind(amount)
        .bind(ago)
        .execute(admin)
        .await
        .unwrap();
    }
    sqlx::query(
        "WITH o AS (INSERT INTO orders (customer_id, number, placed_at, amount_minor, currency, status)
                    SELECT id, 'SO-FIX', now() - interval '2 days', 70000, 'USD', 'held' FROM customers WHERE code = 'FIX001'
                    RETURNING id),
              h AS (INSERT INTO holds (order_id, reason, placed_at, status, cleared_at)
                    SELECT id, 'overdue_balance', now() - interval '2 days', 'cleared', now() - interval '10 minutes' FROM o
                    RETURNING id)
         INSERT INTO hold_blockers (hold_id, invoice_id) SELECT h.id, i.id FROM h, invoices i WHERE i.number = 'FIX-H'",
    )
    .execute(admin)
    .await
    .unwrap();
}

fn query(filter: &str, me: &str) -> ListQuery {
    ListQuery {
        filter: Filter::parse(filter),
        limit: 1000,
        me: me.to_string(),
        ..Default::default()
    }
}

async fn refs(pool: &PgPool, filter: &str, me: &str) -> Vec<String> {
    work::worklist(pool, &query(filter, me), Utc::now())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.reference.clone())
        .collect()
}

#[tokio::test]
async fn the_worklist_ranks_late_first_then_money_and_shows_each_person_their_own() {
    let (db, admin) = seeded_db(40, 7).await;
    fixture(&admin).await;
    let ben = as_role(&db, "ben").await;
    // Late: the 9,000.00 reminder, the 100.00 one, the 50.00 breached dispute; then the dispute
    // breaching within the hour although it is worth more than two of them.
    assert_eq!(
        refs(&ben, "fixture", "ben").await,
        ["FIX-R1", "FIX-R2", "DSP-FIX2", "DSP-FIX1"]
    );
    // A lead also sees the paid order waiting for release (4 hours left: within a working day).
    let ava = as_role(&db, "ava").await;
    assert_eq!(
        refs(&ava, "fixture", "ava").await,
        ["FIX-R1", "FIX-R2", "DSP-FIX2", "DSP-FIX1", "SO-FIX"]
    );
    assert_eq!(refs(&ava, "fixture owner:ben", "ava").await.len(), 3);
    assert_eq!(
        refs(&ava, "fixture kind:dispute", "ava").await,
        ["DSP-FIX2", "DSP-FIX1"]
    );
    // Another collector's customers are not chloe's work, nor their unassigned disputes.
    let chloe = as_role(&db, "chloe").await;
    assert!(refs(&chloe, "fixture", "chloe").await.is_empty());
    let refused = work::worklist(&chloe, &query("owner:ben", "chloe"), Utc::now())
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("needs the lead role"), "{refused}");
    let unknown = work::worklist(&ben, &query("sla:late", "ben"), Utc::now())
        .await
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("fields: owner, kind"), "{unknown}");

    // Each item says when it goes late: the breached dispute an hour ago, the hold in ~230m.
    let items = work::worklist(&ava, &query("fixture", "ava"), Utc::now())
        .await
        .unwrap();
    let late_at = |r: &str| items.iter().find(|i| i.reference == r).unwrap().late_at;
    let now = Utc::now();
    assert!(
        (late_at("DSP-FIX2") - (now - Duration::minutes(60)))
            .num_minutes()
            .abs()
            <= 2
    );
    assert!(
        (late_at("SO-FIX") - (now + Duration::minutes(230)))
            .num_minutes()
            .abs()
            <= 2
    );
    assert_eq!(items[0].kind, WorkKind::Reminder);

    // A reminder queued takes its invoice off the list; the next one moves up.
    let invoice: i64 = sqlx::query_scalar("SELECT id FROM invoices WHERE number = 'FIX-R1'")
        .fetch_one(&admin)
        .await
        .unwrap();
    sqlx::query(
        "SELECT queue_outreach($1, 'reminder', 'email', 'firm', 'Overdue', 'Please pay', now(), NULL, NULL)",
    )
    .bind(invoice)
    .execute(&ben)
    .await
    .unwrap();
    assert_eq!(
        refs(&ben, "fixture", "ben").await,
        ["FIX-R2", "DSP-FIX2", "DSP-FIX1"]
    );
}

/// A broken promise and a message waiting for approval are on the worklist too: the promise
/// for the customer's collector, the message for leads only, each with its own subject.
#[tokio::test]
async fn broken_promises_and_messages_to_approve_are_on_the_list() {
    let (db, admin) = seeded_db(40, 7).await;
    fixture(&admin).await;
    sqlx::query(
        "INSERT INTO promises (customer_id, invoice_id, amount_minor, currency, made_on, promised_for, status, closed_on)
         SELECT i.customer_id, i.id, 4000, 'USD', current_date - 10, current_date - 5, 'broken', current_date - 2
           FROM invoices i WHERE i.number = 'FIX-R2'",
    )
    .execute(&admin)
    .await
    .unwrap();
    let message: i64 = sqlx::query_scalar(
        "INSERT INTO outreach (customer_id, invoice_id, invoice_ids, purpose, channel, tone, subject, body, copies,
                               send_after, status)
         SELECT i.customer_id, i.id, ARRAY[i.id], 'reminder', 'email', 'escalation', 'Final notice', 'Pay', '{}',
                now() - interval '1 hour', 'pending_approval'
           FROM invoices i WHERE i.number = 'FIX-D1' RETURNING id",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    let ava = as_role(&db, "ava").await;
    let items = work::worklist(&ava, &query("fixture", "ava"), Utc::now())
        .await
        .unwrap();
    let kinds: Vec<(WorkKind, String)> = items
        .iter()
        .map(|i| (i.kind, i.reference.clone()))
        .collect();
    assert!(
        kinds
            .iter()
            .any(|(k, r)| *k == WorkKind::PromiseBroken && r.starts_with("PTP-")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(WorkKind::Approval, format!("MSG-{message}"))),
        "{kinds:?}"
    );
    // An approval goes late four hours after the message would have gone (an hour ago).
    let approval = items.iter().find(|i| i.kind == WorkKind::Approval).unwrap();
    assert_eq!(
        approval.amount, 50_000,
        "at stake: what is open on its invoice"
    );
    let left = (approval.late_at - Utc::now()).num_minutes();
    assert!((175..=181).contains(&left), "{left} minutes left");
    let ben = as_role(&db, "ben").await;
    let his = refs(&ben, "fixture", "ben").await;
    assert!(his.iter().any(|r| r.starts_with("PTP-")), "{his:?}");
    assert!(
        !his.iter().any(|r| r.starts_with("MSG-")),
        "approvals are for leads: {his:?}"
    );
}

/// The worklist asks the reminder rule's questions by index instead of calling
/// `reminder_block` per invoice: on a seeded book (promises in their grace, disputes, queued
/// and recently sent messages) the two give the same reminders.
/// The invoices whose reminder may go on `$1` (today), with `reminder_block(i.id, $1) IS NULL`:
/// open and overdue, no message live or sent in the last 7 days, past the customer's usual pay
/// day and the grace.
const REMINDER_RULE: &str = "FROM invoices i LEFT JOIN customer_profiles p ON p.customer_id = i.customer_id
     WHERE i.open_minor > 0 AND i.due_date < $1
       AND NOT EXISTS (SELECT 1 FROM outreach m WHERE m.invoice_id = i.id
             AND (m.status IN ('draft', 'pending_approval', 'queued', 'sending', 'uncertain')
                  OR (m.status = 'sent' AND m.sent_at > now() - interval '7 days')))
       AND $1 >= i.issue_date + coalesce(p.typical_days, 0) + setting_int('reminder_grace_days')::int";

#[tokio::test]
async fn the_worklists_reminders_are_the_ones_reminder_block_lets_go() {
    let (db, admin) = seeded_db(300, 11).await;
    let now = Utc::now();
    let today = settle::store::business_today(&admin, now).await.unwrap();
    let rule = REMINDER_RULE;
    let rule_says = || async {
        let numbers: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT i.number {rule} AND reminder_block(i.id, $1) IS NULL
              ORDER BY i.open_minor DESC, i.id LIMIT 150"
        )))
        .bind(today)
        .fetch_all(&admin)
        .await
        .unwrap();
        numbers
    };
    // A promise on the largest whose date passed yesterday is still in its grace: it waits.
    let promised = rule_says().await[0].clone();
    sqlx::query(
        "INSERT INTO promises (customer_id, invoice_id, amount_minor, currency, made_on, promised_for, status)
         SELECT customer_id, id, open_minor, currency, $1 - 10, $1 - 1, 'open' FROM invoices WHERE number = $2",
    )
    .bind(today)
    .bind(&promised)
    .execute(&admin)
    .await
    .unwrap();
    let expected = rule_says().await;
    assert!(!expected.contains(&promised));
    // The book exercises the rule: some otherwise-due invoices are held back by it.
    let held: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT split_part(reminder_block(i.id, $1), ' ', 1) {rule}
            AND reminder_block(i.id, $1) IS NOT NULL"
    )))
    .bind(today)
    .fetch_all(&admin)
    .await
    .unwrap();
    assert!(held.contains(&"promised".to_string()), "{held:?}");
    let ava = as_role(&db, "ava").await;
    let mut listed = refs(&ava, "kind:reminder", "ava").await;
    let mut expected = expected;
    listed.sort();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(listed, expected);

    // A collector's: the same rule over the customers he collects for.
    let mut bens: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT i.number {rule} AND reminder_block(i.id, $1) IS NULL
            AND i.customer_id IN (SELECT co.customer_id FROM customer_owners co JOIN agents a ON a.id = co.agent_id
                                   WHERE co.relation = 'collector' AND a.role_name = 'ben')
          ORDER BY i.open_minor DESC, i.id LIMIT 150"
    )))
    .bind(today)
    .fetch_all(&admin)
    .await
    .unwrap();
    let ben = as_role(&db, "ben").await;
    let mut listed = refs(&ben, "kind:reminder", "ben").await;
    listed.sort();
    bens.sort();
    assert!(!bens.is_empty());
    assert_eq!(listed, bens);
}

/// Pays `invoice` in full as the ERP would (a payment allocated to it).
async fn pay(admin: &PgPool, invoice: &str) {
    sqlx::query(
        "WITH i AS (SELECT id, customer_id, open_minor, currency FROM invoices WHERE number = $1),
              p AS (INSERT INTO payments (customer_id, reference, received_on, amount_minor, currency, unapplied_minor)
                    SELECT customer_id, 'ERP-' || $1, current_date, open_minor, currency, open_minor FROM i RETURNING id)
         INSERT INTO allocations (invoice_id, payment_id, applied_on, amount_minor)
         SELECT i.id, p.id, current_date, i.open_minor FROM i, p",
    )
    .bind(invoice)
    .execute(admin)
    .await
    .unwrap();
}

/// Until the change log's readable head covers every committed change: another test's open
/// transaction (xids are the cluster's) can hold this store's last changes back a moment.
async fn settled(pool: &PgPool) {
    for _ in 0..200 {
        let poll = settle::store::feed::poll(pool).await.unwrap();
        if poll.waiting_seconds.is_none() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The seeded book with the fixture, and a lead's connection.
async fn fixture_book() -> (common::TestDb, PgPool, PgPool) {
    let (db, admin) = seeded_db(40, 7).await;
    fixture(&admin).await;
    let ava = as_role(&db, "ava").await;
    (db, admin, ava)
}

/// `who` responds to dispute `number`; its id.
async fn respond(admin: &PgPool, who: &PgPool, number: &str) -> i64 {
    let dispute: i64 = sqlx::query_scalar("SELECT id FROM disputes WHERE number = $1")
        .bind(number)
        .fetch_one(admin)
        .await
        .unwrap();
    settle::store::actions::respond_dispute(who, dispute, "looking into it")
        .await
        .unwrap();
    dispute
}

/// A load through `cache` (the references listed), held equal to a full read at the same
/// moment. One moment for every load: kept items were built at the load that read them.
async fn both(
    pool: &PgPool,
    q: &ListQuery,
    now: chrono::DateTime<Utc>,
    cache: &mut settle::store::work_kept::WorkCache,
) -> Vec<String> {
    settled(pool).await;
    let kept = work::worklist_kept(pool, q, now, cache).await.unwrap();
    let full = work::worklist(pool, q, now).await.unwrap();
    assert_eq!(kept, full, "the kept worklist differs from a full read");
    kept.into_iter().map(|i| i.reference.clone()).collect()
}

#[tokio::test]
async fn a_kept_worklist_reads_again_only_what_a_change_touches_and_equals_a_full_read() {
    use settle::store::work_kept::{Source, WorkCache};
    let (db, admin, ava) = fixture_book().await;
    let now = Utc::now();
    let q = query("", "ava");
    let mut cache = WorkCache::default();
    let first = both(&ava, &q, now, &mut cache).await;
    assert_eq!(
        cache.last_read(),
        Source::ALL,
        "a first load reads every source"
    );
    assert!(first.contains(&"FIX-R1".to_string()) && first.contains(&"SO-FIX".to_string()));

    // Nothing changed: nothing is read again.
    both(&ava, &q, now, &mut cache).await;
    assert_eq!(cache.last_read(), []);

    // A payment reaches the reminders (FIX-R1 is paid), not the disputes, holds or promises.
    pay(&admin, "FIX-R1").await;
    let paid = both(&ava, &q, now, &mut cache).await;
    assert!(cache.last_read().contains(&Source::Reminders));
    for kept in [Source::Disputes, Source::Holds, Source::Promises] {
        assert!(!cache.last_read().contains(&kept), "{kept:?}");
    }
    assert!(!paid.contains(&"FIX-R1".to_string()), "{paid:?}");

    // A note written to ava about a customer who owes: the notices are read again, and it is on
    // her list with the customer's balance.
    let (customer, owed): (i64, String) = sqlx::query_as(
        "SELECT customer_id, number FROM invoices WHERE open_minor > 0 AND NOT (number = ANY($1))
          ORDER BY open_minor, id LIMIT 1",
    )
    .bind(&paid)
    .fetch_one(&admin)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO notifications (agent_id, customer_id, kind, message)
         SELECT a.id, $1, 'outreach_task', 'call them about FIX' FROM agents a WHERE a.role_name = 'ava'",
    )
    .bind(customer)
    .execute(&admin)
    .await
    .unwrap();
    let noted = both(&ava, &q, now, &mut cache).await;
    assert_eq!(cache.last_read(), [Source::Notices]);
    let note = noted
        .iter()
        .find(|r| r.starts_with("NOTE-"))
        .unwrap()
        .clone();

    // That customer pays an invoice: the note's balance follows (a full read agrees) without
    // reading the notices again.
    pay(&admin, &owed).await;
    let after = both(&ava, &q, now, &mut cache).await;
    assert!(!cache.last_read().contains(&Source::Notices), "{owed}");
    assert!(after.contains(&note));

    // A released hold leaves; a response stops a dispute's first-response clock.
    let hold: i64 = sqlx::query_scalar(
        "SELECT h.id FROM holds h JOIN orders o ON o.id = h.order_id WHERE o.number = 'SO-FIX'",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    settle::store::actions::release_hold(&ava, hold, "paid in full")
        .await
        .unwrap();
    respond(&admin, &ava, "DSP-FIX1").await;
    let acted = both(&ava, &q, now, &mut cache).await;
    assert!(cache.last_read().contains(&Source::Holds));
    assert!(cache.last_read().contains(&Source::Disputes));
    assert!(!cache.last_read().contains(&Source::Promises));
    assert!(!acted.contains(&"SO-FIX".to_string()), "{acted:?}");

    // Another question (a collector's view of ben's work) reads everything again.
    both(&ava, &query("owner:ben", "ava"), now, &mut cache).await;
    assert_eq!(cache.last_read().len(), Source::ALL.len());

    // Ben's list holds his customers' reminders only: a payment from another collector's
    // customer keeps them, one from his reads them again.
    let ben = as_role(&db, "ben").await;
    let mut bens = WorkCache::default();
    let q = query("", "ben");
    both(&ben, &q, now, &mut bens).await;
    let elsewhere: String = sqlx::query_scalar(
        "SELECT i.number FROM invoices i WHERE i.open_minor > 0 AND NOT EXISTS (
            SELECT 1 FROM customer_owners co JOIN agents a ON a.id = co.agent_id
             WHERE co.customer_id = i.customer_id AND co.relation = 'collector' AND a.role_name = 'ben')
          ORDER BY i.id LIMIT 1",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    pay(&admin, &elsewhere).await;
    both(&ben, &q, now, &mut bens).await;
    assert!(
        !bens.last_read().contains(&Source::Reminders),
        "{elsewhere}"
    );
    pay(&admin, "FIX-R2").await;
    let paid = both(&ben, &q, now, &mut bens).await;
    assert!(bens.last_read().contains(&Source::Reminders));
    assert!(!paid.contains(&"FIX-R2".to_string()), "{paid:?}");
}

#[tokio::test]
async fn a_full_list_of_reminders_is_read_again_only_for_its_own_or_a_larger_invoice() {
    use settle::store::work_kept::{Source, WorkCache};
    let (db, admin) = seeded_db(300, 11).await;
    let ava = as_role(&db, "ava").await;
    let now = Utc::now();
    let q = query("kind:reminder", "ava");
    let mut cache = WorkCache::default();
    let first = both(&ava, &q, now, &mut cache).await;
    assert_eq!(first.len(), 150, "the book fills the reminders");

    // The smallest open invoice (not among the largest 150) paid: nothing is read again.
    let small: String = sqlx::query_scalar(
        "SELECT number FROM invoices WHERE open_minor > 0 ORDER BY open_minor, id LIMIT 1",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!(!first.contains(&small));
    pay(&admin, &small).await;
    assert_eq!(both(&ava, &q, now, &mut cache).await, first);
    assert_eq!(cache.last_read(), [], "{small}");

    // The last of the list paid: read again, and the next largest takes its place.
    let last = first.last().unwrap().clone();
    pay(&admin, &last).await;
    let after = both(&ava, &q, now, &mut cache).await;
    assert_eq!(cache.last_read(), [Source::Reminders]);
    assert!(!after.contains(&last), "{after:?}");
    assert_eq!(after.len(), 150);

    // An invoice outside the list raised above its smallest (an import's correction): read again,
    // and it is listed.
    let today = settle::store::business_today(&admin, now).await.unwrap();
    let outside: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT i.number {REMINDER_RULE} AND reminder_block(i.id, $1) IS NULL
            AND NOT (i.number = ANY($2)) ORDER BY i.open_minor DESC, i.id LIMIT 1"
    )))
    .bind(today)
    .bind(&after)
    .fetch_one(&admin)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE invoices SET amount_minor = amount_minor + 100000000, open_minor = open_minor + 100000000
          WHERE number = $1",
    )
    .bind(&outside)
    .execute(&admin)
    .await
    .unwrap();
    let raised = both(&ava, &q, now, &mut cache).await;
    assert_eq!(cache.last_read(), [Source::Reminders]);
    assert!(raised.contains(&outside), "{outside}: {raised:?}");
}

#[tokio::test]
async fn a_short_list_of_reminders_is_read_again_only_for_an_invoice_whose_reminder_may_go() {
    use settle::store::work_kept::{Source, WorkCache};
    let (_db, admin, ava) = fixture_book().await;
    let now = Utc::now();
    let q = query("kind:reminder", "ava");
    let mut cache = WorkCache::default();
    let first = both(&ava, &q, now, &mut cache).await;
    assert!(
        !first.is_empty() && first.len() < 150,
        "a short list: {}",
        first.len()
    );
    let raise = |number: String| {
        let admin = admin.clone();
        async move {
            sqlx::query(
                "UPDATE invoices SET amount_minor = amount_minor + 100000000,
                        open_minor = open_minor + 100000000 WHERE number = $1",
            )
            .bind(&number)
            .execute(&admin)
            .await
            .unwrap();
        }
    };

    // An open invoice not yet due raised above them all: it cannot be a reminder, nothing is
    // read again.
    let today = settle::store::business_today(&admin, now).await.unwrap();
    let not_due: String = sqlx::query_scalar(
        "SELECT number FROM invoices WHERE open_minor > 0 AND due_date >= $1 ORDER BY id LIMIT 1",
    )
    .bind(today)
    .fetch_one(&admin)
    .await
    .unwrap();
    raise(not_due.clone()).await;
    assert_eq!(both(&ava, &q, now, &mut cache).await, first);
    assert_eq!(cache.last_read(), [], "{not_due}");

    // One of them raised: read again (its amount as a full read gives it).
    let listed = first.last().unwrap().clone();
    raise(listed.clone()).await;
    let after = both(&ava, &q, now, &mut cache).await;
    assert_eq!(cache.last_read(), [Source::Reminders]);
    assert!(after.contains(&listed), "{after:?}");
}

#[tokio::test]
async fn a_kept_dispute_queue_is_read_again_only_when_a_dispute_changes() {
    use settle::store::{dispute_queue, kept::KeptViews};
    let (_db, admin, ava) = fixture_book().await;
    let now = Utc::now();
    let q = query("fixture", "ava");
    let mut kept = KeptViews::default();
    let load = async |kept: &mut KeptViews| {
        settled(&ava).await;
        let read = || dispute_queue::open_disputes_page(&ava, &q, now);
        let (page, read) = kept
            .disputes
            .answer(&ava, q.clone(), now, dispute_queue::TOUCHED_BY, read)
            .await
            .unwrap();
        let full = dispute_queue::open_disputes_page(&ava, &q, now)
            .await
            .unwrap();
        assert_eq!(page, full, "the kept page differs from a fresh read");
        (page, read)
    };
    assert!(load(&mut kept).await.1, "a first load reads");
    assert!(
        !load(&mut kept).await.1,
        "nothing changed: the kept page answers"
    );
    pay(&admin, "FIX-R1").await;
    assert!(
        !load(&mut kept).await.1,
        "a payment does not touch the queue"
    );
    let dispute = respond(&admin, &ava, "DSP-FIX1").await;
    let (page, read) = load(&mut kept).await;
    assert!(read, "a response is read");
    let responded = page.rows.iter().find(|d| d.id == dispute).unwrap();
    assert!(responded.first_response.stopped);
}
