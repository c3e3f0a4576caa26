//! Where the console is: moving between views and rows, going back, and asking for the
//! current view's data. Pure.

use super::action::Action;
use super::msg::{Effect, ListRequest};
use super::state::{AgingLevel, Loadable, Rows, State, View};

/// Rows fetched beyond what the screen shows, so a few key presses need no query.
const MARGIN: usize = 40;

pub(super) fn selected_key(state: &State) -> Option<String> {
    match &state.view {
        View::Customer(_) => state.account.ready().map(|a| a.code.clone()),
        _ => state.list.selected_key.clone(),
    }
}

pub(super) fn back(state: &mut State) -> Vec<Effect> {
    if state.explain {
        state.explain = false;
        return vec![];
    }
    if !state.list.filter.is_empty() && state.view.is_list() {
        state.list.filter.clear();
        return load(state);
    }
    match state.back.pop() {
        Some((previous, list, _)) => {
            // Back to the list as it was left: its filter, sort, marks and selected row (the
            // rows shown at once, then refreshed).
            state.last_view = Some(state.view.clone());
            state.view = previous;
            state.list = list;
            state.page_scroll = 0;
            load(state)
        }
        None => vec![],
    }
}

/// On the dispute queue or a case, tells others which dispute this person is on.
pub(super) fn touch(state: &State) -> Vec<Effect> {
    if !state.may_act() {
        return vec![];
    }
    let dispute = match (&state.view, &state.list.rows) {
        (View::Case(id), _) => Some(*id),
        (_, Rows::Disputes(rows)) => rows.get(state.list.window_index()).map(|d| d.id),
        _ => None,
    };
    dispute.map_or_else(Vec::new, |d| vec![Effect::Touch { dispute: d }])
}

/// How long the cursor stays on a row before others are told it is there: holding `j` down
/// tells nobody about the rows it passes.
const CURSOR_REST_MS: u64 = 300;

/// A cursor move: once the cursor rests, `touch` (if there is anyone to tell of it here).
fn rest_then_touch(state: &mut State) -> Vec<Effect> {
    if touch(state).is_empty() {
        return vec![];
    }
    state.side_request += 1;
    state.cursor_moved = Some(state.side_request);
    vec![Effect::Rest {
        request: state.side_request,
        after_ms: CURSOR_REST_MS,
    }]
}

/// The cursor rested after move `request`: tell others, unless it has moved since.
pub(super) fn rested(state: &mut State, request: u64) -> Vec<Effect> {
    if state.cursor_moved != Some(request) {
        return vec![];
    }
    state.cursor_moved = None;
    touch(state)
}

/// Goes to `view`, remembering where we were.
pub(super) fn navigate(state: &mut State, view: View) -> Vec<Effect> {
    state.page_scroll = 0;
    if state.view != view {
        let left = std::mem::take(&mut state.list);
        let path = state.breadcrumbs();
        state.back.push((state.view.clone(), left, path));
        state.last_view = Some(state.view.clone());
        state.view = view;
        state.view_cost = crate::domain::pace::ViewCost::default();
        state.account = Loadable::Idle;
        state.case = Loadable::Idle;
        state.message = Loadable::Idle;
    }
    load(state)
}

pub(super) fn open(state: &mut State) -> Vec<Effect> {
    let i = state.list.window_index();
    let next = match (&state.view, &state.list.rows) {
        (View::Overview, _) => {
            let chosen = match (&state.overview, state.alert) {
                (Loadable::Ready(o), Some(a)) => o
                    .alerts
                    .get(a)
                    .and_then(|text| crate::domain::alerts::command_of(text))
                    .map(str::to_string),
                _ => None,
            };
            if let Some(line) = chosen {
                state.alert = None;
                return match super::command::parse(&line) {
                    Ok(cmd) => super::typing::run_command(state, cmd),
                    Err(_) => vec![],
                };
            }
            Some(View::Aging(AgingLevel::Buckets))
        }
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
        (View::Case(_), _) => state
            .case
            .ready()
            .map(|c| View::Customer(c.line.customer_id)),
        (_, Rows::Disputes(rows)) => rows.get(i).map(|r| View::Case(r.id)),
        (_, Rows::Holds(rows)) => rows.get(i).map(|r| View::Customer(r.customer_id)),
        (View::Message(_), _) => state
            .message
            .ready()
            .map(|m| View::Customer(m.line.customer_id)),
        (_, Rows::Outreach(rows)) => rows.get(i).map(|r| View::Message(r.id)),
        (_, Rows::Promises(rows)) => rows.get(i).map(|r| View::Customer(r.customer_id)),
        (_, Rows::Slipping(rows)) => rows.get(i).map(|r| View::Customer(r.customer_id)),
        // A ledger line opens what it is about: the case, the message, else the account.
        (_, Rows::Activity(rows)) => {
            rows.get(i)
                .and_then(|a| match (a.entity.as_str(), a.entity_id) {
                    ("dispute", Some(id)) => Some(View::Case(id)),
                    ("outreach", Some(id)) => Some(View::Message(id)),
                    _ => a.customer_id.map(View::Customer),
                })
        }
        (_, Rows::Work(rows)) => {
            let Some(item) = rows.get(i) else {
                return vec![];
            };
            return open_work(state, (**item).clone());
        }
        (_, Rows::Inbox(rows)) => {
            // Opening a notification reads it, and opens its account if it has one.
            let Some(n) = rows.get(i) else { return vec![] };
            let read = (!n.read).then_some(Effect::ReadNotice { id: n.id });
            let Some(customer) = n.customer_id else {
                return read.into_iter().collect();
            };
            let mut effects = navigate(state, View::Customer(customer));
            effects.extend(read);
            return effects;
        }
        _ => None,
    };
    let Some(next) = next else { return vec![] };
    let mut effects = navigate(state, next);
    // Opening a case tells others who is looking at it.
    effects.extend(touch(state));
    effects
}

