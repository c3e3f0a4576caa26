//! Property: the maintained summaries (today's aging, credit sales by day, the receivables at
//! past days' ends) equal the full computation on random books after random payments, credit
//! notes, invoices (backdated or not), amount changes, new rates, folds and rebuilds.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use chrono::{Duration, NaiveDate, Utc};
use common::fresh_db;
use proptest::prelude::*;
use settle::domain::aging::{Basis, BucketEdges};
use settle::store::aging::{Path, aging_summary_by, rate_arrays};
use sqlx::PgPool;

#[derive(Debug, Clone)]
enum Op {
    /// Pay a share (percent) of an invoice's open amount, dated this many days ago.
    Pay {
        invoice: usize,
        share: i64,
        ago: i64,
    },
    /// A credit note for the amount, dated this many days ago.
    Credit { amount: i64, eur: bool, ago: i64 },
    /// A new invoice issued this many days ago (0: today).
    Invoice {
        amount: i64,
        eur: bool,
        ago: i64,
        terms: i64,
    },
    /// An invoice's amount changed (an ERP correction), never below what was paid.
    Amend { invoice: usize, amount: i64 },
    /// A new EUR rate dated this many days ago (the summaries' rates go stale if it is in force).
    Rate { ago: i64, rate: i64 },
    /// The worker folds the pending deltas.
    Fold,
    /// The worker rebuilds at today's rates.
    Rebuild,
    /// Someone asks for the receivables at a past day's end (remembered from then on).
    AskClose { ago: i64 },
    /// The worker keeps one more past month end's overview ready (its opening receivables).
    MonthEnd,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..40, 1i64..=100, 0i64..60).prop_map(|(invoice, share, ago)| Op::Pay { invoice, share, ago }),
        1 => (1i64..90_000, any::<bool>(), 0i64..60).prop_map(|(amount, eur, ago)| Op::Credit { amount, eur, ago }),
        2 => (1i64..400_000, any::<bool>(), 0i64..60, 0i64..60)
            .prop_map(|(amount, eur, ago, terms)| Op::Invoice { amount, eur, ago, terms }),
        1 => (0usize..40, 1i64..500_000).prop_map(|(invoice, amount)| Op::Amend { invoice, amount }),
        1 => (0i64..60, 90_000_000i64..130_000_000).prop_map(|(ago, rate)| Op::Rate { ago, rate }),
        2 => Just(Op::Fold),
        1 => Just(Op::Rebuild),
        3 => (3i64..60).prop_map(|ago| Op::AskClose { ago }),
        2 => Just(Op::MonthEnd),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]
    #[test]
    fn summaries_equal_the_full_computation(
        book in prop::collection::vec((1i64..400_000, any::<bool>(), 0i64..300, 0i64..60), 1..25),
        ops in prop::collection::vec(op(), 0..30),
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(check(book, ops));
    }
}

/// The business day the store's functions use (they read the clock).
async fn store_today(pool: &PgPool) -> NaiveDate {
    settle::store::business_today(pool, Utc::now())
        .await
        .unwrap()
}

async fn invoice(
    pool: &PgPool,
    customer: i64,
    n: usize,
    (amount, eur, issue, terms): (i64, bool, NaiveDate, i64),
) {
    sqlx::query(
        "INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor)
         VALUES ($1, $2, $3, $4, $5, $6, $5)",
    )
    .bind(customer)
    .bind(format!("I{n}"))
    .bind(issue)
    .bind(issue + Duration::days(terms))
    .bind(amount)
    .bind(if eur { "EUR" } else { "USD" })
    .execute(pool)
    .await
    .unwrap();
}

