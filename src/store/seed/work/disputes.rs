//! Disputes with their timelines: opened, assigned, answered, waiting, resolved.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::super::book::{DemoCustomer, DemoInvoice, Habit, agents_titled, at};
use super::super::names;
use super::{POLICY_BILLING, POLICY_STANDARD, POLICY_VIP, Work, agent_role};

impl Work {
    pub(super) fn event(
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
    pub(super) fn timeline(
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

    pub(super) fn dispute(
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
}
