//! KPI inputs from the store: BR, ETR, ECR from the aging rules, credit sales by month.

use crate::domain::months::first_of_month;
use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use sqlx::PgPool;

use super::StoreError;
use super::aging::aging_summary;
use crate::domain::aging::{Basis, BucketEdges};
use crate::domain::kpi::{KpiInputs, Kpis, Period, kpis};

/// Credit sales (invoices less credit notes issued) by day from `from` to `to`, both
/// included, each document converted on its own at the rates of `rate_day` and then summed
/// (the aging's rule).
pub async fn sales_by_day(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
    rate_day: NaiveDate,
) -> Result<BTreeMap<NaiveDate, i64>, StoreError> {
    let (rates, standing) = tokio::try_join!(
        super::aging::rate_arrays(pool, rate_day),
        super::summary::standing(pool, rate_day)
    )?;
    if standing.converts_at(&rates) {
        return super::summary::sales_by_day(pool, from, to).await;
    }
    sales_by_day_full(pool, from, to, rates).await
}

/// The same from the invoices and credit notes themselves (days that net to nothing left out).
pub async fn sales_by_day_full(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
    (currencies, rates): (Vec<String>, Vec<i64>),
) -> Result<BTreeMap<NaiveDate, i64>, StoreError> {
    let rows: Vec<(NaiveDate, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH {}
         SELECT s.issue_date, sum({})::bigint FROM (
             SELECT issue_date, currency::text AS currency, amount_minor AS amount FROM invoices WHERE issue_date BETWEEN $1 AND $2
             UNION ALL
             SELECT issue_date, currency::text, -amount_minor FROM credit_notes WHERE issue_date BETWEEN $1 AND $2
         ) s LEFT JOIN rate r ON r.currency = s.currency GROUP BY 1 HAVING sum({1}) <> 0",
        super::aging::rate_cte("$3", "$4"),
        super::converted_sql("s.amount")
    )))
    .bind(from)
    .bind(to)
    .bind(&currencies)
    .bind(&rates)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The same by calendar month, keyed by each month's first day.
pub async fn sales_by_month(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
    rate_day: NaiveDate,
) -> Result<BTreeMap<NaiveDate, i64>, StoreError> {
    let mut out = BTreeMap::new();
    for (day, amount) in sales_by_day(pool, from, to, rate_day).await? {
        *out.entry(first_of_month(day)).or_insert(0) += amount;
    }
    Ok(out)
}

/// Every KPI for a period, with the inputs it was computed from.
pub async fn period_kpis(pool: &PgPool, period: Period) -> Result<Kpis, StoreError> {
    period_kpis_ending(pool, period, None).await
}

/// The same, reusing the due-date aging at the period's last day when the caller has it
/// (the overview shows it anyway: no need to age the book twice).
pub async fn period_kpis_ending(
    pool: &PgPool,
    period: Period,
    end: Option<&crate::domain::aging::AgingSummary>,
) -> Result<Kpis, StoreError> {
    let reads = kpi_reads(pool, period).await?;
    kpis_from(pool, period, reads, end).await
}

/// What a period's KPIs read besides its closing aging: the receivables it opened with and the
/// credit sales by day from the months a countback usually needs. Independent of the aging,
/// so the overview reads them beside it.
pub struct KpiReads {
    beginning: i64,
    short_from: NaiveDate,
    by_day: BTreeMap<NaiveDate, i64>,
}

/// Reads `KpiReads` for `period`, side by side.
pub async fn kpi_reads(pool: &PgPool, period: Period) -> Result<KpiReads, StoreError> {
    // Sales by day, once: the period's sales are its days, the countback's its months; first
    // the period and the few months a countback usually needs, the full two years only if the
    // receivables outlast them (`kpis_from`).
    let short_from =
        first_of_month(period.to - Duration::days(120)).min(first_of_month(period.from));
    let (beginning, by_day) = tokio::try_join!(
        super::summary::receivables_at(pool, period.opening_day()),
        sales_by_day(pool, short_from, period.to, period.to)
    )?;
    Ok(KpiReads {
        beginning,
        short_from,
        by_day,
    })
}

/// The period's KPIs from `reads` and its closing aging (`end` when it is the due-date aging
/// of the period's last day by the default buckets; read here otherwise).
pub async fn kpis_from(
    pool: &PgPool,
    period: Period,
    reads: KpiReads,
    end: Option<&crate::domain::aging::AgingSummary>,
) -> Result<Kpis, StoreError> {
    let edges = BucketEdges::default();
    let KpiReads {
        beginning,
        short_from,
        by_day,
    } = reads;
    let end = match end {
        Some(s)
            if s.as_of == period.to
                && s.basis == Basis::Due
                && s.lines.iter().map(|l| &l.bucket).eq(edges.buckets().iter()) =>
        {
            s.clone()
        }
        _ => aging_summary(pool, period.to, Basis::Due, &edges).await?,
    };
    let open =
        |s: &crate::domain::aging::AgingSummary| s.lines.iter().map(|l| l.amount).sum::<i64>();
    let in_period = by_day.range(period.from..).map(|(_, v)| v).sum();
    let mut by_month: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for (day, amount) in &by_day {
        *by_month.entry(first_of_month(*day)).or_insert(0) += amount;
    }
    let inputs = KpiInputs {
        beginning_receivables: beginning,
        credit_sales: in_period,
        ending_total_receivables: open(&end),
        ending_current_receivables: end.lines[0].amount,
        days: period.days(),
        months: period.months(),
    };
    let months = |by_month: &BTreeMap<NaiveDate, i64>| {
        let mut out = Vec::new();
        let mut month_end = period.to;
        for _ in 0..24 {
            let start = first_of_month(month_end);
            out.push((
                by_month.get(&start).copied().unwrap_or(0),
                (month_end - start).num_days() + 1,
            ));
            month_end = start - Duration::days(1);
        }
        out
    };
    let quick = kpis(inputs.clone(), &months(&by_month));
    if quick.countback_dso.is_some() || inputs.ending_total_receivables <= 0 {
        return Ok(quick);
    }
    let long_from = first_of_month(period.to - Duration::days(730));
    by_month
        .extend(sales_by_month(pool, long_from, short_from - Duration::days(1), period.to).await?);
    Ok(kpis(inputs, &months(&by_month)))
}
