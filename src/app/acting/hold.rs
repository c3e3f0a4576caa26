//! Releasing a hold: what order, for whom, how much, and whether the customer has paid.

use super::super::dialog::{Dialog, Field, Request, Stage};
use crate::domain::money::format_grouped;
use crate::domain::states::HoldStatus;
use crate::model::HeldOrder;

pub fn release(h: &HeldOrder, e: u32) -> Dialog {
    let facts = vec![
        format!("order {} for {}", h.order, h.customer),
        format!("value {} {}", format_grouped(h.amount, e), h.currency),
        format!(
            "status: {}",
            if h.status == HoldStatus::Cleared {
                "paid, waiting for release"
            } else {
                "blocking invoices still open"
            }
        ),
        if h.status == HoldStatus::Cleared {
            "releasing queues the customer a confirmation: paid, the order is on its way".into()
        } else {
            "no confirmation goes to the customer: the invoices are not paid".into()
        },
        if h.told.is_empty() {
            "nobody else is told (the account has no executive or success manager)".into()
        } else {
            format!("{} will be told in their inbox", h.told.join(" and "))
        },
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
}
