//! The dispute queue: open disputes with both SLA clocks, most urgent first.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, QueryBuilder};

use super::StoreError;
use super::lists::{Field, FieldKind, ListQuery, ListView, push_filter};
use super::trust::{calendars, state_changes};
use crate::domain::sla::{
    Clock, DisputeClocks, DisputeTimes, SlaClock, StateChange, dispute_clocks,
};
use crate::lists::{Column, DisputeColumn, Sort, order_by};
use crate::model::DisputeLine;

/// `sla:ok|at_risk|breached` is listed with the others but filtered on the clocks, in Rust.
pub const DISPUTE_FIELDS: &[Field] = &[
    Field {
        name: "sla",
        sql: "true",
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

#[derive(sqlx::FromRow)]
pub(super) struct Row {
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
    policy: String,
    #[sqlx(flatten)]
    sla: SlaFacts,
    watchers: Vec<String>,
}

/// What a dispute's two SLA clocks are measured from (with its state changes).
#[derive(sqlx::FromRow)]
pub(super) struct SlaFacts {
    pub(super) id: i64,
    opened_at: DateTime<Utc>,
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    first_response_minutes: i32,
    resolution_minutes: i32,
    calendar_id: Option<i32>,
}

/// What measuring disputes' clocks takes besides their own times: their state changes and
/// the calendars.
pub(super) struct ClockInputs {
    pub(super) changes: BTreeMap<i64, Vec<StateChange>>,
    pub(super) calendars: BTreeMap<i32, Clock>,
}

impl ClockInputs {
    /// A dispute's calendar (wall time without one) and both its clocks at `now`.
    pub(super) fn measure(&self, d: &SlaFacts, now: DateTime<Utc>) -> (&Clock, DisputeClocks) {
        static WALL: Clock = Clock::Wall;
        let clock = d
            .calendar_id
            .and_then(|c| self.calendars.get(&c))
            .unwrap_or(&WALL);
        let times = DisputeTimes {
            opened_at: d.opened_at,
            first_response_at: d.first_response_at,
            resolved_at: d.resolved_at,
            changes: self.changes.get(&d.id).map_or(&[][..], Vec::as_slice),
            first_response_minutes: i64::from(d.first_response_minutes),
            resolution_minutes: i64::from(d.resolution_minutes),
        };
        (clock, dispute_clocks(clock, &times, now))
    }

    /// For the disputes `ids`.
    pub(super) async fn read(pool: &PgPool, ids: &[i64]) -> Result<Self, StoreError> {
        let (changes, calendars) = tokio::try_join!(state_changes(pool, ids), calendars(pool))?;
        Ok(ClockInputs { changes, calendars })
    }
}

/// Every open dispute matching the filter (open disputes are hundreds, not millions), with
/// clocks measured at `now`. `sla:ok|at_risk|breached` filters on the worse clock.
pub async fn open_disputes(
    pool: &PgPool,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<Vec<DisputeLine>, StoreError> {
    let mut filter = q.filter.clone();
    let sla = wanted_sla(&filter);
    filter.predicates.retain(|p| p.field != "sla");
    let mut qb = QueryBuilder::new(LINE_SQL);
    qb.push(" WHERE d.state <> 'resolved'");
    push_filter(&mut qb, &filter, DISPUTE_FIELDS, DISPUTE_TEXT, &q.me)?;
    qb.push(order_by::<DisputeColumn>(q.sort, "d.id", "d.id"));
    let rows: Vec<Row> = qb.build_query_as().fetch_all(pool).await?;
    let mut out = lines(pool, rows, now).await?;
    if let Some(want) = sla {
        out.retain(|d| worst(d).label() == want);
    }
    let column = q
        .sort
        .and_then(|s| DisputeColumn::at(s.column).map(|c| (c, s.descending)));
    // Sorted in SQL already when the column is.
    if !column.is_some_and(|(c, _)| matches!(c.spec().sort, Sort::Sql(_))) {
        out.sort_by_key(|d| {
            queue_key(
                column.map(|(c, _)| c),
                &d.first_response,
                &d.resolution,
                d.id,
            )
        });
        if column.is_some_and(|(_, descending)| descending) {
            out.reverse();
        }
    }
    Ok(out)
}

/// One dispute as its queue line (open or resolved), or `None` if there is no such dispute.
pub async fn dispute_line(
    pool: &PgPool,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<DisputeLine>, StoreError> {
    let mut qb = QueryBuilder::new(LINE_SQL);
    qb.push(" WHERE d.id = ").push_bind(id);
    let rows: Vec<Row> = qb.build_query_as().fetch_all(pool).await?;
    Ok(lines(pool, rows, now).await?.pop())
}

/// What a queue line is made of; each caller adds its WHERE.
pub(super) const LINE_SQL: &str = concat!(
    "SELECT d.id, d.customer_id, d.number, c.name AS customer,
        coalesce(c.segment_override, p.segment, 'standard') AS segment,
        i.number AS invoice, d.category, d.state, d.amount_minor::bigint AS amount, d.currency::text AS currency,
        a.display_name AS assignee, d.escalated, d.opened_at, d.first_response_at, d.resolved_at,
        s.name AS policy, s.first_response_minutes, s.resolution_minutes, s.calendar_id,
        array(SELECT coalesce(ag.display_name, w.role_name) FROM presence w LEFT JOIN agents ag ON ag.role_name = w.role_name
               WHERE w.entity = 'dispute' AND w.key = d.id AND w.role_name <> session_user
                 AND w.seen_at > now() - interval '2 minutes' ORDER BY 1) AS watchers ",
    line_from!()
);

/// The tables a queue line (and every dispute filter field) reads from.
macro_rules! line_from {
    () => {
        "FROM disputes d JOIN customers c ON c.id = d.customer_id JOIN invoices i ON i.id = d.invoice_id
   JOIN sla_policies s ON s.id = d.policy_id LEFT JOIN agents a ON a.id = d.assignee_id
   LEFT JOIN customer_profiles p ON p.customer_id = c.id"
    };
}
pub(super) use line_from;

/// What free words in a dispute filter are matched against.
pub(super) const DISPUTE_TEXT: &str = "c.name || ' ' || d.number || ' ' || i.number";

/// The queue as a list paged in SQL, when it is sorted by a column SQL holds.
pub(super) const DISPUTE_VIEW: ListView<DisputeColumn> = ListView {
    fields: DISPUTE_FIELDS,
    text_sql: DISPUTE_TEXT,
    default_order: "d.id",
    tiebreak: "d.id",
    columns: std::marker::PhantomData,
};

/// Rows as queue lines, their clocks measured at `now`.
pub(super) async fn lines(
    pool: &PgPool,
    rows: Vec<Row>,
    now: DateTime<Utc>,
) -> Result<Vec<DisputeLine>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.sla.id).collect();
    let inputs = ClockInputs::read(pool, &ids).await?;
    Ok(lines_from(rows, &inputs, now))
}

/// Rows as queue lines, measured from inputs already read.
pub(super) fn lines_from(
    rows: Vec<Row>,
    inputs: &ClockInputs,
    now: DateTime<Utc>,
) -> Vec<DisputeLine> {
    rows.into_iter()
        .map(|r| {
            let (clock, c) = inputs.measure(&r.sla, now);
            DisputeLine {
                id: r.sla.id,
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
                opened_at: r.sla.opened_at,
                policy: r.policy,
                first_response: c.first_response,
                resolution: c.resolution,
                measured_at: now,
                clock: clock.clone(),
                watchers: r.watchers,
            }
        })
        .collect()
}

/// The `sla:` state a filter asks for, as the clock state's label (`at_risk` is "at risk").
pub(super) fn wanted_sla(filter: &crate::filter::Filter) -> Option<String> {
    filter
        .predicates
        .iter()
        .rfind(|p| p.field == "sla")
        .map(|p| p.value.replace('_', " "))
}

/// Where a dispute sorts in the queue when `column` (or nothing) is not an SQL column: minutes
/// left on that clock (a met clock after every running one), else the worse SLA state then
/// the urgency; the id breaks ties.
pub(super) fn queue_key(
    column: Option<DisputeColumn>,
    first_response: &SlaClock,
    resolution: &SlaClock,
    id: i64,
) -> (i64, i64, i64) {
    match column {
        Some(DisputeColumn::Response) => (first_response.minutes_to_breach(), 0, id),
        Some(DisputeColumn::Resolve) => (resolution.minutes_to_breach(), 0, id),
        _ => (
            crate::domain::sla::worst_state(first_response, resolution) as i64,
            crate::domain::sla::urgency(first_response, resolution),
            id,
        ),
    }
}

/// The worse of a dispute's two clock states.
pub fn worst(d: &DisputeLine) -> crate::domain::sla::SlaState {
    crate::domain::sla::worst_state(&d.first_response, &d.resolution)
}
