//! One message, as `enter` on `:outreach` shows it: to, cc, subject, body, where it stands,
//! what the last attempt came to, and its history from the audit log.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::lists::{OUTREACH_FROM, OUTREACH_LINE, OutreachRow};
use crate::model::{MessageView, OutreachLine};

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    line: OutreachRow,
    body: String,
    sent_at: Option<DateTime<Utc>>,
    attempts: i32,
    claimed_by: Option<String>,
    created_by: Option<String>,
    overridden: bool,
}

/// Message `id`, or a plain refusal if there is none.
pub async fn message(pool: &PgPool, id: i64) -> Result<MessageView, StoreError> {
    let r: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {OUTREACH_LINE}, m.body, m.sent_at, m.attempts, m.claimed_by, a.display_name AS created_by,
                m.override_reason IS NOT NULL AS overridden
           FROM {OUTREACH_FROM} LEFT JOIN agents a ON a.id = m.created_by
          WHERE m.id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(r) = r else {
        return Err(StoreError::Refused(format!(
            "message MSG-{id} does not exist"
        )));
    };
    let mut line = OutreachLine::from(r.line);
    // Sent with an override: the guard that would hold it back does not.
    if r.overridden {
        line.suppression = None;
    }
    let to = if super::may_read_contacts(pool).await? {
        super::outbox::addressee(pool, line.customer_id)
            .await?
            .map(|(name, email)| format!("{name} <{email}>"))
    } else {
        None
    };
    let history = super::ledger::trail(pool, "outreach", id).await?;
    Ok(MessageView {
        line,
        body: r.body,
        to,
        sent_at: r.sent_at,
        attempts: r.attempts,
        claimed_by: r.claimed_by,
        created_by: r.created_by,
        history,
    })
}
