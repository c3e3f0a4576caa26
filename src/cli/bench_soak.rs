//! `settle bench soak`: an hour of a working day, shortened or not. On a private store, N
//! headless consoles (the real feed, `update`, effects and rests) watch a view while an
//! ERP-like writer posts payments at a steady rate and a worker delivers outreach into a local
//! SMTP sink; optionally the database is restarted mid-run. It reports whether every console
//! saw every payment, how long each took to show, the process's memory from start to end, the
//! writer's pace with and without the consoles, and how fast consoles came back after each
//! restart. Figures for docs/RELIABILITY.md.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::demo::cluster::PrivateCluster;
use crate::runtime::headless::{self, Counters, Landing};
use crate::store;

/// How a soak runs.
#[derive(Debug, Clone)]
pub struct Soak {
    pub consoles: usize,
    pub minutes: f64,
    /// Payments per second.
    pub rate: f64,
    /// Database restarts, spread evenly over the run.
    pub restarts: usize,
    /// The view the consoles watch (a command without the colon; empty: the overview).
    pub view: String,
}

/// What the writer saw: when each payment committed, how long each took, how many failed.
#[derive(Default)]
struct Written {
    commits: Vec<Instant>,
    latencies_ms: Vec<f64>,
    errors: u64,
}

/// Posts payments at `rate` per second until `stop`; a failed one (the store restarting) is
/// counted and the next goes on the next tick.
async fn write(pool: PgPool, rate: f64, salt: String, stop: Arc<AtomicBool>) -> Written {
    let mut out = Written::default();
    let Ok(targets) = store::bench::open_targets(&pool, 2000).await else {
        out.errors += 1;
        return out;
    };
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) && !targets.is_empty() {
        tick.tick().await;
        let started = Instant::now();
        let target = &targets[n % targets.len()];
        match store::bench::post_cent(&pool, target, &format!("SOAK-{salt}-{n}")).await {
            Ok(()) => {
                out.commits.push(Instant::now());
                out.latencies_ms
                    .push(started.elapsed().as_secs_f64() * 1000.0);
            }
            Err(_) => out.errors += 1,
        }
        n += 1;
    }
    out
}

/// The process's resident memory in MiB (Linux), 0 where it cannot be read.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub(crate) fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
}

/// For every payment and every console: how long until a load asked for after the commit
/// landed (the change on screen). Payments no load shows are counted as missed.
fn visibility(commits: &[Instant], landings: &[Landing], consoles: usize) -> (Vec<f64>, usize) {
    let mut per: Vec<Vec<&Landing>> = vec![Vec::new(); consoles];
    for l in landings {
        if let Some(v) = per.get_mut(l.console) {
            v.push(l);
        }
    }
    let (mut waits, mut missed) = (Vec::new(), 0);
    for loads in &mut per {
        loads.sort_by_key(|l| l.asked);
        for c in commits {
            // Loads are asked for in order; the first one asked after the commit shows it.
            let at = loads.partition_point(|l| l.asked < *c);
            match loads[at..].iter().map(|l| l.landed).min() {
                Some(shown) => waits.push((shown - *c).as_secs_f64() * 1000.0),
                None => missed += 1,
            }
        }
    }
    (waits, missed)
}

/// The slowest console's return after a restart finished at `at`: its first load asked for
/// after it landed. `None` if some console never came back.
fn back_after(at: Instant, landings: &[Landing], consoles: usize) -> Option<f64> {
    (0..consoles)
        .map(|c| {
            landings
                .iter()
                .filter(|l| l.console == c && l.asked >= at)
                .map(|l| (l.landed - at).as_secs_f64())
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))))
        })
        .try_fold(0.0f64, |worst, back| back.map(|b| worst.max(b)))
}

