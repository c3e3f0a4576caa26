//! The runtime around the pure core: terminal events and effects go in as messages,
//! `update` decides, effects run as tokio tasks, and the screen is drawn only when dirty.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use crossterm::event::{Event, KeyEventKind};
use sqlx::PgPool;
use tokio::runtime::Handle;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::sync::watch;

use crate::app::msg::TextKey;
use crate::app::state::SessionInfo;
use crate::app::{Effect, Msg, State, update};
use crate::config::keymap::Keymap;
use crate::runtime::input::TerminalInput;
use crate::runtime::stores::Stores;
use crate::runtime::term::TerminalGuard;
use crate::store;
use crate::ui::{self, Theme};

/// How the console was asked to run.
pub struct ConsoleOptions {
    pub readonly: bool,
    pub environment: String,
    pub theme: Theme,
    pub keymap: Keymap,
    /// A fixed clock for demos and tests; the real clock otherwise.
    pub fixed_now: Option<DateTime<Utc>>,
    /// Something to say once on the status line at start (a log file that cannot be written).
    pub notice: Option<String>,
    /// Write the basic sixteen SGR colour codes (`--color 16`), not 256-colour ones.
    pub basic_colours: bool,
    /// The view to open with (`--view`), else the role's own.
    pub start: Option<crate::app::command::Command>,
}

/// How often the feed counts the settles sharing the store (its pace follows the count).
const FEED_RECOUNT: Duration = Duration::from_secs(10);

/// How long a poll (one index probe) may take before the feed counts as lost.
const FEED_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a view load may take before it counts as failed (and the view may ask again).
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Logs, once, the first frame drawn with the view's data on it: how long a person waited
/// from launch (`settle` measures it from `main`).
fn note_first_frame(state: &State, first: &mut bool) {
    if *first && state.loading_generation.is_none() {
        *first = false;
        tracing::info!(
            "first complete frame of {} {} ms after launch",
            state.view.title(),
            crate::launched().elapsed().as_millis()
        );
    }
}

/// Who is connected, today's business day and the store's currencies: the state the first
/// frame starts from.
async fn initial_state(pool: &PgPool, opts: &ConsoleOptions) -> anyhow::Result<State> {
    store::check_schema(pool).await?;
    let session = store::session(pool)
        .await
        .context("reading who is connected")?;
    let now = opts.fixed_now.unwrap_or_else(Utc::now);
    let today = store::business_today(pool, now).await?;
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
    if let Some(notice) = &opts.notice {
        state.status = Some((crate::app::state::Severity::Error, notice.clone()));
    }
    state.drafts = crate::runtime::drafts::load(&state.session.user);
    state.exponent = store::currency_exponent(pool).await?;
    state.exponents = store::currency_exponents(pool).await?;
    state.keys = crate::app::Action::ALL
        .iter()
        .map(|a| (*a, opts.keymap.keys_for(*a).join("/")))
        .filter(|(_, k)| !k.is_empty())
        .collect();
    Ok(state)
}

/// Runs the console until the user quits or the terminal goes away.
///
/// The console reads keys and draws on a thread of its own with a runtime of its own, which
/// watches the terminal itself (`input`): a key wakes the thread that draws, and nothing else
/// runs there. Queries, actions and the feed run as tasks on the runtime `run` is called from.
pub async fn run(stores: Stores, opts: ConsoleOptions) -> anyhow::Result<()> {
    let state = initial_state(&stores.primary, &opts).await?;
    let tasks = Handle::current();
    let (done, finished) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("settle-console".into())
        .spawn(move || {
            let ran = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the console's runtime")
                .and_then(|console| console.block_on(drive(state, stores, opts, tasks)));
            let _ = done.send(ran);
        })
        .context("starting the console's thread")?;
    // No answer: the console's thread panicked (the terminal is put back as it unwinds).
    finished.await.unwrap_or_else(|_| {
        Err(anyhow::anyhow!(
            "settle stopped after an internal error; the log says where"
        ))
    })
}

