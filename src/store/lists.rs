//! The console's lists, filtered, sorted and paged in SQL.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::StoreError;
use crate::domain::money::parse_decimal;
use crate::domain::states::{Channel, HoldStatus, OutreachStatus, Purpose, Tone};
use crate::filter::{Filter, Op};
use crate::lists::{Column, HoldColumn, OutreachColumn, SortBy, order_by};
use crate::model::{HeldOrder, OutreachLine, Page};

/// How a filter field is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// Major units in the filter (`amount>10000` is 10,000.00 in each row's currency), minor
    /// units in SQL; the SQL expression names the row's currency (its decimal places differ:
    /// JPY 0, USD 2, BHD 3).
    Money {
        currency: &'static str,
    },
    Int,
    Date,
    /// `me` means the connected person's role; anything else an agent's role name.
    Agent,
}

/// A field a view can be filtered and sorted by.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub sql: &'static str,
    pub kind: FieldKind,
}

/// Appends ` AND …` for every word and predicate; unknown fields are an error naming the
/// fields there are. Values are always bound, never spliced.
pub fn push_filter(
    qb: &mut QueryBuilder<Postgres>,
    filter: &Filter,
    fields: &[Field],
    text_sql: &str,
    me: &str,
) -> Result<(), StoreError> {
    for word in &filter.words {
        qb.push(format!(" AND ({text_sql}) ILIKE '%' || "));
        qb.push_bind(word.replace('%', "\\%"));
        qb.push(" || '%'");
    }
    for p in &filter.predicates {
        let Some(field) = fields.iter().find(|f| f.name == p.field) else {
            let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
            return Err(StoreError::Refused(format!(
                "unknown filter field `{}` (fields: {})",
                p.field,
                names.join(", ")
            )));
        };
        let bad = |what: &str| {
            StoreError::Refused(format!("`{}` is not {what} for `{}`", p.value, p.field))
        };
        qb.push(format!(" AND {} ", field.sql));
        match field.kind {
            FieldKind::Text | FieldKind::Agent => {
                if p.op != Op::Eq {
                    return Err(StoreError::Refused(format!(
                        "`{}` compares only with `:`",
                        p.field
                    )));
                }
                let value = if field.kind == FieldKind::Agent && p.value == "me" {
                    me.to_string()
                } else {
                    p.value.replace('*', "%")
                };
                qb.push("ILIKE ").push_bind(value);
            }
            FieldKind::Money { currency } => {
                // Exact: checked as a decimal here, scaled by the row's currency in SQL.
                parse_decimal(&p.value, 6).map_err(|_| bad("an amount"))?;
                qb.push(p.op.sql())
                    .push(" round(")
                    .push_bind(p.value.replace([',', '_'], ""))
                    .push(format!(
                        "::numeric * 10 ^ (SELECT minor_units FROM currencies WHERE code = {currency}))"
                    ));
            }
            FieldKind::Int => {
                let v: i64 = p.value.parse().map_err(|_| bad("a number"))?;
                qb.push(p.op.sql()).push(" ").push_bind(v);
            }
            FieldKind::Date => {
                let v: chrono::NaiveDate =
                    p.value.parse().map_err(|_| bad("a date (YYYY-MM-DD)"))?;
                qb.push(p.op.sql()).push(" ").push_bind(v);
            }
        }
    }
    Ok(())
}

/// How many rows a filtered list matches in all, counted apart from the page so the page
/// query can stop at its LIMIT (a window count would build every joined row first).
pub(super) async fn count<C: Column>(
    pool: &PgPool,
    from_where: &str,
    q: &ListQuery,
    view: &ListView<C>,
) -> Result<i64, StoreError> {
    let mut qb = QueryBuilder::new(from_where.to_string());
    push_filter(&mut qb, &q.filter, view.fields, view.text_sql, &q.me)?;
    Ok(qb.build_query_scalar().fetch_one(pool).await?)
}

/// The count query of a list read through joins: from `bare` (its own table, with its own
/// condition) when nothing filters it, else from `joined` (the tables its filter fields read).
/// Only for lists whose every row has its joined rows (NOT NULL foreign keys, no row security
/// on the joined tables), so both count the same rows.
pub(super) fn count_sql(q: &ListQuery, bare: &str, joined: &str) -> String {
    let from_where = if q.filter.is_empty() { bare } else { joined };
    format!("SELECT count(*) {from_where}")
}

