//! Outreach delivered over SMTP exactly once, against a real SMTP server in the test (the
//! mailin-embedded library as a sink): headers, guards at send time, 4xx and 5xx replies, three
//! workers on one queue, and a worker killed mid-batch.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{TestDb, login_role, one, seeded_db};
use mailin_embedded::{AuthMechanism, Handler, Response, Server, SslConfig, response};
use sqlx::PgPool;

/// Every message the sink accepted, as raw text.
#[derive(Clone, Default)]
struct Sink {
    mails: Arc<Mutex<Vec<String>>>,
    current: Vec<u8>,
    /// Pause before accepting each message (a slow server).
    delay: Duration,
}

impl Handler for Sink {
    fn rcpt(&mut self, to: &str) -> Response {
        if to.starts_with("reject") {
            response::NO_MAILBOX
        } else if to.starts_with("later") {
            Response::custom(451, "greylisted, try again later".into())
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _: &str, _: &str, _: bool, _: &[String]) -> Response {
        self.current.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        std::thread::sleep(self.delay);
        let mail = String::from_utf8_lossy(&self.current).into_owned();
        self.mails.lock().unwrap().push(mail);
        response::OK
    }
}

/// Starts a sink on a free port; its URL and what it received.
fn sink(delay: Duration) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = Sink {
        delay,
        ..Default::default()
    };
    let mails = handler.mails.clone();
    let mut server = Server::new(handler);
    server
        .with_name("sink.test")
        .with_num_threads(8)
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (format!("smtp://127.0.0.1:{port}"), mails)
}

/// A header's value in a raw message.
fn header(mail: &str, name: &str) -> Option<String> {
    mail.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim().to_string())
}

/// A store with nothing queued but what the test queues, every contact reachable, and a
/// worker login.
async fn store(customers: usize, seed: u64) -> (TestDb, PgPool, String) {
    let (db, admin) = seeded_db(customers, seed).await;
    for sql in [
        "UPDATE outreach SET status = 'cancelled' WHERE status IN ('draft', 'queued')",
        "UPDATE contacts SET email = 'ap' || customer_id || '@customer.test'",
    ] {
        sqlx::query(sql).execute(&admin).await.unwrap();
    }
    login_role(&admin, "mail_worker", Some("settle_worker")).await;
    let url = db.url_as("mail_worker");
    (db, admin, url)
}

/// Queues a due message as the store would hold it; `invoice` None for one about no invoice.
async fn queue(
    admin: &PgPool,
    customer: i64,
    invoice: Option<i64>,
    channel: &str,
    overridden: bool,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO outreach (customer_id, invoice_id, invoice_ids, purpose, channel, tone, subject, body, copies,
                               send_after, status, override_reason)
         VALUES ($1, $2, coalesce(ARRAY[$2]::bigint[], '{}'), 'reminder', $3, 'friendly', 'About your invoice', 'Hello',
                 '{}', now() - interval '1 minute', 'queued', CASE WHEN $4 THEN 'test' END)
         RETURNING id",
    )
    .bind(customer)
    .bind(invoice)
    .bind(channel)
    .bind(overridden)
    .fetch_one(admin)
    .await
    .unwrap()
}