/// `enter` on a worklist item opens its own view: the case, the message, the account (a hold,
/// a promise, a reminder's invoice, a task or a slipping account, which reading marks read).
fn open_work(state: &mut State, item: crate::model::WorkItem) -> Vec<Effect> {
    use crate::model::WorkSubject as S;
    let next = match &item.subject {
        S::Dispute(d) => View::Case(d.id),
        S::Message(m) => View::Message(m.id),
        _ => View::Customer(item.customer_id),
    };
    let mut effects = navigate(state, next);
    if let S::Notice(n) = &item.subject {
        effects.push(Effect::ReadNotice { id: n.id });
    }
    effects.extend(touch(state));
    effects
}

pub(super) fn move_cursor(state: &mut State, action: Action) -> Vec<Effect> {
    let page_lines = match (&state.view, &state.account, &state.case) {
        (View::Customer(_), Loadable::Ready(a), _) => Some(a.lines()),
        (View::Message(_), _, _) => state.message.ready().map(|m| m.lines()),
        (View::Case(_), _, Loadable::Ready(c)) => Some(c.lines()),
        _ => None,
    };
    if let Some(lines) = page_lines {
        // The customer page and the case scroll: every section stays reachable.
        let last = lines.saturating_sub(state.page_rows.max(1));
        let page = state.page_rows.max(1);
        let cur = state.page_scroll;
        state.page_scroll = match action {
            Action::Up => cur.saturating_sub(1),
            Action::Down => cur + 1,
            Action::PageUp => cur.saturating_sub(page),
            Action::PageDown => cur + page,
            Action::Top => 0,
            _ => last,
        }
        .min(last);
        return vec![];
    }
    if let (View::Overview, Loadable::Ready(o)) = (&state.view, &state.overview) {
        // Up and down walk the alerts; `enter` opens the one the cursor is on.
        let n = o.alerts.len();
        state.alert = match (action, state.alert) {
            _ if n == 0 => None,
            (Action::Down, None) | (Action::Top, _) => Some(0),
            (Action::Down, Some(i)) => Some((i + 1).min(n - 1)),
            (Action::Up, Some(0)) => None,
            (Action::Up, Some(i)) => Some(i - 1),
            (Action::Bottom, _) => Some(n - 1),
            (_, current) => current,
        };
        return vec![];
    }
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
        return rest_then_touch(state);
    }
    // Outside the fetched window: fetch the window around the cursor.
    list.selected_key = None;
    load(state)
}

/// The view's load `generation` has landed: if changes arrived meanwhile, load once more.
pub(super) fn load_if_due(state: &mut State, generation: u64) -> Vec<Effect> {
    if state.loading_generation != Some(generation) {
        return vec![];
    }
    state.loading_generation = None;
    // The view rests before it may reload, however many changes come meanwhile: a console
    // never reloads faster than the store can afford (`domain::pace`).
    state.resting = Some(generation);
    vec![Effect::Wake {
        generation,
        after_ms: state.refresh_pause_ms(),
    }]
}

/// The rest after the load of `generation` is over: reload once if anything changed.
pub(super) fn woke(state: &mut State, generation: u64) -> Vec<Effect> {
    if state.resting != Some(generation) {
        return vec![];
    }
    state.resting = None;
    if std::mem::take(&mut state.refresh_due) {
        load(state)
    } else {
        vec![]
    }
}

/// Asks for the current view's data under a new generation.
pub(super) fn load(state: &mut State) -> Vec<Effect> {
    state.generation += 1;
    let generation = state.generation;
    state.loading_generation = Some(generation);
    // This load sees every change committed so far.
    state.resting = None;
    state.refresh_due = false;
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
        View::Case(id) => {
            if !matches!(state.case, Loadable::Ready(_)) {
                state.case = Loadable::Loading;
            }
            vec![Effect::LoadCase { generation, id }]
        }
        View::Message(id) => {
            if !matches!(state.message, Loadable::Ready(_)) {
                state.message = Loadable::Loading;
            }
            vec![Effect::LoadMessage { generation, id }]
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