/// A list's page and how many rows match in all, read side by side (the count is often the
/// slower of the two: it visits every matching row, the page stops at its LIMIT).
pub(super) async fn page_and_count<R, C>(
    pool: &PgPool,
    mut page: QueryBuilder<Postgres>,
    count_from_where: &str,
    q: &ListQuery,
    view: &ListView<C>,
) -> Result<(Vec<R>, i64), StoreError>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    C: Column,
{
    view.filter_sort_page(&mut page, q)?;
    let rows = async {
        page.build_query_as::<R>()
            .fetch_all(pool)
            .await
            .map_err(StoreError::from)
    };
    tokio::try_join!(rows, count(pool, count_from_where, q, view))
}

/// What a list lets people filter by, its order when they have not chosen one, and what breaks
/// ties; its columns (`C`) say what it sorts by.
pub(super) struct ListView<C: Column> {
    pub(super) fields: &'static [Field],
    pub(super) text_sql: &'static str,
    pub(super) default_order: &'static str,
    pub(super) tiebreak: &'static str,
    pub(super) columns: std::marker::PhantomData<C>,
}

impl<C: Column> ListView<C> {
    /// Appends the filter, the order and the page window to a list query.
    pub(super) fn filter_sort_page(
        &self,
        qb: &mut QueryBuilder<Postgres>,
        q: &ListQuery,
    ) -> Result<(), StoreError> {
        push_filter(qb, &q.filter, self.fields, self.text_sql, &q.me)?;
        qb.push(order_by::<C>(q.sort, self.default_order, self.tiebreak));
        qb.push(page_window(q));
        Ok(())
    }
}

/// ` LIMIT n OFFSET m`, written into the statement rather than bound: PostgreSQL plans a
/// statement bound to an unknown LIMIT for every execution (a generic plan for "some rows"
/// looks dearer than each custom one for 70), while a page's own statement is planned once per
/// connection and reloaded without planning. (Integers: nothing to inject.)
pub(super) fn page_window(q: &ListQuery) -> String {
    format!(" LIMIT {} OFFSET {}", q.limit.max(0), q.offset.max(0))
}

/// What every paged list asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Filter,
    pub sort: Option<SortBy>,
    pub limit: i64,
    pub offset: i64,
    /// The connected person's role name, for `owner:me`.
    pub me: String,
}

pub const HOLD_FIELDS: &[Field] = &[
    Field {
        name: "customer",
        sql: "c.name",
        kind: FieldKind::Text,
    },
    Field {
        name: "status",
        sql: "h.status",
        kind: FieldKind::Text,
    },
    Field {
        name: "reason",
        sql: "h.reason",
        kind: FieldKind::Text,
    },
    Field {
        name: "amount",
        sql: "o.amount_minor",
        kind: FieldKind::Money {
            currency: "o.currency",
        },
    },
    Field {
        name: "order",
        sql: "o.number",
        kind: FieldKind::Text,
    },
];
/// Paid-but-held first (the customer paid and waits), then the oldest.
const HOLD_VIEW: ListView<HoldColumn> = ListView {
    fields: HOLD_FIELDS,
    text_sql: "c.name || ' ' || o.number || ' ' || c.code",
    default_order: "(h.status = 'cleared') DESC, coalesce(h.cleared_at, h.placed_at), h.id",
    tiebreak: "h.id",
    columns: std::marker::PhantomData,
};

#[derive(sqlx::FromRow)]
struct HoldRow {
    id: i64,
    customer_id: i64,
    number: String,
    customer: String,
    reason: String,
    #[sqlx(try_from = "String")]
    status: HoldStatus,
    amount: i64,
    currency: String,
    placed_at: DateTime<Utc>,
    cleared_at: Option<DateTime<Utc>>,
    lag_minutes: i32,
    blockers: Vec<String>,
    blocker_open: Vec<bool>,
    told: Vec<String>,
}

/// What a held order's line is read from.
const HOLDS_FROM: &str =
    "FROM holds h JOIN orders o ON o.id = h.order_id JOIN customers c ON c.id = o.customer_id
           JOIN hold_policies p ON p.reason = h.reason";

