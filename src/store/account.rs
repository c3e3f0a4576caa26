//! Drilling into the book: customers in an aging bucket, their open invoices, one account.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::{PgPool, QueryBuilder};

use super::StoreError;
use super::lists::{Field, FieldKind, ListQuery, push_filter};
use crate::domain::aging::{Basis, Bucket};
use crate::model::{Account, Contact, CustomerAging, OpenInvoice, Page};

pub const CUSTOMER_FIELDS: &[Field] = &[
    Field {
        name: "customer",
        sql: "c.name",
        kind: FieldKind::Text,
    },
    Field {
        name: "segment",
        sql: "coalesce(c.segment_override, p.segment, 'standard')",
        kind: FieldKind::Text,
    },
    Field {
        name: "region",
        sql: "c.region",
        kind: FieldKind::Text,
    },
];

/// After a `params (as_of, lo, hi)` CTE: invoices open at `as_of` with their open amount
/// then (`open_at`, and converted: `reporting`), basis date between `lo` and `hi`.
fn open_at_cte(basis: Basis) -> String {
    let day = match basis {
        Basis::Due => "i.due_date",
        Basis::Invoice => "i.issue_date",
    };
    format!(
        "later AS (SELECT invoice_id, sum(amount_minor) AS amount FROM allocations
                    WHERE applied_on > (SELECT as_of FROM params) GROUP BY 1),
         rate AS (SELECT DISTINCT ON (currency) currency, rate_e8 FROM fx_rates
                   WHERE rate_date <= (SELECT as_of FROM params) ORDER BY currency, rate_date DESC),
         items AS (
           SELECT i.id, i.customer_id, i.open_minor + coalesce(l.amount, 0) AS open_at,
                  round((i.open_minor + coalesce(l.amount, 0))::numeric
                        * CASE WHEN i.currency = (SELECT value FROM settings WHERE key = 'reporting_currency')
                               THEN 100000000 ELSE coalesce(r.rate_e8, 0) END / 100000000)::bigint AS reporting
             FROM params, invoices i LEFT JOIN later l ON l.invoice_id = i.id LEFT JOIN rate r ON r.currency = i.currency
            WHERE i.issue_date <= params.as_of AND {day} BETWEEN params.lo AND params.hi
              AND (i.open_minor > 0 OR i.settled_on > params.as_of))"
    )
}

/// Bounds PostgreSQL's `date` can hold (chrono's MIN and MAX are beyond them).
const FAR_PAST: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
const FAR_FUTURE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();

/// The basis-date range a bucket covers as of `as_of`.
fn day_range(as_of: NaiveDate, bucket: &Bucket) -> (NaiveDate, NaiveDate) {
    let earliest = bucket
        .max_days
        .map_or(FAR_PAST, |d| as_of - Duration::days(d as i64));
    let latest = bucket
        .min_days
        .map_or(FAR_FUTURE, |d| as_of - Duration::days(d as i64));
    (earliest, latest)
}

#[derive(sqlx::FromRow)]
pub(super) struct CustomerRow {
    id: i64,
    code: String,
    name: String,
    segment: String,
    invoices: i64,
    amount: i64,
    total: i64,
}

/// Customers with invoices in `bucket` as of `as_of`, largest first, added up from every
/// open invoice of the bucket (`bucket_customers` reads the kept buckets when it may).
pub async fn customers_in_bucket_exact(
    pool: &PgPool,
    as_of: NaiveDate,
    basis: Basis,
    bucket: &Bucket,
    q: &ListQuery,
) -> Result<Page<CustomerAging>, StoreError> {
    let rates = super::aging::rate_arrays(pool, as_of).await?;
    added_up(pool, (as_of, basis, bucket), rates, q).await
}