/// The console's loop: keys and replies in, frames out, until the user quits or the terminal
/// goes away. Effects are spawned on `tasks`.
async fn drive(
    mut state: State,
    stores: Stores,
    opts: ConsoleOptions,
    tasks: Handle,
) -> anyhow::Result<()> {
    let me = state.session.user.clone();
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let (due_tx, due_rx) = watch::channel(false);
    spawn_feed(&tasks, stores.clone(), tx.clone(), due_rx);
    let mut guard = TerminalGuard::enter(opts.basic_colours).context("preparing the terminal")?;
    // A panic in any task (a query, an action) ends the console the way a hang-up does: the
    // terminal put back, a draft kept, and where it happened in the log.
    let panicked = Arc::new(tokio::sync::Notify::new());
    {
        let panicked = panicked.clone();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let place = info
                .location()
                .map_or_else(|| "an unknown place".to_string(), ToString::to_string);
            tracing::error!("settle panicked at {place}: {info}");
            previous(info);
            panicked.notify_one();
        }));
    }
    let size = guard.terminal.size()?;
    update(
        &mut state,
        Msg::Resized {
            rows: body_rows(size.height),
        },
    );
    let mut events = TerminalInput::open().context("reading the terminal")?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let clock = opts.fixed_now;
    run_effects(
        &tasks,
        crate::app::start(&mut state, opts.start.clone()),
        &stores,
        &tx,
        clock,
        &me,
    );
    let mut dirty = true;

    let mut first_complete = true;
    while !state.quit {
        if dirty {
            if !draw(&mut guard, &state, &opts.theme)? {
                break;
            }
            dirty = false;
            note_first_frame(&state, &mut first_complete);
        }
        let msg = tokio::select! {
            // A key waiting beside a reply is drawn first: the person is looking.
            biased;
            event = events.next() => match event {
                Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => {
                    let msg = if state.dialog.is_some() {
                        Some(dialog_key(&state, key))
                    } else if state.input.is_some() || state.show_help {
                        text_key(&key).map(Msg::Text)
                    } else {
                        opts.keymap.action_for(&key).map(Msg::Action)
                    };
                    match msg {
                        Some(m) => m,
                        None => continue,
                    }
                }
                Ok(Event::Resize(w, h)) => {
                    guard.resize(w, h)?;
                    Msg::Resized { rows: body_rows(h) }
                }
                Ok(_) => continue,
                // The terminal went away without a hang-up (pty closed, I/O error): end as on SIGHUP.
                Err(e) => {
                    tracing::warn!("the terminal went away: {e}");
                    break;
                }
            },
            Some(msg) = rx.recv() => msg,
            _ = tick.tick() => Msg::Tick(opts.fixed_now.unwrap_or_else(Utc::now)),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            () = panicked.notified() => {
                keep_draft(&state);
                drop(guard);
                anyhow::bail!("settle stopped after an internal error; the log says where");
            }
        };
        // A tick or a quiet poll redraws only if it changed what the header shows, or if a
        // clock on screen counts down: idle costs nothing over a slow link.
        let quiet = matches!(
            msg,
            Msg::Tick(_)
                | Msg::FeedOk
                | Msg::Cost { .. }
                | Msg::Rested { .. }
                | Msg::Sharing { .. }
        );
        let tick = matches!(msg, Msg::Tick(_));
        let feed_before = state.feed.clone();
        let said_before = state.refresh_said();
        let effects = update(&mut state, msg);
        run_effects(&tasks, effects, &stores, &tx, clock, &me);
        tell_feed(&due_tx, &state);
        dirty = !quiet
            || state.feed != feed_before
            || state.refresh_said() != said_before
            || (tick && state.has_ticking_clocks());
    }
    keep_draft(&state);
    drop(guard);
    Ok(())
}

/// The console is ending with a dialog open (the link dropped, it was stopped, the terminal
/// went away): what was typed is kept for next time.
fn keep_draft(state: &State) {
    let Some(d) = state.dialog.as_ref().or(state.in_flight.as_ref()) else {
        return;
    };
    let (Some(key), text) = (d.draft_key(), d.text()) else {
        return;
    };
    if text.is_empty() {
        return;
    }
    match crate::runtime::drafts::save(&state.session.user, &key, &text) {
        Ok(path) => tracing::info!("draft kept in {}", path.display()),
        Err(e) => tracing::error!("draft for {key} not kept: {e}"),
    }
}

