//! The demo book: deterministic, internally consistent, realistic; and the store's aging
//! agrees with an independent SQL computation and with the pure Rust rules.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common::{fixed_now, seeded_db};
use settle::domain::aging::{Basis, BookCredit, BookInvoice, BucketEdges, age_book};
use settle::store::aging::{aging_summary, rates_at};
use sqlx::PgPool;

async fn fingerprint(pool: &PgPool) -> Vec<(String, i64, i64)> {
    sqlx::query_as(
        "SELECT 'invoices', count(*), sum(amount_minor)::bigint FROM invoices
         UNION ALL SELECT 'open', count(*), sum(open_minor)::bigint FROM invoices WHERE open_minor > 0
         UNION ALL SELECT 'payments', count(*), sum(amount_minor)::bigint FROM payments
         UNION ALL SELECT 'allocations', count(*), sum(amount_minor)::bigint FROM allocations
         UNION ALL SELECT 'disputes', count(*), sum(amount_minor)::bigint FROM disputes
         UNION ALL SELECT 'holds', count(*), sum(id)::bigint FROM holds
         UNION ALL SELECT 'outreach', count(*), sum(id)::bigint FROM outreach",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_book_and_another_seed_does_not() {
    let (_a, pool_a) = seeded_db(120, 7).await;
    let (_b, pool_b) = seeded_db(120, 7).await;
    let (_c, pool_c) = seeded_db(120, 8).await;
    let a = fingerprint(&pool_a).await;
    assert_eq!(a, fingerprint(&pool_b).await);
    assert_ne!(a, fingerprint(&pool_c).await);
    let day: NaiveDate = "2026-10-31".parse().unwrap();
    let edges = BucketEdges::default();
    assert_eq!(
        aging_summary(&pool_a, day, Basis::Due, &edges)
            .await
            .unwrap(),
        aging_summary(&pool_b, day, Basis::Due, &edges)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_book_is_internally_consistent() {
    let (_db, pool) = seeded_db(150, 3).await;
    let bad: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invoices i LEFT JOIN (SELECT invoice_id, sum(amount_minor) s, max(applied_on) m FROM allocations GROUP BY 1) a
           ON a.invoice_id = i.id
          WHERE i.open_minor <> i.amount_minor - coalesce(a.s, 0)
             OR (i.open_minor = 0) <> (i.settled_on IS NOT NULL)
             OR (i.open_minor = 0 AND i.settled_on <> a.m)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(bad, 0, "invoice balances disagree with their allocations");
    let bad: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM payments p LEFT JOIN (SELECT payment_id, sum(amount_minor) s FROM allocations GROUP BY 1) a
           ON a.payment_id = p.id WHERE p.unapplied_minor <> p.amount_minor - coalesce(a.s, 0)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(bad, 0, "payment balances disagree with their allocations");
    let bad: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM allocations a JOIN invoices i ON i.id = a.invoice_id
           LEFT JOIN payments p ON p.id = a.payment_id LEFT JOIN credit_notes c ON c.id = a.credit_note_id
          WHERE (a.currency, a.invoice_issue_date, a.invoice_due_date, a.source_date)
                IS DISTINCT FROM (i.currency, i.issue_date, i.due_date, coalesce(p.received_on, c.issue_date))",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        bad, 0,
        "allocations carry their invoice's and source's facts"
    );
    let hold_blockers_ok: bool = sqlx::query_scalar(
        "SELECT bool_and(CASE h.status WHEN 'held' THEN i.open_minor > 0 ELSE i.open_minor = 0 END)
           FROM holds h JOIN hold_blockers b ON b.hold_id = h.id JOIN invoices i ON i.id = b.invoice_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        hold_blockers_ok,
        "a held order's blockers are open; a cleared one's are paid"
    );
}

#[tokio::test]
async fn the_book_has_what_a_real_one_has() {
    let (_db, pool) = seeded_db(400, 42).await;
    let distinct = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(sql)
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        distinct("SELECT DISTINCT category FROM disputes ORDER BY 1")
            .await
            .len(),
        8,
        "every dispute category"
    );
    assert_eq!(
        distinct("SELECT DISTINCT state FROM disputes ORDER BY 1").await,
        ["awaiting_customer", "investigating", "open", "resolved"]
    );
    assert_eq!(
        distinct("SELECT DISTINCT segment FROM customer_profiles ORDER BY 1").await,
        ["chronic_late", "high_risk", "standard", "vip"]
    );
    assert_eq!(
        distinct("SELECT DISTINCT status FROM holds ORDER BY 1").await,
        ["cleared", "held", "released"]
    );
    assert_eq!(
        distinct("SELECT DISTINCT status FROM promises ORDER BY 1").await,
        ["broken", "kept", "open"]
    );
    assert_eq!(
        distinct("SELECT DISTINCT currency::text FROM invoices ORDER BY 1").await,
        ["EUR", "GBP", "USD"]
    );
    let (partial, credits, unapplied, slipping, briefs): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM invoices WHERE open_minor > 0 AND open_minor < amount_minor),
                (SELECT count(*) FROM credit_notes),
                (SELECT count(*) FROM payments WHERE unapplied_minor > 0),
                (SELECT count(*) FROM customer_profiles WHERE slipping),
                (SELECT count(*) FROM handoff_briefs)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        partial > 0 && credits > 0 && unapplied > 0 && slipping > 0 && briefs > 0,
        "partial {partial}, credit notes {credits}, unapplied cash {unapplied}, slipping {slipping}, briefs {briefs}"
    );
}