/// A held order's line, before its filter, order and window.
/// The holds list's statement up to its WHERE, with each hold's blocking invoices when
/// `blockers` (the worklist, which reads every cleared hold, shows none: a cleared hold's are
/// all paid).
fn holds_query(blockers: bool) -> QueryBuilder<Postgres> {
    let blocked = if blockers {
        "LEFT JOIN LATERAL (
               SELECT array_agg(i.number ORDER BY i.number) AS blockers,
                      array_agg(i.open_minor > 0 ORDER BY i.number) AS blocker_open
                 FROM hold_blockers b JOIN invoices i ON i.id = b.invoice_id WHERE b.hold_id = h.id) bl ON true"
    } else {
        "CROSS JOIN (SELECT NULL::text[] AS blockers, NULL::boolean[] AS blocker_open) bl"
    };
    QueryBuilder::new(format!(
        "SELECT h.id, o.customer_id, o.number, c.name AS customer, h.reason, h.status, o.amount_minor::bigint AS amount,
                o.currency::text AS currency, h.placed_at, h.cleared_at, p.release_lag_minutes AS lag_minutes,
                coalesce(bl.blockers, '{{}}') AS blockers, coalesce(bl.blocker_open, '{{}}') AS blocker_open,
                array(SELECT a.display_name FROM customer_owners co JOIN agents a ON a.id = co.agent_id
                       WHERE co.customer_id = o.customer_id AND co.relation IN ('account_executive', 'customer_success')
                       ORDER BY a.display_name) AS told
           {HOLDS_FROM}
           {blocked}
          WHERE h.status <> 'released'"
    ))
}

/// Orders on hold: cleared-but-held first (the customer paid and waits), then by age.
pub async fn holds(pool: &PgPool, q: &ListQuery) -> Result<Page<HeldOrder>, StoreError> {
    // The default order is an index (migration 0020): the page stops at its LIMIT.
    // Every hold has its order, customer and policy.
    let count_sql = count_sql(
        q,
        "FROM holds h WHERE h.status <> 'released'",
        &format!("{HOLDS_FROM} WHERE h.status <> 'released'"),
    );
    let (rows, total): (Vec<HoldRow>, i64) =
        page_and_count(pool, holds_query(true), &count_sql, q, &HOLD_VIEW).await?;
    Ok(Page {
        rows: rows.into_iter().map(held_order).collect(),
        total,
        offset: q.offset,
    })
}

/// The held orders `q` asks for, without counting how many match in all and without their
/// blocking invoices (the worklist's cleared holds: it shows them all, ranked).
pub async fn held_orders(pool: &PgPool, q: &ListQuery) -> Result<Vec<HeldOrder>, StoreError> {
    let mut qb = holds_query(false);
    HOLD_VIEW.filter_sort_page(&mut qb, q)?;
    let rows: Vec<HoldRow> = qb.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(held_order).collect())
}

fn held_order(r: HoldRow) -> HeldOrder {
    HeldOrder {
        hold_id: r.id,
        customer_id: r.customer_id,
        order: r.number,
        customer: r.customer,
        reason: r.reason,
        status: r.status,
        amount: r.amount,
        currency: r.currency,
        placed_at: r.placed_at,
        cleared_at: r.cleared_at,
        lag_target_minutes: r.lag_minutes as i64,
        blockers: r.blockers.into_iter().zip(r.blocker_open).collect(),
        told: r.told,
    }
}

pub const OUTREACH_FIELDS: &[Field] = &[
    Field {
        name: "customer",
        sql: "c.name",
        kind: FieldKind::Text,
    },
    Field {
        name: "status",
        sql: "m.status",
        kind: FieldKind::Text,
    },
    Field {
        name: "tone",
        sql: "m.tone",
        kind: FieldKind::Text,
    },
    Field {
        name: "channel",
        sql: "m.channel",
        kind: FieldKind::Text,
    },
    Field {
        name: "purpose",
        sql: "m.purpose",
        kind: FieldKind::Text,
    },
];
const OUTREACH_VIEW: ListView<OutreachColumn> = ListView {
    fields: OUTREACH_FIELDS,
    text_sql: "c.name || ' ' || m.subject || ' ' || coalesce(i.number, '')",
    default_order: "m.send_after DESC, m.id DESC",
    tiebreak: "m.id DESC",
    columns: std::marker::PhantomData,
};

/// What an outreach line is read from (`m` the message), for `:outreach` and the message view.
pub(super) const OUTREACH_FROM: &str = "outreach m JOIN customers c ON c.id = m.customer_id
      LEFT JOIN invoices i ON i.id = m.invoice_id";

