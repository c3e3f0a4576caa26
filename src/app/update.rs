//! The one place state changes: `update(&mut State, Msg) -> Vec<Effect>`. Pure.

use super::action::Action;
use super::command::{self, Command};
use super::msg::{Data, Effect, ListRequest, Msg, TextKey};
use super::state::{
    AgingLevel, Feed, Input, InputKind, ListState, Loadable, Rows, Severity, State, View,
};
use crate::domain::aging::Basis;

/// Seconds without a successful poll before the header says the feed is stale.
const STALE_AFTER_SECS: i64 = 3;

/// Rows fetched beyond what the screen shows, so a few key presses need no query.
const MARGIN: usize = 40;

/// Starts the console: ask for the first view's data.
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
            match state.view {
                View::Overview => state.overview = Loadable::Failed(error.clone()),
                View::Customer(_) => state.account = Loadable::Failed(error.clone()),
                _ => state.list.error = Some(error.clone()),
            }
            state.status = Some((Severity::Error, error));
            load_if_due(state, generation)
        }
        Msg::Loaded { .. } | Msg::Failed { .. } => vec![],
        Msg::Side { request, reply } if request == state.side_request => match reply {
            Ok(data) => landed(state, data),
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
        Msg::Changed => {
            state.feed = Feed::Live;
            state.feed_ok_at = state.now;
            if state.frozen {
                state.pending = true;
                return vec![];
            }
            if state.loading_generation == Some(state.generation) {
                state.refresh_due = true;
                return vec![];
            }
            load(state)
        }
        Msg::FeedLost(why) => {
            state.feed = Feed::Lost(why);
            // A load in flight may never answer now; the resync on return loads afresh.
            state.loading_generation = None;
            vec![]
        }
        Msg::Edit(input) => {
            if let Some(d) = state.dialog.as_mut()
                && matches!(d.stage, super::dialog::Stage::Edit { .. })
            {
                d.editor.input(input);
            }
            vec![]
        }
        Msg::Dialog(key) => super::acting::key(state, key),
        Msg::Acted(result) => {
            let in_flight = state.in_flight.take();
            state.list.marked.clear();
            match result {
                Ok(done) => {
                    state.status = Some((Severity::Info, done));
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

fn landed(state: &mut State, data: Data) -> Vec<Effect> {
    match data {
        Data::Overview(o) => state.overview = Loadable::Ready(*o),
        Data::Account(a) => state.account = Loadable::Ready(*a),
        Data::List {
            rows,
            total,
            offset,
        } => {
            let list = &mut state.list;
            list.loading = false;
            list.error = None;
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
        Data::Found(Some(id), _) => return navigate(state, View::Customer(id)),
        Data::Found(None, query) => {
            state.status = Some((Severity::Error, format!("no customer matches `{query}`")))
        }
        Data::Reminder {
            subject,
            body,
            tone,
            channel,
            blocked,
        } => super::acting::reminder_ready(state, subject, body, tone, channel, blocked),
        Data::Agents(agents) => super::acting::agents_ready(state, agents),
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
            state.explain = !state.explain && state.view == View::Overview;
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

fn selected_key(state: &State) -> Option<String> {
    match &state.view {
        View::Customer(_) => state.account.ready().map(|a| a.code.clone()),
        _ => state.list.selected_key.clone(),
    }
}

fn back(state: &mut State) -> Vec<Effect> {
    if state.explain {
        state.explain = false;
        return vec![];
    }
    if !state.list.filter.is_empty() && state.view.is_list() {
        state.list.filter.clear();
        return load(state);
    }
    match state.back.pop() {
        Some(previous) => {
            state.last_view = Some(state.view.clone());
            state.view = previous;
            state.list = ListState::default();
            load(state)
        }
        None => vec![],
    }
}

/// On the dispute queue, tells others which dispute the cursor rests on.
fn touch(state: &State) -> Vec<Effect> {
    match &state.list.rows {
        Rows::Disputes(rows) if state.may_act() => rows
            .get(
                state
                    .list
                    .selected
                    .saturating_sub(state.list.offset as usize),
            )
            .map(|d| vec![Effect::Touch { dispute: d.id }])
            .unwrap_or_default(),
        _ => vec![],
    }
}

/// Goes to `view`, remembering where we were.
fn navigate(state: &mut State, view: View) -> Vec<Effect> {
    if state.view != view {
        state.back.push(state.view.clone());
        state.last_view = Some(state.view.clone());
        state.view = view;
        state.list = ListState::default();
        state.account = Loadable::Idle;
    }
    load(state)
}

fn open(state: &mut State) -> Vec<Effect> {
    let i = state
        .list
        .selected
        .saturating_sub(state.list.offset as usize);
    let next = match (&state.view, &state.list.rows) {
        (View::Overview, _) => Some(View::Aging(AgingLevel::Buckets)),
        (View::Aging(AgingLevel::Buckets), _) => Some(View::Aging(AgingLevel::Customers {
            bucket: state.list.selected,
        })),
        (View::Aging(AgingLevel::Customers { bucket }), Rows::Customers(rows)) => {
            rows.get(i).map(|c| {
                View::Aging(AgingLevel::Invoices {
                    bucket: *bucket,
                    customer: c.customer_id,
                    name: c.name.clone(),
                })
            })
        }
        (_, Rows::Invoices(rows)) => rows.get(i).map(|r| View::Customer(r.customer_id)),
        (_, Rows::Disputes(rows)) => rows.get(i).map(|r| View::Customer(r.customer_id)),
        (_, Rows::Holds(rows)) => rows.get(i).map(|r| View::Customer(r.customer_id)),
        (_, Rows::Outreach(rows)) => rows.get(i).map(|r| View::Customer(r.customer_id)),
        _ => None,
    };
    next.map_or_else(Vec::new, |v| navigate(state, v))
}

fn move_cursor(state: &mut State, action: Action) -> Vec<Effect> {
    if !state.view.is_list() {
        return vec![];
    }
    let len = state.list.total.max(0) as usize;
    if len == 0 {
        return vec![];
    }
    let page = state.page_rows.max(1);
    let cur = state.list.selected;
    let next = match action {
        Action::Up => cur.saturating_sub(1),
        Action::Down => cur + 1,
        Action::PageUp => cur.saturating_sub(page),
        Action::PageDown => cur + page,
        Action::Top => 0,
        _ => len - 1,
    }
    .min(len - 1);
    let list = &mut state.list;
    list.selected = next;
    let offset = list.offset as usize;
    let fetched = list.rows.len();
    if next >= offset && next < offset + fetched {
        list.selected_key = list.rows.key(next - offset);
        return touch(state);
    }
    // Outside the fetched window: fetch the window around the cursor.
    list.selected_key = None;
    load(state)
}

fn open_input(state: &mut State, kind: InputKind) -> Vec<Effect> {
    let text = if kind == InputKind::Filter {
        state.list.filter.clone()
    } else {
        String::new()
    };
    state.input = Some(Input { kind, text });
    vec![]
}

/// Keys while help is open: typing filters it, arrows scroll, `esc` clears the filter and
/// then closes, `enter` closes.
fn help_key(state: &mut State, key: TextKey) -> Vec<Effect> {
    match key {
        TextKey::Char(c) if !c.is_control() => {
            state.help_filter.push(c);
            state.help_scroll = 0;
        }
        TextKey::Backspace => {
            state.help_filter.pop();
        }
        TextKey::Up => state.help_scroll = state.help_scroll.saturating_sub(1),
        TextKey::Down => state.help_scroll = state.help_scroll.saturating_add(1),
        TextKey::Esc if !state.help_filter.is_empty() => state.help_filter.clear(),
        TextKey::Esc | TextKey::Enter => {
            state.show_help = false;
            state.help_filter.clear();
        }
        _ => {}
    }
    vec![]
}

fn type_key(state: &mut State, key: TextKey) -> Vec<Effect> {
    if state.show_help && state.input.is_none() {
        return help_key(state, key);
    }
    let Some(input) = state.input.as_mut() else {
        return vec![];
    };
    match key {
        TextKey::Char(c) if !c.is_control() => input.text.push(c),
        TextKey::Char(_) => {}
        TextKey::Backspace => {
            input.text.pop();
        }
        TextKey::Tab if input.kind == InputKind::Command => {
            if let Some(done) = command::complete(&input.text) {
                input.text = done;
            }
        }
        TextKey::Tab => {}
        TextKey::Up | TextKey::Down if input.kind == InputKind::Command => {
            let pos = state.history.iter().position(|h| *h == input.text);
            let pick = match (key, pos) {
                (TextKey::Up, None) => state.history.len().checked_sub(1),
                (TextKey::Up, Some(p)) => p.checked_sub(1).or(Some(p)),
                (_, Some(p)) if p + 1 < state.history.len() => Some(p + 1),
                _ => None,
            };
            input.text = pick.map_or_else(String::new, |p| state.history[p].clone());
        }
        TextKey::Up | TextKey::Down => {}
        TextKey::Esc => state.input = None,
        TextKey::Enter => return submit(state),
    }
    vec![]
}

fn submit(state: &mut State) -> Vec<Effect> {
    let Some(input) = state.input.take() else {
        return vec![];
    };
    match input.kind {
        InputKind::Filter => {
            state.list.filter = input.text.trim().to_string();
            state.list.selected = 0;
            state.list.selected_key = None;
            load(state)
        }
        InputKind::Command => {
            let line = input.text.trim().to_string();
            if !line.is_empty() {
                state.history.retain(|h| *h != line);
                state.history.push(line.clone());
            }
            match command::parse(&line) {
                Ok(cmd) => run_command(state, cmd),
                Err(e) => {
                    state.status = Some((Severity::Error, e));
                    vec![]
                }
            }
        }
    }
}

fn run_command(state: &mut State, cmd: Command) -> Vec<Effect> {
    let with_filter = |state: &mut State, view: View, filter: String| {
        let effects = navigate(state, view);
        if filter.is_empty() {
            return effects;
        }
        state.list.filter = filter;
        load(state)
    };
    match cmd {
        Command::Overview => navigate(state, View::Overview),
        Command::Aging {
            as_of,
            basis,
            edges,
        } => {
            if let Some(d) = as_of {
                state.aging.as_of = d.min(state.today);
            }
            if let Some(b) = basis {
                state.aging.basis = b;
            }
            if let Some(e) = edges {
                state.aging.edges = e;
            }
            navigate(state, View::Aging(AgingLevel::Buckets))
        }
        Command::Disputes { filter } => with_filter(state, View::Disputes, filter),
        Command::Holds { filter } => with_filter(state, View::Holds, filter),
        Command::Outreach { filter } => with_filter(state, View::Outreach, filter),
        Command::Activity { filter } => with_filter(state, View::Activity, filter),
        Command::Customer { query } => {
            state.side_request += 1;
            vec![Effect::FindCustomer {
                request: state.side_request,
                query,
            }]
        }
        Command::Help => {
            state.show_help = true;
            vec![]
        }
        Command::Quit => {
            state.quit = true;
            vec![]
        }
    }
}

/// The view's load `generation` has landed: if changes arrived meanwhile, load once more.
fn load_if_due(state: &mut State, generation: u64) -> Vec<Effect> {
    if state.loading_generation != Some(generation) {
        return vec![];
    }
    state.loading_generation = None;
    if std::mem::take(&mut state.refresh_due) {
        load(state)
    } else {
        vec![]
    }
}

/// Asks for the current view's data under a new generation.
fn load(state: &mut State) -> Vec<Effect> {
    state.generation += 1;
    let generation = state.generation;
    state.loading_generation = Some(generation);
    match state.view.clone() {
        View::Overview => {
            if !matches!(state.overview, Loadable::Ready(_)) {
                state.overview = Loadable::Loading;
            }
            vec![Effect::LoadOverview {
                generation,
                params: state.aging.clone(),
            }]
        }
        View::Customer(id) => {
            if !matches!(state.account, Loadable::Ready(_)) {
                state.account = Loadable::Loading;
            }
            vec![Effect::LoadAccount { generation, id }]
        }
        view => {
            state.list.loading = true;
            let limit = state.page_rows + MARGIN;
            let offset = state
                .list
                .selected
                .saturating_sub(state.page_rows / 2 + MARGIN / 2);
            let request = ListRequest {
                view,
                filter: state.list.filter.clone(),
                sort: state.list.sort,
                limit: limit as i64,
                offset: offset as i64,
                params: state.aging.clone(),
            };
            vec![Effect::LoadList {
                generation,
                request,
            }]
        }
    }
}

pub use crate::domain::months::{next_month_end, previous_month_end};
