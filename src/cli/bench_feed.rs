//! `settle bench feed`: does a roomful of consoles slow the store down? One writer posts
//! payments (each a payment, an allocation, their triggers and change-log rows) while 0 or N
//! headless consoles watch a view: the console's own feed, `update`, effects and rests, so
//! each reloads its view on changes exactly as a person's console does. Phases alternate;
//! medians and their ratio are reported from one run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::bench_soak::{attached, spawn_consoles};
use crate::runtime::headless::Counters;
use crate::store;

/// The writer as an ERP is: its own thread and runtime (not a task queued behind the
/// consoles' tasks in this process's runtime), its own connection.
async fn write_apart(url: &str, seconds: f64, salt: String) -> anyhow::Result<f64> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async {
            let pool = store::pool(&url, 1).await?;
            let rate = write_for(&pool, seconds, &salt).await;
            pool.close().await;
            rate
        })
    })
    .await?
}

/// Posts one-cent payments against open invoices for `seconds`; returns transactions per second.
async fn write_for(pool: &PgPool, seconds: f64, salt: &str) -> anyhow::Result<f64> {
    let invoices = store::bench::open_targets(pool, 2000).await?;
    anyhow::ensure!(
        !invoices.is_empty(),
        "no open invoices to post payments against"
    );
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        store::bench::post_cent(
            pool,
            &invoices[n as usize % invoices.len()],
            &format!("BENCH-{salt}-{n}"),
        )
        .await?;
        n += 1;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The worker beside the store, as `settle worker` runs: it publishes today's overview for
/// every console, and folds the summaries' deltas every five seconds (without it a flat-out
/// writer leaves hundreds of thousands for every overview to add up).
pub(crate) struct WorkerBeside {
    stop: Arc<AtomicBool>,
    publisher: tokio::task::JoinHandle<()>,
    folder: tokio::task::JoinHandle<()>,
}

impl WorkerBeside {
    /// Starts it on `url` (the store's owner or the worker's role).
    pub(crate) async fn start(url: &str) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let publisher = crate::runtime::shared_overview::spawn_publisher(
            store::pool(url, 1).await?,
            stop.clone(),
        );
        let pool = store::pool(url, 1).await?;
        let folder = tokio::spawn(async move {
            loop {
                if let Err(e) = store::summary::fold(&pool).await {
                    tracing::warn!("bench: folding the summaries: {e}");
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
        Ok(WorkerBeside {
            stop,
            publisher,
            folder,
        })
    }

    pub(crate) async fn stop(self) {
        self.folder.abort();
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.publisher.await;
    }
}

/// The writer's pace alone and with `consoles` consoles (as `url`) on `view`, round by round:
/// (alone, watched) transactions per second. Each round is printed as it ends.
pub(crate) async fn writer_paces(
    (url, writer): (&str, &str),
    consoles: usize,
    seconds: f64,
    rounds: usize,
    view: &str,
) -> anyhow::Result<Vec<(f64, f64)>> {
    // Payment references are unique: a run of its own never meets an earlier run's.
    let run_id = chrono::Utc::now().timestamp_millis();
    let mut out = Vec::new();
    for round in 0..rounds.max(1) {
        let alone = write_apart(writer, seconds, format!("{run_id}-a{round}")).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let handles = spawn_consoles(url, consoles, view, &stop, &counters);
        // 200 first overviews take seconds: the writer meets the consoles as they live.
        attached(&counters, consoles, Duration::from_secs(120)).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = counters.landed.load(Ordering::Relaxed);
        let failed_before = counters.failed.load(Ordering::Relaxed);
        let looks_before = counters.looks.load(Ordering::Relaxed);
        let t = Instant::now();
        let watched = write_apart(writer, seconds, format!("{run_id}-w{round}")).await?;
        let rate =
            (counters.landed.load(Ordering::Relaxed) - before) as f64 / t.elapsed().as_secs_f64();
        let failed = counters.failed.load(Ordering::Relaxed) - failed_before;
        let looks = (counters.looks.load(Ordering::Relaxed) - looks_before) as f64
            / t.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            let _ = h.await;
        }
        eprintln!(
            "round {}: alone {alone:.0} tx/s, with {consoles} consoles on {} {watched:.0} tx/s ({rate:.1} view loads/s, {failed} of them failed; feeds looked {looks:.0} times/s)",
            round + 1,
            if view.is_empty() {
                "the overview"
            } else {
                view
            },
        );
        out.push((alone, watched));
    }
    Ok(out)
}

/// `url` is the consoles' store (as the person watching), `writer` the ERP's and the
/// worker's connection.
pub async fn run(
    url: &str,
    writer: &str,
    consoles: usize,
    seconds: f64,
    rounds: usize,
    view: &str,
) -> anyhow::Result<()> {
    let worker = WorkerBeside::start(writer).await?;
    let paces = writer_paces((url, writer), consoles, seconds, rounds, view).await;
    worker.stop().await;
    let (alone, watched): (Vec<f64>, Vec<f64>) = paces?.into_iter().unzip();
    let (a, w) = (median(alone), median(watched));
    crate::outln!(
        "median: alone {a:.0} tx/s, with {consoles} consoles {w:.0} tx/s, ratio {:.3}",
        w / a
    );
    Ok(())
}

/// `settle bench visible`: change → visible on `view` with a worker beside the store.
pub async fn visible(
    (url, writer): (&str, &str),
    view: &str,
    consoles: usize,
    (seconds, rate): (f64, f64),
) -> anyhow::Result<()> {
    let worker = WorkerBeside::start(writer).await?;
    let v =
        super::bench_soak::change_to_visible((url, writer), view, consoles, (seconds, rate)).await;
    worker.stop().await;
    let v = v?;
    crate::outln!(
        "change → visible over {} payments × {consoles} consoles: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms; {} never shown; {} view loads failed; a load took {:.1} ms (p95 {:.1})",
        v.payments,
        v.p50_ms,
        v.p95_ms,
        v.max_ms,
        v.missed,
        v.failed,
        v.load_ms.0,
        v.load_ms.1
    );
    Ok(())
}
