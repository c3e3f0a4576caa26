//! The suite's live figures, taken at each scale with a worker beside the store (publishing
//! today's overview, folding the summaries) as deployed: the overview as consoles then read it,
//! the writer's pace with a roomful of consoles attached, and change → visible per view.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;

use super::bench::{ms, p95};
use super::bench_feed::{WorkerBeside, writer_paces};
use super::bench_soak::{Visible, change_to_visible, percentile};

/// The views change → visible is measured on (a command without the colon; empty: the
/// overview), as a lead, with how many consoles watch each; then `:work` as a collector.
const WATCHED: [&str; 4] = ["", "disputes", "holds", "work"];
/// The row of collectors on `:work` (the view they open on).
const COLLECTORS_WORK: &str = "work (collectors)";
const WATCHERS: usize = 20;
/// The writer during change → visible: payments a second, for how long.
const PACE: (f64, f64) = (15.0, 10.0);
/// The writer's pace is taken this many rounds of this many seconds, alone and watched (an
/// odd number: the median is a round's).
const ROUNDS: (usize, f64) = (3, 8.0);

/// The views table's row for the overview as consoles read it beside a worker.
pub const PUBLISHED: &str = "overview, published by the worker";

/// What one scale's live phase measured.
pub struct Live {
    /// The overview's loads as a console reads it while the worker publishes it.
    pub published: Vec<Duration>,
    pub consoles: usize,
    /// Per round: the writer alone and with `consoles` consoles on the overview (tx/s).
    pub paces: Vec<(f64, f64)>,
    pub visible: Vec<(&'static str, Visible)>,
}

/// The live phase on a seeded store: `owner` is the store owner's URL (the ERP's and the
/// worker's connection), `lead` a lead's (the consoles'), `collector` a collector's.
pub async fn measure(
    (owner, (lead, collector)): (&str, (String, String)),
    pool: &PgPool,
    runs: usize,
    consoles: usize,
) -> anyhow::Result<Live> {
    let worker = WorkerBeside::start(owner).await?;
    let measured = async {
        // Published once before timing: the loads read what the worker keeps.
        crate::runtime::shared_overview::publish(pool).await?;
        let published = super::bench::view_samples(pool, Utc::now(), runs, "overview")
            .await?
            .into_iter()
            .flat_map(|(_, samples)| samples)
            .collect();
        eprintln!("settle bench suite: the writer with {consoles} consoles…");
        let paces = writer_paces((&lead, owner), consoles, ROUNDS.1, ROUNDS.0, "").await?;
        let mut visible = Vec::new();
        for view in WATCHED {
            eprintln!("settle bench suite: change → visible on {}…", name(view));
            let v = change_to_visible((&lead, owner), view, WATCHERS, PACE).await?;
            visible.push((name(view), v));
        }
        eprintln!("settle bench suite: change → visible on {COLLECTORS_WORK}…");
        let v = change_to_visible((&collector, owner), "work", WATCHERS, PACE).await?;
        visible.push((COLLECTORS_WORK, v));
        anyhow::Ok(Live {
            published,
            consoles,
            paces,
            visible,
        })
    };
    let live = measured.await;
    worker.stop().await;
    live
}

fn name(view: &str) -> &str {
    if view.is_empty() { "overview" } else { view }
}

/// The live figures as the report's paragraphs and table.
pub fn report(live: &Live) -> String {
    let mut s = String::new();
    let (alone, watched): (Vec<f64>, Vec<f64>) = live.paces.iter().copied().unzip();
    let (a, w) = (percentile(alone, 0.5), percentile(watched, 0.5));
    let _ = writeln!(
        s,
        "With a worker beside the store (publishing the overview, folding the summaries), as \
         deployed: the overview as a console reads it, {:.1} ms median ({:.1} p95); an ERP \
         posting one-cent payments flat out, alone {a:.0} tx/s, with {} consoles on the \
         overview {w:.0} tx/s: **{:.3}×** (rounds of {:.0} s: {}).\n",
        ms(super::bench::median(live.published.clone())),
        ms(p95(live.published.clone())),
        live.consoles,
        w / a,
        ROUNDS.1,
        live.paces
            .iter()
            .map(|(a, w)| format!("{:.2}", w / a))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "Change → visible: {WATCHERS} consoles on each view (as a lead, `ava`; the last row as a \
         collector, `ben`, on the view collectors open on) while a writer posts {:.0} payments a \
         second for {:.0} s; for every payment and console, commit → the first load asked for \
         after it landed; and how long a console's load took (asked → landed).\n\n| view | payments | p50 ms | p95 ms | max ms | never shown | loads failed | a load, p50 ms | p95 ms |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        PACE.1, PACE.0
    );
    for (view, v) in &live.visible {
        let _ = writeln!(
            s,
            "| {} | {} | {:.0} | {:.0} | {:.0} | {} | {} | {:.1} | {:.1} |",
            view,
            v.payments,
            v.p50_ms,
            v.p95_ms,
            v.max_ms,
            v.missed,
            v.failed,
            v.load_ms.0,
            v.load_ms.1
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_report_gives_the_writer_ratio_and_a_row_per_view() {
        let live = Live {
            published: vec![Duration::from_micros(200); 3],
            consoles: 200,
            paces: vec![(1000.0, 900.0), (800.0, 760.0), (1100.0, 1150.0)],
            visible: vec![(
                "overview",
                Visible {
                    payments: 150,
                    p50_ms: 250.4,
                    p95_ms: 480.0,
                    max_ms: 700.0,
                    missed: 0,
                    failed: 1,
                    load_ms: (1.25, 9.0),
                },
            )],
        };
        let text = report(&live);
        // Medians of the rounds: alone 1000 (of 800, 1000, 1100), watched 900 (of 760, 900,
        // 1150).
        assert!(
            text.contains("alone 1000 tx/s, with 200 consoles on the overview 900 tx/s: **0.900×** (rounds of 8 s: 0.90, 0.95, 1.05)"),
            "{text}"
        );
        assert!(text.contains("0.2 ms median"), "{text}");
        assert!(
            text.lines()
                .any(|l| l == "| overview | 150 | 250 | 480 | 700 | 0 | 1 | 1.2 | 9.0 |"),
            "{text}"
        );
    }
}
