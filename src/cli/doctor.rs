//! `settle doctor`: the overview's maintained summaries, the message counts and the dispute
//! clocks the store keeps, against the full computation on a live store. Every figure read
//! from a summary is computed both ways; any difference is printed and the command exits 1.

use std::process::ExitCode;

use chrono::{Duration, NaiveDate};
use sqlx::PgPool;

use crate::domain::aging::{Basis, BucketEdges, days_past};
use crate::domain::months::first_of_month;
use crate::model::{CustomerAging, Page};
use crate::store::aging::{Path, aging_summary_by, rate_arrays};
use crate::store::{self, summary};

/// Compares each figure and says what it found.
pub async fn run(pool: &PgPool, today: NaiveDate) -> anyhow::Result<ExitCode> {
    let rates = rate_arrays(pool, today).await?;
    let standing = summary::standing(pool, today).await?;
    let pending = summary::pending(pool).await?;
    crate::outln!(
        "summaries: {} (rates {}), {} + {} deltas not folded yet",
        if standing.ages(&rates) {
            "answer for today"
        } else {
            "do not answer for today; the full path does"
        },
        if standing.converts_at(&rates) {
            "are today's".to_string()
        } else {
            format!("held {:?}, today's {:?}", standing.rates, rates)
        },
        pending.0,
        pending.1
    );
    let mut differ = 0;
    let mut report = |what: String, summary: i64, full: i64| {
        let same = summary == full;
        differ += usize::from(!same);
        crate::outln!(
            "{} {what}: summary {summary}, full {full}",
            if same { "ok  " } else { "DIFF" }
        );
    };
    let edges = BucketEdges::default();
    if standing.converts_at(&rates) {
        for basis in [Basis::Due, Basis::Invoice] {
            let full = aging_summary_by(pool, today, basis, &edges, Path::Full).await?;
            let rows = summary::open_by_day(pool, today, basis).await?;
            let name = basis.key();
            report(
                format!("open invoices today ({name} basis)"),
                rows.iter().map(|r| r.1).sum(),
                full.lines.iter().map(|l| l.invoices).sum(),
            );
            for (index, line) in full.lines.iter().enumerate() {
                let amount = rows
                    .iter()
                    .filter(|r| edges.index_for(days_past(today, r.0)) == index)
                    .map(|r| r.2)
                    .sum();
                report(
                    format!("{} ({name} basis)", line.bucket.label),
                    amount,
                    line.amount,
                );
            }
        }
        let from = first_of_month(today - Duration::days(760));
        let kept = summary::sales_by_day(pool, from, today).await?;
        let full = store::kpi::sales_by_day_full(pool, from, today, rates.clone()).await?;
        report(
            format!("credit sales {from} to {today}"),
            kept.values().sum(),
            full.values().sum(),
        );
        let days_differing = full.iter().filter(|(d, v)| kept.get(d) != Some(v)).count()
            + kept.keys().filter(|d| !full.contains_key(d)).count();
        report(
            "days whose credit sales differ".into(),
            days_differing as i64,
            0,
        );
    }
    if standing.ranks_customers(today, edges.edges(), &rates) {
        for (basis, label, kept, full) in customer_pages(pool, today, &edges).await? {
            let name = basis.key();
            report(
                format!("customers in {label} ({name} basis)"),
                kept.total,
                full.total,
            );
            let differing = kept
                .rows
                .iter()
                .zip(&full.rows)
                .filter(|(k, f)| k != f)
                .count()
                + kept.rows.len().abs_diff(full.rows.len());
            report(
                format!("customers in {label} ({name} basis) whose line differs"),
                differing as i64,
                0,
            );
        }
    } else {
        crate::outln!("customers' buckets: not kept for today; the full path answers");
    }
    for day in summary::remembered_days(pool).await? {
        let full = aging_summary_by(pool, day, Basis::Due, &edges, Path::Full).await?;
        report(
            format!("receivables at the end of {day}"),
            summary::receivables_at(pool, day).await?,
            full.lines.iter().map(|l| l.amount).sum(),
        );
    }
    for (what, kept, full) in kept_counts(pool).await? {
        report(what, kept, full);
    }
    differ += dispute_clocks(pool).await?;
    differ += trust_metrics(pool).await?;
    Ok(if differ == 0 {
        crate::outln!("every summary agrees with the full computation");
        ExitCode::SUCCESS
    } else {
        crate::outln!(
            "{differ} figures differ: run `SELECT rebuild_summaries()` as a lead or the worker \
             (dispute clocks: `SELECT settle_measure_all()`; message counts: \
             `SELECT rebuild_outreach_counts()`; both as the store's owner)"
        );
        ExitCode::from(1)
    })
}

