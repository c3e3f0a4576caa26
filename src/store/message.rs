//! One message, as `enter` on `:outreach` shows it: to, cc, subject, body, where it stands,
//! what the last attempt came to, and its history from the audit log.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use crate::domain::states::{Channel, OutreachStatus, Purpose, Tone};
use crate::model::{AuditEntry, MessageView, OutreachLine};

#[derive(sqlx::FromRow)]
struct Row {
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
    body: String,
    copies: Vec<String>,
    send_after: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    attempts: i32,
    claimed_by: Option<String>,
    last_error: Option<String>,
    suppression: Option<String>,
    created_by: Option<String>,
}

/// Message `id`, or a plain refusal if there is none.
pub async fn message(pool: &PgPool, id: i64) -> Result<MessageView, StoreError> {
    let r: Option<Row> = sqlx::query_as(
        "SELECT m.id, m.customer_id, c.name AS customer, i.number AS invoice, m.purpose, m.channel, m.tone, m.status,
                m.subject, m.body, m.copies, m.send_after, m.sent_at, m.attempts, m.claimed_by, m.last_error,
                CASE WHEN m.status IN ('draft', 'queued') AND m.purpose = 'reminder' AND m.invoice_id IS NOT NULL
                     AND m.override_reason IS NULL THEN reminder_block(m.invoice_id, settle_today()) END AS suppression,
                a.display_name AS created_by
           FROM outreach m JOIN customers c ON c.id = m.customer_id LEFT JOIN invoices i ON i.id = m.invoice_id
           LEFT JOIN agents a ON a.id = m.created_by
          WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(r) = r else {
        return Err(StoreError::Refused(format!(
            "message MSG-{id} does not exist"
        )));
    };
    let may_read: bool =
        sqlx::query_scalar("SELECT has_column_privilege('contacts', 'email', 'SELECT')")
            .fetch_one(pool)
            .await?;
    let to: Option<String> = if may_read {
        sqlx::query_scalar(
            "SELECT name || ' <' || email || '>' FROM contacts WHERE customer_id = $1 AND coalesce(email, '') <> ''
              ORDER BY is_primary DESC, (channel = 'email') DESC, id LIMIT 1",
        )
        .bind(r.customer_id)
        .fetch_optional(pool)
        .await?
    } else {
        None
    };
    let history: Vec<(i64, DateTime<Utc>, String, String, String)> = sqlx::query_as(
        "SELECT id, at, actor, action, details::text FROM audit_log
          WHERE entity = 'outreach' AND entity_id = $1 ORDER BY chain_seq LIMIT 100",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let history = history
        .into_iter()
        .map(|(hid, at, actor, action, details)| AuditEntry {
            id: hid,
            at,
            actor,
            action,
            entity: "outreach".into(),
            entity_id: Some(id),
            customer: None,
            details,
        })
        .collect();
    Ok(MessageView {
        line: OutreachLine {
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
        },
        body: r.body,
        to,
        sent_at: r.sent_at,
        attempts: r.attempts,
        claimed_by: r.claimed_by,
        created_by: r.created_by,
        history,
    })
}
