//! The demo AR book: customers with their own payment rhythm, invoices, payments,
//! credit notes and allocations. Deterministic for a seed and a "now".

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::copy::CopyTable;
use super::names;

/// How a demo customer behaves: the segment it should land in and how it pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Habit {
    Vip,
    Clockwork,
    Standard,
    ChronicLate,
    HighRisk,
    Slipping,
}

impl Habit {
    fn draw(rng: &mut ChaCha8Rng) -> Habit {
        match rng.random_range(0..100) {
            0..2 => Habit::Vip,
            2..14 => Habit::ChronicLate,
            14..19 => Habit::HighRisk,
            19..34 => Habit::Clockwork,
            34..39 => Habit::Slipping,
            _ => Habit::Standard,
        }
    }
}

/// A customer as generated, with what later stages need to know.
pub struct DemoCustomer {
    pub id: i64,
    pub currency: &'static str,
    pub habit: Habit,
    pub terms: i32,
}

/// An invoice as generated: enough for disputes, holds, promises and outreach to refer to.
#[derive(Clone)]
pub struct DemoInvoice {
    pub id: i64,
    pub number: String,
    pub issue: NaiveDate,
    pub due: NaiveDate,
    pub amount: i64,
    pub open: i64,
    pub settled: Option<NaiveDate>,
}

/// What an allocation copies from its invoice: id, issue date, due date, currency.
type Facts = (i64, NaiveDate, NaiveDate, &'static str);

/// Id counters and output tables for the money side of the book.
pub struct Ledger {
    pub customers: CopyTable,
    pub owners: CopyTable,
    pub contacts: CopyTable,
    pub briefs: CopyTable,
    pub invoices: CopyTable,
    pub payments: CopyTable,
    pub credit_notes: CopyTable,
    pub allocations: CopyTable,
    next_invoice: i64,
    next_payment: i64,
    next_credit: i64,
    next_allocation: i64,
    next_contact: i64,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            customers: CopyTable::new(
                "customers",
                "id, code, name, region, terms_days, credit_limit_minor, currency, reporting_currency, strategic",
            ),
            owners: CopyTable::new("customer_owners", "customer_id, agent_id, relation"),
            contacts: CopyTable::new(
                "contacts",
                "id, customer_id, name, email, phone, channel, is_primary",
            ),
            briefs: CopyTable::new(
                "handoff_briefs",
                "customer_id, key_contacts, communication_prefs, nonstandard_terms, delivery_commitments",
            ),
            invoices: CopyTable::new(
                "invoices",
                "id, customer_id, number, issue_date, due_date, amount_minor, currency, open_minor, settled_on",
            ),
            payments: CopyTable::new(
                "payments",
                "id, customer_id, reference, received_on, amount_minor, currency, unapplied_minor",
            ),
            credit_notes: CopyTable::new(
                "credit_notes",
                "id, customer_id, number, issue_date, amount_minor, currency, reason, unapplied_minor",
            ),
            allocations: CopyTable::new(
                "allocations",
                "id, invoice_id, payment_id, credit_note_id, applied_on, amount_minor, currency, invoice_issue_date, \
                 invoice_due_date, source_date",
            ),
            next_invoice: 0,
            next_payment: 0,
            next_credit: 0,
            next_allocation: 0,
            next_contact: 0,
        }
    }
}

fn pick<'a>(rng: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// Agent ids by title, as `reference.rs` inserts them (1-based, in `names::AGENTS` order).
pub fn agents_titled(title: &str) -> Vec<i32> {
    names::AGENTS
        .iter()
        .enumerate()
        .filter(|(_, a)| a.2 == title)
        .map(|(i, _)| i as i32 + 1)
        .collect()
}

