//! The worklist's one ranking rule: **time to going late first, then money at stake.**
//!
//! Every item has a moment it goes late (a dispute's nearest SLA breach, a paid order's
//! release-lag target, the end of a promise's day, a reminder two days after it may go…) and
//! an amount at stake in the reporting currency. Items fall in four bands by the time left —
//! already late, within the hour, within a working day (8 hours), later — and inside a band the
//! larger amount comes first, then the sooner moment. Bands rather than minutes, so that money
//! matters: a 40,000.00 dispute breaching in 20 minutes outranks a 90.00 one breaching in 5,
//! but never one that is already late.

use chrono::{DateTime, Duration, Utc};
use std::cmp::Reverse;

pub use super::states::WorkKind;

impl WorkKind {
    /// How long after its moment (the promise's broken day, the reminder's first day it may
    /// go, the message's arrival…) an item without an SLA clock of its own goes late. Disputes
    /// and holds have clocks: their moment is the breach itself.
    pub fn grace(self) -> Duration {
        match self {
            WorkKind::Dispute | WorkKind::Hold | WorkKind::Uncertain => Duration::zero(),
            WorkKind::PromiseDue => Duration::zero(),
            WorkKind::PromiseBroken | WorkKind::Task => Duration::days(1),
            WorkKind::Reminder | WorkKind::Slipping => Duration::days(2),
            WorkKind::Approval => Duration::hours(4),
        }
    }

    /// When an item whose moment was `at` goes late.
    pub fn late_at(self, at: DateTime<Utc>) -> DateTime<Utc> {
        at + self.grace()
    }
}

/// How soon an item goes late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    Late,
    WithinHour,
    WithinDay,
    Later,
}

impl Band {
    /// The band of an item with `minutes_left` (negative: late by that much).
    pub fn of(minutes_left: i64) -> Band {
        match minutes_left {
            m if m < 0 => Band::Late,
            m if m < 60 => Band::WithinHour,
            m if m < 8 * 60 => Band::WithinDay,
            _ => Band::Later,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::Late => "late",
            Band::WithinHour => "goes late within the hour",
            Band::WithinDay => "goes late within a working day",
            Band::Later => "goes late later",
        }
    }
}

/// What the rule reads of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Urgency {
    /// Minutes until it goes late (negative: late by that much).
    pub minutes_left: i64,
    /// Money at stake in the reporting currency's minor units.
    pub at_stake: i64,
}

impl Urgency {
    /// Smaller ranks first.
    pub fn key(self) -> (Band, Reverse<i64>, i64) {
        (
            Band::of(self.minutes_left),
            Reverse(self.at_stake),
            self.minutes_left,
        )
    }
}

/// Minutes from `now` until `late_at` (negative once past), rounded towards the past.
pub fn minutes_left(now: DateTime<Utc>, late_at: DateTime<Utc>) -> i64 {
    (late_at - now).num_seconds().div_euclid(60)
}

/// Sorts by the rule; ties keep their order (callers add items in a fixed order). Each
/// item's urgency is worked out once, not at every comparison.
pub fn rank<T>(items: &mut [T], urgency: impl Fn(&T) -> Urgency) {
    items.sort_by_cached_key(|t| urgency(t).key());
}

/// "late by 2h05m" / "late in 0h42m" / "late in 3d4h".
pub fn describe_left(minutes_left: i64) -> String {
    let span = crate::domain::sla::format_minutes(minutes_left.abs());
    if minutes_left < 0 {
        format!("late by {span}")
    } else {
        format!("late in {span}")
    }
}

/// `e` on an item: the rule, and where this item stands in it.
pub fn explain(kind: WorkKind, u: Urgency, position: usize, of: usize, money: &str) -> Vec<String> {
    let band = Band::of(u.minutes_left);
    vec![
        format!("Ranked {} of {of}.", position + 1),
        String::new(),
        "The rule: time to going late first, then money at stake.".to_string(),
        "Bands: late · within the hour · within a working day (8h) · later;".to_string(),
        "inside a band the larger amount first, then the sooner moment.".to_string(),
        String::new(),
        format!(
            "This {}: {} — band \"{}\".",
            kind.label(),
            describe_left(u.minutes_left),
            band.label()
        ),
        format!("At stake: {money} (in the reporting currency)."),
        match kind.grace().num_hours() {
            0 => "Its moment is the breach itself.".to_string(),
            h if h % 24 == 0 => format!("It goes late {} day(s) after its moment.", h / 24),
            h => format!("It goes late {h} hours after its moment."),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(minutes_left: i64, at_stake: i64) -> Urgency {
        Urgency {
            minutes_left,
            at_stake,
        }
    }

    #[test]
    fn late_items_come_before_any_that_are_not() {
        let mut items = vec![u(5, 9_000_000), u(-1, 100)];
        rank(&mut items, |x| *x);
        assert_eq!(items[0], u(-1, 100));
    }

    #[test]
    fn inside_a_band_money_decides_then_the_sooner_moment() {
        let mut items = vec![u(5, 9_000), u(20, 4_000_000), u(30, 9_000)];
        rank(&mut items, |x| *x);
        assert_eq!(items, vec![u(20, 4_000_000), u(5, 9_000), u(30, 9_000)]);
    }

    #[test]
    fn bands_split_at_the_hour_and_the_working_day() {
        assert_eq!(Band::of(-1), Band::Late);
        assert_eq!(Band::of(0), Band::WithinHour);
        assert_eq!(Band::of(59), Band::WithinHour);
        assert_eq!(Band::of(60), Band::WithinDay);
        assert_eq!(Band::of(479), Band::WithinDay);
        assert_eq!(Band::of(480), Band::Later);
    }

    #[test]
    fn minutes_left_rounds_towards_the_past() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(minutes_left(now, now + Duration::seconds(90)), 1);
        assert_eq!(minutes_left(now, now - Duration::seconds(30)), -1);
        assert_eq!(describe_left(-125), "late by 2h05m");
    }

    #[test]
    fn items_without_a_clock_go_late_after_their_grace() {
        let at = DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            WorkKind::Reminder.late_at(at),
            at + Duration::days(2),
            "a reminder that may go should go within two days"
        );
        assert_eq!(WorkKind::Uncertain.late_at(at), at);
        assert_eq!("broken".parse::<WorkKind>(), Ok(WorkKind::PromiseBroken));
    }

    #[test]
    fn the_explanation_names_the_band_and_the_position() {
        let lines = explain(WorkKind::Dispute, u(-10, 5), 2, 9, "0.05 USD");
        assert!(lines[0].contains("Ranked 3 of 9"));
        assert!(
            lines
                .iter()
                .any(|l| l.contains("late by 0h10m") && l.contains("\"late\""))
        );
    }
}