/// Draws a frame; `Ok(false)` when the terminal has gone (a load landed after it closed): the
/// console ends as when its input finds it gone.
fn draw(guard: &mut TerminalGuard, state: &State, theme: &Theme) -> anyhow::Result<bool> {
    match guard.draw(|frame| ui::render(frame, state, theme)) {
        Ok(()) => Ok(true),
        Err(e) if terminal_gone(&e) => {
            tracing::warn!("the terminal went away: {e}");
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// A write failed because the terminal's other end has closed (a pty gives EIO, a pipe EPIPE).
fn terminal_gone(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
        || e.raw_os_error() == Some(nix::errno::Errno::EIO as i32)
}

/// Rows a list can show in a terminal `height` lines high (header, breadcrumbs, hints,
/// status, the table's border and column header take the rest).
fn body_rows(height: u16) -> usize {
    height.saturating_sub(7).max(1) as usize
}

/// A key while a dialog is open: the editor gets everything but `ctrl-s` and `esc`/`ctrl-c`;
/// outside the editor, characters pick or confirm (`Enter` has Cancel's focus).
fn dialog_key(state: &State, key: crossterm::event::KeyEvent) -> Msg {
    use crate::app::dialog::Stage;
    use crate::app::msg::DialogKey;
    use crossterm::event::{KeyCode, KeyModifiers};
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let editing = state
        .dialog
        .as_ref()
        .is_some_and(|d| matches!(d.stage, Stage::Edit { .. }));
    match key.code {
        KeyCode::Char('s') if ctrl && editing => Msg::Dialog(DialogKey::Submit),
        KeyCode::Char('c') if ctrl => Msg::Dialog(DialogKey::Cancel),
        KeyCode::Esc => Msg::Dialog(DialogKey::Cancel),
        _ if editing => Msg::Edit(key.into()),
        KeyCode::Char(c) if !ctrl => Msg::Dialog(DialogKey::Char(c)),
        _ => Msg::Dialog(DialogKey::Cancel),
    }
}

/// The text-editing meaning of a key, while something is being typed.
fn text_key(key: &crossterm::event::KeyEvent) -> Option<TextKey> {
    use crossterm::event::{KeyCode, KeyModifiers};
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return (key.code == KeyCode::Char('c')).then_some(TextKey::Esc);
    }
    Some(match key.code {
        KeyCode::Char(c) => TextKey::Char(c),
        KeyCode::Backspace => TextKey::Backspace,
        KeyCode::Enter => TextKey::Enter,
        KeyCode::Esc => TextKey::Esc,
        KeyCode::Tab => TextKey::Tab,
        KeyCode::Up => TextKey::Up,
        KeyCode::Down => TextKey::Down,
        _ => return None,
    })
}

/// Runs each effect in its own task on `tasks`; its result comes back as a message. Copying to
/// the clipboard writes to the terminal, so it happens here, between frames; timers run on the
/// caller's runtime.
pub(crate) fn run_effects(
    tasks: &Handle,
    effects: Vec<Effect>,
    stores: &Stores,
    tx: &UnboundedSender<Msg>,
    clock: Option<DateTime<Utc>>,
    me: &str,
) {
    for effect in effects {
        if let Effect::Copy(text) = &effect {
            crate::runtime::term::copy_to_clipboard(text);
            continue;
        }
        if let Effect::ForgetDraft(key) = &effect {
            crate::runtime::drafts::forget(me, key);
            continue;
        }
        // A timer runs on the loop's own runtime: a cursor move (which sets one to learn when
        // the cursor rests) wakes no other thread.
        if let Some((msg, after_ms)) = effect.timer() {
            let tx = tx.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(after_ms)).await;
                let _ = tx.send(msg);
            });
            continue;
        }
        let stores = stores.clone();
        let tx = tx.clone();
        let me = me.to_string();
        tasks.spawn(async move {
            let view_load = effect.view_generation();
            let started = std::time::Instant::now();
            let now = clock.unwrap_or_else(Utc::now);
            let run = crate::runtime::effects::run_waiting(&stores, effect, now, &me);
            // A view load always answers, so a console never asks for another on top of one
            // still out (which, on a store already slow, only slows it further).
            let (reply, waited) = match view_load {
                Some(generation) => tokio::time::timeout(LOAD_TIMEOUT, run)
                    .await
                    .unwrap_or_else(|_| {
                        let failed = Msg::Failed {
                            generation,
                            error: format!(
                                "the store did not answer within {} s",
                                LOAD_TIMEOUT.as_secs()
                            ),
                        };
                        (Some(failed), Duration::ZERO)
                    }),
                None => run.await,
            };
            // What the view cost the store (not the time it only waited for a replica or the
            // worker's overview), so the console rests in proportion before reloading it.
            if let Some(generation) = view_load {
                let cost = started.elapsed().saturating_sub(waited);
                let millis = cost.as_millis().min(u64::MAX as u128) as u64;
                let _ = tx.send(Msg::Cost { generation, millis });
            }
            if let Some(msg) = reply {
                let _ = tx.send(msg);
            }
        });
    }
}

/// One poll of the change log's head, given up after `FEED_TIMEOUT`.
pub async fn poll_head(pool: &PgPool) -> Result<store::feed::Poll, store::StoreError> {
    tokio::time::timeout(FEED_TIMEOUT, store::feed::poll(pool))
        .await
        .unwrap_or_else(|_| {
            Err(store::StoreError::Refused(format!(
                "no answer from the store within {} s",
                FEED_TIMEOUT.as_secs()
            )))
        })
}

