//! Aging from the store: scales to the large book by reading only open items and the
//! allocations made after the as-of date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::StoreError;
use crate::domain::aging::{
    AgingSummary, Basis, BucketEdges, BucketSums, Rates, days_past, summarise,
};

/// What an aging query groups by, besides the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    #[default]
    Book,
    Customer,
    Segment,
    Region,
}

/// The `rate` CTE every per-document conversion joins (`r.rate_e8` by `r.currency`), from
/// the two arrays `rate_arrays` reads, bound at the given placeholders.
pub(super) fn rate_cte(currencies: &str, rates: &str) -> String {
    format!(
        "rate AS (SELECT * FROM unnest({currencies}::text[], {rates}::int8[]) AS r(currency, rate_e8))"
    )
}

/// The same `rate` CTE (without `WITH`) onto a query being built, its arrays bound.
pub(super) fn push_rate_cte(
    qb: &mut sqlx::QueryBuilder<sqlx::Postgres>,
    (currencies, rates): (Vec<String>, Vec<i64>),
) {
    qb.push("rate AS (SELECT * FROM unnest(")
        .push_bind(currencies)
        .push("::text[], ")
        .push_bind(rates)
        .push("::int8[]) AS r(currency, rate_e8))");
}

/// Rates into the reporting currency in force on `day`, the reporting currency itself at one,
/// as two arrays (currencies, rates) for `rate_cte`: read once, not in every query.
pub async fn rate_arrays(
    pool: &PgPool,
    day: NaiveDate,
) -> Result<(Vec<String>, Vec<i64>), StoreError> {
    Ok(InForce::read(pool, day).await?.arrays())
}

/// The reporting currency and the rates into it in force on a day: what one aging reads once
/// for its queries and its summary alike.
struct InForce {
    reporting: String,
    rates: Rates,
}

impl InForce {
    async fn read(pool: &PgPool, day: NaiveDate) -> Result<Self, StoreError> {
        let (reporting, rates) = tokio::try_join!(
            super::setting(pool, "reporting_currency"),
            rates_at(pool, day)
        )?;
        Ok(InForce { reporting, rates })
    }

    /// As `rate_arrays` gives them: the reporting currency at one among them.
    fn arrays(&self) -> (Vec<String>, Vec<i64>) {
        let mut rates = self.rates.clone();
        rates.insert(self.reporting.clone(), 100_000_000);
        rates.into_iter().unzip()
    }
}

fn converted(amount: &str) -> String {
    super::converted_sql(amount)
}

/// Open amounts at `$1` by (group key, basis date), each invoice converted on its own then
/// summed (`domain::aging::summarise`), from two lean queries:
/// - every invoice open now and issued by `$1` (the open-items index, index-only);
/// - for invoices that allocations applied after `$1` took something off, the difference
///   between their open amount then (now plus those allocations, converted once) and what the
///   first query counted for them.
///
/// Bucketing is left to `domain::aging`, so the rule lives in one place.
fn day_sums_sql(group: GroupBy, basis: Basis) -> [String; 2] {
    let (key, join) = match group.key() {
        None => ("''".to_string(), String::new()),
        Some(k) => (
            k.to_string(),
            format!("JOIN customers c ON c.id = i.customer_id {PROFILE_JOIN}"),
        ),
    };
    let day = match basis {
        Basis::Due => "i.due_date",
        Basis::Invoice => "i.issue_date",
    };
    let rate_cte = rate_cte("$2", "$3");
    let now = converted("i.open_minor");
    let then = converted("i.open_minor + l.back");
    [
        format!(
            "WITH {rate_cte}
             SELECT {key}, {day}, count(*), sum({now})::bigint
               FROM invoices i {join} LEFT JOIN rate r ON r.currency = i.currency
              WHERE i.open_minor > 0 AND i.issue_date <= $1 GROUP BY 1, 2"
        ),
        format!(
            "WITH {rate_cte},
             later AS (SELECT a.invoice_id, sum(a.amount_minor)::bigint AS back FROM allocations a
                        WHERE a.applied_on > $1 AND a.invoice_issue_date <= $1 GROUP BY 1)
             SELECT {key}, {day},
                    sum((i.open_minor + l.back > 0)::int - (i.open_minor > 0)::int)::bigint,
                    sum({then} - CASE WHEN i.open_minor > 0 THEN {now} ELSE 0 END)::bigint
               FROM later l
               JOIN LATERAL (SELECT x.* FROM invoices x WHERE x.id = l.invoice_id OFFSET 0) i ON true {join}
               LEFT JOIN rate r ON r.currency = i.currency
              GROUP BY 1, 2"
        ),
    ]
}

const PROFILE_JOIN: &str = "LEFT JOIN customer_profiles p ON p.customer_id = c.id";

impl GroupBy {
    /// The SQL expression naming a row's group (a fixed string, never user input).
    fn key(self) -> Option<&'static str> {
        match self {
            GroupBy::Book => None,
            GroupBy::Customer => Some("c.code || ' ' || c.name"),
            GroupBy::Segment => Some("coalesce(c.segment_override, p.segment, 'standard')"),
            GroupBy::Region => Some("c.region"),
        }
    }
}

type DayRow = (String, NaiveDate, i64, i64);

