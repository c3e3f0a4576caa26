//! Promises to pay: the `:promises` list, and the store's time-based jobs that keep or break
//! them (one SQL function, `run_time_jobs`, for the worker and for pg_cron alike).

use chrono::NaiveDate;
use sqlx::{PgPool, QueryBuilder};

use super::StoreError;
use super::lists::{Field, FieldKind, ListQuery, ListView, page_and_count};
use crate::domain::states::PromiseStatus;
use crate::lists::PromiseColumn;
use crate::model::{Page, PromiseLine};

pub const PROMISE_FIELDS: &[Field] = &[
    Field {
        name: "status",
        sql: "pr.status",
        kind: FieldKind::Text,
    },
    Field {
        name: "customer",
        sql: "c.name",
        kind: FieldKind::Text,
    },
    Field {
        name: "invoice",
        sql: "i.number",
        kind: FieldKind::Text,
    },
    Field {
        name: "owner",
        sql: "coalesce(a.role_name, '')",
        kind: FieldKind::Agent,
    },
    Field {
        name: "due",
        sql: "pr.promised_for",
        kind: FieldKind::Date,
    },
    Field {
        name: "amount",
        sql: "pr.amount_minor",
        kind: FieldKind::Money {
            currency: "pr.currency",
        },
    },
];

const PROMISE_VIEW: ListView<PromiseColumn> = ListView {
    fields: PROMISE_FIELDS,
    text_sql: "c.name || ' ' || coalesce(i.number, '')",
    default_order: "CASE pr.status WHEN 'open' THEN 0 WHEN 'broken' THEN 1 ELSE 2 END, \
                    CASE WHEN pr.status = 'open' THEN pr.promised_for END, pr.closed_on DESC, pr.id DESC",
    tiebreak: "pr.id DESC",
    columns: std::marker::PhantomData,
};

// The deadline is `promise_deadline(pr)` with the grace read once, not once a row (a function
// with its own search path is not inlined: 15 µs a promise). `OFFSET 0` keeps the planner from
// pulling the sub-select up into the join, which would call it on every promise again.
const FROM: &str = "FROM promises pr CROSS JOIN (SELECT setting_int('promise_grace_days')::int AS grace OFFSET 0) g
      JOIN customers c ON c.id = pr.customer_id
      LEFT JOIN invoices i ON i.id = pr.invoice_id LEFT JOIN agents a ON a.id = pr.recorded_by WHERE true";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    customer_id: i64,
    customer: String,
    invoice: Option<String>,
    amount: i64,
    paid: i64,
    currency: String,
    made_on: NaiveDate,
    promised_for: NaiveDate,
    deadline: NaiveDate,
    #[sqlx(try_from = "String")]
    status: PromiseStatus,
    closed_on: Option<NaiveDate>,
    taken_by: Option<String>,
}

impl From<Row> for PromiseLine {
    fn from(r: Row) -> Self {
        PromiseLine {
            id: r.id,
            customer_id: r.customer_id,
            customer: r.customer,
            invoice: r.invoice,
            amount: r.amount,
            paid: r.paid,
            currency: r.currency,
            made_on: r.made_on,
            promised_for: r.promised_for,
            deadline: r.deadline,
            status: r.status,
            closed_on: r.closed_on,
            taken_by: r.taken_by,
        }
    }
}

const SELECT: &str = "SELECT pr.id, pr.customer_id, c.name AS customer, i.number AS invoice,
        pr.amount_minor::bigint AS amount, pr.paid_minor AS paid, pr.currency::text AS currency, pr.made_on,
        pr.promised_for, pr.promised_for + g.grace AS deadline, pr.status, pr.closed_on, a.display_name AS taken_by";

/// Promises, open ones soonest first, then broken and kept ones, newest first.
pub async fn promises(pool: &PgPool, q: &ListQuery) -> Result<Page<PromiseLine>, StoreError> {
    let qb = QueryBuilder::new(format!("{SELECT} {FROM}"));
    let count_sql = format!("SELECT count(*) {FROM}");
    let (rows, total): (Vec<Row>, i64) =
        page_and_count(pool, qb, &count_sql, q, &PROMISE_VIEW).await?;
    Ok(Page {
        rows: rows.into_iter().map(PromiseLine::from).collect(),
        total,
        offset: q.offset,
    })
}

/// Open promises whose date has come (`today` or earlier, still in grace) and promises broken
/// since `since`: the worklist's, in one query.
pub(super) async fn due_or_broken(
    pool: &PgPool,
    today: NaiveDate,
    since: NaiveDate,
) -> Result<Vec<PromiseLine>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} {FROM} AND ((pr.status = 'open' AND pr.promised_for <= $1)
                            OR (pr.status = 'broken' AND pr.closed_on >= $2))
          ORDER BY pr.id LIMIT 600"
    )))
    .bind(today)
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(PromiseLine::from).collect())
}

/// One customer's latest promises, newest date first.
pub async fn of_customer(pool: &PgPool, customer: i64) -> Result<Vec<PromiseLine>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} {FROM} AND pr.customer_id = $1 ORDER BY pr.promised_for DESC, pr.id DESC LIMIT 20"
    )))
    .bind(customer)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(PromiseLine::from).collect())
}

/// What one run of the store's time-based jobs did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct JobsRun {
    pub kept: i64,
    pub broken: i64,
    pub profiles_refreshed: bool,
    /// The overview's summaries were rebuilt (the day's rates were not the ones they held).
    #[serde(default)]
    pub summaries_rebuilt: bool,
}

/// Runs the store's time-based jobs as of `today` (`None`: the business day today).
pub async fn run_time_jobs(pool: &PgPool, today: Option<NaiveDate>) -> Result<JobsRun, StoreError> {
    let v: serde_json::Value = sqlx::query_scalar("SELECT run_time_jobs($1)")
        .bind(today)
        .fetch_one(pool)
        .await?;
    serde_json::from_value(v)
        .map_err(|e| StoreError::Refused(format!("run_time_jobs answered oddly: {e}")))
}