impl Ledger {
    /// Generates customer `index` (0-based) with its profile rows.
    pub fn customer(&mut self, rng: &mut ChaCha8Rng, index: usize) -> DemoCustomer {
        let id = index as i64 + 1;
        let habit = Habit::draw(rng);
        let name = format!(
            "{} {} {}",
            pick(rng, names::FIRST),
            pick(rng, names::SECOND),
            pick(rng, names::SUFFIX)
        );
        let region = pick(rng, names::REGIONS);
        let currency = match (region, rng.random_range(0..10)) {
            ("EMEA", 0..6) => "EUR",
            ("UK", 0..8) => "GBP",
            _ => "USD",
        };
        let terms = [30, 30, 30, 30, 45, 60, 15][rng.random_range(0..7)];
        let limit =
            rng.random_range(20..400) * 100_000i64 * if habit == Habit::Vip { 5 } else { 1 };
        let code = format!("C{id:06}");
        self.customers.row(&[
            &id,
            &code,
            &name,
            &region,
            &terms,
            &limit,
            &currency,
            &"USD",
            &(habit == Habit::Vip),
        ]);
        let aes = agents_titled("account_executive");
        let csms = agents_titled("customer_success");
        let collectors = agents_titled("collector");
        self.owners
            .row(&[&id, &aes[index % aes.len()], &"account_executive"]);
        self.owners
            .row(&[&id, &csms[index % csms.len()], &"customer_success"]);
        self.owners
            .row(&[&id, &collectors[index % collectors.len()], &"collector"]);
        self.contact(rng, id, &name, true);
        if rng.random_bool(0.4) {
            self.contact(rng, id, &name, false);
        }
        if habit == Habit::Vip || rng.random_bool(0.15) {
            let terms_note = if habit == Habit::Vip {
                "Net 45 agreed verbally by CFO; confirm in writing."
            } else {
                ""
            };
            self.briefs.row(&[
                &id,
                &"AP lead: primary contact; CFO for anything over 50k",
                &"Email only before 10am their time; no phone reminders.",
                &terms_note,
                &"Quarterly shipments must leave by the 5th business day.",
            ]);
        }
        DemoCustomer {
            id,
            currency,
            habit,
            terms,
        }
    }

    fn contact(&mut self, rng: &mut ChaCha8Rng, customer: i64, company: &str, primary: bool) {
        self.next_contact += 1;
        let first = [
            "Alex", "Jordan", "Priya", "Lena", "Tom", "Yuki", "Sofia", "Kwame",
        ][rng.random_range(0..8)];
        let domain: String = company
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(12)
            .collect::<String>()
            .to_lowercase();
        let email = format!("{}@{}.example", first.to_lowercase(), domain);
        let channel = ["email", "email", "email", "phone", "portal"][rng.random_range(0..5)];
        let phone = format!("+1-555-{:04}", rng.random_range(0..10_000));
        self.contacts.row(&[
            &self.next_contact,
            &customer,
            &format!("{first} (AP)"),
            &email,
            &phone,
            &channel,
            &primary,
        ]);
    }

    /// Days from issue to payment for one invoice of this customer, or None: never paid.
    fn days_to_pay(
        rng: &mut ChaCha8Rng,
        c: &DemoCustomer,
        issue: NaiveDate,
        today: NaiveDate,
    ) -> Option<i64> {
        let terms = c.terms as i64;
        Some(match c.habit {
            Habit::Vip => terms + rng.random_range(-5..=8),
            Habit::Clockwork => 35 + rng.random_range(-1..=1),
            Habit::Standard => terms + rng.random_range(-10..=6) + rng.random_range(0..=4),
            Habit::ChronicLate => terms + rng.random_range(12..=45),
            Habit::HighRisk => {
                if (today - issue).num_days() > terms + 90 && rng.random_bool(0.25) {
                    return None;
                }
                terms + rng.random_range(30..=120)
            }
            Habit::Slipping if (today - issue).num_days() < 150 => {
                terms + rng.random_range(18..=35)
            }
            Habit::Slipping => terms + rng.random_range(-2..=4),
        })
    }

    /// Generates this customer's invoices over the last two years and how they were paid.
    pub fn invoices(
        &mut self,
        rng: &mut ChaCha8Rng,
        c: &DemoCustomer,
        today: NaiveDate,
    ) -> Vec<DemoInvoice> {
        let base: i64 = (20_000f64 * (rng.random_range(0.0..4.8f64)).exp()) as i64
            * if c.habit == Habit::Vip { 4 } else { 1 };
        let mut issue = today - Duration::days(730 - rng.random_range(0..18));
        let mut out = Vec::new();
        while issue <= today {
            let amount = base * rng.random_range(60..140) / 100;
            out.push(self.invoice(rng, c, issue, amount.max(1_000), today));
            issue += Duration::days(rng.random_range(10..=26));
        }
        if rng.random_range(0..100) < 3 {
            self.payment(
                c,
                today - Duration::days(rng.random_range(1..60)),
                base / 2,
                base / 2,
            );
        }
        out
    }

