//! Calling the action functions. The database decides who may do what; these wrappers only
//! turn its refusals into errors the console can match on.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use thiserror::Error;

use crate::domain::states::{Channel, DisputeOutcome, DisputeState, Purpose, Tone};
use crate::model::ReminderContext;

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
    /// The live message for the invoice this one replaces (audited); None refuses if there is one.
    pub replace: Option<i64>,
}

/// Queues a message; returns its id. A live message for the same invoice is a conflict naming
/// it, unless this one says it replaces it.
pub async fn queue_outreach(pool: &PgPool, m: &NewMessage) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT queue_outreach($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(m.invoice)
            .bind(m.purpose.as_str())
            .bind(m.channel.as_str())
            .bind(m.tone.as_str())
            .bind(&m.subject)
            .bind(&m.body)
            .bind(m.send_after)
            .bind(&m.override_reason)
            .bind(m.replace)
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

/// A lead approves an escalation-tone message or rejects it with a reason.
pub async fn approve_outreach(
    pool: &PgPool,
    message: i64,
    approve: bool,
    reason: &str,
) -> Result<()> {
    sqlx::query("SELECT approve_outreach($1, $2, $3)")
        .bind(message)
        .bind(approve)
        .bind(reason)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn reminder_context(
    pool: &PgPool,
    invoice: i64,
    today: NaiveDate,
) -> Result<ReminderContext> {
    let may_go_at: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT CASE WHEN i.open_minor > 0
                      AND NOT EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.state <> 'resolved')
                     THEN reminder_due_at(i.id, $2) END
           FROM invoices i WHERE i.id = $1",
    )
    .bind(invoice)
    .bind(today)
    .fetch_one(pool)
    .await?;
    let existing: Option<(i64, String)> = sqlx::query_as(
        "SELECT o.id, format('MSG-%s by %s, %s, tone %s', o.id, coalesce(a.display_name, 'someone'),
                             to_char(o.created_at AT TIME ZONE 'UTC', 'FMDD Mon HH24:MI \"UTC\"'), o.tone)
           FROM outreach o LEFT JOIN agents a ON a.id = o.created_by
          WHERE o.invoice_id = $1 AND o.purpose = 'reminder'
            AND o.status IN ('draft', 'pending_approval', 'queued', 'sending', 'uncertain')",
    )
    .bind(invoice)
    .fetch_optional(pool)
    .await?;
    let (contact, signer): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT (SELECT c.name FROM contacts c WHERE c.customer_id = i.customer_id
                  ORDER BY c.is_primary DESC, c.id LIMIT 1),
                (SELECT a.display_name FROM customer_owners co JOIN agents a ON a.id = co.agent_id
                  WHERE co.customer_id = i.customer_id AND co.relation = 'account_executive'
                    AND coalesce(cu.segment_override, p.segment) = 'vip' ORDER BY a.id LIMIT 1)
           FROM invoices i JOIN customers cu ON cu.id = i.customer_id
           LEFT JOIN customer_profiles p ON p.customer_id = i.customer_id WHERE i.id = $1",
    )
    .bind(invoice)
    .fetch_one(pool)
    .await?;
    let (orders, dispute): (Vec<String>, Option<String>) = sqlx::query_as(
        "SELECT array(SELECT o.number FROM hold_blockers hb JOIN holds h ON h.id = hb.hold_id
                        JOIN orders o ON o.id = h.order_id
                       WHERE hb.invoice_id = $1 AND h.status <> 'released' ORDER BY o.number),
                (SELECT d.number || ', ' || replace(d.state, '_', ' ') FROM disputes d
                  WHERE d.invoice_id = $1 AND d.state <> 'resolved' ORDER BY d.opened_at DESC LIMIT 1)",
    )
    .bind(invoice)
    .fetch_one(pool)
    .await?;
    Ok(ReminderContext {
        may_go_at,
        existing,
        contact,
        signer,
        orders,
        dispute,
    })
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
