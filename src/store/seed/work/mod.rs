//! The work on top of the book: disputes with timelines, orders on hold, promises to pay,
//! outreach history and the audit trail that goes with them.

use chrono::{DateTime, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::book::{DemoCustomer, DemoInvoice, Habit};
use super::copy::CopyTable;
use super::names;

mod disputes;
mod holds;
mod outreach;

/// Policy ids as `reference.rs` inserts them.
pub const POLICY_STANDARD: i32 = 1;
pub const POLICY_VIP: i32 = 2;
pub const POLICY_BILLING: i32 = 3;

/// When a hold was placed, its status, when it cleared and was released, what blocks it.
pub(super) type HoldPlan<'a> = (
    DateTime<Utc>,
    &'a str,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Vec<i64>,
);

pub struct Work {
    pub disputes: CopyTable,
    pub events: CopyTable,
    pub orders: CopyTable,
    pub holds: CopyTable,
    pub blockers: CopyTable,
    pub promises: CopyTable,
    pub outreach: CopyTable,
    pub audit: CopyTable,
    next_dispute: i64,
    next_event: i64,
    next_order: i64,
    next_hold: i64,
    next_outreach: i64,
    /// Chance that a recent invoice is disputed, tuned so every scale has a working queue.
    dispute_chance: f64,
    category_turn: usize,
}

impl Work {
    pub fn new(customers: usize) -> Self {
        let target = (customers as f64 * 0.08).max(60.0);
        Work {
            disputes: CopyTable::new(
                "disputes",
                "id, number, invoice_id, customer_id, amount_minor, currency, category, line_item, state, outcome, \
                 credited_minor, policy_id, assignee_id, escalated, opened_at, first_response_at, resolved_at",
            ),
            events: CopyTable::new(
                "dispute_events",
                "id, dispute_id, at, agent_id, kind, from_state, to_state, note",
            ),
            orders: CopyTable::new(
                "orders",
                "id, customer_id, number, placed_at, amount_minor, currency, status",
            ),
            holds: CopyTable::new(
                "holds",
                "id, order_id, reason, placed_at, status, cleared_at, released_at, released_by, release_note",
            ),
            blockers: CopyTable::new("hold_blockers", "hold_id, invoice_id"),
            promises: CopyTable::new(
                "promises",
                "customer_id, invoice_id, amount_minor, currency, made_on, promised_for, status, recorded_by, closed_on, paid_minor",
            ),
            outreach: CopyTable::new(
                "outreach",
                "id, customer_id, invoice_id, invoice_ids, hold_id, purpose, channel, tone, subject, body, copies, \
                 send_after, status, created_at, created_by, sent_at",
            ),
            audit: CopyTable::new(
                "audit_log",
                "at, actor, action, entity, entity_id, customer_id, details",
            ),
            next_dispute: 0,
            next_event: 0,
            next_order: 0,
            next_hold: 0,
            next_outreach: 0,
            dispute_chance: target / (customers as f64 * 5.5),
            category_turn: 0,
        }
    }

    pub fn tables(&mut self) -> [&mut CopyTable; 8] {
        [
            &mut self.orders,
            &mut self.holds,
            &mut self.blockers,
            &mut self.disputes,
            &mut self.events,
            &mut self.promises,
            &mut self.outreach,
            &mut self.audit,
        ]
    }

    /// All the work for one customer.
    pub fn customer(
        &mut self,
        rng: &mut ChaCha8Rng,
        c: &DemoCustomer,
        invoices: &[DemoInvoice],
        now: DateTime<Utc>,
    ) {
        let today = now.date_naive();
        let mut disputed = Vec::new();
        for inv in invoices
            .iter()
            .filter(|i| (today - i.issue).num_days() < 100)
        {
            if rng.random_bool(self.dispute_chance.min(1.0)) {
                self.dispute(rng, c, inv, now);
                disputed.push(inv.id);
            }
        }
        self.hold(rng, c, invoices, now);
        if matches!(c.habit, Habit::ChronicLate | Habit::HighRisk) && rng.random_bool(0.4) {
            self.promises(rng, c, invoices, today);
        }
        for inv in invoices.iter().filter(|i| !disputed.contains(&i.id)) {
            self.reminders(rng, c, inv, now);
        }
    }
}

pub(super) fn agent_role(agent: Option<i32>) -> String {
    agent.map_or("system".to_string(), |a| {
        names::AGENTS[(a - 1) as usize].0.to_string()
    })
}
