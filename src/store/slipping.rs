//! `:slipping`: the accounts paying later than their usual rhythm, with the reason and the
//! money open — the list the overview's slipping alert counts.

use sqlx::{PgPool, QueryBuilder};

use super::StoreError;
use super::aging::Path;
use super::lists::{Field, FieldKind, ListQuery, ListView, page_and_count};
use crate::domain::rhythm::slipping_reason;
use crate::lists::SlippingColumn;
use crate::model::{Page, SlippingAccount};

pub const SLIPPING_FIELDS: &[Field] = &[
    Field {
        name: "customer",
        sql: "c.name",
        kind: FieldKind::Text,
    },
    Field {
        name: "segment",
        sql: "coalesce(c.segment_override, p.segment)",
        kind: FieldKind::Text,
    },
    Field {
        name: "owner",
        sql: "coalesce(a.role_name, '')",
        kind: FieldKind::Agent,
    },
];

const SLIPPING_VIEW: ListView<SlippingColumn> = ListView {
    fields: SLIPPING_FIELDS,
    text_sql: "c.name || ' ' || c.code",
    default_order: "open_reporting DESC, c.id",
    tiebreak: "c.id",
    columns: std::marker::PhantomData,
};

const FROM: &str = "FROM customer_profiles p JOIN customers c ON c.id = p.customer_id
      LEFT JOIN customer_owners co ON co.customer_id = c.id AND co.relation = 'collector'
      LEFT JOIN agents a ON a.id = co.agent_id
     WHERE p.slipping";

/// A slipping account's line but its open money (`open_reporting`, which the caller adds).
/// `settle_today()` and `setting_int` run once a statement, as sub-selects (functions with
/// their own search path are not inlined: called on each line they cost 10–15 µs a line).
const LINE: &str =
    "c.id AS customer_id, c.code, c.name, coalesce(c.segment_override, p.segment) AS segment,
        p.recent_days, p.typical_days, a.display_name AS collector,
        (SELECT ((SELECT settle_today()) - min(i.issue_date) - p.typical_days)::int FROM invoices i
          WHERE i.customer_id = c.id AND i.open_minor > 0) AS days_past_expected,
        (SELECT setting_int('drift_days'))::int AS drift_days";

/// The open money of customer `id` (an SQL expression) at the `rate` CTE's rates.
fn open_money(id: &str) -> String {
    format!(
        "coalesce((SELECT sum({})::bigint FROM invoices i LEFT JOIN rate r ON r.currency = i.currency
                    WHERE i.customer_id = {id} AND i.open_minor > 0), 0)",
        super::converted_sql("i.open_minor")
    )
}

/// Unfiltered in the default order: the page's accounts are picked by their open money alone,
/// then only they are joined to their names and collectors (every slipping profile has its
/// customer; a customer has one collector at most), the count beside. `kept`: each customer's
/// open money as the store keeps it (migration 0023), instead of adding up every open invoice
/// of every slipping customer.
async fn largest_first(
    pool: &PgPool,
    mut qb: QueryBuilder<sqlx::Postgres>,
    q: &ListQuery,
    kept: bool,
) -> Result<(Vec<Row>, i64), StoreError> {
    if kept {
        let (ids, open): (Vec<i64>, Vec<i64>) = kept_order(pool, q).await?.into_iter().unzip();
        qb.push(", top AS (SELECT * FROM unnest(")
            .push_bind(ids)
            .push("::bigint[], ")
            .push_bind(open)
            .push("::bigint[]) AS t(customer_id, open_reporting)");
    } else {
        qb.push(format!(
            ", top AS (SELECT p.customer_id, {} AS open_reporting FROM customer_profiles p
                        WHERE p.slipping ORDER BY 2 DESC, 1{}",
            open_money("p.customer_id"),
            super::lists::page_window(q)
        ));
    }
    qb.push(format!(
        ") SELECT {LINE}, top.open_reporting
                 FROM top JOIN customer_profiles p ON p.customer_id = top.customer_id
                 JOIN customers c ON c.id = p.customer_id
                 LEFT JOIN customer_owners co ON co.customer_id = c.id AND co.relation = 'collector'
                 LEFT JOIN agents a ON a.id = co.agent_id
                ORDER BY top.open_reporting DESC, c.id"
    ));
    let rows = async {
        qb.build_query_as::<Row>()
            .fetch_all(pool)
            .await
            .map_err(StoreError::from)
    };
    let count = async {
        sqlx::query_scalar("SELECT count(*) FROM customer_profiles WHERE slipping")
            .fetch_one(pool)
            .await
            .map_err(StoreError::from)
    };
    tokio::try_join!(rows, count)
}

