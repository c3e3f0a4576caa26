//! The rows the console lists: plain data, filled by the store, read by `app` and `ui`.

use crate::domain::states::{Channel, DisputeState, HoldStatus, OutreachStatus, Purpose, Tone};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::sla::{Clock, SlaClock};

/// One page of a list, and how many rows match in all.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub offset: i64,
}

/// A customer's line in an aging drill-down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerAging {
    pub customer_id: i64,
    pub code: String,
    pub name: String,
    pub segment: String,
    pub invoices: i64,
    /// Open amount in the reporting currency.
    pub amount: i64,
}

/// An open invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    pub id: i64,
    pub customer_id: i64,
    pub number: String,
    pub customer: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub amount: i64,
    pub open: i64,
    pub currency: String,
    pub disputed: bool,
    pub expected: Option<NaiveDate>,
}

/// A dispute in the queue, with what its SLA clocks need to tick.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeLine {
    pub id: i64,
    pub customer_id: i64,
    pub number: String,
    pub customer: String,
    pub segment: String,
    pub invoice: String,
    pub category: String,
    pub state: DisputeState,
    pub amount: i64,
    pub currency: String,
    pub assignee: Option<String>,
    pub escalated: bool,
    pub opened_at: DateTime<Utc>,
    /// The SLA policy that set the clocks' targets.
    pub policy: String,
    /// Clocks as of `measured_at`; running clocks advance on `clock` after that.
    pub first_response: SlaClock,
    pub resolution: SlaClock,
    pub measured_at: DateTime<Utc>,
    pub clock: Clock,
    /// Other people with this dispute open in their console right now.
    pub watchers: Vec<String>,
}

/// An order held for payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldOrder {
    pub hold_id: i64,
    pub customer_id: i64,
    pub order: String,
    pub customer: String,
    pub reason: String,
    pub status: HoldStatus,
    pub amount: i64,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
    pub cleared_at: Option<DateTime<Utc>>,
    pub lag_target_minutes: i64,
    /// Blocking invoices: number and whether still open.
    pub blockers: Vec<(String, bool)>,
    /// Who is told when it is released (the customer's account executive, customer success).
    pub told: Vec<String>,
}

/// A queued or sent message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutreachLine {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub invoice: Option<String>,
    pub purpose: Purpose,
    pub channel: Channel,
    pub tone: Tone,
    pub status: OutreachStatus,
    pub subject: String,
    pub copies: Vec<String>,
    pub send_after: DateTime<Utc>,
    /// Why an automatic reminder would wait, if it would.
    pub suppression: Option<String>,
    /// What the last attempt came to (the SMTP server's reply, a guard that held it back).
    pub last_error: Option<String>,
}

/// A line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub customer: Option<String>,
    /// The entity's business number (DSP-00008, SO-0000008, MSG-12), where it has one.
    pub reference: Option<String>,
    /// The details in words: names for agents, money for amounts.
    pub details: String,
}

impl MessageView {
    /// About how many lines the message view takes (before wrapping): how far it scrolls.
    pub fn lines(&self) -> usize {
        12 + self.body.lines().count() + self.history.len()
    }
}

impl Case {
    /// About how many lines the case view takes (before wrapping): how far it scrolls.
    pub fn lines(&self) -> usize {
        16 + self.holidays.len().min(1) + self.events.len() * 2
    }
}

impl Account {
    /// About how many lines the customer view takes (before wrapping): how far it scrolls.
    pub fn lines(&self) -> usize {
        let section = |n: usize| if n == 0 { 0 } else { n + 1 };
        6 + section(self.brief.len())
            + section(self.contacts.len())
            + section(self.invoices.len())
            + section(self.disputes.len())
            + section(self.holds.len())
            + section(self.promises.len())
            + section(self.outreach.len())
            + section(self.audit.len())
    }
}

/// One customer's account, for the customer view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Account {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub region: String,
    pub terms_days: i32,
    pub credit_limit: i64,
    pub currency: String,
    pub segment: String,
    pub segment_reason: String,
    pub typical_days: Option<i32>,
    pub spread_days: Option<i32>,
    pub recent_days: Option<i32>,
    pub slipping: bool,
    pub owners: Vec<(String, String)>,
    pub brief: Vec<(String, String)>,
    pub invoices: Vec<OpenInvoice>,
    pub disputes: Vec<(String, String, i64)>,
    pub holds: Vec<(String, String)>,
    pub promises: Vec<PromiseLine>,
    /// Whom to write to and how they like it (empty for viewers, who may not see them).
    pub contacts: Vec<Contact>,
    pub outreach: Vec<(DateTime<Utc>, String, String)>,
    pub audit: Vec<AuditEntry>,
}

