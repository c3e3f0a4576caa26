//! `settle bench seed`: time a seed of a private store and the aging queries on it.
//! Medians over several runs, all measured in one process on one store.

use std::time::{Duration, Instant};

use chrono::Utc;

use crate::demo::cluster::PrivateCluster;
use crate::domain::aging::{Basis, BucketEdges};
use crate::store::{self, seed::Scale};

pub(crate) fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The nearest-rank `p` quantile (0 < p ≤ 1) of samples already sorted; zero when none.
pub(crate) fn quantile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len().max(1)) - 1)
        .copied()
        .unwrap_or_default()
}

/// Milliseconds, for reports.
/// The 95th percentile of `samples`.
pub(crate) fn p95(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    quantile(&samples, 0.95)
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub async fn seed_and_aging(scale: Scale, seed: u64, runs: usize) -> anyhow::Result<()> {
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start).await??;
    let (_, pool) = cluster.create_store("settle_bench", 4).await?;
    let now = Utc::now();
    let report = store::seed::seed(&pool, scale, seed, now).await?;
    crate::outln!(
        "seed: {} customers, {} invoices ({} open), {} allocations",
        report.count("customers"),
        report.count("invoices"),
        store::bench::open_invoice_count(&pool).await?,
        report.count("allocations")
    );
    crate::outln!(
        "seed: generate {:.1}s, load {:.1}s, analyze+profiles {:.1}s, total {:.1}s",
        report.generate.as_secs_f64(),
        report.load.as_secs_f64(),
        report.finish.as_secs_f64(),
        report.total().as_secs_f64()
    );
    aging(&pool, now, runs).await?;
    pool.close().await;
    cluster.stop();
    Ok(())
}

/// Medians of the whole-book aging query as of today and as of the last month end.
pub async fn aging(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<Utc>,
    runs: usize,
) -> anyhow::Result<()> {
    let pool = pool.clone();
    let today = store::business_today(&pool, now).await?;
    let month_end = crate::domain::months::previous_month_end(today);
    let edges = BucketEdges::default();
    for (label, as_of) in [("today", today), ("last month end", month_end)] {
        let mut samples = Vec::new();
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            store::aging::aging_summary(&pool, as_of, Basis::Due, &edges).await?;
            samples.push(t.elapsed());
        }
        crate::outln!(
            "aging as of {label} ({as_of}): median {:.1} ms over {} runs",
            median(samples).as_secs_f64() * 1e3,
            runs.max(1)
        );
    }
    Ok(())
}

/// Medians of loading each console view (one page of rows) on an existing store.
pub async fn views(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<Utc>,
    runs: usize,
    only: &str,
) -> anyhow::Result<()> {
    for (name, samples) in view_samples(pool, now, runs, only).await? {
        crate::outln!(
            "{name:<32} median {:>7.1} ms over {} runs",
            median(samples).as_secs_f64() * 1e3,
            runs.max(1)
        );
    }
    Ok(())
}

/// `:work` loaded again with nothing changed since its last load (its kept sources answer).
pub const UNCHANGED_WORK: &str = "work, nothing changed since";
/// The dispute queue loaded again with nothing changed since.
pub const UNCHANGED_DISPUTES: &str = "disputes, nothing changed since";

/// Each console view's load times (one page of rows), `runs` of each, on an existing store.
pub async fn view_samples(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<Utc>,
    runs: usize,
    only: &str,
) -> anyhow::Result<Vec<(&'static str, Vec<Duration>)>> {
    use crate::app::msg::{Effect, ListRequest};
    use crate::app::state::{AgingLevel, AgingParams, View};
    let today = store::business_today(pool, now).await?;
    let params = AgingParams {
        as_of: today,
        basis: Basis::Due,
        edges: BucketEdges::default(),
    };
    let customer = store::bench::customer_with_open_items(pool).await?;
    let views: Vec<(&'static str, Effect)> = vec![
        (
            "overview",
            Effect::LoadOverview {
                generation: 1,
                params: params.clone(),
            },
        ),
        (
            "aging customers 1-30",
            list(View::Aging(AgingLevel::Customers { bucket: 1 }), &params),
        ),
        (
            "aging customers not due",
            list(View::Aging(AgingLevel::Customers { bucket: 0 }), &params),
        ),
        ("disputes", list(View::Disputes, &params)),
        (
            "disputes by customer",
            narrowed(
                View::Disputes,
                &params,
                "",
                by(crate::lists::DisputeColumn::Customer),
            ),
        ),
        (
            "disputes investigating",
            narrowed(View::Disputes, &params, "state:investigating", None),
        ),
        ("holds", list(View::Holds, &params)),
        ("outreach", list(View::Outreach, &params)),
        ("activity", list(View::Activity, &params)),
        ("work", list(View::Work, &params)),
        (UNCHANGED_WORK, list(View::Work, &params)),
        (UNCHANGED_DISPUTES, list(View::Disputes, &params)),
        ("slipping", list(View::Slipping, &params)),
        (
            "customer",
            Effect::LoadAccount {
                generation: 1,
                id: customer,
            },
        ),
    ];
    fn list(view: View, params: &AgingParams) -> Effect {
        Effect::LoadList {
            generation: 1,
            request: ListRequest {
                view,
                filter: String::new(),
                sort: None,
                limit: 70,
                offset: 0,
                params: params.clone(),
            },
        }
    }
    /// The same list filtered or sorted as a person would.
    fn narrowed(
        view: View,
        params: &AgingParams,
        filter: &str,
        sort: Option<crate::lists::SortBy>,
    ) -> Effect {
        let mut effect = list(view, params);
        if let Effect::LoadList { request, .. } = &mut effect {
            request.filter = filter.to_string();
            request.sort = sort;
        }
        effect
    }
    fn by<C: crate::lists::Column>(column: C) -> Option<crate::lists::SortBy> {
        Some(crate::lists::SortBy {
            column: C::ALL.iter().position(|c| *c == column)?,
            descending: false,
        })
    }
    // Each view as the connected person sees it (`owner:me`, a collector's own work).
    let me = store::session(pool).await?.user;
    let mut out = Vec::new();
    for (name, effect) in views.into_iter().filter(|(name, _)| name.contains(only)) {
        let mut samples = Vec::new();
        // A console's load after one with nothing changed between: what it kept answers.
        let warm = if [UNCHANGED_WORK, UNCHANGED_DISPUTES].contains(&name) {
            let warm = crate::runtime::stores::Stores::primary_only(pool.clone());
            crate::runtime::effects::run(&warm, effect.clone(), now, &me).await;
            Some(warm)
        } else {
            None
        };
        for _ in 0..runs.max(1) {
            // Else a console's first load of each view: nothing kept from the last.
            let stores = warm
                .clone()
                .unwrap_or_else(|| crate::runtime::stores::Stores::primary_only(pool.clone()));
            let t = Instant::now();
            let msg = crate::runtime::effects::run(&stores, effect.clone(), now, &me).await;
            if let Some(crate::app::Msg::Failed { error, .. }) = msg {
                anyhow::bail!("{name}: {error}");
            }
            samples.push(t.elapsed());
        }
        out.push((name, samples));
    }
    Ok(out)
}
