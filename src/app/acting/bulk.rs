//! One action over every marked row: how many, which, and the total per currency.

use super::super::action::Action;
use super::super::dialog::{Dialog, Field, Request, Stage};
use super::super::state::{Rows, State};
use crate::domain::money::format_grouped;

/// The bulk dialog for marked rows: how many, which, and the total per currency.
pub fn bulk(state: &State, action: Action) -> Option<Dialog> {
    let marked: Vec<_> = state.list.marked.values().cloned().collect();
    let (title, stage, items): (&str, Stage, Vec<Request>) = match (action, &state.list.rows) {
        (Action::ReleaseHold, Rows::Holds(_)) => (
            "Release holds",
            Stage::Edit {
                field: Field::Reason,
            },
            marked
                .iter()
                .map(|m| Request::ReleaseHold {
                    hold: m.id,
                    reason: String::new(),
                })
                .collect(),
        ),
        (Action::AssignMe, Rows::Disputes(_)) => (
            "Assign to me",
            Stage::Confirm,
            marked
                .iter()
                .map(|m| Request::AssignMe {
                    dispute: m.id,
                    seen: m.seen.clone(),
                })
                .collect(),
        ),
        (Action::CancelMessage, Rows::Outreach(_)) => (
            "Cancel messages",
            Stage::Confirm,
            marked
                .iter()
                .map(|m| Request::CancelMessage { id: m.id })
                .collect(),
        ),
        _ => return None,
    };
    let mut totals: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for m in marked.iter().filter(|m| !m.currency.is_empty()) {
        *totals.entry(m.currency.as_str()).or_default() += m.amount;
    }
    let labels: Vec<&str> = marked.iter().map(|m| m.label.as_str()).collect();
    let mut facts = vec![format!("{} marked: {}", marked.len(), labels.join(", "))];
    if !totals.is_empty() {
        let t: Vec<String> = totals
            .iter()
            .map(|(c, a)| format!("{} {c}", format_grouped(*a, state.exponent_of(c))))
            .collect();
        facts.push(format!("total {}", t.join(" + ")));
    }
    Some(Dialog::new(title, facts, stage, Request::Bulk(items)))
}
