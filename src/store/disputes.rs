//! The dispute queue's lines: disputes with both SLA clocks as the store keeps them
//! (migrations/0021_dispute_clocks.sql), so the queue is ordered, filtered by SLA state and
//! paged in SQL like any list.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::StoreError;
use super::lists::{Field, FieldKind, ListQuery, ListView, push_filter};
use super::trust::calendars;
use crate::domain::sla::{Clock, SlaClock};
use crate::lists::{DisputeColumn, order_by};
use crate::model::DisputeLine;

/// What the dispute queue can be filtered by; `sla:ok|at_risk|breached` is the worse clock.
pub const DISPUTE_FIELDS: &[Field] = &[
    Field {
        name: "sla",
        sql: "k.sla_word",
        kind: FieldKind::Text,
    },
    Field {
        name: "customer",
        sql: "c.name",
        kind: FieldKind::Text,
    },
    Field {
        name: "state",
        sql: "d.state",
        kind: FieldKind::Text,
    },
    Field {
        name: "category",
        sql: "d.category",
        kind: FieldKind::Text,
    },
    Field {
        name: "amount",
        sql: "d.amount_minor",
        kind: FieldKind::Money {
            currency: "d.currency",
        },
    },
    Field {
        name: "owner",
        sql: "coalesce(a.role_name, '')",
        kind: FieldKind::Agent,
    },
    Field {
        name: "segment",
        sql: "coalesce(c.segment_override, p.segment, 'standard')",
        kind: FieldKind::Text,
    },
    Field {
        name: "invoice",
        sql: "i.number",
        kind: FieldKind::Text,
    },
    // Days since it was raised, fractional: `age>7` is the trust metric's "opened more than
    // 7 days ago".
    Field {
        name: "age",
        sql: "(extract(epoch FROM now() - d.opened_at) / 86400.0)",
        kind: FieldKind::Int,
    },
];

/// The tables a queue line (and every dispute filter field) reads from.
macro_rules! line_from {
    () => {
        "FROM disputes d JOIN customers c ON c.id = d.customer_id JOIN invoices i ON i.id = d.invoice_id
   JOIN sla_policies s ON s.id = d.policy_id LEFT JOIN agents a ON a.id = d.assignee_id
   LEFT JOIN customer_profiles p ON p.customer_id = c.id"
    };
}

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: i64,
    customer_id: i64,
    number: String,
    customer: String,
    segment: String,
    invoice: String,
    category: String,
    #[sqlx(try_from = "String")]
    state: crate::domain::states::DisputeState,
    amount: i64,
    currency: String,
    assignee: Option<String>,
    escalated: bool,
    opened_at: DateTime<Utc>,
    policy: String,
    calendar_id: Option<i32>,
    response_target: i32,
    response_elapsed: i64,
    response_stopped: bool,
    response_paused: bool,
    resolution_target: i32,
    resolution_elapsed: i64,
    resolution_stopped: bool,
    resolution_paused: bool,
    watchers: Vec<String>,
}