/// A worker beside the store, as `settle worker` runs: delivers what is due into the sink and
/// folds the summaries every two seconds, and publishes today's overview for the consoles.
fn spawn_worker(
    url: String,
    mailer: crate::worker::deliver::Mailer,
    stop: Arc<AtomicBool>,
    errors: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<u32> {
    tokio::spawn(async move {
        let Ok(pool) = store::pool(&url, 2).await else {
            errors.fetch_add(1, Ordering::Relaxed);
            return 0u32;
        };
        let publisher =
            crate::runtime::shared_overview::spawn_publisher(pool.clone(), stop.clone());
        let mut sent = 0;
        while !stop.load(Ordering::Relaxed) {
            if store::summary::fold(&pool).await.is_err() {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            match crate::worker::deliver::deliver_due(&pool, Some(&mailer), 20, 60, &stop).await {
                Ok(d) => sent += d.sent,
                Err(_) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let _ = publisher.await;
        sent
    })
}

/// `consoles` headless consoles on `view` (a command without the colon; empty: the overview),
/// each with its own connections, numbered for the timeline. Each names itself as a console
/// process would, so the store (and every console's pace) counts them all, not one.
pub(crate) fn spawn_consoles(
    url: &str,
    consoles: usize,
    view: &str,
    stop: &Arc<AtomicBool>,
    counters: &Arc<Counters>,
) -> Vec<tokio::task::JoinHandle<()>> {
    // Two connections each, one beyond a hundred consoles: the private server takes 300.
    let connections = if consoles > 100 { 1 } else { 2 };
    (0..consoles)
        .map(|i| {
            let (url, view, stop, counters) = (
                url.to_string(),
                view.to_string(),
                stop.clone(),
                counters.clone(),
            );
            tokio::spawn(async move {
                let app = format!("settle/{}/{i}", std::process::id());
                let Ok(pool) = store::pool_named(&url, connections, &app).await else {
                    tracing::warn!("bench console {i} could not connect");
                    return;
                };
                if let Err(e) = headless::run_as(pool.clone(), &view, stop, counters, i).await {
                    tracing::warn!("bench console {i} stopped: {e}");
                }
                pool.close().await;
            })
        })
        .collect()
}

/// Waits until `consoles` first loads have landed (at most `limit`): attached means showing
/// the view, so a measurement meets consoles as they live, not the rush of them opening.
pub(crate) async fn attached(counters: &Counters, consoles: usize, limit: Duration) {
    let since = Instant::now();
    while counters.landed.load(Ordering::Relaxed) < consoles as u64 && since.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Change → visible on one view, as the suite reports it.
pub struct Visible {
    pub payments: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    pub missed: usize,
    pub failed: u64,
    /// How long the consoles' loads took (asked → landed, wall time): median and p95.
    pub load_ms: (f64, f64),
}

/// `consoles` headless consoles (as `console_url`) on `view` while a writer (`writer_url`)
/// posts `rate` payments a second for `seconds`: for every payment and every console, the time
/// until a load asked for after it landed. A worker must run beside the store.
pub(crate) async fn change_to_visible(
    (console_url, writer_url): (&str, &str),
    view: &str,
    consoles: usize,
    (seconds, rate): (f64, f64),
) -> anyhow::Result<Visible> {
    let counters = Arc::new(Counters::default());
    counters.keep_timeline.store(true, Ordering::Relaxed);
    let stop = Arc::new(AtomicBool::new(false));
    let handles = spawn_consoles(console_url, consoles, view, &stop, &counters);
    attached(&counters, consoles, Duration::from_secs(60)).await;
    let stop_writer = Arc::new(AtomicBool::new(false));
    let salt = format!("{}-{view}", chrono::Utc::now().timestamp_millis());
    let writer = tokio::spawn(write(
        store::pool(writer_url, 1).await?,
        rate,
        salt,
        stop_writer.clone(),
    ));
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop_writer.store(true, Ordering::Relaxed);
    let written = writer.await?;
    // Long enough for every console to show the last payments.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.await;
    }
    let landings = counters
        .timeline
        .lock()
        .map(|t| t.clone())
        .unwrap_or_default();
    let (waits, missed) = visibility(&written.commits, &landings, consoles);
    let loads: Vec<f64> = (landings.iter())
        .map(|l| (l.landed - l.asked).as_secs_f64() * 1000.0)
        .collect();
    Ok(Visible {
        load_ms: (percentile(loads.clone(), 0.5), percentile(loads, 0.95)),
        payments: written.commits.len(),
        p50_ms: percentile(waits.clone(), 0.5),
        p95_ms: percentile(waits.clone(), 0.95),
        max_ms: percentile(waits, 1.0),
        missed,
        failed: counters.failed.load(Ordering::Relaxed),
    })
}

pub async fn run(soak: Soak) -> anyhow::Result<()> {
    let cluster = Arc::new(tokio::task::spawn_blocking(PrivateCluster::start).await??);
    let db = "settle_soak";
    let (url, pool) = cluster.create_store(db, 2).await?;
    store::seed::seed(&pool, store::seed::Scale::Small, 42, chrono::Utc::now()).await?;
    let run_id = chrono::Utc::now().timestamp_millis();

    // The writer alone, as long as a tenth of the run (at least 20 s).
    let baseline = (soak.minutes * 6.0).max(20.0);
    let stop = Arc::new(AtomicBool::new(false));
    let alone = {
        let handle = tokio::spawn(write(
            store::pool(&url, 1).await?,
            soak.rate,
            format!("{run_id}-alone"),
            stop.clone(),
        ));
        tokio::time::sleep(Duration::from_secs_f64(baseline)).await;
        stop.store(true, Ordering::Relaxed);
        handle.await?
    };

    // The worker beside the store, delivering into a sink: the seed's due messages and more.
    store::bench::queue_bench_messages(&pool, (soak.minutes * 60.0) as i64).await?;
    let (smtp, sink_ids) = crate::cli::bench_send::start_sink()?;
    let (from, reply_to) = store::outbox::sender_addresses(&pool).await?;
    let mailer = crate::worker::deliver::Mailer::new(&smtp, &from, &reply_to, None)?;
    let stop = Arc::new(AtomicBool::new(false));
    let worker_errors = Arc::new(AtomicU64::new(0));
    let worker = spawn_worker(
        cluster.url_as("settle_demo_worker", db),
        mailer,
        stop.clone(),
        worker_errors.clone(),
    );

    // The consoles, as a lead would open them.
    let counters = Arc::new(Counters::default());
    counters.keep_timeline.store(true, Ordering::Relaxed);
    let rss_before = rss_mib();
    let console_url = cluster.url_as("ava", db);
    let consoles = spawn_consoles(&console_url, soak.consoles, &soak.view, &stop, &counters);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_start = rss_mib();
    let peak = Arc::new(Mutex::new(rss_start));
    let started = Instant::now();
    let stop_writer = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write(
        store::pool(&url, 1).await?,
        soak.rate,
        format!("{run_id}-soak"),
        stop_writer.clone(),
    ));
    let total = Duration::from_secs_f64(soak.minutes * 60.0);
    let mut restarts_at = Vec::new();
    let mut next_restart = 1;
    while started.elapsed() < total {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if let Ok(mut p) = peak.lock() {
            *p = p.max(rss_mib());
        }
        let due = total.mul_f64(next_restart as f64 / (soak.restarts + 1) as f64);
        if next_restart <= soak.restarts && started.elapsed() >= due {
            let c = cluster.clone();
            tokio::task::spawn_blocking(move || c.restart()).await??;
            restarts_at.push(Instant::now());
            crate::outln!(
                "restarted the database at {:.0} s",
                started.elapsed().as_secs_f64()
            );
            next_restart += 1;
        }
    }
    // The writer stops; the consoles go on long enough to show its last payments.
    stop_writer.store(true, Ordering::Relaxed);
    let written = writer.await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_end = rss_mib();
    stop.store(true, Ordering::Relaxed);
    for c in consoles {
        let _ = c.await;
    }
    let sent = worker.await?;
    report(&soak, &alone, &written, &counters, &restarts_at)?;
    let peak = peak.lock().map_or(rss_start, |p| *p).max(rss_end);
    crate::outln!(
        "memory (this process: {} consoles, writer, worker, sink): {rss_before:.0} MiB before the consoles, {rss_start:.0} at start, {peak:.0} at peak, {rss_end:.0} at end",
        soak.consoles
    );
    let received = sink_ids.lock().map(|v| v.len()).unwrap_or_default();
    crate::outln!(
        "worker: {sent} messages sent, the sink received {received}, {} delivery errors",
        worker_errors.load(Ordering::Relaxed)
    );
    drop(pool);
    Ok(())
}

fn report(
    soak: &Soak,
    alone: &Written,
    written: &Written,
    counters: &Counters,
    restarts: &[Instant],
) -> anyhow::Result<()> {
    let landings = counters
        .timeline
        .lock()
        .map(|t| t.clone())
        .unwrap_or_default();
    let (waits, missed) = visibility(&written.commits, &landings, soak.consoles);
    let seconds_alone = alone.commits.len() as f64 / (soak.minutes * 6.0).max(20.0);
    let seconds_run = soak.minutes * 60.0;
    crate::outln!(
        "{} consoles on {} for {:.1} min, writer at {} payments/s, {} restart(s)",
        soak.consoles,
        if soak.view.is_empty() {
            "the overview"
        } else {
            &soak.view
        },
        soak.minutes,
        soak.rate,
        soak.restarts
    );
    crate::outln!(
        "writer alone: {:.1} payments/s, p50 {:.1} ms, p95 {:.1} ms, {} errors",
        seconds_alone,
        percentile(alone.latencies_ms.clone(), 0.5),
        percentile(alone.latencies_ms.clone(), 0.95),
        alone.errors
    );
    let pace = written.commits.len() as f64 / seconds_run;
    crate::outln!(
        "writer with the consoles: {pace:.1} payments/s ({:.3} of alone), p50 {:.1} ms, p95 {:.1} ms, {} errors",
        pace / seconds_alone.max(f64::MIN_POSITIVE),
        percentile(written.latencies_ms.clone(), 0.5),
        percentile(written.latencies_ms.clone(), 0.95),
        written.errors
    );
    crate::outln!(
        "change → visible over {} payments × {} consoles: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms; {missed} never shown; {} view loads failed",
        written.commits.len(),
        soak.consoles,
        percentile(waits.clone(), 0.5),
        percentile(waits.clone(), 0.95),
        percentile(waits, 1.0),
        counters.failed.load(Ordering::Relaxed)
    );
    for (i, at) in restarts.iter().enumerate() {
        match back_after(*at, &landings, soak.consoles) {
            Some(s) => crate::outln!(
                "restart {}: every console showing fresh data again within {s:.1} s",
                i + 1
            ),
            None => crate::outln!("restart {}: some console never came back", i + 1),
        }
    }
    anyhow::ensure!(missed == 0, "{missed} payment views were never shown");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_is_visible_when_the_first_load_asked_after_it_lands() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let landings = vec![
            Landing {
                console: 0,
                asked: at(0),
                landed: at(50),
            },
            Landing {
                console: 0,
                asked: at(200),
                landed: at(260),
            },
        ];
        let (waits, missed) = visibility(&[at(100), at(300)], &landings, 1);
        assert_eq!(waits.len(), 1);
        assert!((waits[0] - 160.0).abs() < 1.0, "{waits:?}");
        assert_eq!(missed, 1, "nothing was asked for after the second payment");
        assert_eq!(back_after(at(150), &landings, 1), Some(0.11));
        assert_eq!(back_after(at(250), &landings, 1), None);
        assert_eq!(percentile(vec![3.0, 1.0, 2.0], 0.5), 2.0);
    }
}
