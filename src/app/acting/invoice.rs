//! The invoice dialogs: a promise to pay, and a reminder in the customer's segment's tone.

use super::super::dialog::{Dialog, Field, Request, Stage};
use super::super::state::{Rows, State};
use crate::app::msg::ReminderDraft;
use crate::domain::money::format_grouped;
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

/// The reminder's text is here: open the editor with it, prefilled from the template (or the
/// courtesy note for an invoice not yet due), greeting the contact and signed by whoever signs.
/// A reminder already live for the invoice is named; confirming replaces it (esc leaves it).
pub fn reminder_ready(state: &mut State, draft: ReminderDraft) {
    // The invoice under the cursor, on its aging list or as a worklist item.
    let (rows, i) = state.list.rows.acted_on(state.list.window_index());
    let Rows::Invoices(rows) = rows.as_ref() else {
        return;
    };
    let Some(inv) = rows.get(i).cloned() else {
        return;
    };
    let c = &draft.context;
    let facts_of = ReminderFacts {
        invoice: &inv.number,
        customer: &inv.customer,
        open_minor: inv.open,
        currency: &inv.currency,
        exponent: state.exponent_of(&inv.currency),
        due: inv.due_date,
        today: state.today,
        contact: c.contact.as_deref().unwrap_or("there"),
        owner: c.signer.as_deref().unwrap_or("Accounts Receivable"),
        orders: &c.orders,
        dispute: c.dispute.as_deref(),
    };
    let days = facts_of.days_overdue();
    let (subject, body) = template::for_invoice(&draft.subject, &draft.body, &facts_of);
    let text = format!(
        "Subject: {}\n\n{}",
        template::fill(subject, &facts_of),
        template::fill(body, &facts_of)
    );
    let when = if days < 0 {
        format!("due in {} days", -days)
    } else {
        format!("{days} days past due")
    };
    let mut facts = vec![
        format!("invoice {} · {}", inv.number, inv.customer),
        format!(
            "open {} {} · due {} ({when})",
            format_grouped(inv.open, state.exponent_of(&inv.currency)),
            inv.currency,
            inv.due_date
        ),
        format!("tone: {} · channel: {}", draft.tone, draft.channel),
    ];
    if let Some((_, existing)) = &c.existing {
        facts.push(format!(
            "already queued: {existing}; confirming replaces it (audited), esc leaves it"
        ));
    }
    let request = Request::QueueReminder {
        invoice: inv.id,
        channel: draft.channel,
        tone: draft.tone,
        subject: String::new(),
        body: String::new(),
        override_reason: None,
        send_after: None,
        replace: c.existing.as_ref().map(|(id, _)| *id),
    };
    let title = if c.existing.is_some() {
        "Replace the queued reminder"
    } else {
        "Queue reminder"
    };
    let mut dialog = Dialog::new(
        title,
        facts,
        Stage::Edit {
            field: Field::Message,
        },
        request,
    )
    .with_text(&text);
    dialog.blocked = draft.blocked;
    dialog.may_go_at = c.may_go_at;
    state.dialog = Some(dialog);
    super::offer_draft(state);
}
