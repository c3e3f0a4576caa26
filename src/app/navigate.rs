//! Where the console is: moving between views and rows, going back, and asking for the
//! current view's data. Pure.

use super::action::Action;
use super::msg::{Effect, ListRequest};
use super::state::{AgingLevel, ListState, Loadable, Rows, State, View};

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
pub(super) fn touch(state: &State) -> Vec<Effect> {
    match &state.list.rows {
        Rows::Disputes(rows) if state.may_act() => rows
            .get(state.list.window_index())
            .map(|d| vec![Effect::Touch { dispute: d.id }])
            .unwrap_or_default(),
        _ => vec![],
    }
}

/// Goes to `view`, remembering where we were.
pub(super) fn navigate(state: &mut State, view: View) -> Vec<Effect> {
    state.account_scroll = 0;
    if state.view != view {
        state.back.push(state.view.clone());
        state.last_view = Some(state.view.clone());
        state.view = view;
        state.list = ListState::default();
        state.account = Loadable::Idle;
    }
    load(state)
}

pub(super) fn open(state: &mut State) -> Vec<Effect> {
    let i = state.list.window_index();
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
        (_, Rows::Promises(rows)) => rows.get(i).map(|r| View::Customer(r.customer_id)),
        _ => None,
    };
    next.map_or_else(Vec::new, |v| navigate(state, v))
}

pub(super) fn move_cursor(state: &mut State, action: Action) -> Vec<Effect> {
    if let (View::Customer(_), Loadable::Ready(a)) = (&state.view, &state.account) {
        // The customer page scrolls: every invoice and every section stays reachable.
        let last = a.lines().saturating_sub(state.page_rows.max(1));
        let page = state.page_rows.max(1);
        let cur = state.account_scroll;
        state.account_scroll = match action {
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

/// The view's load `generation` has landed: if changes arrived meanwhile, load once more.
pub(super) fn load_if_due(state: &mut State, generation: u64) -> Vec<Effect> {
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
pub(super) fn load(state: &mut State) -> Vec<Effect> {
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