/// Messages a lead decides (awaiting approval, uncertain whether they went), with the open
/// amount of the invoice each is about: the worklist's, in one query.
pub(super) async fn messages_to_decide(
    pool: &PgPool,
) -> Result<Vec<(OutreachLine, i64, String)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Decided {
        #[sqlx(flatten)]
        line: OutreachRow,
        open: i64,
        open_currency: String,
    }
    let rows: Vec<Decided> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {OUTREACH_LINE}, coalesce(i.open_minor, 0)::bigint AS open,
                coalesce(i.currency::text, '') AS open_currency
           FROM {OUTREACH_FROM} WHERE m.status IN ('pending_approval', 'uncertain')
          ORDER BY m.send_after, m.id LIMIT 300"
    )))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (OutreachLine::from(r.line), r.open, r.open_currency))
        .collect())
}

/// The columns of an outreach line: a queued reminder comes with the reason the store would
/// hold it back now (disputed, paid, or before the customer's usual pay day or a promise's
/// deadline), the day it may go first (`until 26 Nov: …`) so a narrow column never hides it.
/// Today is asked once a statement (an uncorrelated sub-select), not once a line.
pub(super) const OUTREACH_LINE: &str = "m.id, m.customer_id, c.name AS customer, i.number AS invoice,
        m.purpose, m.channel, m.tone, m.status, m.subject, m.copies, m.send_after, m.last_error,
        (SELECT CASE WHEN h.block IS NULL OR h.block LIKE 'the invoice is %' THEN h.block
                     ELSE 'until ' || to_char(h.due_at AT TIME ZONE (SELECT value FROM settings WHERE key = 'business_time_zone'),
                                              'FMDD Mon') || ': ' || h.block END
           FROM (SELECT (SELECT settle_today()) AS today OFFSET 0) t,
                settle_reminder_hold(CASE WHEN m.status IN ('draft', 'queued') AND m.purpose = 'reminder'
                                          THEN m.invoice_id END, t.today) h) AS suppression";

#[derive(sqlx::FromRow)]
pub(super) struct OutreachRow {
    id: i64,
    customer_id: i64,
    customer: String,
    invoice: Option<String>,
    #[sqlx(try_from = "String")]
    purpose: Purpose,
    #[sqlx(try_from = "String")]
    channel: Channel,
    #[sqlx(try_from = "String")]
    tone: Tone,
    #[sqlx(try_from = "String")]
    status: OutreachStatus,
    subject: String,
    copies: Vec<String>,
    send_after: DateTime<Utc>,
    suppression: Option<String>,
    last_error: Option<String>,
}

impl From<OutreachRow> for OutreachLine {
    fn from(r: OutreachRow) -> Self {
        OutreachLine {
            id: r.id,
            customer_id: r.customer_id,
            customer: r.customer,
            invoice: r.invoice,
            purpose: r.purpose,
            channel: r.channel,
            tone: r.tone,
            status: r.status,
            subject: r.subject,
            copies: r.copies,
            send_after: r.send_after,
            suppression: r.suppression,
            last_error: r.last_error,
        }
    }
}

/// A filter the kept counts answer: none, or `status:` alone.
fn by_status_only(filter: &crate::filter::Filter) -> bool {
    filter.words.is_empty() && filter.predicates.iter().all(|p| p.field == "status")
}

/// Queued and sent messages, newest first, each queued reminder with the reason the store
/// would hold it back now (disputed, paid, or before the customer's usual pay day).
pub async fn outreach(pool: &PgPool, q: &ListQuery) -> Result<Page<OutreachLine>, StoreError> {
    let qb = QueryBuilder::new(format!(
        "SELECT {OUTREACH_LINE} FROM {OUTREACH_FROM} WHERE true"
    ));
    let count_sql = if by_status_only(&q.filter) {
        // From the counts the store keeps; `m.status` is the status field's column, so a
        // `status:` filter narrows them as it narrows the messages.
        format!(
            "SELECT coalesce(sum(m.n), 0)::bigint FROM {} m WHERE true",
            super::summary::KEPT_OUTREACH
        )
    } else {
        format!("SELECT count(*) FROM {OUTREACH_FROM} WHERE true")
    };
    let (rows, total): (Vec<OutreachRow>, i64) =
        page_and_count(pool, qb, &count_sql, q, &OUTREACH_VIEW).await?;
    let rows = rows.into_iter().map(OutreachLine::from).collect();
    Ok(Page {
        rows,
        total,
        offset: q.offset,
    })
}