/// The overview's 30-day trust metrics, from the kept clocks (as the overview reads them) and
/// measured in full (as reports do): 1 if they differ.
async fn trust_metrics(pool: &PgPool) -> anyhow::Result<usize> {
    let now = chrono::Utc::now();
    let (disputes, holds) = store::trust::facts(pool, now, 30).await?;
    let kept = crate::domain::trust::trust_metrics(now, 30, &disputes, &holds);
    let full = store::trust::metrics(pool, now, 30).await?;
    let same = kept == full;
    crate::outln!(
        "{} the overview's trust metrics from the kept clocks{}",
        if same { "ok  " } else { "DIFF" },
        if same {
            String::new()
        } else {
            format!(": kept {kept:?}, full {full:?}")
        }
    );
    Ok(usize::from(!same))
}

/// Each customer's open money and the messages by status, as kept and counted in full.
async fn kept_counts(pool: &PgPool) -> anyhow::Result<Vec<(String, i64, i64)>> {
    let open = summary::open_money_differs(pool).await?;
    for (customer, full, kept) in open.iter().take(10) {
        crate::outln!("DIFF customer {customer} open money: kept {kept}, added up {full}");
    }
    let mut out = vec![(
        "customers whose kept open money differs".to_string(),
        open.len() as i64,
        0,
    )];
    for (status, kept, full) in summary::outreach_counts(pool).await? {
        out.push((format!("messages {status}"), kept, full));
    }
    Ok(out)
}

/// The clocks the store keeps for every dispute against the full measure: how many differ
/// (each said).
async fn dispute_clocks(pool: &PgPool) -> anyhow::Result<usize> {
    let clocks = store::clock_check::check_clocks(pool, chrono::Utc::now()).await?;
    for d in &clocks.differ {
        crate::outln!(
            "DIFF dispute {} clocks: kept {:?}, full {:?}",
            d.number,
            d.kept,
            d.full
        );
    }
    crate::outln!(
        "{} disputes of {} whose kept clocks differ: {}",
        if clocks.differ.is_empty() {
            "ok  "
        } else {
            "DIFF"
        },
        clocks.measured,
        clocks.differ.len()
    );
    Ok(usize::from(!clocks.differ.is_empty()))
}

type CustomerPages = Vec<(Basis, String, Page<CustomerAging>, Page<CustomerAging>)>;

/// Every bucket's customers, both bases, from the kept buckets and added up, in full.
async fn customer_pages(
    pool: &PgPool,
    today: NaiveDate,
    edges: &BucketEdges,
) -> anyhow::Result<CustomerPages> {
    let q = store::lists::ListQuery {
        limit: i64::MAX,
        ..Default::default()
    };
    let mut out = Vec::new();
    for basis in [Basis::Due, Basis::Invoice] {
        for (index, bucket) in edges.buckets().into_iter().enumerate() {
            let kept =
                store::bucket_customers::customers_in_bucket(pool, today, basis, edges, index, &q)
                    .await?;
            let full =
                store::account::customers_in_bucket_exact(pool, today, basis, &bucket, &q).await?;
            out.push((basis, bucket.label, kept, full));
        }
    }
    Ok(out)
}
