//! Promises to pay and the outreach history: reminders in each segment's tone.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::super::book::{DemoCustomer, DemoInvoice, Habit, agents_titled, at};
use super::Work;

impl Work {
    pub(super) fn promises(
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
                &Some(s),
                &inv.amount,
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
                // The deadline is the promised date plus the store's two days' grace.
                &Some(made + Duration::days(7 + 2 + 1)),
                &0i64,
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
                &None::<NaiveDate>,
                &0i64,
            ]);
        }
    }

    pub(super) fn reminders(
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
    pub(super) fn message(
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
