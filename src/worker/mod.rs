//! `settle worker`: the long-running process beside the store. It runs the store's time-based
//! jobs (promises kept or broken, the daily profile refresh) through one SQL function,
//! `run_time_jobs`, which pg_cron may call instead where the server has it.

use std::time::Duration;

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::store::{self, promises::JobsRun};

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Do what is due once and return (for cron and tests).
    pub once: bool,
    /// Time between runs of the jobs.
    pub every: Duration,
    /// The business day to run as (`None`: the store's today).
    pub today: Option<NaiveDate>,
    /// Log only, print nothing (beside a console, as the demo runs it).
    pub quiet: bool,
}

/// One line saying what a run did, or `None` when it did nothing.
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
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Runs the jobs until SIGTERM or ctrl-c (or once). A failed run is logged and retried at the
/// next tick: a store restart must not end the worker.
pub async fn run(pool: &PgPool, opts: &WorkerOptions) -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        match store::promises::run_time_jobs(pool, opts.today).await {
            Ok(run) => {
                if let Some(line) = describe(&run) {
                    tracing::info!("time jobs: {line}");
                    if !opts.quiet {
                        crate::outln!("{line}");
                    }
                } else if opts.once && !opts.quiet {
                    crate::outln!("nothing was due");
                }
            }
            Err(e) if opts.once => return Err(e.into()),
            Err(e) => {
                let text = crate::error_text(&anyhow::Error::from(e));
                tracing::warn!("time jobs failed: {text}");
                if !opts.quiet {
                    eprintln!("settle worker: time jobs failed: {text}; retrying");
                }
            }
        }
        if opts.once {
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(opts.every) => {}
            _ = term.recv() => return Ok(()),
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
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
        };
        assert_eq!(describe(&idle), None);
        let busy = JobsRun {
            kept: 1,
            broken: 2,
            profiles_refreshed: true,
        };
        assert_eq!(
            describe(&busy).as_deref(),
            Some("1 promises kept, 2 promises broken, customer profiles refreshed")
        );
    }
}