/// Sums by group key, bucketed per the domain rule.
/// `standing`: the summaries' standing when the caller may age from them (the whole book,
/// `Path::Any`), read beside the rates.
async fn bucket_sums(
    pool: &PgPool,
    (as_of, basis, edges): (NaiveDate, Basis, &BucketEdges),
    in_force: &InForce,
    (group, standing): (GroupBy, Option<&super::summary::Standing>),
) -> Result<BTreeMap<String, BucketSums>, StoreError> {
    let mut out: BTreeMap<String, BucketSums> = BTreeMap::new();
    let mut add = |rows: Vec<DayRow>| {
        for (k, day, n, amount) in rows {
            let idx = edges.index_for(days_past(as_of, day));
            let entry = out.entry(k).or_default().entry(idx).or_default();
            entry.0 += n;
            entry.1 += amount;
        }
    };
    let rates = in_force.arrays();
    if group == GroupBy::Book && standing.is_some_and(|s| s.ages(&rates)) {
        let rows = super::summary::open_by_day(pool, as_of, basis).await?;
        add(rows
            .into_iter()
            .map(|(d, n, a)| (String::new(), d, n, a))
            .collect());
    } else {
        for sql in day_sums_sql(group, basis) {
            add(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(as_of)
                .bind(&rates.0)
                .bind(&rates.1)
                .fetch_all(pool)
                .await?);
        }
    }
    // A bucket that only lost invoices to later payments can hold a zero line; drop it.
    for sums in out.values_mut() {
        sums.retain(|_, (n, amount)| *n != 0 || *amount != 0);
    }
    Ok(out)
}

/// Rates into the reporting currency in force at `as_of` (the latest on or before it).
pub async fn rates_at(pool: &PgPool, as_of: NaiveDate) -> Result<Rates, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        // One index probe per currency, not a walk over every rate ever recorded.
        "SELECT c.code::text, r.rate_e8 FROM currencies c
          CROSS JOIN LATERAL (SELECT f.rate_e8 FROM fx_rates f WHERE f.currency = c.code AND f.rate_date <= $1
                               ORDER BY f.rate_date DESC LIMIT 1) r",
    )
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Unapplied cash and credit notes at `as_of`, by currency (positive amounts).
pub async fn unapplied_at(
    pool: &PgPool,
    as_of: NaiveDate,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        r#"
        WITH credit AS (
            SELECT currency, unapplied_minor AS amount FROM payments WHERE unapplied_minor > 0 AND received_on <= $1
            UNION ALL
            SELECT currency, unapplied_minor FROM credit_notes WHERE unapplied_minor > 0 AND issue_date <= $1
            UNION ALL
            SELECT currency, amount_minor FROM allocations WHERE applied_on > $1 AND source_date <= $1
        )
        SELECT currency::text, sum(amount)::bigint FROM credit GROUP BY currency
        "#,
    )
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// How an aging may be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// From the maintained summaries when they give the same answer (today's aging).
    Any,
    /// From the invoices and allocations themselves, always (`--verify`, tests).
    Full,
}

/// The aging of the whole book as of a date, in the store's reporting currency.
pub async fn aging_summary(
    pool: &PgPool,
    as_of: NaiveDate,
    basis: Basis,
    edges: &BucketEdges,
) -> Result<AgingSummary, StoreError> {
    aging_summary_by(pool, as_of, basis, edges, Path::Any).await
}

/// The same, by the path asked for.
pub async fn aging_summary_by(
    pool: &PgPool,
    as_of: NaiveDate,
    basis: Basis,
    edges: &BucketEdges,
    path: Path,
) -> Result<AgingSummary, StoreError> {
    // What does not depend on another read, side by side: the rates, the summaries' standing
    // and the unapplied credit.
    let standing = async {
        match path {
            Path::Any => super::summary::standing(pool, as_of).await.map(Some),
            Path::Full => Ok(None),
        }
    };
    let (in_force, standing, unapplied) = tokio::try_join!(
        InForce::read(pool, as_of),
        standing,
        unapplied_at(pool, as_of)
    )?;
    let sums = bucket_sums(
        pool,
        (as_of, basis, edges),
        &in_force,
        (GroupBy::Book, standing.as_ref()),
    )
    .await?
    .into_values()
    .next()
    .unwrap_or_default();
    Ok(summarise(
        as_of,
        basis,
        edges,
        &in_force.reporting,
        &in_force.rates,
        &sums,
        &unapplied,
    ))
}

/// One group's aging line: its key (customer name, segment or region) and per-bucket sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAging {
    pub key: String,
    pub summary: AgingSummary,
}

/// Aging split by customer, segment or region (sorted by total, largest first).
pub async fn aging_by(
    pool: &PgPool,
    as_of: NaiveDate,
    basis: Basis,
    edges: &BucketEdges,
    group: GroupBy,
) -> Result<Vec<GroupAging>, StoreError> {
    let in_force = InForce::read(pool, as_of).await?;
    let groups = bucket_sums(pool, (as_of, basis, edges), &in_force, (group, None)).await?;
    let (currency, rates) = (&in_force.reporting, &in_force.rates);
    let mut out: Vec<GroupAging> = groups
        .into_iter()
        .map(|(key, sums)| GroupAging {
            key,
            summary: summarise(
                as_of,
                basis,
                edges,
                currency,
                rates,
                &sums,
                &BTreeMap::new(),
            ),
        })
        .collect();
    out.sort_by(|a, b| {
        b.summary
            .total()
            .cmp(&a.summary.total())
            .then(a.key.cmp(&b.key))
    });
    Ok(out)
}
