//! The one place state changes: `update(&mut State, Msg) -> Vec<Effect>`. Pure.

use super::action::Action;
use super::msg::{Data, DialogKey, Effect, Msg};
use super::navigate::{back, load, load_if_due, move_cursor, navigate, open, selected_key, woke};
use super::state::{Feed, InputKind, Loadable, Severity, State, View};
use super::typing::{open_input, type_key};
use crate::domain::aging::Basis;
use crate::domain::months::{next_month_end, previous_month_end};

/// Seconds without a successful poll before the header says the feed is stale.
const STALE_AFTER_SECS: i64 = 3;

// A feed that waits its longest between looks still looks before the header calls it stale.
const _: () = assert!(crate::domain::pace::FEED_CEILING_MS < STALE_AFTER_SECS as u64 * 1000);

/// Starts the console: ask for the first view's data.
/// The first view: `start` (`--view`) if given, else `:work` for the people who work the
/// list (collectors and leads) and the overview for everyone else.
pub fn start(state: &mut State, start: Option<super::command::Command>) -> Vec<Effect> {
    let start = start.or_else(|| {
        state
            .session
            .role
            .may_act()
            .then(|| super::command::Command::Work {
                filter: String::new(),
            })
    });
    match start {
        Some(cmd) => {
            let effects = super::typing::run_command(state, cmd);
            // Where settle opens is not somewhere to go back to.
            state.back.clear();
            if effects.is_empty() {
                load(state)
            } else {
                effects
            }
        }
        None => load(state),
    }
}

/// Loads the view the state is on.
pub fn init(state: &mut State) -> Vec<Effect> {
    load(state)
}

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Action(action) => act(state, action),
        Msg::Text(key) => type_key(state, key),
        Msg::Loaded { generation, data } if generation == state.generation => {
            state.feed = Feed::Live;
            let mut effects = landed(state, data);
            effects.extend(load_if_due(state, generation));
            effects
        }
        Msg::Failed { generation, error } if generation == state.generation => {
            state.list.loading = false;
            // A filter the store refuses (an unknown field, a bad value) does not stay in the
            // title: the list goes back to the filter it had, and the status line says why.
            if state.view.is_list() && state.list.filter != state.list.applied_filter {
                state.list.filter = state.list.applied_filter.clone();
                state.status = Some((Severity::Error, error));
                state.loading_generation = None;
                return load(state);
            }
            match state.view {
                View::Overview => state.overview = Loadable::Failed(error.clone()),
                View::Customer(_) => state.account = Loadable::Failed(error.clone()),
                View::Case(_) => state.case = Loadable::Failed(error.clone()),
                View::Message(_) => state.message = Loadable::Failed(error.clone()),
                _ => state.list.error = Some(error.clone()),
            }
            state.status = Some((Severity::Error, error));
            load_if_due(state, generation)
        }
        Msg::Loaded { .. } | Msg::Failed { .. } => vec![],
        Msg::Side { request, reply } if request == state.side_request => match reply {
            Ok(data) => landed(state, data),
            // Asking who else uses the demo failed: quitting must still work.
            Err(_) if state.quit_check == Some(request) => {
                state.quit = true;
                vec![]
            }
            Err(error) => {
                // Whoever asked hears of it: an open dialog shows it, else the status line.
                if let Some(d) = state.dialog.as_mut() {
                    d.refused = Some(error.clone());
                }
                state.status = Some((Severity::Error, error));
                vec![]
            }
        },
        Msg::Side { .. } => vec![],
        msg @ (Msg::Tick(_)
        | Msg::FeedOk
        | Msg::Replica { .. }
        | Msg::Sharing { .. }
        | Msg::FeedBehind { .. }
        | Msg::Changed
        | Msg::FeedLost(_)) => feed(state, msg),
        Msg::Edit(input) => {
            if let Some(d) = state.dialog.as_mut()
                && let super::dialog::Stage::Edit { field } = d.stage
            {
                // A one-line field takes `enter` as done, not as a new line.
                if field.single_line() && input.key == ratatui_textarea::Key::Enter {
                    return super::acting::key(state, DialogKey::Submit);
                }
                d.editor.input(input);
            }
            vec![]
        }
        Msg::Dialog(key) => super::acting::key(state, key),
        Msg::Cost { generation, millis } => {
            if generation == state.generation {
                state.view_cost.weigh(millis);
            }
            vec![]
        }
        Msg::Wake { generation } => woke(state, generation),
        Msg::Rested { request } => super::navigate::rested(state, request),
        Msg::Acted(result) => {
            let in_flight = state.in_flight.take();
            state.list.marked.clear();
            match result {
                Ok(done) => {
                    state.status = Some((Severity::Info, done));
                    // Done: its draft, if it came from one, is spent.
                    let key = in_flight.as_ref().and_then(|d| d.draft_key());
                    let mut effects = super::acting::forget(state, key);
                    effects.extend(load(state));
                    return effects;
                }
                Err(why) => {
                    // Nothing typed is lost: the dialog comes back with its text and the reason.
                    if let Some(mut dialog) = in_flight
                        && state.dialog.is_none()
                    {
                        dialog.refuse(why.clone());
                        state.dialog = Some(dialog);
                    }
                    state.status = Some((Severity::Error, format!("not done: {why}")));
                }
            }
            load(state)
        }
        Msg::Resized { rows } => {
            let grew = rows > state.page_rows;
            state.page_rows = rows.max(1);
            if grew && state.view.is_list() {
                load(state)
            } else {
                vec![]
            }
        }
    }
}

