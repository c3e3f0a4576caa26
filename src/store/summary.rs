//! The maintained summaries (migration 0016): today's aging and the credit sales by day read
//! from a few thousand rows instead of the whole book, and the receivables open at the end of
//! a past day remembered until a backdated change touches it.
//!
//! A summary answers only when it gives exactly what the full computation would: it holds
//! each document converted at the rates the reader converts at, and (for aging) what is open
//! now is what was open at the as-of date. Otherwise the reader takes the full path.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::StoreError;
use crate::domain::aging::Basis;

/// What the summaries hold, to decide whether they may answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The rates their converted amounts use, by currency (sorted).
    pub rates: (Vec<String>, Vec<i64>),
    /// Whether an allocation is dated after the day asked about (then what is open now is
    /// not what was open that day).
    pub later_allocations: bool,
    /// The day the customers' buckets are aged at, and their edges (migration 0017).
    pub customer_buckets: Option<(NaiveDate, Vec<i32>)>,
}

impl Standing {
    /// The summaries convert at exactly these rates (as `aging::rate_arrays` gives them).
    pub fn converts_at(&self, rates: &(Vec<String>, Vec<i64>)) -> bool {
        &self.rates == rates
    }

    /// Today's aging from the summaries equals the full computation as of that day.
    pub fn ages(&self, rates: &(Vec<String>, Vec<i64>)) -> bool {
        self.converts_at(rates) && !self.later_allocations
    }

    /// The customers' buckets equal the full computation for `as_of` with these edges.
    pub fn ranks_customers(
        &self,
        as_of: NaiveDate,
        edges: &[i32],
        rates: &(Vec<String>, Vec<i64>),
    ) -> bool {
        self.ages(rates)
            && self
                .customer_buckets
                .as_ref()
                .is_some_and(|(day, kept)| *day == as_of && kept == edges)
    }
}

/// The summaries' rates, and whether any allocation is dated after `day`: one round trip.
pub async fn standing(pool: &PgPool, day: NaiveDate) -> Result<Standing, StoreError> {
    // `max` reads one index entry whatever plan the statement gets (an `EXISTS … > $1`
    // became a scan of every allocation once PostgreSQL chose a generic plan for it).
    type Row = (
        Vec<String>,
        Vec<i64>,
        bool,
        Option<NaiveDate>,
        Option<Vec<i32>>,
    );
    let (currencies, rates, later, bucket_day, edges): Row = sqlx::query_as(
        "SELECT coalesce(array_agg(currency ORDER BY currency), '{}'),
                coalesce(array_agg(rate_e8 ORDER BY currency), '{}'),
                coalesce((SELECT max(applied_on) FROM allocations) > $1, false),
                (SELECT day FROM customer_buckets_state), (SELECT edges FROM customer_buckets_state)
           FROM summary_rates",
    )
    .bind(day)
    .fetch_one(pool)
    .await?;
    Ok(Standing {
        rates: (currencies, rates),
        later_allocations: later,
        customer_buckets: bucket_day.zip(edges),
    })
}

/// Open invoices issued by `as_of`, by their basis day: (day, invoices, converted amount),
/// the summary plus the deltas not folded yet.
pub async fn open_by_day(
    pool: &PgPool,
    as_of: NaiveDate,
    basis: Basis,
) -> Result<Vec<(NaiveDate, i64, i64)>, StoreError> {
    let day = match basis {
        Basis::Due => "due_date",
        Basis::Invoice => "issue_date",
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {day}, sum(n)::bigint, sum(converted_minor)::bigint FROM (
             SELECT due_date, issue_date, n, converted_minor FROM open_summary WHERE issue_date <= $1
             UNION ALL
             SELECT due_date, issue_date, n, converted_minor FROM open_deltas WHERE issue_date <= $1) s
          GROUP BY 1"
    )))
    .bind(as_of)
    .fetch_all(pool)
    .await?)
}

/// Credit sales by issue day from `from` to `to` (both included), converted: the summary
/// plus the deltas not folded yet. Days that net to nothing are left out.
pub async fn sales_by_day(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, i64>, StoreError> {
    let rows: Vec<(NaiveDate, i64)> = sqlx::query_as(
        "SELECT day, sum(converted_minor)::bigint FROM (
             SELECT day, converted_minor FROM sales_summary WHERE day BETWEEN $1 AND $2
             UNION ALL
             SELECT day, converted_minor FROM sales_deltas WHERE day BETWEEN $1 AND $2) s
          GROUP BY 1 HAVING sum(converted_minor) <> 0",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The receivables open at the end of `day` in the reporting currency, each invoice converted
/// at that day's rates: remembered for past days, computed otherwise (`receivables_at`).
pub async fn receivables_at(pool: &PgPool, day: NaiveDate) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT receivables_at($1)")
        .bind(day)
        .fetch_one(pool)
        .await?)
}

