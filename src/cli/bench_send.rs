//! `settle bench send`: messages per second from the outreach queue through the worker's real
//! delivery path (claim with a lease, guards, `sending`, SMTP, `sent`) into an SMTP sink on this
//! machine, on a private store. It also checks that every message arrived once.

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mailin_embedded::{Handler, Response, Server, SslConfig, response};

use crate::demo::cluster::PrivateCluster;
use crate::store;
use crate::worker::deliver::{Delivered, Mailer, deliver_due};

/// An SMTP server that accepts everything and keeps each message's Message-ID.
#[derive(Clone, Default)]
struct Sink {
    ids: Arc<Mutex<Vec<String>>>,
    current: Vec<u8>,
}

impl Handler for Sink {
    fn data_start(&mut self, _: &str, _: &str, _: bool, _: &[String]) -> Response {
        self.current.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let text = String::from_utf8_lossy(&self.current);
        let id = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
            .map(|l| l["message-id:".len()..].trim().to_string())
            .unwrap_or_default();
        if let Ok(mut ids) = self.ids.lock() {
            ids.push(id);
        }
        response::OK
    }
}

pub(crate) fn start_sink() -> anyhow::Result<(String, Arc<Mutex<Vec<String>>>)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let sink = Sink::default();
    let ids = sink.ids.clone();
    let mut server = Server::new(sink);
    server
        .with_name("bench.sink")
        .with_num_threads(16)
        .with_ssl(SslConfig::None)
        .map_err(|e| anyhow::anyhow!("the SMTP sink: {e}"))?
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    Ok((format!("smtp://127.0.0.1:{port}"), ids))
}

pub async fn run(messages: usize, workers: usize, batch: i32) -> anyhow::Result<()> {
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start).await??;
    let (_url, pool) = cluster.create_store("settle_bench_send", 2).await?;
    store::seed::seed(&pool, store::seed::Scale::Small, 42, chrono::Utc::now()).await?;
    store::bench::queue_bench_messages(&pool, messages as i64).await?;
    let (smtp, ids) = start_sink()?;
    let (from, reply_to) = store::outbox::sender_addresses(&pool).await?;
    let mailer = Mailer::new(&smtp, &from, &reply_to, None)?;
    let worker_url = cluster.url_as("settle_demo_worker", "settle_bench_send");
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers.max(1) {
        let (mailer, stop, url) = (mailer.clone(), stop.clone(), worker_url.clone());
        tasks.push(tokio::spawn(async move {
            let pool = store::pool(&url, 2).await?;
            deliver_due(&pool, Some(&mailer), batch, 300, &stop).await
        }));
    }
    let mut done = Delivered::default();
    for t in tasks {
        done.add(t.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    let received = ids.lock().map(|v| v.clone()).unwrap_or_default();
    let unique: BTreeSet<&String> = received.iter().collect();
    crate::outln!(
        "{messages} messages, {workers} workers, batch {batch}: {:.1} s, {:.0} messages/s ({})",
        seconds,
        done.sent as f64 / seconds,
        done.describe()
    );
    crate::outln!(
        "the sink received {} messages, {} distinct Message-IDs",
        received.len(),
        unique.len()
    );
    anyhow::ensure!(
        received.len() == unique.len() && done.sent as usize == messages,
        "a message was lost or sent twice"
    );
    Ok(())
}
