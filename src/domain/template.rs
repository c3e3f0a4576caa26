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
}

impl ReminderFacts<'_> {
    /// Days past due today (negative: not yet due).
    pub fn days_overdue(&self) -> i64 {
        (self.today - self.due).num_days()
    }
}

/// `{invoice}`, `{amount}`, `{due}`, `{days}`, `{customer}`, `{contact}` and `{owner}` filled;
/// anything else is left as written.
pub fn fill(template: &str, f: &ReminderFacts) -> String {
    template
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

    #[test]
    fn every_placeholder_is_filled_with_the_invoices_facts() {
        let f = ReminderFacts {
            invoice: "INV-7",
            customer: "Acme",
            open_minor: 125_050,
            currency: "USD",
            exponent: 2,
            due: "2026-11-01".parse().unwrap(),
            today: "2026-11-20".parse().unwrap(),
            contact: "Priya",
            owner: "Accounts Receivable",
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