/// Remembers the receivables at the end of `day` (at least three days past) for every console
/// after: the worker does, for the overview's period. `None` if the day is too recent, or a
/// backdated change is in flight (then it is left for the next round).
pub async fn remember(pool: &PgPool, day: NaiveDate) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT remember_receivables($1)")
        .bind(day)
        .fetch_one(pool)
        .await?)
}

/// Remembers the latest of `days` whose receivables are not remembered yet (one full
/// computation at most, about a second on a book of 2 M invoices); which day, if any.
pub async fn remember_first_missing(
    pool: &PgPool,
    days: &[NaiveDate],
) -> Result<Option<NaiveDate>, StoreError> {
    let missing: Option<NaiveDate> = sqlx::query_scalar(
        "SELECT d FROM unnest($1::date[]) d
          WHERE NOT EXISTS (SELECT 1 FROM receivables_close c WHERE c.day = d
                              AND c.currency = (SELECT value FROM settings WHERE key = 'reporting_currency'))
          ORDER BY d DESC LIMIT 1",
    )
    .bind(days)
    .fetch_optional(pool)
    .await?;
    let Some(day) = missing else {
        return Ok(None);
    };
    Ok(remember(pool, day).await?.map(|_| day))
}

/// Delta rows not folded yet: (open amounts, credit sales).
pub async fn pending(pool: &PgPool) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT (SELECT count(*) FROM open_deltas), (SELECT count(*) FROM sales_deltas)",
    )
    .fetch_one(pool)
    .await?)
}

/// The past days whose receivables are remembered, oldest first.
pub async fn remembered_days(pool: &PgPool) -> Result<Vec<NaiveDate>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT day FROM receivables_close ORDER BY day")
            .fetch_all(pool)
            .await?,
    )
}

/// Messages by status as the store keeps them (migration 0022): the folded counts and the
/// deltas not folded yet, rows of `(status, n)` to add up.
pub(super) const KEPT_OUTREACH: &str =
    "(SELECT status, n FROM outreach_counts UNION ALL SELECT status, n FROM outreach_count_deltas)";

/// Messages by status as the store keeps them beside a count of the messages themselves:
/// `(status, kept, counted)`, every status either names.
pub async fn outreach_counts(pool: &PgPool) -> Result<Vec<(String, i64, i64)>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT status, coalesce(k.n, 0)::bigint, coalesce(m.n, 0)::bigint
           FROM (SELECT status, sum(n) AS n FROM {KEPT_OUTREACH} x GROUP BY 1) k
           FULL JOIN (SELECT status, count(*) AS n FROM outreach GROUP BY 1) m USING (status)
          ORDER BY 1"
    )))
    .fetch_all(pool)
    .await?)
}

/// Customers whose kept open money (migration 0023) is not what their open invoices add up to
/// at the summaries' rates: `(customer, added up, kept)`.
pub async fn open_money_differs(pool: &PgPool) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "WITH full_open AS (
             SELECT i.customer_id, count(*) AS n, coalesce(sum(settle_convert(i.open_minor, r.rate_e8)), 0) AS converted
               FROM invoices i LEFT JOIN summary_rates r ON r.currency = i.currency
              WHERE i.open_minor > 0 GROUP BY 1)
         SELECT coalesce(f.customer_id, o.customer_id), coalesce(f.converted, 0)::bigint, coalesce(o.converted_minor, 0)
           FROM full_open f FULL JOIN (SELECT * FROM customer_open WHERE n <> 0 OR converted_minor <> 0) o
             ON o.customer_id = f.customer_id
          WHERE f.n IS DISTINCT FROM o.n OR f.converted IS DISTINCT FROM o.converted_minor
          ORDER BY 1",
    )
    .fetch_all(pool)
    .await?)
}

/// Folds the pending deltas into the summaries (the worker does, every few seconds); the
/// number of summary rows it touched.
pub async fn fold(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT fold_summaries() + fold_outreach_counts()")
            .fetch_one(pool)
            .await?,
    )
}

/// Rebuilds the summaries at the rates in force on `today` (`None`: the business day).
pub async fn rebuild(pool: &PgPool, today: Option<NaiveDate>) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT rebuild_summaries($1)")
        .bind(today)
        .fetch_one(pool)
        .await?)
}
