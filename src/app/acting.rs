//! Opening, driving and confirming action dialogs. Pure: the store call is an `Effect::Act`.

use super::action::Action;
use super::dialog::{Dialog, Field, Request, Stage};
use super::msg::{DialogKey, Effect};
use super::state::{Rows, Severity, State};
use crate::domain::money::format_grouped;

/// Opens the dialog for an action on the selected row, if this person is offered it here.
pub fn open(state: &mut State, action: Action) -> Vec<Effect> {
    if !state.offers(action) {
        if !state.may_act() {
            state.status = Some((
                Severity::Error,
                "read-only: your role cannot change anything".into(),
            ));
        }
        return vec![];
    }
    if !state.list.marked.is_empty()
        && let Some(d) = bulk(state, action)
    {
        state.dialog = Some(d);
        return vec![];
    }
    let i = state
        .list
        .selected
        .saturating_sub(state.list.offset as usize);
    let e = state.exponent;
    let dialog = match (&state.list.rows, action) {
        (Rows::Holds(r), Action::ReleaseHold) => r.get(i).map(|h| {
            let facts = vec![
                format!("order {} for {}", h.order, h.customer),
                format!("value {} {}", format_grouped(h.amount, e), h.currency),
                format!(
                    "status: {}",
                    if h.status == "cleared" {
                        "paid, waiting for release"
                    } else {
                        "blocking invoices still open"
                    }
                ),
            ];
            Dialog::new(
                "Release hold",
                facts,
                Stage::Edit {
                    field: Field::Reason,
                },
                Request::ReleaseHold {
                    hold: h.hold_id,
                    reason: String::new(),
                },
            )
        }),
        (Rows::Disputes(r), _) => r.get(i).map(|d| {
            let facts = vec![
                format!("{} · {} · invoice {}", d.number, d.customer, d.invoice),
                format!(
                    "{} {} · {} · {}",
                    format_grouped(d.amount, e),
                    d.currency,
                    d.category.replace('_', " "),
                    d.state.replace('_', " ")
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
                            seen: d.state.clone(),
                            to: String::new(),
                            outcome: None,
                            credited: None,
                            note: String::new(),
                        },
                    );
                    dlg.choices = match d.state.as_str() {
                        "open" => vec![('i', "investigating".into())],
                        "awaiting_customer" => vec![('i', "back to investigating".into())],
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
        }),
        (Rows::Invoices(r), Action::RecordPromise) => r.get(i).map(|inv| {
            let facts = vec![
                format!("invoice {} · {}", inv.number, inv.customer),
                format!(
                    "open {} {} · due {}",
                    format_grouped(inv.open, e),
                    inv.currency,
                    inv.due_date
                ),
            ];
            let request = Request::Promise {
                invoice: inv.id,
                amount: 0,
                promised_for: None,
            };
            Dialog::new(
                "Promise to pay",
                facts,
                Stage::Edit {
                    field: Field::Promise,
                },
                request,
            )
        }),
        (Rows::Invoices(r), Action::QueueReminder) => {
            return match r.get(i) {
                Some(inv) => {
                    state.generation += 1;
                    vec![Effect::PrepareReminder {
                        generation: state.generation,
                        invoice: inv.id,
                        customer: inv.customer_id,
                    }]
                }
                None => vec![],
            };
        }
        (Rows::Outreach(r), Action::CancelMessage) => r.get(i).map(|m| {
            let facts = vec![
                format!("{} to {}", m.subject, m.customer),
                format!(
                    "{} · {} · {}",
                    m.status,
                    m.tone,
                    m.channel.replace('_', " ")
                ),
            ];
            Dialog::new(
                "Cancel message",
                facts,
                Stage::Confirm,
                Request::CancelMessage { id: m.id },
            )
        }),
        _ => None,
    };
    let wants_agents = matches!(
        dialog.as_ref().map(|d| &d.request),
        Some(Request::AssignTo { .. })
    );
    state.dialog = dialog;
    if wants_agents {
        state.generation += 1;
        return vec![Effect::LoadAgents {
            generation: state.generation,
        }];
    }
    vec![]
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

/// The bulk dialog for marked rows: how many, which, and the total per currency.
fn bulk(state: &State, action: Action) -> Option<Dialog> {
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
            .map(|(c, a)| format!("{} {c}", format_grouped(*a, state.exponent)))
            .collect();
        facts.push(format!("total {}", t.join(" + ")));
    }
    Some(Dialog::new(title, facts, stage, Request::Bulk(items)))
}

/// The reminder's text is here: open the editor with it, prefilled from the template.
pub fn reminder_ready(
    state: &mut State,
    subject: String,
    body: String,
    tone: String,
    channel: String,
    blocked: Option<String>,
) {
    let i = state
        .list
        .selected
        .saturating_sub(state.list.offset as usize);
    let Rows::Invoices(rows) = &state.list.rows else {
        return;
    };
    let Some(inv) = rows.get(i) else { return };
    let days = (state.today - inv.due_date).num_days();
    let fill = |t: &str| {
        t.replace("{invoice}", &inv.number)
            .replace(
                "{amount}",
                &format!(
                    "{} {}",
                    format_grouped(inv.open, state.exponent),
                    inv.currency
                ),
            )
            .replace("{due}", &inv.due_date.format("%-d %b %Y").to_string())
            .replace("{days}", &days.to_string())
            .replace("{customer}", &inv.customer)
            .replace("{contact}", "there")
            .replace("{owner}", "Accounts Receivable")
    };
    let facts = vec![
        format!("invoice {} · {}", inv.number, inv.customer),
        format!(
            "open {} {} · due {} ({days} days)",
            format_grouped(inv.open, state.exponent),
            inv.currency,
            inv.due_date
        ),
        format!("tone: {tone} · channel: {}", channel.replace('_', " ")),
    ];
    let text = format!("Subject: {}\n\n{}", fill(&subject), fill(&body));
    let request = Request::QueueReminder {
        invoice: inv.id,
        channel,
        tone,
        subject: String::new(),
        body: String::new(),
        override_reason: None,
    };
    let mut dialog = Dialog::new(
        "Queue reminder",
        facts,
        Stage::Edit {
            field: Field::Message,
        },
        request,
    )
    .with_text(&text);
    dialog.blocked = blocked;
    state.dialog = Some(dialog);
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
            state.dialog = None;
            vec![]
        }
        (Stage::Discard { field }, _) => {
            dialog.stage = Stage::Edit { field };
            vec![]
        }
        (Stage::Choose, DialogKey::Char(c)) if dialog.choose(c) => vec![],
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