/// Aging the slow, obvious way: sum every allocation up to the date, convert each invoice's
/// open amount, then sum.
async fn naive_aging(pool: &PgPool, as_of: NaiveDate) -> Vec<(i32, i64, i64)> {
    sqlx::query_as(
        "WITH open_at AS (
            SELECT i.currency, $1 - i.due_date AS days,
                   i.amount_minor - coalesce((SELECT sum(a.amount_minor) FROM allocations a
                                               WHERE a.invoice_id = i.id AND a.applied_on <= $1), 0) AS amount
              FROM invoices i WHERE i.issue_date <= $1
         ), rate AS (
            SELECT DISTINCT ON (currency) currency, rate_e8 FROM fx_rates WHERE rate_date <= $1 ORDER BY currency, rate_date DESC
         ), converted AS (
            SELECT CASE WHEN days <= 0 THEN 0 WHEN days <= 30 THEN 1 WHEN days <= 60 THEN 2
                        WHEN days <= 90 THEN 3 WHEN days <= 120 THEN 4 ELSE 5 END AS bucket,
                   round(o.amount * CASE WHEN o.currency = 'USD' THEN 100000000 ELSE r.rate_e8 END / 100000000.0) AS amount
              FROM open_at o LEFT JOIN rate r ON r.currency = o.currency WHERE o.amount <> 0
         )
         SELECT bucket, count(*)::bigint, sum(amount)::bigint FROM converted GROUP BY 1 ORDER BY 1",
    )
    .bind(as_of)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_overview_aging_equals_an_independent_sql_computation() {
    let (_db, pool) = seeded_db(200, 11).await;
    let today = fixed_now().date_naive();
    for as_of in [
        today,
        "2026-10-31".parse().unwrap(),
        "2026-06-30".parse().unwrap(),
    ] {
        let summary = aging_summary(&pool, as_of, Basis::Due, &BucketEdges::default())
            .await
            .unwrap();
        let ours: Vec<(i32, i64, i64)> = summary
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.invoices > 0)
            .map(|(i, l)| (i as i32, l.invoices, l.amount))
            .collect();
        assert_eq!(ours, naive_aging(&pool, as_of).await, "as of {as_of}");
        assert!(summary.invoices() > 0);
    }
}

