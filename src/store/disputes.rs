//! The dispute queue: open disputes with both SLA clocks, most urgent first. The clocks come
//! from what the store keeps of them (migrations/0021_dispute_clocks.sql) and each calendar's
//! count of seconds now: no state change is read to measure a clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, QueryBuilder};

use super::StoreError;
use super::lists::{Field, FieldKind, ListQuery, ListView, push_filter};
use super::trust::calendars;
use crate::domain::sla::{Clock, KeptClock, SlaClock};
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
    pub(super) id: i64,
    opened_at: DateTime<Utc>,
    watchers: Vec<String>,
}

/// What the store keeps of a dispute's two clocks, and its calendar.
#[derive(sqlx::FromRow)]
pub(super) struct Kept {
    pub(super) id: i64,
    calendar_id: Option<i32>,
    first_response_minutes: i32,
    response_stopped: bool,
    response_paused: bool,
    response_s: i64,
    resolution_minutes: i32,
    resolution_stopped: bool,
    resolution_paused: bool,
    resolution_s: i64,
}

/// Many disputes' `Kept` as one row of arrays: the queue reads every open dispute's clocks,
/// and 1,331 rows decoded one by one cost the console more than the store took to find them.
/// `KeptArrays::query` starts the statement (`SELECT KEPT_COLUMNS`), the caller adds its FROM
/// and WHERE, `KeptArrays::fetch` closes and reads it.
#[derive(sqlx::FromRow)]
pub(super) struct KeptArrays {
    id: Vec<i64>,
    calendar_id: Vec<Option<i32>>,
    first_response_minutes: Vec<i32>,
    response_stopped: Vec<bool>,
    response_paused: Vec<bool>,
    response_s: Vec<i64>,
    resolution_minutes: Vec<i32>,
    resolution_stopped: Vec<bool>,
    resolution_paused: Vec<bool>,
    resolution_s: Vec<i64>,
}

impl KeptArrays {
    /// `SELECT KEPT_COLUMNS`, inside the aggregation into arrays.
    pub(super) fn query() -> QueryBuilder<sqlx::Postgres> {
        Self::query_with("", "")
    }

    /// The same with more arrays beside the clocks: `outer` aggregates them
    /// (`, array_agg(x) AS x`) from what `inner` selects (`, d.x`).
    pub(super) fn query_with(outer: &str, inner: &str) -> QueryBuilder<sqlx::Postgres> {
        let mut qb = QueryBuilder::new(
            "SELECT coalesce(array_agg(id), '{}') AS id,
                coalesce(array_agg(calendar_id), '{}') AS calendar_id,
                coalesce(array_agg(first_response_minutes), '{}') AS first_response_minutes,
                coalesce(array_agg(response_stopped), '{}') AS response_stopped,
                coalesce(array_agg(response_paused), '{}') AS response_paused,
                coalesce(array_agg(response_s), '{}') AS response_s,
                coalesce(array_agg(resolution_minutes), '{}') AS resolution_minutes,
                coalesce(array_agg(resolution_stopped), '{}') AS resolution_stopped,
                coalesce(array_agg(resolution_paused), '{}') AS resolution_paused,
                coalesce(array_agg(resolution_s), '{}') AS resolution_s",
        );
        qb.push(outer).push(" FROM (SELECT ").push(KEPT_COLUMNS);
        qb.push(inner);
        qb
    }

    /// Closes `query`'s statement and reads it: one `Kept` a dispute.
    pub(super) async fn fetch(
        mut qb: QueryBuilder<sqlx::Postgres>,
        pool: &PgPool,
    ) -> Result<Vec<Kept>, StoreError> {
        qb.push(") kept");
        let a: KeptArrays = qb.build_query_as().fetch_one(pool).await?;
        Ok(a.into_kept())
    }

    /// One `Kept` a dispute (aggregated together, the arrays are of one length).
    pub(super) fn into_kept(self) -> Vec<Kept> {
        let a = self;
        (0..a.id.len())
            .map(|n| Kept {
                id: a.id[n],
                calendar_id: a.calendar_id[n],
                first_response_minutes: a.first_response_minutes[n],
                response_stopped: a.response_stopped[n],
                response_paused: a.response_paused[n],
                response_s: a.response_s[n],
                resolution_minutes: a.resolution_minutes[n],
                resolution_stopped: a.resolution_stopped[n],
                resolution_paused: a.resolution_paused[n],
                resolution_s: a.resolution_s[n],
            })
            .collect()
    }
}

/// The columns of `Kept`, from `dispute_clocks k` and `sla_policies s`.
pub(super) const KEPT_COLUMNS: &str = "k.dispute_id AS id, s.calendar_id, s.first_response_minutes,
        k.response_stopped, k.response_paused, k.response_s, s.resolution_minutes,
        k.resolution_stopped, k.resolution_paused, k.resolution_s";

/// Where `KEPT_COLUMNS` are read from without a line's tables (`k.open`: not resolved).
pub(super) const KEPT_FROM: &str =
    " FROM dispute_clocks k JOIN sla_policies s ON s.id = k.policy_id";

/// What measuring disputes' clocks at a moment takes besides what the store keeps: the
/// calendars, and how many seconds each has counted by then.
pub(super) struct ClockInputs {
    calendars: BTreeMap<i32, Clock>,
    /// Seconds counted by `now` on each calendar (`None`: calendar hours), as the store counts.
    counted: BTreeMap<Option<i32>, i64>,
    now: DateTime<Utc>,
}

