//! The runtime around the pure core: terminal events and effects go in as messages,
//! `update` decides, effects run as tokio tasks, and the screen is drawn only when dirty.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use sqlx::PgPool;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::app::state::SessionInfo;
use crate::app::{Data, Effect, Msg, State, init, update};
use crate::config::keymap::Keymap;
use crate::store;
use crate::term::TerminalGuard;
use crate::ui::{self, Theme};

/// How the console was asked to run.
pub struct ConsoleOptions {
    pub readonly: bool,
    pub environment: String,
    pub theme: Theme,
    pub keymap: Keymap,
    /// A fixed clock for demos and tests; the real clock otherwise.
    pub fixed_now: Option<DateTime<Utc>>,
}

/// How often the feed reads the change log.
const FEED_POLL: Duration = Duration::from_millis(400);

/// Runs the console until the user quits or the terminal goes away.
pub async fn run(pool: PgPool, opts: ConsoleOptions) -> anyhow::Result<()> {
    store::check_schema(&pool).await?;
    let session = store::session(&pool)
        .await
        .context("reading who is connected")?;
    let now = opts.fixed_now.unwrap_or_else(Utc::now);
    let today = store::business_today(&pool, now).await?;
    let info = SessionInfo {
        user: session.user,
        role: session.role,
        agent: session.agent,
        database: session.database,
        host: session.host,
        readonly: opts.readonly,
        environment: opts.environment.clone(),
    };
    let mut state = State::new(now, today, info);
    state.exponent = store::currency_exponent(&pool).await?;

    let (tx, mut rx) = unbounded_channel::<Msg>();
    spawn_feed(pool.clone(), tx.clone());
    let mut guard = TerminalGuard::enter().context("preparing the terminal")?;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    run_effects(init(&mut state), &pool, &tx);
    let mut dirty = true;

    while !state.quit {
        if dirty {
            draw(&mut guard, &state, &opts.theme)?;
            dirty = false;
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => match opts.keymap.action_for(&key) {
                    Some(action) => Msg::Action(action),
                    None => continue,
                },
                Some(Ok(Event::Resize(_, _))) => Msg::Resized,
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => break,
            },
            Some(msg) = rx.recv() => msg,
            _ = tick.tick() => Msg::Tick(opts.fixed_now.unwrap_or_else(Utc::now)),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
        };
        let is_tick = matches!(msg, Msg::Tick(_));
        let effects = update(&mut state, msg);
        run_effects(effects, &pool, &tx);
        dirty = !is_tick || state.has_ticking_clocks();
    }
    drop(guard);
    Ok(())
}

fn draw(guard: &mut TerminalGuard, state: &State, theme: &Theme) -> anyhow::Result<()> {
    use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
    crossterm::execute!(std::io::stdout(), BeginSynchronizedUpdate)?;
    guard
        .terminal
        .draw(|frame| ui::render(frame, state, theme))?;
    crossterm::execute!(std::io::stdout(), EndSynchronizedUpdate)?;
    Ok(())
}

/// Runs each effect in its own task; its result comes back as a message.
fn run_effects(effects: Vec<Effect>, pool: &PgPool, tx: &UnboundedSender<Msg>) {
    for effect in effects {
        let pool = pool.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let msg = match effect {
                Effect::LoadOverview { generation, params } => {
                    match store::aging::aging_summary(
                        &pool,
                        params.as_of,
                        params.basis,
                        &params.edges,
                    )
                    .await
                    {
                        Ok(summary) => Msg::Loaded {
                            generation,
                            data: Data::Overview(summary),
                        },
                        Err(e) => Msg::Failed {
                            generation,
                            error: e.to_string(),
                        },
                    }
                }
            };
            let _ = tx.send(msg);
        });
    }
}

/// Polls the change log past its cursor; one `Changed` per poll that saw anything, and a
/// resync (`Changed`) after the store comes back.
fn spawn_feed(pool: PgPool, tx: UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let mut cursor = None;
        let mut lost = false;
        loop {
            let result = match cursor {
                None => store::feed::tail(&pool).await.map(|c| (Vec::new(), c)),
                Some(c) => store::feed::read_after(&pool, c, 1000).await,
            };
            match result {
                Ok((changes, next)) => {
                    if (!changes.is_empty() || lost) && tx.send(Msg::Changed).is_err() {
                        return;
                    }
                    lost = false;
                    cursor = Some(next);
                }
                Err(e) => {
                    lost = true;
                    if tx.send(Msg::FeedLost(e.to_string())).is_err() {
                        return;
                    }
                }
            }
            tokio::time::sleep(FEED_POLL).await;
        }
    });
}
