//! The dispute dialogs: take, give, respond, escalate, move.

use super::super::action::Action;
use super::super::dialog::{Dialog, Field, Request, Stage};
use super::super::state::State;
use crate::domain::money::format_grouped;
use crate::domain::states::DisputeState;
use crate::model::DisputeLine;

pub fn open(state: &State, d: &DisputeLine, action: Action, e: u32) -> Dialog {
    let facts = vec![
        format!("{} · {} · invoice {}", d.number, d.customer, d.invoice),
        format!(
            "{} {} · {} · {}",
            format_grouped(d.amount, e),
            d.currency,
            crate::domain::states::words(&d.category),
            d.state
        ),
        format!(
            "assigned to {}",
            d.assignee.clone().unwrap_or_else(|| "nobody".into())
        ),
    ];
    match action {
        Action::AssignTo => Dialog::new(
            "Assign to",
            facts,
            Stage::Choose,
            Request::AssignTo {
                dispute: d.id,
                seen: d.assignee.clone(),
                agent: None,
                options: Vec::new(),
            },
        ),
        Action::AssignMe => Dialog::new(
            match d.assignee.as_deref() {
                Some(other) if Some(other) != state.session.agent.as_deref() => {
                    format!("Take over from {other} (they are told)")
                }
                _ => "Assign to me".to_string(),
            },
            facts,
            Stage::Confirm,
            Request::AssignMe {
                dispute: d.id,
                seen: d.assignee.clone(),
            },
        ),
        Action::Respond => Dialog::new(
            "Respond",
            facts,
            Stage::Edit { field: Field::Note },
            Request::Respond {
                dispute: d.id,
                note: String::new(),
            },
        ),
        Action::Escalate => Dialog::new(
            "Escalate",
            facts,
            Stage::Edit { field: Field::Note },
            Request::Escalate {
                dispute: d.id,
                note: String::new(),
            },
        ),
        _ => {
            let mut dlg = Dialog::new(
                "Move dispute",
                facts,
                Stage::Choose,
                Request::Move {
                    dispute: d.id,
                    seen: d.state,
                    to: None,
                    outcome: None,
                    credited: None,
                    note: String::new(),
                },
            );
            dlg.choices = match d.state {
                DisputeState::Open => vec![('i', "investigating".into())],
                DisputeState::AwaitingCustomer => vec![('i', "back to investigating".into())],
                _ => vec![
                    ('w', "awaiting customer (clocks pause)".into()),
                    ('c', "resolved: credited in full".into()),
                    ('p', "resolved: partially credited".into()),
                    ('x', "resolved: rejected".into()),
                ],
            };
            dlg
        }
    }
}
