//! A console without a terminal: the same feed, the same `update`, the same effects and rests
//! as a person's console, on one view. Benchmarks attach these so they load the store exactly
//! as real consoles do (a bare poller of the change log hid that consoles reload their views).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;
use tokio::runtime::Handle;
use tokio::sync::mpsc::unbounded_channel;

use super::console::{run_effects, spawn_feed, tell_feed};
use crate::app::state::SessionInfo;
use crate::app::{Msg, State, update};
use crate::store;

/// What a headless console has done, counted across all of them.
#[derive(Debug, Default)]
pub struct Counters {
    /// View loads asked for (the first load included).
    pub loads: AtomicU64,
    /// View loads that came back.
    pub landed: AtomicU64,
    /// View loads the store refused or could not answer.
    pub failed: AtomicU64,
    /// Looks the consoles' feeds took at the change log (answered or not).
    pub looks: AtomicU64,
    /// Every load that came back, when `timeline` is on: which console, when it was asked for
    /// (it shows everything committed before) and when it landed.
    pub timeline: std::sync::Mutex<Vec<Landing>>,
    pub keep_timeline: std::sync::atomic::AtomicBool,
}

/// One view load that came back.
#[derive(Debug, Clone, Copy)]
pub struct Landing {
    pub console: usize,
    pub asked: std::time::Instant,
    pub landed: std::time::Instant,
}

/// Runs one headless console on `command`'s view (`:disputes` without the colon; empty for
/// the overview) until `stop` is set.
pub async fn run(
    pool: PgPool,
    command: &str,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
) -> anyhow::Result<()> {
    run_as(pool, command, stop, counters, 0).await
}

/// The same, as console number `console` (its landings are marked with it).
pub async fn run_as(
    pool: PgPool,
    command: &str,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    console: usize,
) -> anyhow::Result<()> {
    let session = store::session(&pool).await?;
    let now = Utc::now();
    let today = store::business_today(&pool, now).await?;
    let info = SessionInfo {
        user: session.user.clone(),
        role: session.role,
        agent: session.agent,
        database: session.database,
        host: session.host,
        readonly: true,
        environment: "BENCH".into(),
    };
    let mut state = State::new(now, today, info);
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let stores = super::stores::Stores::primary_only(pool.clone());
    let (due_tx, due_rx) = tokio::sync::watch::channel(false);
    let tasks = Handle::current();
    spawn_feed(&tasks, stores.clone(), tx.clone(), due_rx);
    // The view the bench asked for, as a console started with `--view` opens it.
    let start = if command.is_empty() {
        crate::app::command::Command::Overview
    } else {
        crate::app::command::parse(command).map_err(|e| anyhow::anyhow!("--view: {e}"))?
    };
    let mut effects = crate::app::start(&mut state, Some(start));
    let me = session.user;
    let mut asked: std::collections::HashMap<u64, std::time::Instant> =
        std::collections::HashMap::new();
    while !stop.load(Ordering::Relaxed) {
        let loads: Vec<u64> = effects.iter().filter_map(|e| e.view_generation()).collect();
        counters
            .loads
            .fetch_add(loads.len() as u64, Ordering::Relaxed);
        for g in loads {
            asked.insert(g, std::time::Instant::now());
        }
        run_effects(
            &tasks,
            std::mem::take(&mut effects),
            &stores,
            &tx,
            None,
            &me,
        );
        let msg = tokio::select! {
            Some(msg) = rx.recv() => msg,
            () = tokio::time::sleep(Duration::from_millis(200)) => continue,
        };
        match &msg {
            Msg::FeedOk | Msg::Changed | Msg::FeedBehind { .. } | Msg::FeedLost(_) => {
                counters.looks.fetch_add(1, Ordering::Relaxed);
            }
            Msg::Loaded { generation, .. } => {
                counters.landed.fetch_add(1, Ordering::Relaxed);
                if let Some(at) = asked.remove(generation)
                    && counters.keep_timeline.load(Ordering::Relaxed)
                    && let Ok(mut t) = counters.timeline.lock()
                {
                    t.push(Landing {
                        console,
                        asked: at,
                        landed: std::time::Instant::now(),
                    });
                }
            }
            Msg::Failed { generation, error } => {
                tracing::warn!("headless console {console}: a load failed: {error}");
                counters.landed.fetch_add(1, Ordering::Relaxed);
                counters.failed.fetch_add(1, Ordering::Relaxed);
                asked.remove(generation);
            }
            _ => {}
        }
        effects = update(&mut state, msg);
        tell_feed(&due_tx, &state);
    }
    Ok(())
}