/// Every open dispute matching the filter, most urgent first unless sorted (the queue whole,
/// for `settle disputes`).
pub async fn open_disputes(
    pool: &PgPool,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<Vec<DisputeLine>, StoreError> {
    let mut qb = with_clocks(now, LINE_SELECT);
    qb.push(" WHERE d.state <> 'resolved'");
    push_filter(&mut qb, &q.filter, DISPUTE_FIELDS, DISPUTE_TEXT, &q.me)?;
    qb.push(order_by::<DisputeColumn>(
        q.sort,
        DISPUTE_VIEW.default_order,
        DISPUTE_VIEW.tiebreak,
    ));
    read_lines(pool, qb, now).await
}

/// One dispute as its queue line (open or resolved), or `None` if there is no such dispute.
pub async fn dispute_line(
    pool: &PgPool,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<DisputeLine>, StoreError> {
    let mut qb = with_clocks(now, LINE_SELECT);
    qb.push(" WHERE d.id = ").push_bind(id);
    Ok(read_lines(pool, qb, now).await?.pop())
}

/// The lines a query over `with_clocks(now, LINE_SELECT)` finds, with their calendars (read
/// side by side).
pub(super) async fn read_lines(
    pool: &PgPool,
    mut qb: QueryBuilder<Postgres>,
    now: DateTime<Utc>,
) -> Result<Vec<DisputeLine>, StoreError> {
    let rows = async {
        qb.build_query_as::<Row>()
            .fetch_all(pool)
            .await
            .map_err(StoreError::from)
    };
    let (rows, calendars) = tokio::try_join!(rows, calendars(pool))?;
    Ok(lines(rows, &calendars, now))
}

/// Starts a query over the queue's tables with every dispute's clocks at `now` (a `WITH`,
/// then `select`, then the FROM): callers add the WHERE, the order and the window. The clocks
/// come as `k.sla` (0 breached, 1 at risk, 2 ok: the worse clock; `k.sla_word` says it),
/// `k.urgency` (minutes to the first breach of a clock not stopped), `k.response_left` and
/// `k.resolution_left` (minutes to each clock's breach; a stopped clock never: the largest
/// bigint), beside each clock's minutes counted (`m.*_elapsed`).
///
/// The rules are domain::sla's (the quarter rule, the worse clock, a late stop stays breached),
/// said again here in SQL so the queue can be read a window at a time; tests/dispute_clocks.rs
/// holds the two to the same answers.
pub(super) fn with_clocks(now: DateTime<Utc>, select: &str) -> QueryBuilder<Postgres> {
    let mut qb = QueryBuilder::new("WITH now_s AS (SELECT ");
    qb.push_bind(now.timestamp());
    qb.push("::bigint AS s), ")
        .push(CLOCK_NOW)
        .push(select)
        .push(CLOCKS_FROM);
    qb
}

/// Each calendar's counted seconds at `now_s` (E(now) in the migration's words).
const CLOCK_NOW: &str = "clock_now AS (
    SELECT b.id AS calendar_id, e.e FROM now_s t CROSS JOIN business_calendars b
     CROSS JOIN LATERAL settle_counted_seconds(b.id, b.time_zone, to_timestamp(t.s)) e) ";

/// The queue's tables and the clocks (see `with_clocks`). A running clock's count is its
/// calendar's seconds now less its base; a count below zero is none, and a calendar without
/// a day for now leaves it NULL (an error when read, never a quiet zero).
const CLOCKS_FROM: &str = concat!(
    line_from!(),
    " JOIN dispute_clocks dk ON dk.dispute_id = d.id CROSS JOIN now_s t
   LEFT JOIN clock_now n ON n.calendar_id = s.calendar_id
   CROSS JOIN LATERAL (SELECT CASE WHEN s.calendar_id IS NULL THEN t.s ELSE n.e END AS e) e
   CROSS JOIN LATERAL (SELECT
       CASE WHEN dk.response_stopped OR dk.response_paused THEN dk.response_s ELSE e.e - dk.response_s END AS response_s,
       CASE WHEN dk.resolution_stopped OR dk.resolution_paused THEN dk.resolution_s ELSE e.e - dk.resolution_s END AS resolution_s) counted
   CROSS JOIN LATERAL (SELECT
       CASE WHEN counted.response_s < 0 THEN 0 ELSE counted.response_s / 60 END AS response_elapsed,
       CASE WHEN counted.resolution_s < 0 THEN 0 ELSE counted.resolution_s / 60 END AS resolution_elapsed) m
   CROSS JOIN LATERAL (SELECT
       s.first_response_minutes - m.response_elapsed AS response,
       s.resolution_minutes - m.resolution_elapsed AS resolution) r
   CROSS JOIN LATERAL (SELECT
       least(CASE WHEN r.response < 0 THEN 0
                  WHEN NOT dk.response_stopped AND r.response * 4 < s.first_response_minutes THEN 1 ELSE 2 END,
             CASE WHEN r.resolution < 0 THEN 0
                  WHEN NOT dk.resolution_stopped AND r.resolution * 4 < s.resolution_minutes THEN 1 ELSE 2 END) AS sla,
       CASE WHEN dk.response_stopped THEN 9223372036854775807 ELSE r.response END AS response_left,
       CASE WHEN dk.resolution_stopped THEN 9223372036854775807 ELSE r.resolution END AS resolution_left) x
   CROSS JOIN LATERAL (SELECT x.sla, least(x.response_left, x.resolution_left) AS urgency,
       x.response_left, x.resolution_left,
       CASE x.sla WHEN 0 THEN 'breached' WHEN 1 THEN 'at_risk' ELSE 'ok' END AS sla_word) k"
);

/// What a queue line is made of (after `with_clocks`).
pub(super) const LINE_SELECT: &str = "SELECT d.id, d.customer_id, d.number, c.name AS customer,
        coalesce(c.segment_override, p.segment, 'standard') AS segment,
        i.number AS invoice, d.category, d.state, d.amount_minor::bigint AS amount, d.currency::text AS currency,
        a.display_name AS assignee, d.escalated, d.opened_at, s.name AS policy, s.calendar_id,
        s.first_response_minutes AS response_target, m.response_elapsed, dk.response_stopped, dk.response_paused,
        s.resolution_minutes AS resolution_target, m.resolution_elapsed, dk.resolution_stopped, dk.resolution_paused,
        array(SELECT coalesce(ag.display_name, w.role_name) FROM presence w LEFT JOIN agents ag ON ag.role_name = w.role_name
               WHERE w.entity = 'dispute' AND w.key = d.id AND w.role_name <> session_user
                 AND w.seen_at > now() - interval '2 minutes' ORDER BY 1) AS watchers ";

/// What free words in a dispute filter are matched against.
pub(super) const DISPUTE_TEXT: &str = "c.name || ' ' || d.number || ' ' || i.number";

/// The queue as a list paged in SQL: most urgent first (the worse clock's state, then minutes
/// to the first breach) unless sorted.
pub(super) const DISPUTE_VIEW: ListView<DisputeColumn> = ListView {
    fields: DISPUTE_FIELDS,
    text_sql: DISPUTE_TEXT,
    default_order: "k.sla, k.urgency, d.id",
    tiebreak: "d.id",
    columns: std::marker::PhantomData,
};

/// Rows as queue lines, measured at `now` on their calendars.
pub(super) fn lines(
    rows: Vec<Row>,
    calendars: &BTreeMap<i32, Clock>,
    now: DateTime<Utc>,
) -> Vec<DisputeLine> {
    rows.into_iter()
        .map(|r| {
            let clock = r
                .calendar_id
                .and_then(|c| calendars.get(&c))
                .cloned()
                .unwrap_or(Clock::Wall);
            DisputeLine {
                id: r.id,
                customer_id: r.customer_id,
                number: r.number,
                customer: r.customer,
                segment: r.segment,
                invoice: r.invoice,
                category: r.category,
                state: r.state,
                amount: r.amount,
                currency: r.currency,
                assignee: r.assignee,
                escalated: r.escalated,
                opened_at: r.opened_at,
                policy: r.policy,
                first_response: SlaClock {
                    target_minutes: i64::from(r.response_target),
                    elapsed_minutes: r.response_elapsed,
                    stopped: r.response_stopped,
                    paused: r.response_paused,
                },
                resolution: SlaClock {
                    target_minutes: i64::from(r.resolution_target),
                    elapsed_minutes: r.resolution_elapsed,
                    stopped: r.resolution_stopped,
                    paused: r.resolution_paused,
                },
                measured_at: now,
                clock,
                watchers: r.watchers,
            }
        })
        .collect()
}

/// The worse of a dispute's two clock states.
pub fn worst(d: &DisputeLine) -> crate::domain::sla::SlaState {
    crate::domain::sla::worst_state(&d.first_response, &d.resolution)
}