async fn apply(pool: &PgPool, customer: i64, today: NaiveDate, step: usize, op: Op) {
    let day = |ago: i64| today - Duration::days(ago);
    match op {
        Op::Pay {
            invoice,
            share,
            ago,
        } => {
            let row: Option<(i64, i64, String, NaiveDate)> = sqlx::query_as(
                "SELECT id, open_minor, currency::text, issue_date FROM invoices WHERE open_minor > 0
                  ORDER BY id OFFSET $1 LIMIT 1",
            )
            .bind(invoice as i64 % 40)
            .fetch_optional(pool)
            .await
            .unwrap();
            let Some((id, open, currency, issue)) = row else {
                return;
            };
            let on = day(ago).max(issue);
            let part = (open * share / 100).clamp(1, open);
            let pay: i64 = sqlx::query_scalar(
                "INSERT INTO payments (customer_id, reference, received_on, amount_minor, currency, unapplied_minor)
                 VALUES ($1, $2, $3, $4, $5, $4) RETURNING id",
            )
            .bind(customer).bind(format!("P{step}")).bind(on).bind(part).bind(&currency)
            .fetch_one(pool).await.unwrap();
            sqlx::query("INSERT INTO allocations (invoice_id, payment_id, applied_on, amount_minor) VALUES ($1, $2, $3, $4)")
                .bind(id).bind(pay).bind(on).bind(part)
                .execute(pool).await.unwrap();
        }
        Op::Credit { amount, eur, ago } => {
            sqlx::query(
                "INSERT INTO credit_notes (customer_id, number, issue_date, amount_minor, currency, reason, unapplied_minor)
                 VALUES ($1, $2, $3, $4, $5, 'test', $4)",
            )
            .bind(customer).bind(format!("C{step}")).bind(day(ago)).bind(amount).bind(if eur { "EUR" } else { "USD" })
            .execute(pool).await.unwrap();
        }
        Op::Invoice {
            amount,
            eur,
            ago,
            terms,
        } => {
            invoice(pool, customer, 1000 + step, (amount, eur, day(ago), terms)).await;
        }
        Op::Amend { invoice, amount } => {
            sqlx::query(
                "UPDATE invoices SET amount_minor = greatest($2, amount_minor - open_minor),
                        open_minor = greatest($2, amount_minor - open_minor) - (amount_minor - open_minor),
                        settled_on = CASE WHEN greatest($2, amount_minor - open_minor) = amount_minor - open_minor
                                          THEN coalesce(settled_on, issue_date) END
                  WHERE id = (SELECT id FROM invoices ORDER BY id OFFSET $1 LIMIT 1)",
            )
            .bind(invoice as i64 % 40)
            .bind(amount)
            .execute(pool)
            .await
            .unwrap();
        }
        Op::Rate { ago, rate } => {
            sqlx::query("INSERT INTO fx_rates VALUES ('EUR', $1, $2) ON CONFLICT (currency, rate_date) DO UPDATE SET rate_e8 = EXCLUDED.rate_e8")
                .bind(day(ago)).bind(rate)
                .execute(pool).await.unwrap();
        }
        Op::Fold => {
            settle::store::summary::fold(pool).await.unwrap();
        }
        Op::Rebuild => {
            settle::store::summary::rebuild(pool, None).await.unwrap();
        }
        Op::AskClose { ago } => {
            settle::store::summary::remember(pool, day(ago))
                .await
                .unwrap();
        }
        Op::MonthEnd => {
            let openings = settle::domain::kpi::Period::month_end_openings(today, 12);
            let kept = settle::store::summary::remember_first_missing(pool, &openings)
                .await
                .unwrap();
            // The latest missing one, now remembered.
            if let Some(day) = kept {
                assert!(openings.contains(&day), "{day}");
                let remembered = settle::store::summary::remembered_days(pool).await.unwrap();
                assert!(remembered.contains(&day), "{day} not remembered");
            }
        }
    }
}

async fn check(book: Vec<(i64, bool, i64, i64)>, ops: Vec<Op>) {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let today = store_today(&pool).await;
    sqlx::query("INSERT INTO fx_rates VALUES ('EUR', $1, 108000000)")
        .bind(today - Duration::days(400))
        .execute(&pool)
        .await
        .unwrap();
    let customer = common::property_customer(&pool).await;
    for (n, (amount, eur, ago, terms)) in book.into_iter().enumerate() {
        invoice(
            &pool,
            customer,
            n,
            (amount, eur, today - Duration::days(ago), terms),
        )
        .await;
    }
    settle::store::summary::rebuild(&pool, None).await.unwrap();
    for (step, op) in ops.into_iter().enumerate() {
        apply(&pool, customer, today, step, op).await;
    }

    assert_aging(&pool, today).await;
    assert_customers(&pool, today).await;
    assert_sales(&pool, today).await;
    assert_closes(&pool, today).await;
    assert_open(&pool).await;
    pool.close().await;
}

