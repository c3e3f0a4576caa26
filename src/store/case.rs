//! A dispute's case: its queue line, the invoice, the policy behind its clocks, and the
//! timeline from `dispute_events`, newest first.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::StoreError;
use crate::domain::states::{DisputeEvent, DisputeOutcome};
use crate::model::{Case, CaseEvent};

#[derive(sqlx::FromRow)]
struct Facts {
    line_item: Option<String>,
    outcome: Option<String>,
    credited: Option<i64>,
    resolved_at: Option<DateTime<Utc>>,
    invoice_amount: i64,
    invoice_open: i64,
    invoice_due: NaiveDate,
    first_response_minutes: i32,
    resolution_minutes: i32,
    calendar_id: Option<i32>,
    calendar: Option<String>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    kind: DisputeEvent,
    who: Option<String>,
    from_state: Option<String>,
    to_state: Option<String>,
    target: Option<String>,
    note: String,
}

/// The case of dispute `id` as seen at `now`.
pub async fn case(pool: &PgPool, id: i64, now: DateTime<Utc>) -> Result<Case, StoreError> {
    let Some(line) = super::disputes::dispute_line(pool, id, now).await? else {
        return Err(StoreError::Refused(format!("dispute {id} does not exist")));
    };
    let f: Facts = sqlx::query_as(
        "SELECT d.line_item, d.outcome, d.credited_minor::bigint AS credited, d.resolved_at,
                i.amount_minor::bigint AS invoice_amount, i.open_minor::bigint AS invoice_open, i.due_date AS invoice_due,
                s.first_response_minutes, s.resolution_minutes, s.calendar_id, b.name AS calendar
           FROM disputes d JOIN invoices i ON i.id = d.invoice_id JOIN sla_policies s ON s.id = d.policy_id
           LEFT JOIN business_calendars b ON b.id = s.calendar_id
          WHERE d.id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await?;
    let holidays: Vec<(NaiveDate, String)> = sqlx::query_as(
        "SELECT day, name FROM calendar_holidays WHERE calendar_id = $1 AND day >= $2::date ORDER BY day LIMIT 5",
    )
    .bind(f.calendar_id)
    .bind(now.date_naive())
    .fetch_all(pool)
    .await?;
    let events: Vec<EventRow> = sqlx::query_as(
        "SELECT e.at, e.kind, a.display_name AS who, e.from_state, e.to_state, t.display_name AS target, e.note
           FROM dispute_events e LEFT JOIN agents a ON a.id = e.agent_id LEFT JOIN agents t ON t.id = e.target_id
          WHERE e.dispute_id = $1 ORDER BY e.at DESC, e.id DESC",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(Case {
        line,
        line_item: f.line_item,
        outcome: f
            .outcome
            .map(|o| o.parse::<DisputeOutcome>())
            .transpose()
            .map_err(|e| StoreError::Refused(e.to_string()))?,
        credited: f.credited,
        resolved_at: f.resolved_at,
        invoice_amount: f.invoice_amount,
        invoice_open: f.invoice_open,
        invoice_due: f.invoice_due,
        first_response_minutes: f.first_response_minutes.into(),
        resolution_minutes: f.resolution_minutes.into(),
        calendar: f.calendar,
        holidays,
        events: events
            .into_iter()
            .map(|e| CaseEvent {
                at: e.at,
                kind: e.kind,
                who: e.who,
                from: e.from_state,
                to: e.to_state,
                target: e.target,
                note: e.note,
            })
            .collect(),
    })
}
