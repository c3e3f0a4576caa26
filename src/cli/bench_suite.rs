//! `settle bench suite`: the figures docs/BENCHMARKS.md quotes, taken in one run at each
//! scale asked for. Per scale, on a private store: the seed's time; every console view's load
//! (median and p95) beside the same question typed into psql (median and p95, `\timing`), and
//! the ratio; the real binary's launch → first complete frame in a pseudo-terminal (tmux): a lead's
//! overview and a collector's `:work`; then, with a worker beside the store, the live figures
//! (`bench_live`): the published overview, the writer's pace with a roomful of consoles, change
//! → visible per view. Writes the markdown to `--out` and prints it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::bench::{ms, p95};
use crate::demo::cluster::{PrivateCluster, find_server_bin_dir};
use crate::store::{self, seed::Scale};

/// What one scale measured.
struct ScaleFigures {
    scale: String,
    seed: Duration,
    invoices: i64,
    views: Vec<(&'static str, Vec<Duration>)>,
    psql: Vec<(&'static str, Vec<Duration>)>,
    first_frame_ms: Vec<u64>,
    /// A collector's launch into the view they open on (`:work`).
    work_frame_ms: Vec<u64>,
    /// With a worker beside the store (none when no consoles were asked for).
    live: Option<super::bench_live::Live>,
}

/// Runs the suite at each scale and writes the report.
/// `consoles`: how many attach while the writer's pace is taken (0: no live figures).
pub async fn run(scales: &[Scale], runs: usize, consoles: usize, out: &Path) -> anyhow::Result<()> {
    let mut figures = Vec::new();
    for scale in scales {
        eprintln!("settle bench suite: {scale:?}…");
        figures.push(one_scale(*scale, runs, consoles).await?);
    }
    let text = report(&figures, runs);
    std::fs::write(out, &text)
        .map_err(|e| anyhow::anyhow!("{}: cannot be written: {e}", out.display()))?;
    crate::outln!("{text}");
    Ok(())
}

async fn one_scale(scale: Scale, runs: usize, consoles: usize) -> anyhow::Result<ScaleFigures> {
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start).await??;
    let (url, pool) = cluster.create_store("settle_bench", 4).await?;
    let now = Utc::now();
    let started = Instant::now();
    store::seed::seed(&pool, scale, 42, now).await?;
    let seed = started.elapsed();
    let invoices = store::bench::invoice_count(&pool).await?;
    let views = super::bench::view_samples(&pool, now, runs, "").await?;
    let psql = store::bench::PSQL_QUESTIONS
        .iter()
        .map(|(name, _, sql)| Ok((*name, psql_times(&url, sql, runs)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let first_frame_ms = (0..3)
        .map(|n| first_frame(&cluster.url_as("ava", "settle_bench"), "overview", n))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let work_frame_ms = (3..6)
        .map(|n| first_frame(&cluster.url_as("ben", "settle_bench"), "work", n))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let live = if consoles > 0 {
        let people = (
            cluster.url_as("ava", "settle_bench"),
            cluster.url_as("ben", "settle_bench"),
        );
        Some(super::bench_live::measure((&url, people), &pool, runs, consoles).await?)
    } else {
        None
    };
    pool.close().await;
    cluster.stop();
    Ok(ScaleFigures {
        scale: format!("{scale:?}").to_lowercase(),
        seed,
        invoices,
        views,
        psql,
        first_frame_ms,
        work_frame_ms,
        live,
    })
}

/// `runs` timings of `sql` in one psql session (`\timing`), after one warm-up.
fn psql_times(url: &str, sql: &str, runs: usize) -> anyhow::Result<Vec<Duration>> {
    let psql = find_server_bin_dir()
        .map(|b| b.join("psql"))
        .ok_or_else(|| anyhow::anyhow!("psql not found beside the PostgreSQL server"))?;
    let mut cmd = Command::new(psql);
    cmd.args(["-X", "-q", "-o", "/dev/null", "-c", "\\timing on"]);
    for _ in 0..=runs.max(1) {
        cmd.args(["-c", sql]);
    }
    let out = cmd.arg(url).output()?;
    anyhow::ensure!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let times: Vec<Duration> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .skip(1)
        .collect();
    anyhow::ensure!(!times.is_empty(), "psql printed no timings");
    Ok(times)
}

/// The real binary in a tmux pseudo-terminal on `view`: milliseconds from launch until it
/// logged its first complete frame.
fn first_frame(url: &str, view: &str, n: usize) -> anyhow::Result<u64> {
    let exe = std::env::current_exe()?;
    let log = std::env::temp_dir().join(format!("settle-suite-{}-{n}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let session = format!("settle-suite-{}-{n}", std::process::id());
    let command = format!(
        "{} --database-url '{url}' --view {view} --log-file {}",
        exe.display(),
        log.display()
    );
    // Its own tmux server (`-L`): nothing else on the machine's default server interferes.
    let status = Command::new("tmux")
        .args(["-L", &session, "new-session", "-d", "-s", &session])
        .args(["-x", "120", "-y", "40", &command])
        .status()?;
    anyhow::ensure!(status.success(), "tmux could not start the console");
    let found = wait_for_first_frame(&log);
    let _ = Command::new("tmux")
        .args(["-L", &session, "kill-server"])
        .status();
    let _ = std::fs::remove_file(&log);
    found
}

pub(crate) fn wait_for_first_frame(log: &PathBuf) -> anyhow::Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(ms) = text.lines().find_map(|l| {
            let rest = l.split("first complete frame").nth(1)?;
            rest.split_whitespace()
                .find_map(|w| w.trim_end_matches("ms").parse::<u64>().ok())
        }) {
            return Ok(ms);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    anyhow::bail!(
        "the console logged no first complete frame within 30 s ({})",
        log.display()
    )
}

/// The middle of a few launches' times.
fn middle(frames: &[u64]) -> u64 {
    let mut sorted = frames.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

/// Cores and memory of this machine, as the report names it.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024 / 1024);
    format!("{cores} cores, {gib} GiB")
}

fn report(figures: &[ScaleFigures], runs: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Benchmarks\n");
    let _ = writeln!(
        s,
        "Taken in one run of `settle bench suite --scales {} --runs {runs}` on {} ({}), {}.\n\
         Each figure is the median and p95 of {runs} loads after one warm-up, the console's own \
         code path (`runtime::effects::run`, as a lead), beside the same question typed into \
         psql (`\\timing`, one session) and the ratio of the medians. No worker runs while the \
         views are timed, so `overview` is the one a console computes itself; the row `{}` is \
         the same load with a worker beside the store, as deployed.\n",
        figures
            .iter()
            .map(|f| f.scale.as_str())
            .collect::<Vec<_>>()
            .join(","),
        machine(),
        std::env::consts::ARCH,
        Utc::now().format("%Y-%m-%d"),
        super::bench_live::PUBLISHED
    );
    for f in figures {
        let _ = writeln!(
            s,
            "## {} ({} invoices; seeded in {:.1} s)\n",
            f.scale,
            f.invoices,
            f.seed.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "| view | median ms | p95 ms | psql question | psql median ms | p95 ms | ratio |\n| --- | ---: | ---: | --- | ---: | ---: | ---: |"
        );
        // Each row with the view whose psql questions it answers: the overview a worker
        // publishes answers the overview's.
        let published = f
            .live
            .as_ref()
            .map(|l| (super::bench_live::PUBLISHED, "overview", &l.published));
        let rows = f
            .views
            .iter()
            .map(|(name, samples)| (*name, *name, samples));
        for (name, answers, samples) in rows.chain(published) {
            let med = ms(super::bench::median(samples.clone()));
            let tail = ms(p95(samples.clone()));
            // A row for each psql question the view answers, or one without.
            let mut baselines: Vec<String> = store::bench::PSQL_QUESTIONS
                .iter()
                .zip(&f.psql)
                .filter(|((_, view, _), _)| *view == answers)
                .map(|((question, _, _), (_, times))| {
                    let pm = ms(super::bench::median(times.clone()));
                    format!(
                        "{question} | {pm:.1} | {:.1} | {:.2}×",
                        ms(p95(times.clone())),
                        med / pm.max(0.001)
                    )
                })
                .collect();
            if baselines.is_empty() {
                baselines.push("— | | |".into());
            }
            for baseline in baselines {
                let _ = writeln!(s, "| {name} | {med:.1} | {tail:.1} | {baseline} |");
            }
        }
        let _ = writeln!(
            s,
            "\nLaunch → first complete overview frame in a pseudo-terminal (tmux, 120×40, the \
             real binary as lead `ava`): {} ms (three launches: {:?}); a collector's (`ben`) \
             first complete frame of `:work`, the view collectors open on: {} ms ({:?}).\n",
            middle(&f.first_frame_ms),
            f.first_frame_ms,
            middle(&f.work_frame_ms),
            f.work_frame_ms
        );
        if let Some(live) = &f.live {
            let _ = writeln!(s, "{}", super::bench_live::report(live));
        }
    }
    let _ = writeln!(
        s,
        "Memory over an hour of live updates and the database restarting under the consoles: \
         [RELIABILITY.md](RELIABILITY.md) (`settle bench soak`). Key → frame complete against a \
         bare ratatui app: `settle bench keys`."
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn a_view_gets_a_row_for_each_psql_question_it_answers() {
        // psql's figures line up with PSQL_QUESTIONS by position: 1 ms for the first, 2 ms for
        // the second, …
        let psql = store::bench::PSQL_QUESTIONS
            .iter()
            .zip(1u64..)
            .map(|((name, _, _), n)| (*name, millis(&[n, n, n])))
            .collect();
        let figures = ScaleFigures {
            scale: "small".into(),
            seed: Duration::from_secs(1),
            invoices: 10,
            views: vec![
                ("disputes", millis(&[8, 8, 8])),
                ("activity", millis(&[3, 3, 3])),
            ],
            psql,
            first_frame_ms: vec![30, 31, 32],
            work_frame_ms: vec![40, 41, 42],
            live: None,
        };
        let text = report(&[figures], 3);
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("| disputes |"))
            .collect();
        let answering: Vec<(usize, &str)> = store::bench::PSQL_QUESTIONS
            .iter()
            .enumerate()
            .filter(|(_, (_, view, _))| *view == "disputes")
            .map(|(i, (question, _, _))| (i, *question))
            .collect();
        assert_eq!(rows.len(), answering.len(), "{text}");
        assert!(answering.len() >= 2);
        for ((i, question), row) in answering.iter().zip(&rows) {
            let psql_ms = (*i + 1) as f64;
            let want = format!(
                "| disputes | 8.0 | 8.0 | {question} | {psql_ms:.1} | {psql_ms:.1} | {:.2}× |",
                8.0 / psql_ms
            );
            assert_eq!(*row, want);
        }
        assert!(
            text.lines()
                .any(|l| l == "| activity | 3.0 | 3.0 | — | | | |"),
            "{text}"
        );
    }
}
