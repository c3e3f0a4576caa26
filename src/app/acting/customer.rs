//! The customer dialogs: which of several matching customers to open, and a lead's segment
//! override.

use super::super::dialog::{Request, Stage};

/// Several customers match a `:cust` search: pick one by its key.
pub fn pick_customer(
    query: &str,
    found: Vec<(i64, String, String)>,
) -> super::super::dialog::Dialog {
    let mut d = super::super::dialog::Dialog::new(
        format!("Customers matching “{query}”"),
        vec![format!("{} match; press a key to open one", found.len())],
        Stage::Choose,
        Request::OpenCustomer {
            options: found.iter().map(|(id, _, _)| *id).collect(),
            picked: None,
        },
    );
    d.choices = found
        .iter()
        .take(35)
        .enumerate()
        .filter_map(|(i, (_, code, name))| {
            char::from_digit(i as u32 + 1, 36).map(|k| (k, format!("{name}  ({code})")))
        })
        .collect();
    d
}

/// A lead's segment override for the customer on show.
pub(super) fn segment(a: &crate::model::Account) -> super::super::dialog::Dialog {
    let mut d = super::super::dialog::Dialog::new(
        "Segment override",
        vec![
            format!("{} · {}", a.code, a.name),
            format!(
                "now {} ({})",
                crate::domain::states::words(&a.segment),
                a.segment_reason
            ),
        ],
        Stage::Choose,
        Request::SetSegment {
            customer: a.id,
            segment: None,
            reason: String::new(),
        },
    );
    d.choices = vec![
        ('v', "VIP".into()),
        ('c', "Chronic late".into()),
        ('h', "High risk".into()),
        ('s', "Standard".into()),
        ('x', "Lift the override (the rules decide)".into()),
    ];
    d
}
