//! Delivery: claim due messages with a lease (renewed while working), re-check each one's
//! guards, mark it `sending` before talking to SMTP and `sent` after the server accepted it.
//! A temporary failure (4xx, no connection) goes back to the queue with a backoff; a permanent
//! one (5xx) fails with the server's reply. Phone tasks and personal notes go to a person.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::PgPool;

use crate::domain::states::Channel;
use crate::store::outbox::{self, Claimed, Outcome};

/// How the worker sends.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Mailbox,
    /// Message-IDs are `<outreach-ID@domain>`: stable for the row, whichever worker sends it.
    domain: String,
}

impl Mailer {
    /// `url`: `smtp://host:port` (plain), `smtp://host:port?tls=required` (STARTTLS),
    /// `smtps://user:pass@host:465` (TLS); `from` and `reply_to` as `Name <address>`; `ca`:
    /// PEM certificates to trust beside the public roots (a relay with a private CA).
    pub fn new(url: &str, from: &str, reply_to: &str, ca: Option<&[u8]>) -> anyhow::Result<Mailer> {
        let unusable = |e: &dyn std::fmt::Display| {
            // Never the password: the URL as given may carry one.
            let shown = url::Url::parse(url).map_or_else(
                |_| "(unparsable)".to_string(),
                |mut u| {
                    let _ = u.set_password(None);
                    u.to_string()
                },
            );
            anyhow::anyhow!("the SMTP URL `{shown}` is not usable: {e}")
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| unusable(&e))?;
        if let Some(pem) = ca {
            builder = builder.tls(tls_with_ca(url, pem).map_err(|e| unusable(&e))?);
        }
        let transport = builder.timeout(Some(Duration::from_secs(30))).build();
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("mail_from `{from}` is not an address: {e}"))?;
        let reply_to: Mailbox = reply_to
            .parse()
            .map_err(|e| anyhow::anyhow!("mail_reply_to `{reply_to}` is not an address: {e}"))?;
        let domain = from.email.domain().to_string();
        Ok(Mailer {
            transport,
            from,
            reply_to,
            domain,
        })
    }

    /// Whether a session with the server opens (connect, TLS, AUTH); why not if it does not.
    pub async fn session_opens(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the server did not answer".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    pub fn message_id(&self, outreach: i64) -> String {
        format!("<outreach-{outreach}@{}>", self.domain)
    }
}

/// The TLS the URL asks for (`smtps://` wraps, `?tls=required` or `opportunistic` upgrades
/// with STARTTLS), trusting `pem`'s certificates as well as the public roots.
fn tls_with_ca(url: &str, pem: &[u8]) -> anyhow::Result<Tls> {
    let parsed = url::Url::parse(url)?;
    let host = parsed
        .host_str()
        .ok_or_else(|| anyhow::anyhow!("no host"))?
        .to_string();
    let mut params = TlsParameters::builder(host);
    let text = std::str::from_utf8(pem)?;
    let mut found = 0;
    for block in text.split_inclusive("-----END CERTIFICATE-----") {
        if let Some(at) = block.find("-----BEGIN CERTIFICATE-----") {
            params = params.add_root_certificate(Certificate::from_pem(&block.as_bytes()[at..])?);
            found += 1;
        }
    }
    anyhow::ensure!(found > 0, "the CA file holds no PEM certificate");
    let params = params.build_rustls()?;
    let mode = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    Ok(match (parsed.scheme(), mode.as_deref()) {
        ("smtps", _) => Tls::Wrapper(params),
        ("smtp", Some("required")) => Tls::Required(params),
        ("smtp", Some("opportunistic")) => Tls::Opportunistic(params),
        _ => anyhow::bail!("a CA file needs TLS: smtps:// or smtp://…?tls=required"),
    })
}

/// `X-Settle-Outreach: <id>`: which outreach row a delivered message came from.
#[derive(Debug, Clone)]
struct SettleOutreach(String);

impl Header for SettleOutreach {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Settle-Outreach")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(SettleOutreach(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// What the delivery of one batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u32,
    pub tasks: u32,
    pub held: u32,
    pub retry: u32,
    pub failed: u32,
}

impl Delivered {
    pub fn add(&mut self, other: Delivered) {
        self.sent += other.sent;
        self.tasks += other.tasks;
        self.held += other.held;
        self.retry += other.retry;
        self.failed += other.failed;
    }

    pub fn is_empty(&self) -> bool {
        *self == Delivered::default()
    }

    pub fn describe(&self) -> String {
        format!(
            "{} sent, {} handed to people, {} held back, {} to retry, {} failed",
            self.sent, self.tasks, self.held, self.retry, self.failed
        )
    }
}