/// `customers_in_bucket_exact` at `rates` (the rates in force at `as_of`, read by the caller).
pub(super) async fn added_up(
    pool: &PgPool,
    (as_of, basis, bucket): (NaiveDate, Basis, &Bucket),
    rates: (Vec<String>, Vec<i64>),
    q: &ListQuery,
) -> Result<Page<CustomerAging>, StoreError> {
    let (from, to) = day_range(as_of, bucket);
    let mut qb = QueryBuilder::new("WITH params AS (SELECT ");
    qb.push_bind(as_of)
        .push("::date AS as_of, ")
        .push_bind(from)
        .push("::date AS lo, ")
        .push_bind(to)
        .push("::date AS hi), ");
    // Per customer, each invoice converted on its own then summed (the book's aging rule, so
    // the customers of a bucket add up to the bucket): what is open now, corrected for the
    // invoices that allocations after the as-of date took something off.
    let day = match basis {
        Basis::Due => "i.due_date",
        Basis::Invoice => "i.issue_date",
    };
    let (now, then) = (
        super::converted_sql("i.open_minor"),
        super::converted_sql("i.open_minor + l.back"),
    );
    super::aging::push_rate_cte(&mut qb, rates);
    qb.push(", ");
    qb.push(format!(
        "later AS (
           SELECT a.invoice_id, sum(a.amount_minor)::bigint AS back FROM params, allocations a
            WHERE a.applied_on > params.as_of AND a.invoice_issue_date <= params.as_of GROUP BY 1
         ), per AS (
           SELECT i.customer_id, count(*) AS n, sum({now}) AS amount
             FROM params, invoices i LEFT JOIN rate r ON r.currency = i.currency
            WHERE i.open_minor > 0 AND i.issue_date <= params.as_of AND {day} BETWEEN params.lo AND params.hi GROUP BY 1
           UNION ALL
           SELECT i.customer_id, sum((i.open_minor + l.back > 0)::int - (i.open_minor > 0)::int),
                  sum({then} - CASE WHEN i.open_minor > 0 THEN {now} ELSE 0 END)
             FROM params, later l JOIN invoices i ON i.id = l.invoice_id LEFT JOIN rate r ON r.currency = i.currency
            WHERE {day} BETWEEN params.lo AND params.hi GROUP BY 1
         ), items AS (
           SELECT customer_id, sum(n) AS n, sum(amount) AS reporting FROM per GROUP BY 1 HAVING sum(n) > 0
         )
         SELECT c.id, c.code, c.name, coalesce(c.segment_override, p.segment, 'standard') AS segment,
                sum(items.n)::bigint AS invoices, sum(items.reporting)::bigint AS amount, count(*) OVER () AS total
           FROM items JOIN customers c ON c.id = items.customer_id LEFT JOIN customer_profiles p ON p.customer_id = c.id
          WHERE true"
    ));
    push_customer_filter(&mut qb, q)?;
    qb.push(" GROUP BY c.id, c.code, c.name, 4 HAVING sum(items.n) <> 0");
    fetch_customer_page(pool, qb, q).await
}

/// The customers list's filter, on `c` (customers) and `p` (their profiles).
pub(super) fn push_customer_filter(
    qb: &mut QueryBuilder<sqlx::Postgres>,
    q: &ListQuery,
) -> Result<(), StoreError> {
    push_filter(
        qb,
        &q.filter,
        CUSTOMER_FIELDS,
        "c.name || ' ' || c.code",
        &q.me,
    )
}

/// The customers list's order (largest amount first unless sorted) and page, fetched.
pub(super) async fn fetch_customer_page(
    pool: &PgPool,
    mut qb: QueryBuilder<sqlx::Postgres>,
    q: &ListQuery,
) -> Result<Page<CustomerAging>, StoreError> {
    qb.push(crate::lists::order_by::<crate::lists::CustomerColumn>(
        q.sort,
        "6 DESC, 1",
        "1",
    ));
    qb.push(super::lists::page_window(q));
    let rows: Vec<CustomerRow> = qb.build_query_as().fetch_all(pool).await?;
    Ok(customer_page(rows, q.offset))
}

