//! Orders on hold: held, paid and waiting for a person, released.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::super::book::{DemoCustomer, DemoInvoice, agents_titled, at};
use super::{HoldPlan, Work, agent_role};

impl Work {
    pub(super) fn hold(
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
}