/// Loads the whole store into the pure model.
async fn load_book(pool: &PgPool) -> (Vec<BookInvoice>, Vec<BookCredit>) {
    let rows: Vec<(i64, NaiveDate, NaiveDate, i64, String)> = sqlx::query_as(
        "SELECT id, issue_date, due_date, amount_minor, currency::text FROM invoices ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    type AllocationRow = (i64, Option<i64>, Option<i64>, NaiveDate, i64);
    let allocs: Vec<AllocationRow> = sqlx::query_as(
        "SELECT invoice_id, payment_id, credit_note_id, applied_on, amount_minor FROM allocations",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut by_invoice: BTreeMap<i64, Vec<(NaiveDate, i64)>> = BTreeMap::new();
    let mut by_payment: BTreeMap<i64, Vec<(NaiveDate, i64)>> = BTreeMap::new();
    let mut by_credit: BTreeMap<i64, Vec<(NaiveDate, i64)>> = BTreeMap::new();
    for (inv, pay, cn, on, amount) in allocs {
        by_invoice.entry(inv).or_default().push((on, amount));
        if let Some(p) = pay {
            by_payment.entry(p).or_default().push((on, amount));
        }
        if let Some(c) = cn {
            by_credit.entry(c).or_default().push((on, amount));
        }
    }
    let invoices = rows
        .into_iter()
        .map(|(id, issue_date, due_date, amount, currency)| BookInvoice {
            issue_date,
            due_date,
            amount,
            currency,
            allocations: by_invoice.remove(&id).unwrap_or_default(),
        })
        .collect();
    let credits: Vec<(i64, NaiveDate, i64, String, bool)> = sqlx::query_as(
        "SELECT id, received_on, amount_minor, currency::text, true FROM payments
         UNION ALL SELECT id, issue_date, amount_minor, currency::text, false FROM credit_notes",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let credits = credits
        .into_iter()
        .map(|(id, date, amount, currency, is_payment)| BookCredit {
            date,
            amount,
            currency,
            allocations: if is_payment {
                by_payment.remove(&id)
            } else {
                by_credit.remove(&id)
            }
            .unwrap_or_default(),
        })
        .collect();
    (invoices, credits)
}

#[tokio::test]
async fn sql_and_rust_agree_on_a_seeded_book() {
    let (_db, pool) = seeded_db(150, 5).await;
    let (invoices, credits) = load_book(&pool).await;
    let edges: BucketEdges = "15,45,75".parse().unwrap();
    for as_of in ["2026-11-20", "2026-09-30", "2025-12-31"] {
        let as_of: NaiveDate = as_of.parse().unwrap();
        let rates = rates_at(&pool, as_of).await.unwrap();
        for basis in [Basis::Due, Basis::Invoice] {
            for e in [BucketEdges::default(), edges.clone()] {
                let sql = aging_summary(&pool, as_of, basis, &e).await.unwrap();
                let rust = age_book(&invoices, &credits, as_of, basis, &e, "USD", &rates);
                assert_eq!(sql, rust, "as of {as_of}, {basis}, {:?}", e.edges());
                assert_eq!(
                    sql.total(),
                    sql.lines.iter().map(|l| l.amount).sum::<i64>() + sql.unapplied
                );
            }
        }
    }
}

/// Each invoice is converted on its own, then summed: however the book is cut (by customer,
/// segment or region, or into a bucket's customers) the pieces add up to the book to the cent.
#[tokio::test]
async fn every_cut_of_the_aging_adds_up_to_the_book_to_the_cent() {
    use settle::store::aging::{GroupBy, aging_by};
    let (_db, pool) = seeded_db(150, 23).await;
    let edges = BucketEdges::default();
    for as_of in [fixed_now().date_naive(), "2026-06-30".parse().unwrap()] {
        let book = aging_summary(&pool, as_of, Basis::Due, &edges)
            .await
            .unwrap();
        for group in [GroupBy::Customer, GroupBy::Segment, GroupBy::Region] {
            let groups = aging_by(&pool, as_of, Basis::Due, &edges, group)
                .await
                .unwrap();
            for (i, line) in book.lines.iter().enumerate() {
                let amount: i64 = groups.iter().map(|g| g.summary.lines[i].amount).sum();
                let count: i64 = groups.iter().map(|g| g.summary.lines[i].invoices).sum();
                assert_eq!(
                    (count, amount),
                    (line.invoices, line.amount),
                    "{group:?} bucket {} as of {as_of}",
                    line.bucket.label
                );
            }
        }
        for (i, line) in book.lines.iter().enumerate() {
            let q = settle::store::lists::ListQuery {
                limit: 100_000,
                ..Default::default()
            };
            let page = settle::store::bucket_customers::customers_in_bucket(
                &pool,
                as_of,
                Basis::Due,
                &edges,
                i,
                &q,
            )
            .await
            .unwrap();
            let amount: i64 = page.rows.iter().map(|c| c.amount).sum();
            assert_eq!(
                amount, book.lines[i].amount,
                "{} as of {as_of}",
                line.bucket.label
            );
        }
    }
}

/// The store's business calendars come with their holidays (read in one query): the US
/// calendar counts no working time on Thanksgiving 2026 (a Thursday) and a whole day on the
/// Wednesday before; the UK calendar, which does not keep Thanksgiving, a whole day on both.
#[tokio::test]
async fn calendars_are_read_with_their_holidays() {
    use settle::domain::sla::Clock;
    let (_db, pool) = seeded_db(20, 3).await;
    let calendars = settle::store::trust::calendars(&pool).await.unwrap();
    let minutes_on = |id: i32, day: &str| {
        let clock = &calendars[&id];
        assert!(
            matches!(clock, Clock::Business(_)),
            "calendar {id} is not a business calendar"
        );
        let from: chrono::DateTime<chrono::Utc> = format!("{day}T00:00:00Z").parse().unwrap();
        clock.minutes_between(from, from + chrono::Duration::days(1))
    };
    assert_eq!(minutes_on(1, "2026-11-25"), 8 * 60);
    assert_eq!(
        minutes_on(1, "2026-11-26"),
        0,
        "Thanksgiving is a US holiday"
    );
    assert_eq!(minutes_on(2, "2026-11-25"), 8 * 60 + 30);
    assert_eq!(minutes_on(2, "2026-11-26"), 8 * 60 + 30);
}