/// The clock and the live feed: what the header says about how current the screen is.
fn feed(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => {
            state.now = now;
            let quiet = (now - state.feed_ok_at).num_seconds();
            if matches!(state.feed, Feed::Live | Feed::Stale(_)) && quiet >= STALE_AFTER_SECS {
                state.feed = Feed::Stale(quiet as u64);
            }
            vec![]
        }
        Msg::FeedOk => {
            state.feed_ok_at = state.now;
            if matches!(state.feed, Feed::Stale(_) | Feed::Connecting) {
                state.feed = Feed::Live;
            }
            vec![]
        }
        Msg::FeedBehind { seconds, holder } => {
            state.feed_ok_at = state.now;
            let first = !matches!(state.feed, Feed::Behind(_));
            state.feed = Feed::Behind(seconds);
            // Say why once, not on every poll.
            if first {
                state.status = Some((
                    Severity::Error,
                    format!(
                        "changes are held back behind {}; views show the store as it was until it ends",
                        holder.unwrap_or_else(|| "a transaction left open".into())
                    ),
                ));
            }
            vec![]
        }
        Msg::Changed => {
            if matches!(state.feed, Feed::Behind(_) | Feed::Lost(_)) {
                // The reason it was behind or lost no longer holds.
                if matches!(state.status, Some((Severity::Error, _))) {
                    state.status = None;
                }
            }
            state.feed = Feed::Live;
            state.feed_ok_at = state.now;
            if state.frozen {
                state.pending = true;
                return vec![];
            }
            if state.loading_generation == Some(state.generation) || state.resting.is_some() {
                state.refresh_due = true;
                return vec![];
            }
            load(state)
        }
        Msg::Sharing { settles } => {
            state.settles = settles;
            vec![]
        }
        Msg::Replica { behind_tenths } => {
            state.replica = Some(behind_tenths);
            vec![]
        }
        Msg::FeedLost(why) => {
            // A load in flight still answers (or fails) within its time limit; the resync on
            // return reloads once it has, never on top of it.
            state.feed = Feed::Lost(why);
            vec![]
        }
        _ => vec![],
    }
}

fn landed(state: &mut State, data: Data) -> Vec<Effect> {
    match data {
        Data::Overview(o) => state.overview = Loadable::Ready(*o),
        Data::Account(a) => state.account = Loadable::Ready(*a),
        Data::Case(c) => state.case = Loadable::Ready(*c),
        Data::Message(m) => state.message = Loadable::Ready(*m),
        Data::List {
            rows,
            total,
            offset,
        } => {
            let list = &mut state.list;
            list.loading = false;
            list.error = None;
            list.applied_filter = list.filter.clone();
            list.total = total;
            list.offset = offset;
            list.rows = rows;
            // Selection follows the row's key, not its position.
            if let Some(pos) = list
                .selected_key
                .as_deref()
                .and_then(|k| list.rows.position(k))
            {
                list.selected = offset as usize + pos;
            }
            list.selected = list.selected.min((total.max(1) - 1) as usize);
            list.selected_key = list.rows.key(list.selected.saturating_sub(offset as usize));
        }
        Data::Found(found, query) => match found.as_slice() {
            [] => state.status = Some((Severity::Error, format!("no customer matches `{query}`"))),
            [(id, _, _)] => return navigate(state, View::Customer(*id)),
            _ => state.dialog = Some(super::acting::pick_customer(&query, found)),
        },
        Data::Reminder(draft) => super::acting::reminder_ready(state, *draft),
        Data::Agents(agents) => super::acting::agents_ready(state, agents),
        Data::Others(0) => state.quit = true,
        Data::Others(n) => {
            state.dialog = Some(super::dialog::Dialog::new(
                "Quit the demo?",
                vec![
                    format!("{n} other console(s) use this demo's store right now"),
                    "quitting stops the store for them too".into(),
                ],
                super::dialog::Stage::Confirm,
                super::dialog::Request::Quit,
            ));
        }
    }
    vec![]
}

