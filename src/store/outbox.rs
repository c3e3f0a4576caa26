//! The worker's side of outreach: claims with a lease, the guards re-checked at send time,
//! `sending` before SMTP and `sent` after, and what the recipients are. Every step is a
//! `SECURITY DEFINER` function acting as `session_user` (migration 0010).

use sqlx::PgPool;

use super::StoreError;
use crate::domain::states::Channel;

/// A message claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub customer_id: i64,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub subject: String,
    pub body: String,
    /// Relationship owners the message copies, by name.
    pub copies: Vec<String>,
}

/// Claims up to `limit` due messages for `lease_seconds`.
pub async fn claim(
    pool: &PgPool,
    limit: i32,
    lease_seconds: i32,
) -> Result<Vec<Claimed>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, channel, subject, body, copies FROM claim_outreach($1, $2)",
    )
    .bind(limit)
    .bind(lease_seconds)
    .fetch_all(pool)
    .await?)
}

/// Keeps this worker's claims for another `lease_seconds`; how many it kept.
pub async fn renew(pool: &PgPool, lease_seconds: i32) -> Result<i32, StoreError> {
    Ok(sqlx::query_scalar("SELECT renew_outreach_leases($1)")
        .bind(lease_seconds)
        .fetch_one(pool)
        .await?)
}

/// Gives back claims not started (a worker stopping).
pub async fn release(pool: &PgPool) -> Result<i32, StoreError> {
    Ok(sqlx::query_scalar("SELECT release_outreach_claims()")
        .fetch_one(pool)
        .await?)
}

/// Marks the message `sending` (committed) if its guards still allow it; otherwise why not
/// (the store cancelled it or moved it to when it may go).
pub async fn begin_sending(pool: &PgPool, message: i64) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT begin_sending($1)")
        .bind(message)
        .fetch_one(pool)
        .await?)
}

/// What became of a message handed to SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server accepted it.
    Sent,
    /// A temporary failure: back to the queue after a backoff.
    Retry,
    /// Refused for good.
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retry => "retry",
            Outcome::Failed => "failed",
        }
    }
}

/// Records what SMTP said.
pub async fn finish(
    pool: &PgPool,
    message: i64,
    outcome: Outcome,
    reply: &str,
) -> Result<(), StoreError> {
    sqlx::query("SELECT finish_sending($1, $2, $3)")
        .bind(message)
        .bind(outcome.as_str())
        .bind(reply)
        .execute(pool)
        .await?;
    Ok(())
}

/// A phone task or personal note becomes a task for a person: `Ok(whom)`, or `Err(why)` when
/// its guards held it back (the store cancelled it or moved it).
pub async fn hand_to_person(
    pool: &PgPool,
    message: i64,
) -> Result<Result<String, String>, StoreError> {
    let (to, held): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT handed_to, held FROM hand_to_person($1)")
            .bind(message)
            .fetch_one(pool)
            .await?;
    Ok(match (to, held) {
        (_, Some(why)) => Err(why),
        (to, None) => Ok(to.unwrap_or_default()),
    })
}

/// Whom an e-mail goes to and copies: the customer's contact (primary first, then those who
/// prefer e-mail) and the named relationship owners. (name, address) pairs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recipients {
    pub to: Option<(String, String)>,
    pub cc: Vec<(String, String)>,
}

pub async fn recipients(pool: &PgPool, m: &Claimed) -> Result<Recipients, StoreError> {
    let to = addressee(pool, m.customer_id).await?;
    let cc = sqlx::query_as(
        "SELECT display_name, email FROM agents WHERE display_name = ANY($1) AND coalesce(email, '') <> ''
          ORDER BY display_name",
    )
    .bind(&m.copies)
    .fetch_all(pool)
    .await?;
    Ok(Recipients { to, cc })
}

/// The contact a customer's e-mail goes to: (name, address), primary first, then those who
/// prefer e-mail. Needs a role that may read contacts' addresses.
pub async fn addressee(
    pool: &PgPool,
    customer: i64,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT name, email FROM contacts WHERE customer_id = $1 AND coalesce(email, '') <> ''
          ORDER BY is_primary DESC, (channel = 'email') DESC, id LIMIT 1",
    )
    .bind(customer)
    .fetch_optional(pool)
    .await?)
}

/// The sender's From and Reply-To (settings `mail_from`, `mail_reply_to`).
pub async fn sender_addresses(pool: &PgPool) -> Result<(String, String), StoreError> {
    Ok((
        super::setting(pool, "mail_from").await?,
        super::setting(pool, "mail_reply_to").await?,
    ))
}
