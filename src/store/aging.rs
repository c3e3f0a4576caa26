//! Aging in SQL: scales to the large store by reading only open items and the
//! allocations made after the as-of date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::StoreError;
use crate::domain::aging::{AgingSummary, Basis, BucketEdges, BucketSums, Rates, summarise};

/// What an aging query groups by, besides the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    #[default]
    Book,
    Customer,
    Segment,
    Region,
}

impl From<crate::cli::ByArg> for GroupBy {
    fn from(by: crate::cli::ByArg) -> Self {
        match by {
            crate::cli::ByArg::Customer => GroupBy::Customer,
            crate::cli::ByArg::Segment => GroupBy::Segment,
            crate::cli::ByArg::Region => GroupBy::Region,
        }
    }
}

/// Open items at `$1` (as-of date): current open amount plus what was allocated after it.
/// `$2` is true for the due-date basis, `$3` the bucket edges.
const OPEN_AT: &str = r#"
WITH later AS (
    SELECT a.invoice_id, sum(a.amount_minor) AS amount
      FROM allocations a
     WHERE a.applied_on > $1
     GROUP BY a.invoice_id
), items AS (
    SELECT i.id, i.customer_id, i.currency, CASE WHEN $2 THEN i.due_date ELSE i.issue_date END AS basis_date,
           i.open_minor + coalesce(l.amount, 0) AS open_at
      FROM invoices i LEFT JOIN later l ON l.invoice_id = i.id
     WHERE i.open_minor > 0 AND i.issue_date <= $1
    UNION ALL
    SELECT i.id, i.customer_id, i.currency, CASE WHEN $2 THEN i.due_date ELSE i.issue_date END,
           l.amount
      FROM invoices i JOIN later l ON l.invoice_id = i.id
     WHERE i.open_minor = 0 AND i.settled_on > $1 AND i.issue_date <= $1
)
"#;

fn bucket_expr() -> &'static str {
    "CASE WHEN $1 - basis_date <= 0 THEN 0 ELSE 1 + width_bucket($1 - basis_date - 1, $3::int[]) END"
}

/// Rates into the reporting currency in force at `as_of` (the latest on or before it).
pub async fn rates_at(pool: &PgPool, as_of: NaiveDate) -> Result<Rates, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT DISTINCT ON (currency) currency::text, rate_e8 FROM fx_rates \
          WHERE rate_date <= $1 ORDER BY currency, rate_date DESC",
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
            SELECT p.currency, a.amount_minor FROM allocations a JOIN payments p ON p.id = a.payment_id
             WHERE a.applied_on > $1 AND p.received_on <= $1
            UNION ALL
            SELECT c.currency, a.amount_minor FROM allocations a JOIN credit_notes c ON c.id = a.credit_note_id
             WHERE a.applied_on > $1 AND c.issue_date <= $1
        )
        SELECT currency::text, sum(amount)::bigint FROM credit GROUP BY currency
        "#,
    )
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The aging of the whole book as of a date, in the store's reporting currency.
pub async fn aging_summary(
    pool: &PgPool,
    as_of: NaiveDate,
    basis: Basis,
    edges: &BucketEdges,
) -> Result<AgingSummary, StoreError> {
    let sql = format!(
        "{OPEN_AT} SELECT ({b})::int AS bucket, currency::text, count(*), sum(open_at)::bigint \
           FROM items GROUP BY 1, 2",
        b = bucket_expr()
    );
    let rows: Vec<(i32, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(as_of)
        .bind(basis == Basis::Due)
        .bind(edges.edges())
        .fetch_all(pool)
        .await?;
    let sums = rows
        .into_iter()
        .map(|(b, c, n, m)| ((b as usize, c), (n, m)))
        .collect();
    let currency = super::setting(pool, "reporting_currency").await?;
    let rates = rates_at(pool, as_of).await?;
    let unapplied = unapplied_at(pool, as_of).await?;
    Ok(summarise(
        as_of, basis, edges, &currency, &rates, &sums, &unapplied,
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
    let key = match group {
        GroupBy::Book => "'all'::text",
        GroupBy::Customer => "c.code || ' ' || c.name",
        GroupBy::Segment => "coalesce(c.segment_override, p.segment, 'standard')",
        GroupBy::Region => "c.region",
    };
    let sql = format!(
        "{OPEN_AT} SELECT {key} AS key, ({b})::int, items.currency::text, count(*), sum(open_at)::bigint \
           FROM items JOIN customers c ON c.id = items.customer_id \
           LEFT JOIN customer_profiles p ON p.customer_id = c.id GROUP BY 1, 2, 3",
        b = bucket_expr()
    );
    let rows: Vec<(String, i32, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(as_of)
        .bind(basis == Basis::Due)
        .bind(edges.edges())
        .fetch_all(pool)
        .await?;
    let currency = super::setting(pool, "reporting_currency").await?;
    let rates = rates_at(pool, as_of).await?;
    let mut groups: BTreeMap<String, BucketSums> = BTreeMap::new();
    for (k, b, c, n, m) in rows {
        groups.entry(k).or_default().insert((b as usize, c), (n, m));
    }
    let mut out: Vec<GroupAging> = groups
        .into_iter()
        .map(|(key, sums)| GroupAging {
            key,
            summary: summarise(
                as_of,
                basis,
                edges,
                &currency,
                &rates,
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