    fn invoice(
        &mut self,
        rng: &mut ChaCha8Rng,
        c: &DemoCustomer,
        issue: NaiveDate,
        amount: i64,
        today: NaiveDate,
    ) -> DemoInvoice {
        self.next_invoice += 1;
        let id = self.next_invoice;
        let number = format!("INV-{id:08}");
        let due = issue + Duration::days(c.terms as i64);
        let facts: Facts = (id, issue, due, c.currency);
        let mut open = amount;
        let mut last_applied = None;
        let paid_on =
            Self::days_to_pay(rng, c, issue, today).map(|d| issue + Duration::days(d.max(0)));
        // A credit note on 2% of invoices, before the payment.
        if rng.random_range(0..100) < 2 {
            let on = issue + Duration::days(rng.random_range(3..15));
            if on <= today && paid_on.is_none_or(|p| on < p) {
                let credit = amount * rng.random_range(5..20) / 100;
                let cn = self.credit_note(c, on, credit, credit);
                self.allocate(&facts, None, Some(cn), on, credit);
                open -= credit;
                last_applied = Some(on);
            }
        }
        match paid_on {
            Some(p) if p <= today => {
                // 4% are paid in two parts.
                let early = p - Duration::days(rng.random_range(5..15));
                if rng.random_range(0..100) < 4 && early > issue {
                    let part = open * rng.random_range(30..70) / 100;
                    let pay = self.payment(c, early, part, 0);
                    self.allocate(&facts, Some(pay), None, early, part);
                    open -= part;
                }
                let pay = self.payment(c, p, open, 0);
                self.allocate(&facts, Some(pay), None, p, open);
                open = 0;
                last_applied = Some(p);
            }
            _ => {
                let on = today - Duration::days(rng.random_range(1..20));
                if due < today && on > issue && rng.random_range(0..100) < 6 {
                    let part = open * rng.random_range(20..60) / 100;
                    let pay = self.payment(c, on, part, 0);
                    self.allocate(&facts, Some(pay), None, on, part);
                    open -= part;
                }
            }
        }
        let settled = if open == 0 { last_applied } else { None };
        self.invoices.row(&[
            &id,
            &c.id,
            &number,
            &issue,
            &due,
            &amount,
            &c.currency,
            &open,
            &settled,
        ]);
        DemoInvoice {
            id,
            number,
            issue,
            due,
            amount,
            open,
            settled,
        }
    }

    fn payment(&mut self, c: &DemoCustomer, on: NaiveDate, amount: i64, unapplied: i64) -> i64 {
        self.next_payment += 1;
        let id = self.next_payment;
        self.payments.row(&[
            &id,
            &c.id,
            &format!("PAY-{id:09}"),
            &on,
            &amount,
            &c.currency,
            &unapplied,
        ]);
        id
    }

    fn credit_note(&mut self, c: &DemoCustomer, on: NaiveDate, amount: i64, allocated: i64) -> i64 {
        self.next_credit += 1;
        let id = self.next_credit;
        let reason = "Pricing adjustment";
        self.credit_notes.row(&[
            &id,
            &c.id,
            &format!("CN-{id:08}"),
            &on,
            &amount,
            &c.currency,
            &reason,
            &(amount - allocated),
        ]);
        id
    }

    /// An allocation applied on the day its payment or credit note arrived.
    fn allocate(
        &mut self,
        invoice: &Facts,
        payment: Option<i64>,
        credit: Option<i64>,
        on: NaiveDate,
        amount: i64,
    ) {
        self.next_allocation += 1;
        let (id, issue, due, currency) = *invoice;
        self.allocations.row(&[
            &self.next_allocation,
            &id,
            &payment,
            &credit,
            &on,
            &amount,
            &currency,
            &issue,
            &due,
            &on,
        ]);
    }

    /// An unallocated credit note (a return not yet matched to an invoice).
    pub fn loose_credit(&mut self, rng: &mut ChaCha8Rng, c: &DemoCustomer, today: NaiveDate) {
        let amount = rng.random_range(50..2_000) * 100;
        self.credit_note(
            c,
            today - Duration::days(rng.random_range(1..45)),
            amount,
            0,
        );
    }

    pub fn tables(&mut self) -> [&mut CopyTable; 8] {
        [
            &mut self.customers,
            &mut self.owners,
            &mut self.contacts,
            &mut self.briefs,
            &mut self.invoices,
            &mut self.payments,
            &mut self.credit_notes,
            &mut self.allocations,
        ]
    }
}

/// A timestamp on `day` at `hour`:`minute` UTC.
pub fn at(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    day.and_hms_opt(hour, minute, 0)
        .expect("valid time")
        .and_utc()
}
