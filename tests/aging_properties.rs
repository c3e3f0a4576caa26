//! Property: on random books, the store's aging equals the pure Rust aging, and the
//! buckets plus the unapplied line always sum to the total.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use common::fresh_db;
use proptest::prelude::*;
use settle::domain::aging::{Basis, BookCredit, BookInvoice, BucketEdges, age_book};

#[derive(Debug, Clone)]
struct Inv {
    issue: i64,
    terms: i64,
    amount: i64,
    eur: bool,
    /// (days after issue, share of what is open in percent)
    pays: Vec<(i64, i64)>,
}

fn invoice() -> impl Strategy<Value = Inv> {
    (
        0i64..200,
        0i64..60,
        1i64..500_000,
        any::<bool>(),
        prop::collection::vec((0i64..150, 1i64..=100), 0..3),
    )
        .prop_map(|(issue, terms, amount, eur, pays)| Inv {
            issue,
            terms,
            amount,
            eur,
            pays,
        })
}

fn edges() -> impl Strategy<Value = BucketEdges> {
    prop::collection::btree_set(1i32..200, 1..5)
        .prop_map(|s| BucketEdges::new(s.into_iter().collect()).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]
    #[test]
    fn store_and_rust_agree_on_random_books(
        invoices in prop::collection::vec(invoice(), 1..25),
        loose_cash in prop::collection::vec((0i64..200, 1i64..50_000), 0..3),
        as_of in 0i64..260,
        due_basis in any::<bool>(),
        edges in edges(),
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(check(invoices, loose_cash, as_of, due_basis, edges));
    }
}

async fn check(
    invoices: Vec<Inv>,
    loose_cash: Vec<(i64, i64)>,
    as_of: i64,
    due_basis: bool,
    edges: BucketEdges,
) {
    let day0: NaiveDate = "2026-01-01".parse().unwrap();
    let day = |n: i64| day0 + Duration::days(n);
    let db = fresh_db().await;
    let pool = db.pool().await;
    sqlx::query("INSERT INTO fx_rates VALUES ('EUR', '2025-12-01', 108000000), ('EUR', '2026-04-01', 111500000)")
        .execute(&pool)
        .await
        .unwrap();
    let customer = common::property_customer(&pool).await;
    let mut book = Vec::new();
    let mut credits = Vec::new();
    for (n, inv) in invoices.iter().enumerate() {
        let currency = if inv.eur { "EUR" } else { "USD" };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor)
             VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING id",
        )
        .bind(customer).bind(format!("I{n}")).bind(day(inv.issue)).bind(day(inv.issue + inv.terms)).bind(inv.amount).bind(currency)
        .fetch_one(&pool).await.unwrap();
        let mut open = inv.amount;
        let mut allocations = Vec::new();
        for (k, (after, share)) in inv.pays.iter().enumerate() {
            let part = (open * share / 100).max(1).min(open);
            if open == 0 {
                break;
            }
            let on = day(inv.issue + after);
            // Pay a little more than the part: the rest stays unapplied on the payment.
            let extra = if k == 0 { 7 } else { 0 };
            let pay: i64 = sqlx::query_scalar(
                "INSERT INTO payments (customer_id, reference, received_on, amount_minor, currency, unapplied_minor)
                 VALUES ($1, $2, $3, $4, $5, $4) RETURNING id",
            )
            .bind(customer).bind(format!("P{n}-{k}")).bind(on).bind(part + extra).bind(currency)
            .fetch_one(&pool).await.unwrap();
            sqlx::query("INSERT INTO allocations (invoice_id, payment_id, applied_on, amount_minor) VALUES ($1, $2, $3, $4)")
                .bind(id).bind(pay).bind(on).bind(part)
                .execute(&pool).await.unwrap();
            allocations.push((on, part));
            credits.push(BookCredit {
                date: on,
                amount: part + extra,
                currency: currency.into(),
                allocations: vec![(on, part)],
            });
            open -= part;
        }
        book.push(BookInvoice {
            issue_date: day(inv.issue),
            due_date: day(inv.issue + inv.terms),
            amount: inv.amount,
            currency: currency.into(),
            allocations,
        });
    }
    for (k, (on, amount)) in loose_cash.iter().enumerate() {
        sqlx::query(
            "INSERT INTO payments (customer_id, reference, received_on, amount_minor, currency, unapplied_minor)
             VALUES ($1, $2, $3, $4, 'USD', $4)",
        )
        .bind(customer).bind(format!("L{k}")).bind(day(*on)).bind(amount)
        .execute(&pool).await.unwrap();
        credits.push(BookCredit {
            date: day(*on),
            amount: *amount,
            currency: "USD".into(),
            allocations: vec![],
        });
    }
    let basis = if due_basis {
        Basis::Due
    } else {
        Basis::Invoice
    };
    let as_of = day(as_of);
    let rates: BTreeMap<String, i64> = if as_of >= day(90) {
        [("EUR".into(), 111_500_000)].into()
    } else {
        [("EUR".into(), 108_000_000)].into()
    };
    let sql = settle::store::aging::aging_summary(&pool, as_of, basis, &edges)
        .await
        .unwrap();
    let rust = age_book(&book, &credits, as_of, basis, &edges, "USD", &rates);
    assert_eq!(sql, rust);
    assert_eq!(
        sql.total(),
        sql.lines.iter().map(|l| l.amount).sum::<i64>() + sql.unapplied
    );
    assert_eq!(sql.lines.len(), edges.edges().len() + 2);
    pool.close().await;
}