impl ClockInputs {
    /// A dispute's calendar (wall time without one) and both its clocks.
    pub(super) fn measure(&self, k: &Kept) -> Result<(&Clock, SlaClock, SlaClock), StoreError> {
        static WALL: Clock = Clock::Wall;
        let clock = k
            .calendar_id
            .and_then(|c| self.calendars.get(&c))
            .unwrap_or(&WALL);
        let counted = *self.counted.get(&k.calendar_id).ok_or_else(|| {
            StoreError::Refused(format!(
                "business calendar {} has no day for {}: SLA clocks count from 2000 to 2060",
                k.calendar_id.unwrap_or_default(),
                self.now.date_naive()
            ))
        })?;
        let response = KeptClock {
            target_minutes: i64::from(k.first_response_minutes),
            stopped: k.response_stopped,
            paused: k.response_paused,
            seconds: k.response_s,
        };
        let resolution = KeptClock {
            target_minutes: i64::from(k.resolution_minutes),
            stopped: k.resolution_stopped,
            paused: k.resolution_paused,
            seconds: k.resolution_s,
        };
        Ok((clock, response.at(counted), resolution.at(counted)))
    }

    /// The calendars and their counts at `now`, read side by side.
    pub(super) async fn read(pool: &PgPool, now: DateTime<Utc>) -> Result<Self, StoreError> {
        let counted = async {
            sqlx::query_as::<_, (Option<i32>, i64)>(
                "SELECT b.id, e.e FROM business_calendars b
                  CROSS JOIN LATERAL settle_counted_seconds(b.id, b.time_zone, $1) e
                 UNION ALL SELECT NULL, e FROM settle_counted_seconds(NULL, NULL, $1)",
            )
            .bind(now)
            .fetch_all(pool)
            .await
            .map_err(StoreError::from)
        };
        let (calendars, counted) = tokio::try_join!(calendars(pool), counted)?;
        Ok(ClockInputs {
            calendars,
            counted: counted.into_iter().collect(),
            now,
        })
    }
}

/// Every open dispute matching the filter, with clocks at `now`. `sla:ok|at_risk|breached`
/// filters on the worse clock.
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
pub(super) const LINE_SQL: &str = concat!(line_columns!(), line_from!());

/// The queue lines of the disputes `ids`, hundreds at a time on a lead's worklist; the caller
/// adds its conditions with ` AND …`. Joined from `unnest`, not matched by `d.id = ANY(…)`,
/// whose custom plan weighs every id of the array apart (767 ids: 2.6 ms of planning against
/// 1.0); and each customer looked up by its key, where the planner's custom plan would hash
/// every customer of the book to name a few hundred disputes.
pub(super) fn lines_by_id(ids: &[i64]) -> QueryBuilder<sqlx::Postgres> {
    let mut qb = QueryBuilder::new(concat!(line_columns!(), "FROM unnest("));
    qb.push_bind(ids).push(
        "::bigint[]) AS want(id) JOIN disputes d ON d.id = want.id
   CROSS JOIN LATERAL (SELECT c.id, c.name, c.segment_override FROM customers c
                        WHERE c.id = d.customer_id OFFSET 0) c
   JOIN invoices i ON i.id = d.invoice_id
   JOIN sla_policies s ON s.id = d.policy_id LEFT JOIN agents a ON a.id = d.assignee_id
   LEFT JOIN customer_profiles p ON p.customer_id = c.id WHERE true",
    );
    qb
}

/// The columns of a queue line, read from `line_from!()`'s tables.
macro_rules! line_columns {
    () => {
        "SELECT d.customer_id, d.number, c.name AS customer,
        coalesce(c.segment_override, p.segment, 'standard') AS segment,
        i.number AS invoice, d.category, d.state, d.amount_minor::bigint AS amount, d.currency::text AS currency,
        a.display_name AS assignee, d.escalated, s.name AS policy, d.id, d.opened_at,
        array(SELECT coalesce(ag.display_name, w.role_name) FROM presence w LEFT JOIN agents ag ON ag.role_name = w.role_name
               WHERE w.entity = 'dispute' AND w.key = d.id AND w.role_name <> session_user
                 AND w.seen_at > now() - interval '2 minutes' ORDER BY 1) AS watchers "
    };
}
use line_columns;

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
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let (kept, inputs) = tokio::try_join!(kept_of(pool, &ids), ClockInputs::read(pool, now))?;
    lines_from(rows, &kept, &inputs)
}

/// What the store keeps of the clocks of the disputes `ids`. Read apart from `LINE_SQL`, not
/// joined to it: one more table there pushes the line's join past the planner's collapse limit
/// (12–25 ms of planning a load, measured).
pub(super) async fn kept_of(pool: &PgPool, ids: &[i64]) -> Result<Vec<Kept>, StoreError> {
    Ok(QueryBuilder::new("SELECT ")
        .push(KEPT_COLUMNS)
        .push(KEPT_FROM)
        .push(" WHERE k.dispute_id = ANY(")
        .push_bind(ids)
        .push(")")
        .build_query_as()
        .fetch_all(pool)
        .await?)
}

/// Rows as queue lines, measured from inputs already read (a row whose clocks are not kept
/// is an error, never a line with empty clocks).
pub(super) fn lines_from(
    rows: Vec<Row>,
    kept: &[Kept],
    inputs: &ClockInputs,
) -> Result<Vec<DisputeLine>, StoreError> {
    let kept: BTreeMap<i64, &Kept> = kept.iter().map(|k| (k.id, k)).collect();
    rows.into_iter()
        .map(|r| {
            let k = kept.get(&r.id).ok_or_else(|| {
                StoreError::Refused(format!(
                    "dispute {} has no clocks kept: run `SELECT settle_measure_all()` as the store's owner",
                    r.number
                ))
            })?;
            let (clock, first_response, resolution) = inputs.measure(k)?;
            Ok(DisputeLine {
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
                first_response,
                resolution,
                measured_at: inputs.now,
                clock: clock.clone(),
                watchers: r.watchers,
            })
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
