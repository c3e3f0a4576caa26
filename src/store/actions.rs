//! Calling the action functions. The database decides who may do what; these wrappers only
//! turn its refusals into errors the console can match on.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use thiserror::Error;

use crate::domain::states::{Channel, DisputeOutcome, DisputeState, Purpose, Tone};

/// Why an action did not happen.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ActionError {
    /// Someone else got there first; the message names who and when.
    #[error("{0}")]
    Conflict(String),
    /// The caller's role may not do this.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The request itself is wrong (no reason given, disputed invoice, bad transition).
    #[error("{0}")]
    Refused(String),
    #[error("the store could not be reached: {0}")]
    Unreachable(String),
}

impl From<sqlx::Error> for ActionError {
    fn from(e: sqlx::Error) -> Self {
        let Some(db) = e.as_database_error() else {
            return ActionError::Unreachable(e.to_string());
        };
        let msg = db.message().to_string();
        match db.code().as_deref() {
            Some("SE409") => ActionError::Conflict(msg),
            Some("42501") => ActionError::Forbidden(msg),
            _ => ActionError::Refused(msg),
        }
    }
}

type Result<T> = std::result::Result<T, ActionError>;

pub async fn release_hold(pool: &PgPool, hold: i64, reason: &str) -> Result<()> {
    sqlx::query("SELECT release_hold($1, $2)")
        .bind(hold)
        .bind(reason)
        .execute(pool)
        .await?;
    Ok(())
}

/// Assigns a dispute to `agent` (None: to me), if it is still assigned to `seen`.
pub async fn assign_dispute(
    pool: &PgPool,
    dispute: i64,
    agent: Option<i32>,
    seen: Option<i32>,
) -> Result<()> {
    sqlx::query("SELECT assign_dispute($1, coalesce($2, settle_agent()), $3)")
        .bind(dispute)
        .bind(agent)
        .bind(seen)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn respond_dispute(pool: &PgPool, dispute: i64, note: &str) -> Result<()> {
    sqlx::query("SELECT respond_dispute($1, $2)")
        .bind(dispute)
        .bind(note)
        .execute(pool)
        .await?;
    Ok(())
}

/// Moves a dispute from the state the caller saw to `to`.
pub async fn move_dispute(
    pool: &PgPool,
    dispute: i64,
    seen: DisputeState,
    to: DisputeState,
    outcome: Option<DisputeOutcome>,
    credited: Option<i64>,
    note: &str,
) -> Result<()> {
    sqlx::query("SELECT move_dispute($1, $2, $3, $4, $5, $6)")
        .bind(dispute)
        .bind(seen.as_str())
        .bind(to.as_str())
        .bind(outcome.map(DisputeOutcome::as_str))
        .bind(credited)
        .bind(note)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn escalate_dispute(pool: &PgPool, dispute: i64, note: &str) -> Result<()> {
    sqlx::query("SELECT escalate_dispute($1, $2)")
        .bind(dispute)
        .bind(note)
        .execute(pool)
        .await?;
    Ok(())
}

/// What to queue about an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub invoice: i64,
    pub purpose: Purpose,
    pub channel: Channel,
    pub tone: Tone,
    pub subject: String,
    pub body: String,
    /// When it may go; None: as soon as the store allows (its own clock, not this machine's).
    pub send_after: Option<DateTime<Utc>>,
    /// Why to send although the invoice is disputed, paid or suppressed.
    pub override_reason: Option<String>,
}

/// Queues a message; returns its id (the one already queued, if there is one).
pub async fn queue_outreach(pool: &PgPool, m: &NewMessage) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT queue_outreach($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(m.invoice)
            .bind(m.purpose.as_str())
            .bind(m.channel.as_str())
            .bind(m.tone.as_str())
            .bind(&m.subject)
            .bind(&m.body)
            .bind(m.send_after)
            .bind(&m.override_reason)
            .fetch_one(pool)
            .await?,
    )
}

pub async fn cancel_outreach(pool: &PgPool, message: i64) -> Result<()> {
    sqlx::query("SELECT cancel_outreach($1)")
        .bind(message)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn record_promise(
    pool: &PgPool,
    invoice: i64,
    amount: i64,
    promised_for: NaiveDate,
) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT record_promise($1, $2, $3)")
        .bind(invoice)
        .bind(amount)
        .bind(promised_for)
        .fetch_one(pool)
        .await?)
}

/// A lead puts a customer in a segment, whatever the rules say (`None` lifts the override);
/// the reason is audited.
pub async fn set_segment_override(
    pool: &PgPool,
    customer: i64,
    segment: Option<crate::domain::segment::Segment>,
    reason: &str,
) -> Result<()> {
    sqlx::query("SELECT set_segment_override($1, $2, $3)")
        .bind(customer)
        .bind(segment.map(|s| s.code()))
        .bind(reason)
        .execute(pool)
        .await?;
    Ok(())
}

/// A lead decides an uncertain message: it went (`true`) or goes again (`false`).
pub async fn decide_uncertain(pool: &PgPool, message: i64, went: bool) -> Result<()> {
    sqlx::query("SELECT decide_uncertain($1, $2)")
        .bind(message)
        .bind(if went { "sent" } else { "resend" })
        .execute(pool)
        .await?;
    Ok(())
}

/// Why an automatic reminder for the invoice would wait, if it would.
pub async fn reminder_block(
    pool: &PgPool,
    invoice: i64,
    today: NaiveDate,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT reminder_block($1, $2)")
        .bind(invoice)
        .bind(today)
        .fetch_one(pool)
        .await?)
}

/// A segment's reminder template.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Template {
    pub subject: String,
    pub body: String,
    #[sqlx(try_from = "String")]
    pub tone: Tone,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
}

/// The template for a segment's reminder (the standard one if the segment has none).
pub async fn reminder_template(pool: &PgPool, segment: &str) -> Result<Template> {
    Ok(sqlx::query_as(
        "SELECT subject, body, tone, channel FROM outreach_templates
          WHERE purpose = 'reminder' AND segment IN ($1, 'standard') ORDER BY (segment = $1) DESC LIMIT 1",
    )
    .bind(segment)
    .fetch_one(pool)
    .await?)
}

/// Says which dispute this console's cursor rests on (best effort: a viewer may not).
pub async fn touch_presence(pool: &PgPool, entity: &str, key: i64) -> Result<()> {
    sqlx::query("SELECT touch_presence($1, $2)")
        .bind(entity)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}
