//! `:slipping`: the accounts paying later than their usual rhythm, with the reason and the
//! money open — the list the overview's slipping alert counts.

use sqlx::{PgPool, QueryBuilder};

use super::StoreError;
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

pub async fn slipping(pool: &PgPool, q: &ListQuery) -> Result<Page<SlippingAccount>, StoreError> {
    // Open money in the reporting currency at today's rates, each invoice converted on its own
    // (the aging's rule); the oldest open invoice's days past the date its rhythm expected it
    // paid.
    let today: chrono::NaiveDate = sqlx::query_scalar("SELECT settle_today()")
        .fetch_one(pool)
        .await?;
    let mut qb = QueryBuilder::new("WITH ");
    super::aging::push_rate_cte(&mut qb, super::aging::rate_arrays(pool, today).await?);
    qb.push(format!(
        " SELECT c.id AS customer_id, c.code, c.name, coalesce(c.segment_override, p.segment) AS segment,
                p.recent_days, p.typical_days, a.display_name AS collector,
                coalesce((SELECT sum({open})::bigint FROM invoices i LEFT JOIN rate r ON r.currency = i.currency
                           WHERE i.customer_id = c.id AND i.open_minor > 0), 0) AS open_reporting,
                (SELECT (settle_today() - min(i.issue_date) - p.typical_days)::int FROM invoices i
                  WHERE i.customer_id = c.id AND i.open_minor > 0) AS days_past_expected,
                setting_int('drift_days')::int AS drift_days
           {FROM}",
        open = super::converted_sql("i.open_minor")
    ));
    let count_sql = format!("SELECT count(*) {FROM}");
    let (rows, total): (Vec<Row>, i64) =
        page_and_count(pool, qb, &count_sql, q, &SLIPPING_VIEW).await?;
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
