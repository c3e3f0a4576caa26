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