async fn assert_aging(pool: &PgPool, today: NaiveDate) {
    // Today's aging, both bases: whatever path answers, it is the full computation's answer;
    // and the summaries themselves agree whenever they hold the day's rates.
    let edges = BucketEdges::default();
    let rates = rate_arrays(pool, today).await.unwrap();
    let standing = settle::store::summary::standing(pool, today).await.unwrap();
    for basis in [Basis::Due, Basis::Invoice] {
        let full = aging_summary_by(pool, today, basis, &edges, Path::Full)
            .await
            .unwrap();
        let any = aging_summary_by(pool, today, basis, &edges, Path::Any)
            .await
            .unwrap();
        assert_eq!(any, full, "{basis:?}");
        if standing.converts_at(&rates) {
            let rows = settle::store::summary::open_by_day(pool, today, basis)
                .await
                .unwrap();
            let count: i64 = rows.iter().map(|r| r.1).sum();
            let amount: i64 = rows.iter().map(|r| r.2).sum();
            assert_eq!(
                count,
                full.lines.iter().map(|l| l.invoices).sum::<i64>(),
                "{basis:?} count"
            );
            assert_eq!(
                amount,
                full.lines.iter().map(|l| l.amount).sum::<i64>(),
                "{basis:?} amount"
            );
        }
    }
}

/// The aging's customers in each bucket, both bases: the kept buckets (when they answer) give
/// the full computation's page, in the default order and sorted by name.
async fn assert_customers(pool: &PgPool, today: NaiveDate) {
    let edges = BucketEdges::default();
    for basis in [Basis::Due, Basis::Invoice] {
        for (index, bucket) in edges.buckets().iter().enumerate() {
            let by_name = Some(settle::lists::SortBy {
                column: 1,
                descending: false,
            });
            let named = settle::filter::Filter {
                words: vec!["prop".into()],
                predicates: vec![],
            };
            for (sort, filter) in [
                (None, Default::default()),
                (by_name, Default::default()),
                (None, named),
            ] {
                let q = settle::store::lists::ListQuery {
                    limit: 1000,
                    sort,
                    filter,
                    ..Default::default()
                };
                let exact = settle::store::account::customers_in_bucket_exact(
                    pool, today, basis, bucket, &q,
                )
                .await
                .unwrap();
                let any = settle::store::bucket_customers::customers_in_bucket(
                    pool, today, basis, &edges, index, &q,
                )
                .await
                .unwrap();
                assert_eq!(any, exact, "{basis:?} {}", bucket.label);
            }
        }
    }
}

/// Each customer's kept open money (migration 0023) is what its open invoices add up to at
/// the summaries' rates, whatever the rates of the day.
async fn assert_open(pool: &PgPool) {
    let differ = settle::store::summary::open_money_differs(pool)
        .await
        .unwrap();
    assert_eq!(differ, vec![], "(customer, added up, kept)");
}

async fn assert_sales(pool: &PgPool, today: NaiveDate) {
    let rates = rate_arrays(pool, today).await.unwrap();
    let standing = settle::store::summary::standing(pool, today).await.unwrap();
    // Credit sales by day over the whole range, by either path.
    let from = today - Duration::days(400);
    let any = settle::store::kpi::sales_by_day(pool, from, today, today)
        .await
        .unwrap();
    let full = settle::store::kpi::sales_by_day_full(pool, from, today, rates.clone())
        .await
        .unwrap();
    assert_eq!(any, full);
    if standing.converts_at(&rates) {
        let summary = settle::store::summary::sales_by_day(pool, from, today)
            .await
            .unwrap();
        assert_eq!(summary, full);
    }

    // The receivables at past days' ends: remembered or not, the full computation's total.
}

async fn assert_closes(pool: &PgPool, today: NaiveDate) {
    let edges = BucketEdges::default();
    // Every day remembered (a backdated change must have forgotten it), and a few more.
    let remembered = settle::store::summary::remembered_days(pool).await.unwrap();
    let others = [3i64, 40, 90, 150, 199, 320].map(|ago| today - Duration::days(ago));
    for day in remembered.into_iter().chain(others) {
        let full = aging_summary_by(pool, day, Basis::Due, &edges, Path::Full)
            .await
            .unwrap();
        let at = settle::store::summary::receivables_at(pool, day)
            .await
            .unwrap();
        assert_eq!(
            at,
            full.lines.iter().map(|l| l.amount).sum::<i64>(),
            "{day}"
        );
    }
}

