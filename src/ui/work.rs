//! `:work`'s cells: when each item goes late (ticking), what it is, why it is here, what is
//! at stake, whose it is, and the key that acts on it.

use ratatui::style::Style;

use super::Theme;
use super::table::Cell;
use crate::app::Action;
use crate::app::state::State;
use crate::domain::money::format_grouped;
use crate::domain::states::WorkKind;
use crate::domain::work::{Band, minutes_left};
use crate::lists::WorkColumn;
use crate::model::{WorkItem, WorkSubject};

/// `late 2h05m` / `in 0h42m` / `in 41m07s` in the last hour, coloured by its band.
fn due_cell(item: &WorkItem, state: &State, theme: &Theme) -> Cell {
    let left = minutes_left(state.now, item.late_at);
    let seconds = (item.late_at - state.now).num_seconds();
    let text = match left {
        l if l < 0 => format!("late {}", crate::domain::sla::format_minutes(-l)),
        _ if seconds < 3600 => format!("in {}m{:02}s", seconds / 60, seconds % 60),
        l => format!("in {}", crate::domain::sla::format_minutes(l)),
    };
    let style = match Band::of(left) {
        Band::Late => theme.sla_breached,
        Band::WithinHour => theme.sla_at_risk,
        _ => Style::default(),
    };
    (text, style)
}

/// The action the item's key takes, as this person is offered it.
pub fn action_of(item: &WorkItem) -> Option<Action> {
    Some(match &item.subject {
        WorkSubject::Dispute(d) if !d.first_response.stopped => Action::Respond,
        WorkSubject::Dispute(_) => Action::MoveDispute,
        WorkSubject::Hold(_) => Action::ReleaseHold,
        WorkSubject::Reminder(_) => Action::QueueReminder,
        WorkSubject::Message(_) => Action::DecideMessage,
        // Promises, tasks and slipping notes are opened, not acted on from the line.
        WorkSubject::Promise(_) | WorkSubject::Notice(_) => return None,
    })
}

/// `r respond`, `R release`, `n remind`, `D approve`, or `enter` to open it.
fn key_cell(item: &WorkItem, state: &State) -> String {
    let verb = |a: Action| match a {
        Action::Respond => "respond",
        Action::MoveDispute => "move",
        Action::ReleaseHold => "release",
        Action::QueueReminder => "remind",
        Action::DecideMessage if item.kind == WorkKind::Approval => "approve",
        Action::DecideMessage => "decide",
        _ => "act",
    };
    match action_of(item).filter(|a| state.may_act() && state.refusal(*a).is_none()) {
        Some(a) => format!("{} {}", state.key_for(a), verb(a)),
        None => format!("{} open", state.key_for(Action::Open)),
    }
}

pub fn cell(item: &WorkItem, col: WorkColumn, state: &State, theme: &Theme) -> Cell {
    let plain = |s: String| (s, Style::default());
    match col {
        WorkColumn::Due => due_cell(item, state, theme),
        WorkColumn::Kind => plain(item.kind.label().to_string()),
        WorkColumn::Reference => plain(item.reference.clone()),
        WorkColumn::Customer => plain(item.customer.clone()),
        WorkColumn::Why => plain(item.why.clone()),
        WorkColumn::Amount if item.amount == 0 => plain(String::new()),
        WorkColumn::Amount => plain(format!(
            "{} {}",
            format_grouped(item.amount, state.exponent_of(&item.currency)),
            item.currency
        )),
        WorkColumn::Owner => match &item.owner {
            Some((_, name)) => plain(name.clone()),
            None => ("nobody yet".into(), theme.muted),
        },
        WorkColumn::Key => (key_cell(item, state), theme.muted),
    }
}
