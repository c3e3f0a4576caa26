//! `settle bench feed`: does a roomful of consoles slow the store down? One writer posts
//! payments (each a payment, an allocation, their triggers and change-log rows) while 0 or N
//! consoles poll the change log exactly as the console does. Phases alternate; medians and
//! their ratio are reported from one run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::store::{self, feed};

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

/// `consoles` pollers, each on its own connection, checking the log's head every 400 ms.
fn start_consoles(
    url: &str,
    consoles: usize,
    stop: Arc<AtomicBool>,
    polls: Arc<AtomicU64>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..consoles)
        .map(|_| {
            let (url, stop, polls) = (url.to_string(), stop.clone(), polls.clone());
            tokio::spawn(async move {
                let Ok(pool) = store::pool(&url, 1).await else {
                    return;
                };
                let Ok(mut cursor) = feed::tail(&pool).await else {
                    return;
                };
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(head) = feed::tail(&pool).await {
                        if head != cursor {
                            cursor = head; // the console would refresh its visible view here
                        }
                        polls.fetch_add(1, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(400)).await;
                }
                pool.close().await;
            })
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

pub async fn run(url: &str, consoles: usize, seconds: f64, rounds: usize) -> anyhow::Result<()> {
    let writer = store::pool(url, 1).await?;
    let (mut alone, mut watched) = (Vec::new(), Vec::new());
    for round in 0..rounds.max(1) {
        alone.push(write_for(&writer, seconds, &format!("a{round}")).await?);
        let stop = Arc::new(AtomicBool::new(false));
        let polls = Arc::new(AtomicU64::new(0));
        let handles = start_consoles(url, consoles, stop.clone(), polls.clone());
        tokio::time::sleep(Duration::from_secs(2)).await; // let every console connect
        let before = polls.load(Ordering::Relaxed);
        let t = Instant::now();
        watched.push(write_for(&writer, seconds, &format!("w{round}")).await?);
        let rate = (polls.load(Ordering::Relaxed) - before) as f64 / t.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            let _ = h.await;
        }
        crate::outln!(
            "round {}: alone {:.0} tx/s, with {consoles} consoles {:.0} tx/s ({rate:.0} polls/s)",
            round + 1,
            alone[round],
            watched[round]
        );
    }
    let (a, w) = (median(alone), median(watched));
    crate::outln!(
        "median: alone {a:.0} tx/s, with {consoles} consoles {w:.0} tx/s, ratio {:.3}",
        w / a
    );
    Ok(())
}