/// Many customers: the kept buckets after single payments, one statement settling invoices of
/// many customers, ERP amendments and new invoices rank every bucket's customers, page by page,
/// as the full computation does.
#[tokio::test]
async fn kept_buckets_rank_many_customers_as_the_full_computation_does() {
    let (_db, pool) = common::seeded_db(120, 7).await;
    let today = store_today(&pool).await;
    settle::store::summary::rebuild(&pool, Some(today))
        .await
        .unwrap();
    let targets = settle::store::bench::open_targets(&pool, 400)
        .await
        .unwrap();
    for (n, target) in targets.iter().step_by(7).enumerate() {
        settle::store::bench::post_cent(&pool, target, &format!("K{n}"))
            .await
            .unwrap();
    }
    sqlx::query(
        "UPDATE invoices SET open_minor = 0, settled_on = $1
          WHERE id IN (SELECT id FROM invoices WHERE open_minor > 0 ORDER BY id DESC LIMIT 40)",
    )
    .bind(today)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE invoices SET amount_minor = amount_minor * 2, open_minor = open_minor + amount_minor
          WHERE id IN (SELECT id FROM invoices WHERE open_minor > 0 ORDER BY id LIMIT 25)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let customer: i64 = sqlx::query_scalar("SELECT min(id) FROM customers")
        .fetch_one(&pool)
        .await
        .unwrap();
    for (n, ago) in [0i64, 15, 45, 200].into_iter().enumerate() {
        invoice(
            &pool,
            customer,
            9000 + n,
            (5_000_000, n % 2 == 0, today - Duration::days(ago), 30),
        )
        .await;
    }
    let edges = BucketEdges::default();
    let rates = rate_arrays(&pool, today).await.unwrap();
    let standing = settle::store::summary::standing(&pool, today)
        .await
        .unwrap();
    assert!(standing.ranks_customers(today, edges.edges(), &rates));
    for basis in [Basis::Due, Basis::Invoice] {
        for (index, bucket) in edges.buckets().iter().enumerate() {
            for offset in [0, 7] {
                let q = settle::store::lists::ListQuery {
                    limit: 7,
                    offset,
                    ..Default::default()
                };
                let exact = settle::store::account::customers_in_bucket_exact(
                    &pool, today, basis, bucket, &q,
                )
                .await
                .unwrap();
                let kept = settle::store::bucket_customers::customers_in_bucket(
                    &pool, today, basis, &edges, index, &q,
                )
                .await
                .unwrap();
                assert_eq!(kept, exact, "{basis:?} {} from {offset}", bucket.label);
            }
        }
    }
    // The slipping accounts, most money open first, from the kept open money and in full.
    sqlx::query("UPDATE customer_profiles SET slipping = (customer_id % 3 <> 0)")
        .execute(&pool)
        .await
        .unwrap();
    // Some slipping accounts with nothing open: they come last, by customer.
    sqlx::query(
        "UPDATE invoices SET open_minor = 0, settled_on = coalesce(settled_on, issue_date)
          WHERE customer_id IN (SELECT customer_id FROM customer_profiles WHERE slipping ORDER BY customer_id DESC LIMIT 5)",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_open(&pool).await;
    for offset in (0..=84).step_by(6) {
        let q = settle::store::lists::ListQuery {
            limit: 7,
            offset,
            ..Default::default()
        };
        let kept = settle::store::slipping::slipping_by(&pool, &q, Path::Any)
            .await
            .unwrap();
        let full = settle::store::slipping::slipping_by(&pool, &q, Path::Full)
            .await
            .unwrap();
        assert_eq!(kept.total, full.total);
        let open = |p: &settle::model::Page<settle::model::SlippingAccount>| {
            p.rows
                .iter()
                .map(|a| (a.customer_id, a.open))
                .collect::<Vec<_>>()
        };
        assert_eq!(open(&kept), open(&full), "from {offset}");
        assert!(offset + 7 > kept.total || kept.rows.len() == 7);
    }
}
