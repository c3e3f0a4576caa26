//! The invoice dialogs: a promise to pay, and a reminder in the customer's segment's tone.

use super::super::dialog::{Dialog, Field, Request, Stage};
use super::super::state::{Rows, State};
use crate::domain::money::format_grouped;
use crate::domain::states::{Channel, Tone};
use crate::domain::template::{self, ReminderFacts};
use crate::model::OpenInvoice;

/// A promise to pay: the amount (prefilled with what is open), then the date (a week out
/// unless changed), then confirm.
pub fn promise(inv: &OpenInvoice, e: u32, today: chrono::NaiveDate) -> Dialog {
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
        amount: inv.open,
        promised_for: Some(today + chrono::Duration::days(7)),
    };
    let mut dialog = Dialog::new(
        "Promise to pay",
        facts,
        Stage::Edit {
            field: Field::PromiseAmount,
        },
        request,
    )
    .with_text(&crate::domain::money::format_decimal(inv.open, e));
    dialog.editor.move_cursor(ratatui_textarea::CursorMove::End);
    dialog
}

/// The reminder's text is here: open the editor with it, prefilled from the template.
pub fn reminder_ready(
    state: &mut State,
    subject: String,
    body: String,
    tone: Tone,
    channel: Channel,
    blocked: Option<String>,
) {
    let i = state.list.window_index();
    let Rows::Invoices(rows) = &state.list.rows else {
        return;
    };
    let Some(inv) = rows.get(i) else { return };
    let facts_of = ReminderFacts {
        invoice: &inv.number,
        customer: &inv.customer,
        open_minor: inv.open,
        currency: &inv.currency,
        exponent: state.exponent_of(&inv.currency),
        due: inv.due_date,
        today: state.today,
        contact: "there",
        owner: "Accounts Receivable",
    };
    let days = facts_of.days_overdue();
    let fill = |t: &str| template::fill(t, &facts_of);
    let facts = vec![
        format!("invoice {} · {}", inv.number, inv.customer),
        format!(
            "open {} {} · due {} ({days} days)",
            format_grouped(inv.open, state.exponent_of(&inv.currency)),
            inv.currency,
            inv.due_date
        ),
        format!("tone: {tone} · channel: {channel}"),
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
    super::offer_draft(state);
}
