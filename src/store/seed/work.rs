//! The work on top of the book: disputes with timelines, orders on hold, promises to pay,
//! outreach history and the audit trail that goes with them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::book::{DemoCustomer, DemoInvoice, Habit, agents_titled, at};
use super::copy::CopyTable;
use super::names;

/// Policy ids as `reference.rs` inserts them.
pub const POLICY_STANDARD: i32 = 1;
pub const POLICY_VIP: i32 = 2;
pub const POLICY_BILLING: i32 = 3;

/// When a hold was placed, its status, when it cleared and was released, what blocks it.
type HoldPlan<'a> = (
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
                "customer_id, invoice_id, amount_minor, currency, made_on, promised_for, status, recorded_by",
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

    fn event(
        &mut self,
        dispute: i64,
        at: DateTime<Utc>,
        agent: Option<i32>,
        kind: &str,
        change: Option<(&str, &str)>,
        note: &str,
    ) {
        self.next_event += 1;
        let (from, to) = (change.map(|c| c.0), change.map(|c| c.1));
        self.events.row(&[
            &self.next_event,
            &dispute,
            &at,
            &agent,
            &kind,
            &from,
            &to,
            &note,
        ]);
    }

    /// A dispute's events after its first response, and how it was resolved if it was:
    /// (resolved at, outcome, credited).
    #[allow(clippy::too_many_arguments)]
    fn timeline(
        &mut self,
        rng: &mut ChaCha8Rng,
        (id, customer): (i64, i64),
        state: &str,
        amount: i64,
        r: DateTime<Utc>,
        assignee: Option<i32>,
        now: DateTime<Utc>,
    ) -> (Option<DateTime<Utc>>, Option<&'static str>, Option<i64>) {
        self.event(
            id,
            r,
            assignee,
            "response",
            None,
            "Thanks, we are looking into this and will revert shortly.",
        );
        self.event(
            id,
            r,
            assignee,
            "state",
            Some(("open", "investigating")),
            "",
        );
        if state == "awaiting_customer" || (state == "resolved" && rng.random_bool(0.4)) {
            let asked = r + Duration::hours(rng.random_range(1..20));
            self.event(
                id,
                asked.min(now),
                assignee,
                "state",
                Some(("investigating", "awaiting_customer")),
                "Asked for the signed delivery note.",
            );
            if state == "resolved" {
                self.event(
                    id,
                    asked + Duration::hours(rng.random_range(2..48)),
                    assignee,
                    "state",
                    Some(("awaiting_customer", "investigating")),
                    "Customer sent the document.",
                );
            }
        }
        if state == "resolved" {
            let done =
                (r + Duration::hours(rng.random_range(4..24 * 12))).min(now - Duration::hours(1));
            let (o, cr) = match rng.random_range(0..3) {
                0 => ("credited", amount),
                1 => ("rejected", 0),
                _ => ("partially_credited", amount / 2),
            };
            self.event(
                id,
                done,
                assignee,
                "state",
                Some(("investigating", "resolved")),
                o,
            );
            self.audit.row(&[
                &done,
                &agent_role(assignee),
                &"resolve_dispute",
                &"dispute",
                &id,
                &customer,
                &json!({"outcome": o}).to_string(),
            ]);
            return (Some(done), Some(o), Some(cr));
        }
        (None, None, None)
    }

    fn dispute(
        &mut self,
        rng: &mut ChaCha8Rng,
        c: &DemoCustomer,
        inv: &DemoInvoice,
        now: DateTime<Utc>,
    ) {
        self.next_dispute += 1;
        let id = self.next_dispute;
        let category = names::CATEGORIES[self.category_turn % names::CATEGORIES.len()];
        self.category_turn += 1;
        let policy = match (c.habit, category) {
            (Habit::Vip, _) => POLICY_VIP,
            (_, "pricing" | "duplicate_billing") => POLICY_BILLING,
            _ => POLICY_STANDARD,
        };
        let line_item = rng
            .random_bool(0.5)
            .then(|| names::LINE_ITEMS[rng.random_range(0..names::LINE_ITEMS.len())]);
        let amount = if line_item.is_some() {
            (inv.amount * rng.random_range(10..60) / 100).max(1)
        } else {
            inv.amount
        };
        let collectors = agents_titled("collector");
        let agent = collectors[rng.random_range(0..collectors.len())];
        let live = inv.open > 0 && rng.random_bool(0.8);
        let opened = if live {
            now - Duration::minutes(rng.random_range(60..(60 * 24 * 18)))
        } else {
            at(
                inv.issue + Duration::days(rng.random_range(3..20)),
                rng.random_range(13..22),
                rng.random_range(0..60),
            )
            .min(now - Duration::days(2))
        };
        let (state, responded) = if live {
            match rng.random_range(0..100) {
                0..25 => ("open", None),
                25..65 => (
                    "investigating",
                    Some(opened + Duration::minutes(rng.random_range(30..60 * 30))),
                ),
                _ => (
                    "awaiting_customer",
                    Some(opened + Duration::minutes(rng.random_range(30..60 * 20))),
                ),
            }
        } else {
            (
                "resolved",
                Some(opened + Duration::minutes(rng.random_range(30..60 * 40))),
            )
        };
        let responded = responded.map(|r| r.min(now - Duration::minutes(5)));
        let assignee = (state != "open" || rng.random_bool(0.6)).then_some(agent);
        self.event(
            id,
            opened,
            None,
            "opened",
            None,
            "Raised by customer through the portal.",
        );
        if let Some(a) = assignee {
            self.event(
                id,
                opened + Duration::minutes(3),
                Some(a),
                "assigned",
                None,
                "",
            );
        }
        let (resolved, outcome, credited) = match responded {
            Some(r) => self.timeline(rng, (id, c.id), state, amount, r, assignee, now),
            None => (None, None, None),
        };
        let escalated = live && rng.random_bool(0.1);
        self.disputes.row(&[
            &id,
            &format!("DSP-{id:05}"),
            &inv.id,
            &c.id,
            &amount,
            &c.currency,
            &category,
            &line_item,
            &state,
            &outcome,
            &credited,
            &policy,
            &assignee,
            &escalated,
            &opened,
            &responded,
            &resolved,
        ]);
    }

    fn hold(
        &mut self,
        rng: &mut ChaCha8Rng,
        c: &DemoCustomer,
        invoices: &[DemoInvoice],
        now: DateTime<Utc>,
    ) {
        let today = now.date_naive();
        let overdue: Vec<&DemoInvoice> = invoices
            .iter()
            .filter(|i| i.open > 0 && (today - i.due).num_days() > 10)
            .collect();
        let recently_paid: Vec<&DemoInvoice> = invoices
            .iter()
            .filter(|i| {
                i.settled
                    .is_some_and(|s| (today - s).num_days() < 40 && s < today)
            })
            .collect();
        self.next_order += 1;
        let order = self.next_order;
        let amount = rng.random_range(20..900) * 10_000i64;
        let leads = agents_titled("lead");
        let lead = leads[rng.random_range(0..leads.len())];
        let recent_paid = |days: i64| {
            recently_paid
                .iter()
                .find(|i| i.settled.is_some_and(|s| (today - s).num_days() < days))
                .copied()
        };
        let (placed, status, cleared, released, blockers): HoldPlan =
            if !overdue.is_empty() && rng.random_bool(0.12) {
                let placed = now - Duration::hours(rng.random_range(2..24 * 9));
                (
                    placed,
                    "held",
                    None,
                    None,
                    overdue.iter().take(3).map(|i| i.id).collect(),
                )
            } else if let Some(paid) = recent_paid(4).filter(|_| rng.random_bool(0.25)) {
                let cleared = at(
                    paid.settled.expect("paid"),
                    rng.random_range(13..21),
                    rng.random_range(0..60),
                )
                .min(now - Duration::minutes(30));
                let placed = cleared - Duration::days(rng.random_range(1..6));
                (placed, "cleared", Some(cleared), None, vec![paid.id])
            } else if let Some(paid) = recent_paid(40).filter(|_| rng.random_bool(0.05)) {
                let cleared = at(
                    paid.settled.expect("paid"),
                    rng.random_range(13..21),
                    rng.random_range(0..60),
                );
                let placed = cleared - Duration::days(rng.random_range(1..6));
                let lag = Duration::minutes(rng.random_range(20..400));
                (
                    placed,
                    "released",
                    Some(cleared),
                    Some((cleared + lag).min(now)),
                    vec![paid.id],
                )
            } else {
                self.next_order -= 1;
                return;
            };
        self.orders.row(&[
            &order,
            &c.id,
            &format!("SO-{order:07}"),
            &(placed - Duration::hours(1)),
            &amount,
            &c.currency,
            &if status == "released" {
                "released"
            } else {
                "held"
            },
        ]);
        self.next_hold += 1;
        let hold = self.next_hold;
        let released_by = released.map(|_| lead);
        let note = released.map(|_| "Payment received; released.");
        self.holds.row(&[
            &hold,
            &order,
            &"overdue_balance",
            &placed,
            &status,
            &cleared,
            &released,
            &released_by,
            &note,
        ]);
        for b in &blockers {
            self.blockers.row(&[&hold, b]);
        }
        if let Some(r) = released {
            self.audit.row(&[
                &r,
                &agent_role(released_by),
                &"release_hold",
                &"hold",
                &hold,
                &c.id,
                &json!({"note": note}).to_string(),
            ]);
            let subject = format!("Your order SO-{order:07} is on its way");
            let body = "We received your payment; your order has been released and is on its way.";
            self.message(
                c,
                None,
                Some(hold),
                "hold_release",
                "email",
                "confirmation",
                &subject,
                body,
                r,
                "sent",
                released_by,
            );
        }
    }

    fn promises(
        &mut self,
        rng: &mut ChaCha8Rng,
        c: &DemoCustomer,
        invoices: &[DemoInvoice],
        today: NaiveDate,
    ) {
        let collectors = agents_titled("collector");
        let by = collectors[rng.random_range(0..collectors.len())];
        let late_paid = invoices
            .iter()
            .rev()
            .find(|i| i.settled.is_some_and(|s| s > i.due + Duration::days(5)));
        if let Some(inv) = late_paid {
            let s = inv.settled.expect("paid");
            self.promises.row(&[
                &c.id,
                &inv.id,
                &inv.amount,
                &c.currency,
                &(s - Duration::days(7)).max(inv.issue),
                &(s - Duration::days(1)).max(inv.issue),
                &"kept",
                &by,
            ]);
        }
        let overdue: Vec<&DemoInvoice> = invoices
            .iter()
            .filter(|i| i.open > 0 && (today - i.due).num_days() > 20)
            .collect();
        let broken = if c.habit == Habit::HighRisk { 2 } else { 1 };
        for inv in overdue.iter().take(broken) {
            let made = today - Duration::days(rng.random_range(12..20));
            self.promises.row(&[
                &c.id,
                &inv.id,
                &inv.open,
                &c.currency,
                &made,
                &(made + Duration::days(7)),
                &"broken",
                &by,
            ]);
        }
        if let Some(inv) = overdue.last() {
            self.promises.row(&[
                &c.id,
                &inv.id,
                &inv.open,
                &c.currency,
                &(today - Duration::days(2)),
                &(today + Duration::days(5)),
                &"open",
                &by,
            ]);
        }
    }

    fn reminders(
        &mut self,
        rng: &mut ChaCha8Rng,
        c: &DemoCustomer,
        inv: &DemoInvoice,
        now: DateTime<Utc>,
    ) {
        let today = now.date_naive();
        let (channel, tone) = match c.habit {
            Habit::Vip => ("personal_note", "personal"),
            Habit::ChronicLate => ("email", "firm"),
            Habit::HighRisk => ("email", "escalation"),
            _ => ("email", "friendly"),
        };
        let sent_on = inv.due + Duration::days(3);
        if inv.settled.is_some_and(|s| s > sent_on) && sent_on < today && rng.random_bool(0.3) {
            let subject = format!("Invoice {} is past due", inv.number);
            self.message(
                c,
                Some(inv),
                None,
                "reminder",
                channel,
                tone,
                &subject,
                "A reminder that this invoice is now past due.",
                at(sent_on, 14, 0),
                "sent",
                None,
            );
        } else if inv.open > 0 && inv.due < today && rng.random_bool(0.35) {
            let subject = format!("Invoice {} is past due", inv.number);
            let when = now + Duration::hours(rng.random_range(1..24 * 10));
            let status = if rng.random_bool(0.2) {
                "draft"
            } else {
                "queued"
            };
            self.message(
                c,
                Some(inv),
                None,
                "reminder",
                channel,
                tone,
                &subject,
                "A reminder that this invoice is now past due.",
                when,
                status,
                None,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn message(
        &mut self,
        c: &DemoCustomer,
        inv: Option<&DemoInvoice>,
        hold: Option<i64>,
        purpose: &str,
        channel: &str,
        tone: &str,
        subject: &str,
        body: &str,
        when: DateTime<Utc>,
        status: &str,
        by: Option<i32>,
    ) {
        self.next_outreach += 1;
        let ids = inv.map_or("{}".to_string(), |i| format!("{{{}}}", i.id));
        let sent_at = (status == "sent").then_some(when);
        let created = when - Duration::hours(2);
        self.outreach.row(&[
            &self.next_outreach,
            &c.id,
            &inv.map(|i| i.id),
            &ids,
            &hold,
            &purpose,
            &channel,
            &tone,
            &subject,
            &body,
            &"{}",
            &when,
            &status,
            &created,
            &by,
            &sent_at,
        ]);
    }
}

fn agent_role(agent: Option<i32>) -> String {
    agent.map_or("system".to_string(), |a| {
        names::AGENTS[(a - 1) as usize].0.to_string()
    })
}