fn act(state: &mut State, action: Action) -> Vec<Effect> {
    if state.show_help {
        match action {
            Action::Up => state.help_scroll = state.help_scroll.saturating_sub(1),
            Action::Down => state.help_scroll = state.help_scroll.saturating_add(1),
            Action::Back | Action::Cancel | Action::Help | Action::Quit => state.show_help = false,
            _ => {}
        }
        return vec![];
    }
    state.status = None;
    match action {
        // A demo's store lives as long as this console: if others use it, ask first.
        Action::Quit if state.session.environment == "DEMO" => {
            state.side_request += 1;
            state.quit_check = Some(state.side_request);
            vec![Effect::CountOthers {
                request: state.side_request,
            }]
        }
        Action::Quit => {
            state.quit = true;
            vec![]
        }
        Action::Cancel if state.explain => {
            state.explain = false;
            vec![]
        }
        Action::Cancel => {
            state.quit = true;
            vec![]
        }
        Action::Back => back(state),
        Action::Help => {
            state.show_help = true;
            state.help_scroll = 0;
            vec![]
        }
        Action::CommandMode => open_input(state, InputKind::Command),
        Action::Filter if state.view.is_list() => open_input(state, InputKind::Filter),
        Action::Refresh => load(state),
        Action::Mark if state.view.is_list() => {
            let list = &mut state.list;
            let i = list.selected.saturating_sub(list.offset as usize);
            if let (Some(key), Some(row)) = (list.rows.key(i), list.rows.marked(i)) {
                if list.marked.remove(&key).is_none() {
                    list.marked.insert(key, row);
                }
                // Marking moves on, as in most consoles.
                return move_cursor(state, Action::Down);
            }
            vec![]
        }
        Action::Freeze => {
            state.frozen = !state.frozen;
            if !state.frozen && std::mem::take(&mut state.pending) {
                load(state)
            } else {
                vec![]
            }
        }
        Action::Explain => {
            state.explain = !state.explain && state.offers(Action::Explain);
            vec![]
        }
        Action::LastView => match state.last_view.clone() {
            Some(v) => navigate(state, v),
            None => vec![],
        },
        Action::CopyId => match selected_key(state) {
            Some(key) => {
                state.status = Some((Severity::Info, format!("copied {key}")));
                vec![Effect::Copy(key)]
            }
            None => vec![],
        },
        Action::Open => open(state),
        Action::ToggleBasis => {
            state.aging.basis = match state.aging.basis {
                Basis::Due => Basis::Invoice,
                Basis::Invoice => Basis::Due,
            };
            load(state)
        }
        Action::AsOfEarlier => {
            state.aging.as_of = previous_month_end(state.aging.as_of);
            load(state)
        }
        Action::AsOfLater => {
            let next = next_month_end(state.aging.as_of).min(state.today);
            if next == state.aging.as_of {
                return vec![];
            }
            state.aging.as_of = next;
            load(state)
        }
        Action::SortNext | Action::SortReverse if state.view.is_list() => {
            let sortable = state.view.sortable_columns();
            match crate::lists::next_sort(&sortable, state.list.sort, action == Action::SortReverse)
            {
                Some(sort) => {
                    state.list.sort = Some(sort);
                    load(state)
                }
                None => {
                    state.status = Some((
                        Severity::Info,
                        format!("{} keeps its own order", state.view.title()),
                    ));
                    vec![]
                }
            }
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => move_cursor(state, action),
        a if a.changes_store() => super::acting::open(state, action),
        _ => vec![],
    }
}