/// A page of customers as the list shows them (`total` rides on every row).
pub(super) fn customer_page(rows: Vec<CustomerRow>, offset: i64) -> Page<CustomerAging> {
    let total = rows.first().map_or(0, |r| r.total);
    let rows = rows
        .into_iter()
        .map(|r| CustomerAging {
            customer_id: r.id,
            code: r.code,
            name: r.name,
            segment: r.segment,
            invoices: r.invoices,
            amount: r.amount,
        })
        .collect();
    Page {
        rows,
        total,
        offset,
    }
}

/// An open invoice as the store reads it (the worklist's reminders read the same columns).
#[derive(sqlx::FromRow)]
pub(super) struct InvoiceRow {
    id: i64,
    customer_id: i64,
    number: String,
    customer: String,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    amount: i64,
    open: i64,
    currency: String,
    disputed: bool,
    typical_days: Option<i32>,
}

/// A customer's invoices open at `as_of` (within `bucket` if given), oldest due first.
pub async fn open_invoices(
    pool: &PgPool,
    customer: i64,
    as_of: NaiveDate,
    basis: Basis,
    bucket: Option<&Bucket>,
) -> Result<Vec<OpenInvoice>, StoreError> {
    let (from, to) = bucket.map_or((FAR_PAST, FAR_FUTURE), |b| day_range(as_of, b));
    let sql = format!(
        "WITH params AS (SELECT $1::date AS as_of, $2::date AS lo, $3::date AS hi), {}
           SELECT i.id, i.customer_id, i.number, c.name AS customer, i.issue_date, i.due_date, i.amount_minor::bigint AS amount,
                  items.open_at::bigint AS open, i.currency::text AS currency,
                  EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.state <> 'resolved') AS disputed, p.typical_days
             FROM items JOIN invoices i ON i.id = items.id JOIN customers c ON c.id = i.customer_id
             LEFT JOIN customer_profiles p ON p.customer_id = c.id
            WHERE items.customer_id = $4 AND items.open_at <> 0 ORDER BY i.due_date, i.id LIMIT 500",
        open_at_cte(basis)
    );
    let rows: Vec<InvoiceRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(as_of)
        .bind(from)
        .bind(to)
        .bind(customer)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(OpenInvoice::from).collect())
}

impl From<InvoiceRow> for OpenInvoice {
    fn from(r: InvoiceRow) -> Self {
        OpenInvoice {
            id: r.id,
            customer_id: r.customer_id,
            number: r.number,
            customer: r.customer,
            issue_date: r.issue_date,
            due_date: r.due_date,
            amount: r.amount,
            open: r.open,
            currency: r.currency,
            disputed: r.disputed,
            expected: r
                .typical_days
                .map(|d| r.issue_date + Duration::days(d as i64)),
        }
    }
}

