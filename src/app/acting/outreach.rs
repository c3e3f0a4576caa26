//! Cancelling a queued message; deciding one that may have gone.

use super::super::dialog::{Dialog, Request, Stage};
use crate::domain::states::OutreachStatus;
use crate::model::OutreachLine;

/// Whether a message can still be cancelled: not once a worker sends it or has sent it.
pub fn cancellable(m: &OutreachLine) -> Result<(), String> {
    match m.status {
        OutreachStatus::Draft | OutreachStatus::PendingApproval | OutreachStatus::Queued => Ok(()),
        other => Err(format!(
            "MSG-{} is {}: only a queued message can be cancelled",
            m.id,
            other.label()
        )),
    }
}

/// A lead decides an uncertain message (a worker died between handing it over and hearing),
/// or approves or rejects one awaiting approval.
pub fn decide(m: &OutreachLine) -> Result<Dialog, String> {
    if m.status == OutreachStatus::PendingApproval {
        let mut d = Dialog::new(
            "Approve this message?",
            vec![
                format!("{} to {}", m.subject, m.customer),
                format!("{} tone · {}", m.tone, m.channel),
            ],
            Stage::Choose,
            Request::ApproveMessage {
                id: m.id,
                approve: None,
                reason: String::new(),
            },
        );
        d.choices = vec![
            ('a', "approve: queue it".into()),
            ('r', "reject it (give a reason)".into()),
        ];
        return Ok(d);
    }
    if m.status != OutreachStatus::Uncertain {
        return Err(format!(
            "MSG-{} is {}: only an uncertain message needs deciding",
            m.id,
            m.status.label()
        ));
    }
    let mut d = Dialog::new(
        "Decide: did it go?",
        vec![
            format!("{} to {}", m.subject, m.customer),
            "a worker was sending it when it stopped; the server may have accepted it".into(),
        ],
        Stage::Choose,
        Request::DecideMessage {
            id: m.id,
            went: None,
        },
    );
    d.choices = vec![
        ('s', "it went: mark it sent".into()),
        ('r', "send it again".into()),
    ];
    Ok(d)
}

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
