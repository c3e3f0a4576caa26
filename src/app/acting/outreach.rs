//! Cancelling a queued message.

use super::super::dialog::{Dialog, Request, Stage};
use crate::model::OutreachLine;

pub fn cancel(m: &OutreachLine) -> Dialog {
    let facts = vec![
        format!("{} to {}", m.subject, m.customer),
        format!("{} · {} · {}", m.status, m.tone, m.channel),
    ];
    Dialog::new(
        "Cancel message",
        facts,
        Stage::Confirm,
        Request::CancelMessage { id: m.id },
    )
}
