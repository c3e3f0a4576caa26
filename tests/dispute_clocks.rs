//! Property: the dispute clocks the store keeps (migrations/0021_dispute_clocks.sql) equal
//! domain::sla's full measure, on random disputes with random pauses, stops and business
//! calendars (weekends, holidays, time zones, hours that span a daylight-saving change), at
//! the moment they were written and hours later, after holidays and policies change; and the
//! queue the store orders, filters and counts is the one those clocks say.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use chrono::{DateTime, Duration, Utc};
use common::fresh_db;
use proptest::prelude::*;
use settle::domain::sla::{SlaState, urgency, worst_state};
use settle::filter::Filter;
use settle::lists::SortBy;
use settle::store::clock_check::check_clocks;
use settle::store::dispute_queue::open_disputes_page;
use settle::store::disputes::{open_disputes, worst};
use settle::store::lists::ListQuery;
use sqlx::PgPool;

/// One random dispute: its calendar (0: calendar hours), targets, when it opened (seconds
/// before now), its state changes (seconds after the one before; awaiting the customer or
/// not), when it was answered and resolved (seconds after opening), microseconds throughout.
#[derive(Debug, Clone)]
struct Spec {
    calendar: usize,
    response_minutes: i32,
    resolution_minutes: i32,
    opened_ago: i64,
    changes: Vec<(i64, bool)>,
    responded_after: Option<i64>,
    resolved_after: Option<i64>,
    micros: u32,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..5usize,
        1..600i32,
        60..20_000i32,
        0..60 * 86_400i64,
        prop::collection::vec((1..4 * 86_400i64, any::<bool>()), 0..6),
        prop::option::of(0..5 * 86_400i64),
        prop::option::of(0..40 * 86_400i64),
        0..1_000_000u32,
    )
        .prop_map(
            |(calendar, response, resolution, opened_ago, changes, responded, resolved, micros)| {
                Spec {
                    calendar,
                    response_minutes: response,
                    resolution_minutes: resolution,
                    opened_ago,
                    changes,
                    responded_after: responded,
                    resolved_after: resolved,
                    micros,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn kept_clocks_equal_the_full_measure(
        disputes in prop::collection::vec(spec(), 1..14),
        holiday_ago in 0..60i64,
        moved_policy in any::<prop::sample::Index>(),
        later_hours in prop::collection::vec(1..200i64, 1..4),
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(check(disputes, holiday_ago, moved_policy, later_hours));
    }
}

/// The calendars the disputes are measured on: New York office hours less Thanksgiving,
/// London's longer day, Kolkata's Sunday-to-Thursday week, and New York nearly round the
/// clock every day (it opens inside the hour New York lives twice when the clocks go back).
const CALENDARS: &str =
    "INSERT INTO business_calendars (id, name, time_zone, work_days, day_start, day_end) VALUES
    (1, 'NY', 'America/New_York', '{1,2,3,4,5}', '09:00', '17:00'),
    (2, 'London', 'Europe/London', '{1,2,3,4,5}', '09:00', '17:30'),
    (3, 'Kolkata', 'Asia/Kolkata', '{7,1,2,3,4}', '10:00', '18:30'),
    (4, 'NY nights', 'America/New_York', '{1,2,3,4,5,6,7}', '01:30', '23:30')";

async fn check(disputes: Vec<Spec>, holiday_ago: i64, moved: prop::sample::Index, later: Vec<i64>) {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let now: DateTime<Utc> = "2026-11-20T15:30:00.654321Z".parse().unwrap();
    sqlx::query(CALENDARS).execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO calendar_holidays VALUES (1, '2026-11-26', 'Thanksgiving')")
        .execute(&pool)
        .await
        .unwrap();
    let customer = common::property_customer(&pool).await;
    sqlx::query(
        "INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor)
         VALUES ($1, 'I1', '2026-08-01', '2026-08-31', 100000, 'USD', 100000)",
    )
    .bind(customer)
    .execute(&pool)
    .await
    .unwrap();
    for (n, d) in disputes.iter().enumerate() {
        insert(&pool, customer, n, d, now).await;
    }
    assert_agree(&pool, now, "as written").await;

    // A holiday added, and one policy moved to another calendar: the clocks measured again.
    sqlx::query("INSERT INTO calendar_holidays VALUES (2, $1, 'Added')")
        .bind((now - Duration::days(holiday_ago)).date_naive())
        .execute(&pool)
        .await
        .unwrap();
    let policy = format!("P{}", moved.index(disputes.len()));
    sqlx::query(
        "UPDATE sla_policies SET calendar_id = CASE WHEN calendar_id IS NULL THEN 3 ELSE NULL END WHERE name = $1",
    )
    .bind(&policy)
    .execute(&pool)
    .await
    .unwrap();
    assert_agree(&pool, now, "after a holiday and a policy changed").await;
    for hours in later {
        assert_agree(&pool, now + Duration::hours(hours), "hours later").await;
    }
    pool.close().await;
}

async fn insert(pool: &PgPool, customer: i64, n: usize, d: &Spec, now: DateTime<Utc>) {
    let micros = Duration::microseconds(i64::from(d.micros));
    let opened = now - Duration::seconds(d.opened_ago) - micros;
    let mut at = opened;
    let mut changes = Vec::new();
    for (gap, awaiting) in &d.changes {
        at += Duration::seconds(*gap) + micros / 3;
        if at < now {
            changes.push((at, *awaiting));
        }
    }
    let within = |after: i64| Some(opened + Duration::seconds(after)).filter(|t| *t < now);
    let responded = d.responded_after.and_then(within);
    let resolved = d.resolved_after.and_then(within);
    let state = match (resolved, changes.last()) {
        (Some(_), _) => "resolved",
        (None, Some((_, true))) => "awaiting_customer",
        (None, Some((_, false))) => "investigating",
        (None, None) => "open",
    };
    let calendar = (d.calendar > 0).then_some(d.calendar as i32);
    sqlx::query(
        "INSERT INTO sla_policies (name, calendar_id, first_response_minutes, resolution_minutes, priority)
         VALUES ($1, $2, $3, $4, -1000)",
    )
    .bind(format!("P{n}"))
    .bind(calendar)
    .bind(d.response_minutes)
    .bind(d.resolution_minutes)
    .execute(pool)
    .await
    .unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO disputes (number, invoice_id, customer_id, amount_minor, currency, category, state,
                               outcome, policy_id, opened_at, first_response_at, resolved_at)
         SELECT $1, i.id, $2, 100, 'USD', 'pricing', $3, CASE WHEN $3 = 'resolved' THEN 'rejected' END,
                (SELECT id FROM sla_policies WHERE name = $4), $5, $6, $7
           FROM invoices i WHERE i.number = 'I1' RETURNING id",
    )
    .bind(format!("D{n:03}"))
    .bind(customer)
    .bind(state)
    .bind(format!("P{n}"))
    .bind(opened)
    .bind(responded)
    .bind(resolved)
    .fetch_one(pool)
    .await
    .unwrap();
    for (at, awaiting) in changes {
        let to = if awaiting {
            "awaiting_customer"
        } else {
            "investigating"
        };
        sqlx::query(
            "INSERT INTO dispute_events (dispute_id, at, kind, to_state) VALUES ($1, $2, 'state', $3)",
        )
        .bind(id)
        .bind(at)
        .bind(to)
        .execute(pool)
        .await
        .unwrap();
    }
}

fn query(filter: &str, sort: Option<SortBy>) -> ListQuery {
    ListQuery {
        filter: Filter::parse(filter),
        sort,
        limit: 5,
        offset: 1,
        me: "postgres".into(),
    }
}

async fn assert_agree(pool: &PgPool, now: DateTime<Utc>, when: &str) {
    let check = check_clocks(pool, now).await.unwrap();
    assert!(check.measured > 0);
    assert_eq!(check.differ, vec![], "{when}, at {now}");

    // The overview's trust inputs from the kept clocks: the same disputes, measured alike, as
    // the full measure from their state changes (reports).
    let since = now - Duration::days(30);
    let mut kept = settle::store::trust::measured_disputes(pool, now, since)
        .await
        .unwrap();
    let mut full: Vec<_> = settle::store::trust::dispute_facts(pool, since)
        .await
        .unwrap()
        .iter()
        .map(|d| d.measured(now))
        .collect();
    kept.sort_by_key(|d| d.id);
    full.sort_by_key(|d| d.id);
    // (The set may be empty: every dispute drawn can have been resolved before the 30 days.)
    assert_eq!(kept, full, "{when}: the trust metrics' disputes, at {now}");

    // The whole queue, most urgent first: the worse state, then minutes to the first breach.
    let all = open_disputes(pool, &ListQuery::default(), now)
        .await
        .unwrap();
    let key = |d: &settle::model::DisputeLine| {
        (worst(d), urgency(&d.first_response, &d.resolution), d.id)
    };
    let mut sorted = all.clone();
    sorted.sort_by_key(key);
    assert_eq!(
        all.iter().map(|d| d.id).collect::<Vec<_>>(),
        sorted.iter().map(|d| d.id).collect::<Vec<_>>(),
        "{when}: the queue's order"
    );
    // A window of it, and its count.
    let page = open_disputes_page(pool, &query("", None), now)
        .await
        .unwrap();
    assert_eq!(page.total, all.len() as i64);
    assert_eq!(
        page.rows.iter().map(|d| d.id).collect::<Vec<_>>(),
        all.iter().skip(1).take(5).map(|d| d.id).collect::<Vec<_>>()
    );
    // Filtered by SLA state: exactly the disputes whose worse clock is in it, counted alike.
    for (word, state) in [
        ("breached", SlaState::Breached),
        ("at_risk", SlaState::AtRisk),
        ("ok", SlaState::Ok),
    ] {
        let want: Vec<i64> = all
            .iter()
            .filter(|d| worst_state(&d.first_response, &d.resolution) == state)
            .map(|d| d.id)
            .collect();
        let page = open_disputes_page(pool, &query(&format!("sla:{word}"), None), now)
            .await
            .unwrap();
        assert_eq!(page.total, want.len() as i64, "{when}: sla:{word}");
        assert_eq!(
            page.rows.iter().map(|d| d.id).collect::<Vec<_>>(),
            want.iter().skip(1).take(5).copied().collect::<Vec<_>>(),
            "{when}: sla:{word}"
        );
    }
    // Filtered by the dispute's own state (read without the line's tables): in the same order.
    let awaiting: Vec<i64> = all
        .iter()
        .filter(|d| d.state == settle::domain::states::DisputeState::AwaitingCustomer)
        .map(|d| d.id)
        .collect();
    let page = open_disputes_page(pool, &query("state:awaiting_customer", None), now)
        .await
        .unwrap();
    assert_eq!(page.total, awaiting.len() as i64, "{when}: state filter");
    assert_eq!(
        page.rows.iter().map(|d| d.id).collect::<Vec<_>>(),
        awaiting.iter().skip(1).take(5).copied().collect::<Vec<_>>(),
        "{when}: state filter"
    );
    // Sorted by the response clock, most time left first: a stopped clock (never breaches) first.
    let by_response = Some(SortBy {
        column: 1,
        descending: true,
    });
    let page = open_disputes_page(pool, &query("", by_response), now)
        .await
        .unwrap();
    let left: Vec<i64> = page
        .rows
        .iter()
        .map(|d| d.first_response.minutes_to_breach())
        .collect();
    let mut want = left.clone();
    want.sort_by(|a, b| b.cmp(a));
    assert_eq!(left, want, "{when}: by response clock");
}
