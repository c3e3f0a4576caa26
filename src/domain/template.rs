//! Filling a message template with an invoice's facts: the placeholders a template may use and
//! what each becomes, in one place.

use chrono::NaiveDate;

use super::money::format_grouped;

/// What a reminder says about its invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderFacts<'a> {
    pub invoice: &'a str,
    pub customer: &'a str,
    pub open_minor: i64,
    pub currency: &'a str,
    /// Decimal places of `currency`.
    pub exponent: u32,
    pub due: NaiveDate,
    pub today: NaiveDate,
    /// How the customer is greeted ("there" when no contact is known).
    pub contact: &'a str,
    /// Who signs it.
    pub owner: &'a str,
    /// Orders on hold waiting for this invoice to be paid (numbers).
    pub orders: &'a [String],
    /// The invoice's open dispute and its state (`DSP-00006, investigating`), if one.
    pub dispute: Option<&'a str>,
}

impl ReminderFacts<'_> {
    /// Days past due today (negative: not yet due).
    pub fn days_overdue(&self) -> i64 {
        (self.today - self.due).num_days()
    }
}

/// A courtesy note for an invoice not yet due, whatever the segment's template says: a customer
/// is never told a not-yet-due invoice is "overdue … -3 days".
pub const COMING_DUE_SUBJECT: &str = "Invoice {invoice} comes due on {due}";
pub const COMING_DUE_BODY: &str = "Hello {contact},\n\nA courtesy note: invoice {invoice} for {amount} comes due on {due}. If payment is already scheduled, thank you, and please disregard this note.\n\nKind regards,\n{owner}";

/// The subject and body to fill for an invoice: the segment's template once it is due, the
/// courtesy note before.
pub fn for_invoice<'a>(subject: &'a str, body: &'a str, f: &ReminderFacts) -> (&'a str, &'a str) {
    if f.days_overdue() < 0 {
        (COMING_DUE_SUBJECT, COMING_DUE_BODY)
    } else {
        (subject, body)
    }
}

/// `{invoice}`, `{amount}`, `{due}`, `{days}`, `{customer}`, `{contact}` and `{owner}` filled,
/// and two sentences that say only what is true: `{orders_line}` (the orders on hold waiting
/// for this payment, or nothing) and `{dispute_line}` (the invoice's open dispute, or nothing).
/// Anything else is left as written.
pub fn fill(template: &str, f: &ReminderFacts) -> String {
    let orders_line = match f.orders {
        [] => String::new(),
        [one] => format!("Order {one} is on hold until this is paid. "),
        many => format!(
            "Orders {} are on hold until this is paid. ",
            many.join(", ")
        ),
    };
    let dispute_line = f.dispute.map_or(String::new(), |d| {
        format!(
            "We have your dispute {d} in hand and will not ask for the disputed amount meanwhile. "
        )
    });
    template
        .replace("{orders_line}", &orders_line)
        .replace("{dispute_line}", &dispute_line)
        .replace("{invoice}", f.invoice)
        .replace(
            "{amount}",
            &format!(
                "{} {}",
                format_grouped(f.open_minor, f.exponent),
                f.currency
            ),
        )
        .replace("{due}", &f.due.format("%-d %b %Y").to_string())
        .replace("{days}", &f.days_overdue().to_string())
        .replace("{customer}", f.customer)
        .replace("{contact}", f.contact)
        .replace("{owner}", f.owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// INV-7 for Acme, 1.00 USD due 1 Nov, as of 20 Nov, to Priya; tests change what matters.
    fn facts() -> ReminderFacts<'static> {
        ReminderFacts {
            invoice: "INV-7",
            customer: "Acme",
            open_minor: 100,
            currency: "USD",
            exponent: 2,
            due: "2026-11-01".parse().unwrap(),
            today: "2026-11-20".parse().unwrap(),
            contact: "Priya",
            owner: "Accounts Receivable",
            orders: &[],
            dispute: None,
        }
    }

    #[test]
    fn an_invoice_not_yet_due_gets_a_courtesy_note_not_an_overdue_one() {
        let f = ReminderFacts {
            due: "2026-11-23".parse().unwrap(),
            owner: "Sam Keller",
            ..facts()
        };
        let (s, b) = for_invoice("Payment overdue: {invoice}", "now {days} days past due", &f);
        let (s, b) = (fill(s, &f), fill(b, &f));
        assert_eq!(s, "Invoice INV-7 comes due on 23 Nov 2026");
        assert!(!b.contains("overdue") && !b.contains("-3"), "{b}");
        assert!(b.starts_with("Hello Priya") && b.ends_with("Sam Keller"));
        let due = ReminderFacts {
            today: "2026-11-30".parse().unwrap(),
            ..f
        };
        assert_eq!(for_invoice("T", "B", &due), ("T", "B"));
    }

    #[test]
    fn held_orders_and_a_dispute_are_said_only_when_they_are_true() {
        let orders = vec!["SO-0000077".to_string(), "SO-0000078".to_string()];
        let f = ReminderFacts {
            orders: &orders,
            dispute: Some("DSP-00006, investigating"),
            ..facts()
        };
        assert_eq!(
            fill("{orders_line}{dispute_line}Thanks", &f),
            "Orders SO-0000077, SO-0000078 are on hold until this is paid. We have your dispute \
             DSP-00006, investigating in hand and will not ask for the disputed amount meanwhile. Thanks"
        );
        let plain = ReminderFacts {
            orders: &[],
            dispute: None,
            ..f
        };
        assert_eq!(fill("{orders_line}{dispute_line}Thanks", &plain), "Thanks");
    }

    #[test]
    fn every_placeholder_is_filled_with_the_invoices_facts() {
        let f = ReminderFacts {
            open_minor: 125_050,
            ..facts()
        };
        assert_eq!(
            fill(
                "Hi {contact}, {invoice} for {customer}: {amount} was due {due} ({days} days). {owner} {x}",
                &f
            ),
            "Hi Priya, INV-7 for Acme: 1,250.50 USD was due 1 Nov 2026 (19 days). Accounts Receivable {x}"
        );
    }
}