/// The page's slipping accounts and their open money, from what the store keeps: those with
/// money open by an index walk, largest first; past them, the rest by customer (each query
/// reads about a page, whatever the book).
async fn kept_order(pool: &PgPool, q: &ListQuery) -> Result<Vec<(i64, i64)>, StoreError> {
    let (offset, limit) = (q.offset.max(0), q.limit.max(0));
    let mut open: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT o.customer_id, o.converted_minor FROM customer_open o
          WHERE o.converted_minor > 0
            AND EXISTS (SELECT 1 FROM customer_profiles p WHERE p.customer_id = o.customer_id AND p.slipping)
          ORDER BY o.converted_minor DESC, o.customer_id LIMIT {}",
        offset + limit
    )))
    .fetch_all(pool)
    .await?;
    let reached = open.len() as i64;
    let mut page = open.split_off(usize::try_from(offset).unwrap_or(0).min(open.len()));
    if reached < offset + limit {
        let rest: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT p.customer_id FROM customer_profiles p
              WHERE p.slipping AND NOT EXISTS (SELECT 1 FROM customer_open o
                                                WHERE o.customer_id = p.customer_id AND o.converted_minor > 0)
              ORDER BY 1 LIMIT {} OFFSET {}",
            limit - page.len() as i64,
            (offset - reached).max(0)
        )))
        .fetch_all(pool)
        .await?;
        page.extend(rest.into_iter().map(|c| (c, 0)));
    }
    Ok(page)
}

#[derive(sqlx::FromRow)]
struct Row {
    customer_id: i64,
    code: String,
    name: String,
    segment: String,
    recent_days: Option<i32>,
    typical_days: Option<i32>,
    open_reporting: i64,
    collector: Option<String>,
    days_past_expected: Option<i32>,
    drift_days: i32,
}

/// The slipping accounts `q` asks for, most money open first unless sorted otherwise.
pub async fn slipping(pool: &PgPool, q: &ListQuery) -> Result<Page<SlippingAccount>, StoreError> {
    slipping_by(pool, q, Path::Any).await
}

/// As `slipping`; `Path::Full` adds up the open invoices even where the kept open money would
/// answer (the tests compare the two).
pub async fn slipping_by(
    pool: &PgPool,
    q: &ListQuery,
    path: Path,
) -> Result<Page<SlippingAccount>, StoreError> {
    // Open money in the reporting currency at today's rates, each invoice converted on its own
    // (the aging's rule); the oldest open invoice's days past the date its rhythm expected it
    // paid.
    let today: chrono::NaiveDate = sqlx::query_scalar("SELECT settle_today()")
        .fetch_one(pool)
        .await?;
    let (rates, standing) = tokio::try_join!(
        super::aging::rate_arrays(pool, today),
        super::summary::standing(pool, today)
    )?;
    let kept = path == Path::Any && standing.converts_at(&rates);
    let mut qb = QueryBuilder::new("WITH ");
    super::aging::push_rate_cte(&mut qb, rates);
    let (rows, total): (Vec<Row>, i64) = if q.filter.is_empty() && q.sort.is_none() {
        largest_first(pool, qb, q, kept).await?
    } else {
        qb.push(format!(
            " SELECT {LINE}, {} AS open_reporting {FROM}",
            open_money("c.id")
        ));
        let count_sql = format!("SELECT count(*) {FROM}");
        page_and_count(pool, qb, &count_sql, q, &SLIPPING_VIEW).await?
    };
    Ok(Page {
        rows: rows
            .into_iter()
            .map(|r| SlippingAccount {
                reason: slipping_reason(
                    r.recent_days.map(i64::from),
                    r.typical_days.map(i64::from),
                    r.days_past_expected.map(i64::from),
                    i64::from(r.drift_days),
                ),
                customer_id: r.customer_id,
                code: r.code,
                name: r.name,
                segment: r.segment,
                recent_days: r.recent_days.map(i64::from),
                typical_days: r.typical_days.map(i64::from),
                open: r.open_reporting,
                collector: r.collector,
            })
            .collect(),
        total,
        offset: q.offset,
    })
}