/// A promise to pay, with what has been paid towards it inside its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseLine {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub invoice: Option<String>,
    pub amount: i64,
    pub paid: i64,
    pub currency: String,
    pub made_on: NaiveDate,
    pub promised_for: NaiveDate,
    /// The last day a payment still keeps it (promised date plus grace).
    pub deadline: NaiveDate,
    pub status: crate::domain::states::PromiseStatus,
    /// The day it was kept or broken.
    pub closed_on: Option<NaiveDate>,
    pub taken_by: Option<String>,
}

/// A dispute's case: its queue line and everything behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub line: DisputeLine,
    pub line_item: Option<String>,
    pub outcome: Option<crate::domain::states::DisputeOutcome>,
    pub credited: Option<i64>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub invoice_amount: i64,
    pub invoice_open: i64,
    pub invoice_due: NaiveDate,
    /// The SLA policy's targets and, for a business calendar, its name and coming holidays.
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub calendar: Option<String>,
    pub holidays: Vec<(NaiveDate, String)>,
    /// Newest first.
    pub events: Vec<CaseEvent>,
}

/// One entry of a dispute's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub at: DateTime<Utc>,
    pub kind: crate::domain::states::DisputeEvent,
    pub who: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Whom it went to (an assignment, an escalation).
    pub target: Option<String>,
    pub note: String,
}

/// A person at a customer, and the channel they prefer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub channel: String,
    pub primary: bool,
}

/// One message in full, with its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    pub line: OutreachLine,
    pub body: String,
    /// The contact it goes to (None for a role that may not read addresses, or none known).
    pub to: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    /// The worker holding it, while one does.
    pub claimed_by: Option<String>,
    pub created_by: Option<String>,
    /// Its audit trail, oldest first: queued, approved, sending, sent, held back, decided.
    pub history: Vec<AuditEntry>,
}

/// A notification in a person's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub customer_id: Option<i64>,
    pub customer: Option<String>,
    pub message: String,
    pub read: bool,
}

/// What surrounds a reminder for an invoice: when a held-back one may go (None when only an
/// override can send it), the live message already there (id, and who queued it, when, in
/// what tone), the contact the greeting names, who signs (a VIP's account manager), the orders
/// on hold waiting for the invoice, and its open dispute (`DSP-00006, investigating`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReminderContext {
    pub may_go_at: Option<DateTime<Utc>>,
    pub existing: Option<(i64, String)>,
    pub contact: Option<String>,
    pub signer: Option<String>,
    pub orders: Vec<String>,
    pub dispute: Option<String>,
}

/// What a worklist item is about: the row its own list shows, so every key that works there
/// works here.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkSubject {
    Dispute(Box<DisputeLine>),
    Hold(HeldOrder),
    Promise(PromiseLine),
    /// An invoice whose reminder may go now.
    Reminder(OpenInvoice),
    /// A message to approve or an uncertain send to decide.
    Message(OutreachLine),
    /// A notification: a task handed to this person, or an account that started slipping.
    Notice(Notice),
}

/// One line of `:work`: what it is, why it is here, when it goes late and what is at stake.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    pub kind: crate::domain::work::WorkKind,
    pub subject: WorkSubject,
    /// DSP-00053, SO-0000008, INV-00003669, MSG-12, PTP-4, NOTE-9.
    pub reference: String,
    pub customer_id: i64,
    pub customer: String,
    /// Why it is here, in words.
    pub why: String,
    /// When it goes late (`domain::work`).
    pub late_at: DateTime<Utc>,
    /// The amount in its own currency, and converted for ranking.
    pub amount: i64,
    pub currency: String,
    pub at_stake: i64,
    /// Whose it is: role name and display name (None: nobody's yet, as an unassigned dispute).
    pub owner: Option<(String, String)>,
}

/// An account slipping from its usual pay day, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlippingAccount {
    pub customer_id: i64,
    pub code: String,
    pub name: String,
    pub segment: String,
    pub recent_days: Option<i64>,
    pub typical_days: Option<i64>,
    /// Open in the reporting currency.
    pub open: i64,
    pub collector: Option<String>,
    /// `recently 103 days to pay vs usually 35`.
    pub reason: String,
}