fn worker(url: &str, smtp: &str, extra: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_settle"));
    cmd.args(["--database-url", url, "--log-file", "/dev/null", "worker"])
        .args(["--smtp-url", smtp])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

fn run_once(url: &str, smtp: &str) -> String {
    let out = worker(url, smtp, &["--once"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

async fn statuses(admin: &PgPool, ids: &[i64]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        out.push(
            sqlx::query_scalar("SELECT status FROM outreach WHERE id = $1")
                .bind(id)
                .fetch_one(admin)
                .await
                .unwrap(),
        );
    }
    out
}

async fn customers_with_contacts(admin: &PgPool, n: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT DISTINCT customer_id FROM contacts ORDER BY 1 LIMIT $1")
        .bind(n)
        .fetch_all(admin)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_due_message_goes_once_with_its_headers_and_tasks_go_to_people() {
    let (_db, admin, url) = store(120, 51).await;
    let (smtp, mails) = sink(Duration::ZERO);
    let customers = customers_with_contacts(&admin, 5).await;
    let mut email = Vec::new();
    for c in &customers[..4] {
        email.push(queue(&admin, *c, None, "email", true).await);
    }
    let task = queue(&admin, customers[4], None, "phone_task", true).await;
    let said = run_once(&url, &smtp);
    let errors: Vec<Option<String>> =
        sqlx::query_scalar("SELECT last_error FROM outreach WHERE id = ANY($1)")
            .bind(&email)
            .fetch_all(&admin)
            .await
            .unwrap();
    assert!(
        said.contains("4 sent, 1 handed to people"),
        "{said} {errors:?}"
    );
    let got = mails.lock().unwrap().clone();
    assert_eq!(got.len(), 4);
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    ids.sort();
    let mut expected: Vec<String> = email
        .iter()
        .map(|id| format!("<outreach-{id}@settle.example>"))
        .collect();
    expected.sort();
    assert_eq!(ids, expected, "a stable Message-ID per outreach row");
    for m in &got {
        let row = header(m, "X-Settle-Outreach").unwrap();
        assert!(email.contains(&row.parse().unwrap()), "{m}");
        assert!(header(m, "To").unwrap().contains("@customer.test"), "{m}");
        assert!(header(m, "From").unwrap().contains("ar@settle.example"));
    }
    assert!(statuses(&admin, &email).await.iter().all(|s| s == "sent"));
    assert_eq!(statuses(&admin, &[task]).await, ["sent"]);
    let tasks = one(
        &admin,
        "SELECT count(*) FROM notifications WHERE kind = 'outreach_task'",
    )
    .await;
    assert_eq!(tasks, 1, "the phone task is a person's task");
    // Nothing is due any more: a second run sends nothing.
    run_once(&url, &smtp);
    assert_eq!(mails.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn guards_tripped_after_queueing_stop_the_send_and_say_why() {
    let (_db, admin, url) = store(150, 52).await;
    let (smtp, mails) = sink(Duration::ZERO);
    let disputed: (i64, i64) = sqlx::query_as(
        "SELECT i.id, i.customer_id FROM disputes d JOIN invoices i ON i.id = d.invoice_id
          WHERE d.state <> 'resolved' AND i.open_minor > 0 ORDER BY i.id LIMIT 1",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    let paid: (i64, i64) = sqlx::query_as(
        "SELECT id, customer_id FROM invoices WHERE open_minor = 0 AND amount_minor > 0 ORDER BY id LIMIT 1",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    let a = queue(&admin, disputed.1, Some(disputed.0), "email", false).await;
    let b = queue(&admin, paid.1, Some(paid.0), "email", false).await;
    run_once(&url, &smtp);
    assert!(mails.lock().unwrap().is_empty(), "nothing went out");
    assert_eq!(statuses(&admin, &[a, b]).await, ["cancelled", "cancelled"]);
    let why: String = sqlx::query_scalar("SELECT last_error FROM outreach WHERE id = $1")
        .bind(a)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(why, "not sent: the invoice is under dispute");
    let audited = one(
        &admin,
        "SELECT count(*) FROM audit_log WHERE action = 'outreach_cancelled_by_guard'",
    )
    .await;
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn a_permanent_refusal_fails_with_the_reply_and_a_temporary_one_waits_to_retry() {
    let (_db, admin, url) = store(120, 53).await;
    let (smtp, mails) = sink(Duration::ZERO);
    let customers = customers_with_contacts(&admin, 2).await;
    sqlx::query("UPDATE contacts SET email = 'reject@customer.test' WHERE customer_id = $1")
        .bind(customers[0])
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query("UPDATE contacts SET email = 'later@customer.test' WHERE customer_id = $1")
        .bind(customers[1])
        .execute(&admin)
        .await
        .unwrap();
    let refused = queue(&admin, customers[0], None, "email", true).await;
    let later = queue(&admin, customers[1], None, "email", true).await;
    let said = run_once(&url, &smtp);
    assert!(said.contains("1 to retry, 1 failed"), "{said}");
    assert!(mails.lock().unwrap().is_empty());
    let (status, error): (String, String) =
        sqlx::query_as("SELECT status, last_error FROM outreach WHERE id = $1")
            .bind(refused)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.contains("550"), "the server's reply is kept: {error}");
    let (status, error, attempts, waits): (String, String, i32, bool) = sqlx::query_as(
        "SELECT status, last_error, attempts, send_after > now() FROM outreach WHERE id = $1",
    )
    .bind(later)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!((status.as_str(), attempts, waits), ("queued", 1, true));
    assert!(error.contains("451"), "{error}");
}

#[tokio::test]
async fn three_workers_on_one_queue_deliver_a_thousand_messages_once_each() {
    let (_db, admin, url) = store(120, 54).await;
    let (smtp, mails) = sink(Duration::ZERO);
    let customers = customers_with_contacts(&admin, 50).await;
    sqlx::query(
        "INSERT INTO outreach (customer_id, purpose, channel, tone, subject, body, send_after, status, override_reason)
         SELECT $1[1 + g % array_length($1, 1)], 'reminder', 'email', 'friendly', 'Bulk ' || g, 'Hello',
                now() - interval '1 minute', 'queued', 'test'
           FROM generate_series(1, 1000) g",
    )
    .bind(&customers)
    .execute(&admin)
    .await
    .unwrap();
    let workers: Vec<std::process::Child> = (0..3)
        .map(|_| {
            worker(&url, &smtp, &["--once", "--batch", "25"])
                .spawn()
                .unwrap()
        })
        .collect();
    for w in workers {
        let out = w.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let got = mails.lock().unwrap().clone();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for m in &got {
        *ids.entry(header(m, "Message-ID").unwrap()).or_default() += 1;
    }
    assert_eq!(got.len(), 1000, "every message delivered");
    assert!(ids.values().all(|n| *n == 1), "no Message-ID twice");
    let sent = one(
        &admin,
        "SELECT count(*) FROM outreach WHERE status = 'sent' AND subject LIKE 'Bulk %'",
    )
    .await;
    assert_eq!(sent, 1000);
}

#[tokio::test]
async fn a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice() {
    let (_db, admin, url) = store(120, 55).await;
    // A slow server: the batch is still going when the worker is killed.
    let (smtp, mails) = sink(Duration::from_millis(40));
    let customers = customers_with_contacts(&admin, 20).await;
    sqlx::query(
        "INSERT INTO outreach (customer_id, purpose, channel, tone, subject, body, send_after, status, override_reason)
         SELECT $1[1 + g % array_length($1, 1)], 'reminder', 'email', 'friendly', 'Kill ' || g, 'Hello',
                now() - interval '1 minute', 'queued', 'test'
           FROM generate_series(1, 60) g",
    )
    .bind(&customers)
    .execute(&admin)
    .await
    .unwrap();
    let mut first = worker(&url, &smtp, &["--lease", "10", "--batch", "30"])
        .spawn()
        .unwrap();
    let start = Instant::now();
    while mails.lock().unwrap().len() < 10 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the first worker never sent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap(); // SIGKILL: no chance to finish or give anything back
    first.wait().unwrap();
    // After the lease, a second worker takes over what was claimed and not started.
    std::thread::sleep(Duration::from_secs(11));
    run_once(&url, &smtp);
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, count(*) FROM outreach WHERE subject LIKE 'Kill %' GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    let count = |s: &str| counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    assert_eq!(
        count("sent") + count("uncertain"),
        60,
        "nothing lost: {counts:?}"
    );
    assert!(
        count("uncertain") <= 1,
        "at most the one in flight: {counts:?}"
    );
    let got = mails.lock().unwrap().clone();
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    let all = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all, "nothing sent twice");
    assert!(
        all as i64 == count("sent") || all as i64 == count("sent") + 1,
        "the sink holds every sent message (and perhaps the uncertain one): {all} vs {counts:?}"
    );
}

#[tokio::test]
async fn only_the_worker_holding_a_claim_may_send_it_and_only_leads_decide_uncertain_ones() {
    let (db, admin, url) = store(100, 56).await;
    let customers = customers_with_contacts(&admin, 1).await;
    let id = queue(&admin, customers[0], None, "email", true).await;
    login_role(&admin, "mail_worker_b", Some("settle_worker")).await;
    let a = settle::store::pool(&url, 1).await.unwrap();
    let b = common::as_role(&db, "mail_worker_b").await;
    let ben = common::as_role(&db, "ben").await;
    // A collector can do none of the worker's steps.
    for sql in [
        "SELECT * FROM claim_outreach(1, 30)",
        "SELECT begin_sending(1)",
        "SELECT finish_sending(1, 'sent', '')",
        "SELECT * FROM hand_to_person(1)",
        "SELECT release_outreach_claims()",
        "SELECT decide_uncertain(1, 'sent')",
    ] {
        let err = sqlx::query(sql).execute(&ben).await.unwrap_err();
        assert_eq!(common::code(err), "42501", "{sql}");
    }
    let claimed = settle::store::outbox::claim(&a, 5, 30).await.unwrap();
    assert_eq!(claimed.iter().map(|m| m.id).collect::<Vec<_>>(), [id]);
    assert!(
        settle::store::outbox::claim(&b, 5, 30)
            .await
            .unwrap()
            .is_empty(),
        "a live claim is nobody else's"
    );
    let err = settle::store::outbox::begin_sending(&b, id)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not claimed by mail_worker_b"),
        "{err}"
    );
    assert_eq!(
        settle::store::outbox::begin_sending(&a, id).await.unwrap(),
        None
    );
    // The worker dies here. Once its lease is over the message is uncertain, not resent.
    sqlx::query("UPDATE outreach SET lease_until = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(&admin)
        .await
        .unwrap();
    assert!(
        settle::store::outbox::claim(&b, 5, 30)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(statuses(&admin, &[id]).await, ["uncertain"]);
    let collector = sqlx::query("SELECT decide_uncertain($1, 'resend')")
        .bind(id)
        .execute(&ben)
        .await
        .unwrap_err();
    assert_eq!(common::code(collector), "42501");
    let ava = common::as_role(&db, "ava").await;
    sqlx::query("SELECT decide_uncertain($1, 'sent')")
        .bind(id)
        .execute(&ava)
        .await
        .unwrap();
    assert_eq!(statuses(&admin, &[id]).await, ["sent"]);
    let audited = one(
        &admin,
        "SELECT count(*) FROM audit_log WHERE action IN ('outreach_uncertain', 'outreach_decided')",
    )
    .await;
    assert_eq!(audited, 2);
}

/// A relay that wants STARTTLS and AUTH PLAIN as `settle`/`s3cret`, with a certificate for
/// `localhost` from a private CA.
#[derive(Clone, Default)]
struct Relay {
    inner: Sink,
    logins: Arc<Mutex<Vec<String>>>,
}

impl Handler for Relay {
    fn auth_plain(&mut self, _: &str, user: &str, password: &str) -> Response {
        self.logins.lock().unwrap().push(user.to_string());
        if (user, password) == ("settle", "s3cret") {
            response::AUTH_OK
        } else {
            response::INVALID_CREDENTIALS
        }
    }
    fn rcpt(&mut self, to: &str) -> Response {
        self.inner.rcpt(to)
    }
    fn data_start(&mut self, a: &str, b: &str, c: bool, d: &[String]) -> Response {
        self.inner.data_start(a, b, c, d)
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.data(buf)
    }
    fn data_end(&mut self) -> Response {
        self.inner.data_end()
    }
}

/// Starts the relay; its port, the CA's PEM file, what it received and who logged in.
fn relay(dir: &std::path::Path) -> (u16, std::path::PathBuf, Relay) {
    settle::install_tls_provider();
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let (ca_path, cert_path, key_path) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&ca_path, ca.pem()).unwrap();
    std::fs::write(&cert_path, leaf.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = Relay::default();
    let mut server = Server::new(handler.clone());
    server
        .with_name("relay.test")
        .with_num_threads(4)
        .with_auth(AuthMechanism::Plain)
        .with_ssl(SslConfig::SelfSigned {
            cert_path: cert_path.display().to_string(),
            key_path: key_path.display().to_string(),
        })
        .unwrap()
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (port, ca_path, handler)
}

#[tokio::test]
async fn starttls_and_auth_when_the_url_asks_and_bad_credentials_fail_no_message() {
    let (_db, admin, url) = store(60, 53).await;
    let dir = tempfile::tempdir().unwrap();
    let (port, ca, relay) = relay(dir.path());
    let customers = customers_with_contacts(&admin, 2).await;
    let first = queue(&admin, customers[0], None, "email", true).await;
    let ca_arg = ca.display().to_string();

    // Wrong password: the worker says the server refused the session and fails nothing.
    let wrong = format!("smtp://settle:nope@localhost:{port}?tls=required");
    let out = worker(&url, &wrong, &["--once", "--smtp-ca", &ca_arg])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("refused the session"), "{said}");
    assert!(
        !said.contains("nope"),
        "the password is never shown: {said}"
    );
    assert_eq!(statuses(&admin, &[first]).await, ["queued"]);
    let claimed: Option<String> =
        sqlx::query_scalar("SELECT claimed_by FROM outreach WHERE id = $1")
            .bind(first)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(claimed, None, "the claim went back");

    // Without the private CA the certificate is not trusted: nothing goes in the clear.
    let right = format!("smtp://settle:s3cret@localhost:{port}?tls=required");
    let out = worker(&url, &right, &["--once"]).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(statuses(&admin, &[first]).await, ["queued"]);

    // STARTTLS with the CA and the right credentials: delivered, once.
    let second = queue(&admin, customers[1], None, "email", true).await;
    let out = worker(&url, &right, &["--once", "--smtp-ca", &ca_arg])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("2 sent"), "{said}");
    assert_eq!(statuses(&admin, &[first, second]).await, ["sent", "sent"]);
    assert_eq!(relay.inner.mails.lock().unwrap().len(), 2);
    assert!(relay.logins.lock().unwrap().iter().any(|u| u == "settle"));
    // Its history names the claim, the send and the worker.
    let steps: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE entity = 'outreach' AND entity_id = $1 ORDER BY chain_seq",
    )
    .bind(second)
    .fetch_all(&admin)
    .await
    .unwrap();
    assert!(steps.iter().any(|s| s == "outreach_claimed"), "{steps:?}");
}
