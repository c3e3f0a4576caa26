//! The store's customer profiles (payment rhythm, segment and its reason) agree with the
//! pure rules in `domain::rhythm` and `domain::segment` on a seeded book.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common::{fixed_now, seeded_db};
use settle::domain::money::convert;
use settle::domain::rhythm::{PaidInvoice, rhythm};
use settle::domain::segment::{Segment, SegmentFacts, SegmentRules, segment};

type InvoiceRow = (
    i64,
    NaiveDate,
    NaiveDate,
    Option<NaiveDate>,
    i64,
    i64,
    String,
    i64,
);

#[tokio::test]
async fn sql_profiles_match_the_domain_rules() {
    let (_db, pool) = seeded_db(300, 21).await;
    let today = fixed_now().date_naive();
    let rates: BTreeMap<String, i64> = settle::store::aging::rates_at(&pool, today).await.unwrap();
    let rate = |c: &str| if c == "USD" { 100_000_000 } else { rates[c] };
    let invoices: Vec<InvoiceRow> = sqlx::query_as(
        "SELECT customer_id, issue_date, due_date, settled_on, amount_minor, open_minor, currency::text, id FROM invoices",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let customers: Vec<(i64, bool, i64)> =
        sqlx::query_as("SELECT id, strategic, credit_limit_minor FROM customers ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let broken: BTreeMap<i64, i64> = sqlx::query_as(
        "SELECT customer_id, count(*) FROM promises WHERE status = 'broken' GROUP BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    type ProfileRow = (i64, String, String, Option<i32>, Option<i32>, Option<i32>);
    let profiles: Vec<ProfileRow> = sqlx::query_as(
        "SELECT customer_id, segment, segment_reason, typical_days, spread_days, recent_days FROM customer_profiles ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();

    // Revenue ranks over the last 365 days, converted, with ties sharing a rank.
    let mut revenue: BTreeMap<i64, i64> = BTreeMap::new();
    for (c, issue, _, _, amount, _, cur, _) in &invoices {
        if *issue > today - chrono::Duration::days(365) && *issue <= today {
            *revenue.entry(*c).or_default() += convert(*amount, rate(cur));
        }
    }
    let rank_of = |c: i64| {
        revenue
            .get(&c)
            .map(|mine| 1 + revenue.values().filter(|v| *v > mine).count() as i64)
    };
    let rules = SegmentRules {
        high_risk_90_minor: 1_000_000,
        vip_top_percent: 1,
        currency: "USD",
        exponent: 2,
    };

    let mut segments_seen = BTreeMap::new();
    for ((id, strategic, limit), (pid, seg, reason, typical, spread, recent)) in
        customers.iter().zip(&profiles)
    {
        assert_eq!(id, pid);
        let mine: Vec<&InvoiceRow> = invoices.iter().filter(|i| i.0 == *id).collect();
        // Newest payment first; the newer invoice first on the same day.
        let mut paid: Vec<(i64, PaidInvoice)> = mine
            .iter()
            .filter(|i| i.5 == 0 && i.4 > 0)
            .filter_map(|i| {
                i.3.map(|s| {
                    (
                        i.7,
                        PaidInvoice {
                            issue_date: i.1,
                            due_date: i.2,
                            settled_on: s,
                        },
                    )
                })
            })
            .collect();
        paid.sort_by_key(|(id, p)| std::cmp::Reverse((p.settled_on, *id)));
        let paid: Vec<PaidInvoice> = paid.into_iter().map(|(_, p)| p).collect();
        let r = rhythm(&paid, today);
        assert_eq!(
            r.map(|r| r.typical_days as i32),
            *typical,
            "customer {id} typical days"
        );
        assert_eq!(
            r.map(|r| r.spread_days as i32),
            *spread,
            "customer {id} spread"
        );
        assert_eq!(
            r.and_then(|r| r.recent_days.map(|d| d as i32)),
            *recent,
            "customer {id} recent days"
        );

        let last12 = &paid[..paid.len().min(12)];
        let facts = SegmentFacts {
            override_to: None,
            strategic: *strategic,
            revenue_rank: rank_of(*id),
            customers: customers.len() as i64,
            over_90: mine
                .iter()
                .filter(|i| i.5 > 0 && (today - i.2).num_days() > 90)
                .map(|i| convert(i.5, rate(&i.6)))
                .sum(),
            broken_promises: broken.get(id).copied().unwrap_or(0),
            open_total: mine.iter().map(|i| i.5).sum(),
            credit_limit: *limit,
            paid: last12.len() as i64,
            late: last12.iter().filter(|p| p.settled_on > p.due_date).count() as i64,
            days_late: last12
                .iter()
                .map(|p| (p.settled_on - p.due_date).num_days().max(0))
                .sum(),
        };
        let (want, why) = segment(&facts, rules);
        assert_eq!(
            (Segment::from_code(seg), reason.as_str()),
            (Some(want), why.as_str()),
            "customer {id}"
        );
        *segments_seen.entry(seg.clone()).or_insert(0) += 1;
    }
    assert_eq!(
        segments_seen.len(),
        4,
        "all four segments occur: {segments_seen:?}"
    );
}