/// Customers whose code or name matches, ignoring case and accents (`sondergaard` finds
/// "Søndergaard"): an exact code alone if there is one, else up to 20 by name, exact names
/// first. (id, code, name).
pub async fn find_customers(
    pool: &PgPool,
    query: &str,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    let like = format!(
        "%{}%",
        query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Ok(sqlx::query_as(
        "WITH exact AS (SELECT id, code, name FROM customers WHERE upper(code) = upper($1))
         SELECT id, code, name FROM exact
         UNION ALL
         (SELECT id, code, name FROM customers
           WHERE NOT EXISTS (SELECT 1 FROM exact) AND settle_fold(name) LIKE settle_fold($2)
           ORDER BY (settle_fold(name) = settle_fold($1)) DESC, length(name), id LIMIT 20)",
    )
    .bind(query)
    .bind(like)
    .fetch_all(pool)
    .await?)
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    code: String,
    name: String,
    region: String,
    terms_days: i32,
    credit_limit: i64,
    currency: String,
    segment: Option<String>,
    segment_reason: Option<String>,
    typical_days: Option<i32>,
    spread_days: Option<i32>,
    recent_days: Option<i32>,
    slipping: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct BriefRow {
    key_contacts: String,
    communication_prefs: String,
    nonstandard_terms: String,
    delivery_commitments: String,
}

/// Everything the customer view shows.
pub async fn account(pool: &PgPool, id: i64, today: NaiveDate) -> Result<Account, StoreError> {
    let r: AccountRow = sqlx::query_as(
        "SELECT c.id, c.code, c.name, c.region, c.terms_days, c.credit_limit_minor::bigint AS credit_limit,
                c.currency::text AS currency, coalesce(c.segment_override, p.segment) AS segment, p.segment_reason,
                p.typical_days, p.spread_days, p.recent_days, p.slipping
           FROM customers c LEFT JOIN customer_profiles p ON p.customer_id = c.id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await?;
    let owners = sqlx::query_as("SELECT o.relation, a.display_name FROM customer_owners o JOIN agents a ON a.id = o.agent_id WHERE o.customer_id = $1 ORDER BY 1")
        .bind(id)
        .fetch_all(pool)
        .await?;
    let brief: Option<BriefRow> = sqlx::query_as(
        "SELECT key_contacts, communication_prefs, nonstandard_terms, delivery_commitments FROM handoff_briefs WHERE customer_id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let brief = brief.map_or_else(Vec::new, |b| {
        vec![
            ("Key contacts".to_string(), b.key_contacts),
            ("Communication".to_string(), b.communication_prefs),
            ("Non-standard terms".to_string(), b.nonstandard_terms),
            ("Delivery commitments".to_string(), b.delivery_commitments),
        ]
    });
    let disputes = sqlx::query_as("SELECT number, state, amount_minor::bigint FROM disputes WHERE customer_id = $1 ORDER BY opened_at DESC LIMIT 20")
        .bind(id)
        .fetch_all(pool)
        .await?;
    let holds = sqlx::query_as(
        "SELECT o.number, h.status FROM holds h JOIN orders o ON o.id = h.order_id WHERE o.customer_id = $1 ORDER BY h.placed_at DESC LIMIT 20",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let promises = super::promises::of_customer(pool, id).await?;
    let contacts = contacts(pool, id).await?;
    let outreach: Vec<(DateTime<Utc>, String, String)> =
        sqlx::query_as("SELECT send_after, status, subject FROM outreach WHERE customer_id = $1 ORDER BY send_after DESC LIMIT 20")
            .bind(id)
            .fetch_all(pool)
            .await?;
    let q = ListQuery {
        limit: 20,
        ..Default::default()
    };
    let audit = super::ledger::activity(pool, &q, Some(id)).await?.rows;
    Ok(Account {
        id: r.id,
        code: r.code,
        name: r.name,
        region: r.region,
        terms_days: r.terms_days,
        credit_limit: r.credit_limit,
        currency: r.currency,
        segment: r.segment.unwrap_or_else(|| "standard".into()),
        segment_reason: r.segment_reason.unwrap_or_default(),
        typical_days: r.typical_days,
        spread_days: r.spread_days,
        recent_days: r.recent_days,
        slipping: r.slipping.unwrap_or(false),
        owners,
        brief,
        invoices: open_invoices(pool, id, today, Basis::Due, None).await?,
        disputes,
        holds,
        promises,
        contacts,
        outreach,
        audit,
    })
}

/// A customer's contacts, primary first; none for a role that may not read their addresses.
async fn contacts(pool: &PgPool, customer: i64) -> Result<Vec<Contact>, StoreError> {
    if !super::may_read_contacts(pool).await? {
        return Ok(Vec::new());
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        name: String,
        email: Option<String>,
        phone: Option<String>,
        channel: String,
        is_primary: bool,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT name, email, phone, channel, is_primary FROM contacts WHERE customer_id = $1
          ORDER BY is_primary DESC, name",
    )
    .bind(customer)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Contact {
            name: r.name,
            email: r.email,
            phone: r.phone,
            channel: r.channel,
            primary: r.is_primary,
        })
        .collect())
}
