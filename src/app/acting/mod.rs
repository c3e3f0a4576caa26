//! Opening, driving and confirming action dialogs, one file per kind of row (as gitui keeps
//! one file per popup). Pure: the store call is an `Effect::Act`.

mod bulk;
mod customer;
mod dispute;
mod hold;
mod invoice;
mod outreach;

pub use customer::pick_customer;
pub use invoice::reminder_ready;

use super::action::Action;
use super::dialog::{Request, Stage};
use super::msg::{DialogKey, Effect};
use super::state::{Rows, Severity, State};

/// Opens the dialog for an action on the selected row, if this person is offered it here.
pub fn open(state: &mut State, action: Action) -> Vec<Effect> {
    if !state.offers(action) {
        // Said once, in words, rather than a key that silently does nothing.
        if let Some(why) = state.refusal(action) {
            state.status = Some((Severity::Error, why));
        }
        return vec![];
    }
    if !state.list.marked.is_empty()
        && let Some(d) = bulk::bulk(state, action)
    {
        state.dialog = Some(d);
        return vec![];
    }
    let i = state.list.window_index();
    let case = match (&state.view, &state.case) {
        (super::state::View::Case(_), super::state::Loadable::Ready(c)) => Some(c.line.clone()),
        _ => None,
    };
    // A worklist item acts as the row of its own list.
    let (rows, i) = state.list.rows.acted_on(i);
    let dialog = match (rows.as_ref(), action) {
        // Every dispute action works from its case as from the queue.
        _ if case.is_some() => case.as_ref().map(|d| {
            let e = state.exponent_of(&d.currency);
            dispute::open(state, d, action, e).in_currency(e)
        }),
        (Rows::Holds(r), Action::ReleaseHold) => r
            .get(i)
            .map(|h| hold::release(h, state.exponent_of(&h.currency))),
        (Rows::Disputes(r), _) => r.get(i).map(|d| {
            let e = state.exponent_of(&d.currency);
            dispute::open(state, d, action, e).in_currency(e)
        }),
        (Rows::Invoices(r), Action::RecordPromise) => r.get(i).map(|inv| {
            let e = state.exponent_of(&inv.currency);
            invoice::promise(inv, e, state.today).in_currency(e)
        }),
        (Rows::Invoices(r), Action::QueueReminder) => {
            return match r.get(i) {
                Some(inv) => {
                    state.side_request += 1;
                    vec![Effect::PrepareReminder {
                        request: state.side_request,
                        invoice: inv.id,
                        customer: inv.customer_id,
                    }]
                }
                None => vec![],
            };
        }
        (rows, Action::CancelMessage | Action::DecideMessage) => {
            let shown = match (&state.view, rows, &state.message) {
                (super::state::View::Message(_), _, super::state::Loadable::Ready(v)) => {
                    Some(v.line.clone())
                }
                (_, Rows::Outreach(r), _) => r.get(i).cloned(),
                _ => None,
            };
            let Some(m) = shown.as_ref() else {
                return vec![];
            };
            let opened = if action == Action::CancelMessage {
                outreach::cancellable(m).map(|()| outreach::cancel(m))
            } else {
                outreach::decide(m)
            };
            match opened {
                Ok(d) => Some(d),
                Err(why) => {
                    state.status = Some((Severity::Info, why));
                    return vec![];
                }
            }
        }
        (_, Action::SetSegment) => state.account.ready().map(customer::segment),
        _ => None,
    };
    let wants_agents = matches!(
        dialog.as_ref().map(|d| &d.request),
        Some(Request::AssignTo { .. })
    );
    state.dialog = dialog;
    offer_draft(state);
    if wants_agents {
        state.side_request += 1;
        return vec![Effect::LoadAgents {
            request: state.side_request,
        }];
    }
    vec![]
}

/// No draft for `key` any more (used or thrown away).
pub(super) fn forget(state: &mut State, key: Option<String>) -> Vec<Effect> {
    match key {
        Some(k) if state.drafts.remove(&k).is_some() => vec![Effect::ForgetDraft(k)],
        _ => vec![],
    }
}

/// A draft left in this dialog when an earlier console ended: put it back in the editor.
pub(super) fn offer_draft(state: &mut State) {
    let Some(d) = state.dialog.as_mut() else {
        return;
    };
    if !matches!(d.stage, Stage::Edit { .. }) {
        return;
    }
    if let Some(text) = d.draft_key().and_then(|k| state.drafts.get(&k)) {
        *d = d.clone().with_text(text);
        state.status = Some((
            Severity::Info,
            "your unsent text from last time is back in the editor".into(),
        ));
    }
}

/// The agents are here: offer them as numbered choices.
pub fn agents_ready(state: &mut State, agents: Vec<(i32, String)>) {
    let Some(dialog) = state.dialog.as_mut() else {
        return;
    };
    if let Request::AssignTo { options, .. } = &mut dialog.request {
        dialog.choices = agents
            .iter()
            .take(35)
            .enumerate()
            .filter_map(|(i, (_, name))| {
                char::from_digit(i as u32 + 1, 36).map(|k| (k, name.clone()))
            })
            .collect();
        *options = agents;
    }
}

/// A key in a dialog outside its editor.
pub fn key(state: &mut State, key: DialogKey) -> Vec<Effect> {
    let Some(dialog) = state.dialog.as_mut() else {
        return vec![];
    };
    match (dialog.stage.clone(), key) {
        (Stage::Edit { .. }, DialogKey::Submit) => {
            if let Err(e) = dialog.submit() {
                state.status = Some((Severity::Error, e));
            }
            vec![]
        }
        (Stage::Edit { field }, DialogKey::Cancel) if !dialog.text().is_empty() => {
            dialog.stage = Stage::Discard { field };
            vec![]
        }
        (Stage::Discard { .. }, DialogKey::Char('y')) => {
            // Thrown away on purpose: no draft comes back for it.
            let key = state.dialog.take().and_then(|d| d.draft_key());
            forget(state, key)
        }
        (Stage::Discard { field }, _) => {
            dialog.stage = Stage::Edit { field };
            vec![]
        }
        (Stage::Choose, DialogKey::Char(c)) if dialog.choose(c) => {
            // A picked customer opens at once: picking is not a change to confirm.
            if let Request::OpenCustomer {
                picked: Some(id), ..
            } = dialog.request
            {
                state.dialog = None;
                return super::navigate::navigate(state, super::state::View::Customer(id));
            }
            vec![]
        }
        (Stage::Confirm, DialogKey::Char('y')) if dialog.request == Request::Quit => {
            state.dialog = None;
            state.quit = true;
            vec![]
        }
        (Stage::Confirm, DialogKey::Char('y')) => {
            let request = dialog.request.clone();
            state.in_flight = state
                .dialog
                .take()
                .filter(|d| !matches!(d.request, Request::Bulk(_)));
            state.status = Some((Severity::Info, "working…".into()));
            vec![Effect::Act(request)]
        }
        (Stage::Edit { .. }, DialogKey::Char(_)) => vec![],
        _ => {
            state.dialog = None;
            state.status = Some((Severity::Info, "cancelled".into()));
            vec![]
        }
    }
}
