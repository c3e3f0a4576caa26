//! `settle worker`: the long-running process beside the store. It delivers due outreach over
//! SMTP exactly once (`deliver`), hands phone tasks and personal notes to people, and runs the
//! store's time-based jobs (promises kept or broken, the daily profile refresh) through one SQL
//! function, `run_time_jobs`, which pg_cron may call instead where the server has it.

pub mod deliver;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::store::{self, promises::JobsRun};

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Do what is due once and return (for cron and tests).
    pub once: bool,
    /// Time between runs of the time-based jobs.
    pub every: Duration,
    /// Time between looks at the outreach queue.
    pub poll: Duration,
    /// The business day to run the jobs as (`None`: the store's today).
    pub today: Option<NaiveDate>,
    /// Log only, print nothing (beside a console, as the demo runs it).
    pub quiet: bool,
    /// Where e-mail goes (`None`: e-mail waits for a worker that has a server).
    pub smtp_url: Option<String>,
    /// A PEM file of certificate authorities to trust for the server's TLS certificate (a
    /// private relay), beside the public ones.
    pub smtp_ca: Option<std::path::PathBuf>,
    /// How long a claim holds, in seconds (renewed while working).
    pub lease_seconds: i32,
    /// How many messages one claim takes.
    pub batch: i32,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            once: false,
            every: Duration::from_secs(60),
            poll: Duration::from_secs(5),
            today: None,
            quiet: false,
            smtp_url: None,
            smtp_ca: None,
            lease_seconds: 300,
            batch: 20,
        }
    }
}

/// One line saying what a run of the jobs did, or `None` when it did nothing.
pub fn describe(run: &JobsRun) -> Option<String> {
    let mut parts = Vec::new();
    if run.kept > 0 {
        parts.push(format!("{} promises kept", run.kept));
    }
    if run.broken > 0 {
        parts.push(format!("{} promises broken", run.broken));
    }
    if run.profiles_refreshed {
        parts.push("customer profiles refreshed".to_string());
    }
    if run.summaries_rebuilt {
        parts.push("summaries rebuilt at the day's rates".to_string());
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn say(opts: &WorkerOptions, line: &str) {
    tracing::info!("{line}");
    if !opts.quiet {
        crate::outln!("{line}");
    }
}

fn complain(opts: &WorkerOptions, line: &str) {
    tracing::warn!("{line}");
    if !opts.quiet {
        eprintln!("settle worker: {line}");
    }
}

/// Runs until SIGTERM or ctrl-c (or once). SIGTERM finishes the message in hand, gives back
/// what was claimed and not started, and exits. A failed round is logged and retried at the
/// next: a store restart must not end the worker.
pub async fn run(pool: &PgPool, opts: &WorkerOptions) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::new(tokio::sync::Notify::new());
    {
        let (stop, stopped) = (stop.clone(), stopped.clone());
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            stop.store(true, Ordering::Relaxed);
            stopped.notify_waiters();
        });
    }
    let mailer = match &opts.smtp_url {
        Some(url) => {
            let (from, reply_to) = store::outbox::sender_addresses(pool).await?;
            let ca = match &opts.smtp_ca {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    anyhow::anyhow!("--smtp-ca {}: cannot be read: {e}", path.display())
                })?),
                None => None,
            };
            Some(deliver::Mailer::new(url, &from, &reply_to, ca.as_deref())?)
        }
        None => None,
    };
    // Today's overview, computed once for every console (runtime::shared_overview).
    let publisher = if opts.once {
        if let Err(e) = crate::runtime::shared_overview::publish(pool).await {
            complain(opts, &format!("publishing the overview failed: {e}"));
        }
        None
    } else {
        Some(crate::runtime::shared_overview::spawn_publisher(
            pool.clone(),
            stop.clone(),
        ))
    };
    let result = rounds(pool, opts, mailer.as_ref(), &stop, &stopped).await;
    if let Some(publisher) = publisher {
        publisher.abort();
    }
    result
}

/// The worker's rounds until it is stopped (or once).
async fn rounds(
    pool: &PgPool,
    opts: &WorkerOptions,
    mailer: Option<&deliver::Mailer>,
    stop: &Arc<AtomicBool>,
    stopped: &tokio::sync::Notify,
) -> anyhow::Result<()> {
    let mut jobs_due = Instant::now();
    loop {
        if Instant::now() >= jobs_due {
            jobs_due = Instant::now() + opts.every;
            match store::promises::run_time_jobs(pool, opts.today).await {
                Ok(run) => match describe(&run) {
                    Some(line) => say(opts, &format!("time jobs: {line}")),
                    None if opts.once => say(opts, "time jobs: nothing was due"),
                    None => {}
                },
                Err(e) if opts.once => return Err(e.into()),
                Err(e) => complain(opts, &format!("time jobs failed: {e}; retrying")),
            }
        }
        // Month-end overviews a lead steps back to with `[`: their opening receivables, one
        // day a round until a year of them is kept.
        if let Err(e) = remember_month_ends(pool, opts).await {
            complain(
                opts,
                &format!("remembering month ends failed: {e}; retrying"),
            );
        }
        // The overview's summaries: fold what writers appended since the last round.
        if let Err(e) = store::summary::fold(pool).await {
            complain(
                opts,
                &format!("folding the summaries failed: {e}; retrying"),
            );
        }
        match deliver::deliver_due(pool, mailer, opts.batch, opts.lease_seconds, stop).await {
            Ok(done) if !done.is_empty() || opts.once => {
                say(opts, &format!("outreach: {}", done.describe()))
            }
            Ok(_) => {}
            Err(e) if opts.once => return Err(e),
            Err(e) => complain(opts, &format!("delivery failed: {e}; retrying")),
        }
        if opts.once || stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(opts.poll) => {}
            () = stopped.notified() => {}
        }
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
    }
}

/// Remembers the opening receivables of one past month end's overview that is not yet kept
/// (`Period::month_end_openings`), saying which.
async fn remember_month_ends(pool: &PgPool, opts: &WorkerOptions) -> anyhow::Result<()> {
    let today = match opts.today {
        Some(day) => day,
        None => store::business_today(pool, chrono::Utc::now()).await?,
    };
    let days =
        crate::domain::kpi::Period::month_end_openings(today, crate::domain::kpi::MONTH_ENDS_KEPT);
    if let Some(day) = store::summary::remember_first_missing(pool, &days).await? {
        say(
            opts,
            &format!("remembered the receivables at the end of {day}"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_did_nothing_says_nothing() {
        let idle = JobsRun {
            kept: 0,
            broken: 0,
            profiles_refreshed: false,
            summaries_rebuilt: false,
        };
        assert_eq!(describe(&idle), None);
        let busy = JobsRun {
            kept: 1,
            broken: 2,
            profiles_refreshed: true,
            summaries_rebuilt: true,
        };
        assert_eq!(
            describe(&busy).as_deref(),
            Some(
                "1 promises kept, 2 promises broken, customer profiles refreshed, \
                 summaries rebuilt at the day's rates"
            )
        );
    }
}