/// Claims and delivers due messages until none are due (or `stop` is set). Leases are renewed
/// in the background while a batch is worked on.
pub async fn deliver_due(
    pool: &PgPool,
    mailer: Option<&Mailer>,
    batch: i32,
    lease_seconds: i32,
    stop: &Arc<AtomicBool>,
) -> anyhow::Result<Delivered> {
    let mut total = Delivered::default();
    while !stop.load(Ordering::Relaxed) {
        let claimed = outbox::claim(pool, batch, lease_seconds).await?;
        if claimed.is_empty() {
            break;
        }
        let renewing = {
            let pool = pool.clone();
            tokio::spawn(async move {
                let every = Duration::from_secs((lease_seconds / 3).max(1) as u64);
                loop {
                    tokio::time::sleep(every).await;
                    if let Err(e) = outbox::renew(&pool, lease_seconds).await {
                        tracing::warn!("could not renew the outreach leases: {e}");
                    }
                }
            })
        };
        let mut done = Delivered::default();
        let mut session_checked = false;
        for m in &claimed {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            // A server that refuses the session itself (TLS, credentials) is not a verdict on
            // any message: before the first e-mail, make sure the session opens; if it does
            // not, give the claims back and say so, failing nothing.
            if let (Some(mailer), false, Channel::Email | Channel::Portal) =
                (mailer, session_checked, m.channel)
            {
                if let Err(why) = mailer.session_opens().await {
                    renewing.abort();
                    outbox::release(pool).await?;
                    anyhow::bail!(
                        "the SMTP server refused the session ({why}); e-mail waits, nothing was marked failed"
                    );
                }
                session_checked = true;
            }
            match deliver_one(pool, mailer, m).await {
                Ok(d) => done.add(d),
                Err(e) => tracing::error!("message {}: {e}", m.id),
            }
        }
        renewing.abort();
        total.add(done);
        if stop.load(Ordering::Relaxed) {
            // What was claimed and not started goes back for another worker.
            outbox::release(pool).await?;
        }
    }
    Ok(total)
}

async fn deliver_one(
    pool: &PgPool,
    mailer: Option<&Mailer>,
    m: &Claimed,
) -> anyhow::Result<Delivered> {
    let mut d = Delivered::default();
    if matches!(m.channel, Channel::PhoneTask | Channel::PersonalNote) {
        return hand_over(pool, m).await;
    }
    let Some(mailer) = mailer else {
        // No SMTP server configured: leave e-mail for a worker that has one.
        return Ok(d);
    };
    if let Some(why) = outbox::begin_sending(pool, m.id).await? {
        tracing::info!("message {} not sent: {why}", m.id);
        d.held = 1;
        return Ok(d);
    }
    // From here the message is `sending`: whatever happens, it is never sent again by itself.
    let recipients = outbox::recipients(pool, m).await?;
    let (outcome, reply) = send(mailer, m, &recipients).await;
    outbox::finish(pool, m.id, outcome, &reply).await?;
    tracing::info!("message {}: {outcome:?} ({reply})", m.id);
    match outcome {
        Outcome::Sent => d.sent = 1,
        Outcome::Retry => d.retry = 1,
        Outcome::Failed => d.failed = 1,
    }
    Ok(d)
}

/// A phone task or personal note goes to a person, not to the customer's inbox.
async fn hand_over(pool: &PgPool, m: &Claimed) -> anyhow::Result<Delivered> {
    let mut d = Delivered::default();
    match outbox::hand_to_person(pool, m.id).await? {
        Ok(who) => {
            tracing::info!("message {} ({}) handed to {who}", m.id, m.channel);
            d.tasks = 1;
        }
        Err(why) => {
            tracing::info!("message {} not handed over: {why}", m.id);
            d.held = 1;
        }
    }
    Ok(d)
}

/// Hands the message to the SMTP server: what came of it, and the server's words.
async fn send(mailer: &Mailer, m: &Claimed, r: &outbox::Recipients) -> (Outcome, String) {
    let email = match build(mailer, m, r) {
        Ok(email) => email,
        Err(why) => return (Outcome::Failed, why),
    };
    match mailer.transport.send(email).await {
        Ok(response) => (
            Outcome::Sent,
            format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            ),
        ),
        Err(e) if e.is_permanent() => (Outcome::Failed, e.to_string()),
        // 4xx, refused connections, timeouts: try again later.
        Err(e) => (Outcome::Retry, e.to_string()),
    }
}

/// The e-mail for a claimed message, or why there can be none.
fn build(mailer: &Mailer, m: &Claimed, r: &outbox::Recipients) -> Result<Message, String> {
    let Some((name, address)) = &r.to else {
        return Err("no contact with an e-mail address for this customer".into());
    };
    let mailbox = |name: &str, address: &str| -> Result<Mailbox, String> {
        let address: lettre::Address = address
            .trim()
            .parse()
            .map_err(|e| format!("`{address}` is not an e-mail address: {e}"))?;
        // lettre quotes the name; control characters (line breaks above all) have no place
        // in a header.
        let name: String = name
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Ok(Mailbox::new(Some(name), address))
    };
    let mut builder = Message::builder()
        .from(mailer.from.clone())
        .reply_to(mailer.reply_to.clone())
        .to(mailbox(name, address)?)
        .subject(m.subject.clone())
        .message_id(Some(mailer.message_id(m.id)))
        .header(SettleOutreach(m.id.to_string()))
        .header(ContentType::TEXT_PLAIN);
    for (name, address) in &r.cc {
        builder = builder.cc(mailbox(name, address)?);
    }
    builder
        .body(m.body.clone())
        .map_err(|e| format!("the message cannot be built: {e}"))
}