/// How far behind the replica is, in tenths of a second (None: it does not answer).
async fn replica_lag(
    replica: &crate::runtime::stores::Replica,
    wal: u64,
    lag: &mut crate::runtime::stores::LagClock,
) -> Option<u64> {
    match store::feed::replayed_wal(&replica.pool).await {
        Ok(replayed) => {
            let behind = lag.observe(std::time::Instant::now(), wal, replayed);
            Some((behind.as_millis() / 100).min(u128::from(u64::MAX)) as u64)
        }
        Err(e) => {
            tracing::warn!("the replica does not answer: {e}");
            None
        }
    }
}

/// Polls the head of the change log; one `Changed` per poll that finds it moved (a burst of
/// changes costs one refresh), and a resync (`Changed`) after the store comes back. With a
/// replica, each poll also tells the views what the replica must have replayed, and the
/// header how far behind it is. While `due` says the console will reload anyway, it looks
/// only as often as the header needs (`domain::pace::feed_pause_while`).
pub(crate) fn spawn_feed(
    tasks: &Handle,
    stores: Stores,
    tx: UnboundedSender<Msg>,
    mut due: watch::Receiver<bool>,
) {
    tasks.spawn(async move {
        let pool = stores.primary.clone();
        let mut cursor = None;
        let mut lost = false;
        let mut lag = crate::runtime::stores::LagClock::default();
        let mut shown_lag = None;
        let mut settles = 0;
        let mut counted = None;
        loop {
            // A connection that dies without a word (a dropped network) must not leave the
            // header saying live until TCP gives up: no answer in time is a lost feed.
            match poll_head(&pool).await {
                Ok(polled) => {
                    let head = polled.head;
                    let moved = cursor.is_some_and(|c| c != head);
                    stores.must_see(polled.wal);
                    stores.saw_head(head);
                    if let Some(replica) = &stores.replica {
                        let behind = replica_lag(replica, polled.wal, &mut lag).await;
                        // The header changes only when what it says does.
                        if shown_lag != Some(behind) {
                            shown_lag = Some(behind);
                            let told = tx.send(Msg::Replica {
                                behind_tenths: behind,
                            });
                            if told.is_err() {
                                return;
                            }
                        }
                    }
                    // Changes committed but held back: the header must not say live. Whose
                    // transaction it is is asked only while they wait.
                    let msg = match polled.waiting_seconds {
                        _ if moved || lost => Msg::Changed,
                        Some(seconds) if seconds >= 1 => Msg::FeedBehind {
                            seconds: seconds as u64,
                            holder: store::feed::holder(&pool).await.ok().flatten(),
                        },
                        _ => Msg::FeedOk,
                    };
                    if tx.send(msg).is_err() {
                        return;
                    }
                    lost = false;
                    cursor = Some(head);
                }
                Err(e) => {
                    lost = true;
                    if tx.send(Msg::FeedLost(e.to_string())).is_err() {
                        return;
                    }
                }
            }
            if counted.is_none_or(|t: std::time::Instant| t.elapsed() >= FEED_RECOUNT) {
                counted = Some(std::time::Instant::now());
                if let Ok(counted) = store::settles_connected(&pool).await {
                    settles = counted.max(0).unsigned_abs();
                    if tx.send(Msg::Sharing { settles }).is_err() {
                        return;
                    }
                }
            }
            wait_for_next_look(&mut due, settles, std::time::Instant::now()).await;
        }
    });
}

/// Tells the feed whether the console is due a reload, when that changes.
pub(crate) fn tell_feed(due: &watch::Sender<bool>, state: &State) {
    due.send_if_modified(|was| {
        let now = state.reload_due();
        std::mem::replace(was, now) != now
    });
}

/// Waits out the feed's pause from `looked`, shortening it when the console stops being due
/// a reload (it must hear of the next change soon again) and lengthening it when it starts.
async fn wait_for_next_look(due: &mut watch::Receiver<bool>, settles: u64, looked: Instant) {
    let mut listening = true;
    loop {
        let pause = crate::domain::pace::feed_pause_while(settles, *due.borrow());
        let until = tokio::time::Instant::from_std(looked + Duration::from_millis(pause));
        if !listening {
            tokio::time::sleep_until(until).await;
            return;
        }
        tokio::select! {
            () = tokio::time::sleep_until(until) => return,
            changed = due.changed() => listening = changed.is_ok(),
        }
    }
}
