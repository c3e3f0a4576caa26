//! SLA clocks (DOMAIN.md "Disputes and SLA clocks"): business calendars or calendar hours,
//! paused while a dispute awaits the customer, with ok / at risk / breached.

use chrono::{DateTime, Utc};

pub use super::calendar::{BusinessCalendar, Clock, OffHours};

/// ok, at risk (less than 25 % of the target left), or breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SlaState {
    Breached,
    AtRisk,
    Ok,
}

impl SlaState {
    pub fn label(self) -> &'static str {
        match self {
            SlaState::Ok => "ok",
            SlaState::AtRisk => "at risk",
            SlaState::Breached => "breached",
        }
    }
}

/// A dispute's SLA state: the worse of its two clocks (the one rule the queue, the alerts, the
/// sort and the trust metrics use). A first response given after its target is a breach that
/// stays on the record: answering late does not make the dispute look on time.
pub fn worst_state(first_response: &SlaClock, resolution: &SlaClock) -> SlaState {
    first_response.state().min(resolution.state())
}

/// How soon a dispute breaches: minutes until the first of its running clocks does (the
/// queue's urgency, after the SLA state).
pub fn urgency(first_response: &SlaClock, resolution: &SlaClock) -> i64 {
    first_response
        .minutes_to_breach()
        .min(resolution.minutes_to_breach())
}

/// One clock of one dispute: its target and what has elapsed on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlaClock {
    pub target_minutes: i64,
    pub elapsed_minutes: i64,
    /// The clock stopped (responded, resolved): it no longer runs.
    pub stopped: bool,
    /// The clock is paused now (awaiting the customer).
    pub paused: bool,
}

impl SlaClock {
    /// Minutes left (negative: overdue).
    pub fn remaining(&self) -> i64 {
        self.target_minutes - self.elapsed_minutes
    }

    /// Minutes left before this clock breaches; a stopped clock never will (`i64::MAX`).
    pub fn minutes_to_breach(&self) -> i64 {
        if self.stopped {
            i64::MAX
        } else {
            self.remaining()
        }
    }

    /// This clock once `counted` more seconds have counted on its calendar (a stopped or
    /// paused clock stands still). Callers drawing many rows work `counted` out once a row.
    pub fn after(self, counted: i64) -> SlaClock {
        let mut c = self;
        if !c.stopped && !c.paused {
            c.elapsed_minutes += counted / 60;
        }
        c
    }

    /// Seconds left on a running clock in its last hour, `counted` seconds after it was
    /// measured (it ticks by the second then); `None` otherwise (stopped, paused, overdue, or
    /// an hour or more left).
    pub fn last_hour_seconds(&self, counted: i64) -> Option<i64> {
        if self.stopped || self.paused {
            return None;
        }
        let left = self.remaining() * 60 - counted;
        (0..3600).contains(&left).then_some(left)
    }

    /// The clock in one word, for scripts: `late` (stopped after its target), `met`,
    /// `breached`, `paused` (awaiting the customer), `off_hours` (outside its calendar's
    /// working hours), `at_risk` or `ok`.
    pub fn status_word(&self, off_hours: bool) -> &'static str {
        match self.state() {
            _ if self.late_by().is_some() => "late",
            _ if self.stopped => "met",
            SlaState::Breached => "breached",
            _ if self.paused => "paused",
            _ if off_hours => "off_hours",
            SlaState::AtRisk => "at_risk",
            SlaState::Ok => "ok",
        }
    }

    /// A clock that stopped after its target: by how many minutes it was late.
    pub fn late_by(&self) -> Option<i64> {
        (self.stopped && self.remaining() < 0).then(|| -self.remaining())
    }

    pub fn state(&self) -> SlaState {
        let left = self.remaining();
        if left < 0 {
            SlaState::Breached
        } else if !self.stopped && left * 4 < self.target_minutes {
            SlaState::AtRisk
        } else {
            SlaState::Ok
        }
    }
}

/// What the store keeps of one clock (migrations/0021_dispute_clocks.sql): stopped or paused,
/// the seconds it has counted; running, its base, so that it has counted the calendar's
/// seconds now less the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptClock {
    pub target_minutes: i64,
    pub stopped: bool,
    pub paused: bool,
    pub seconds: i64,
}

impl KeptClock {
    /// The clock when its calendar has counted `counted_now` seconds (on the store's scale).
    pub fn at(self, counted_now: i64) -> SlaClock {
        let counted = if self.stopped || self.paused {
            self.seconds
        } else {
            counted_now - self.seconds
        };
        SlaClock {
            target_minutes: self.target_minutes,
            elapsed_minutes: whole_minutes(counted),
            stopped: self.stopped,
            paused: self.paused,
        }
    }
}

/// A state change on a dispute's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub at: DateTime<Utc>,
    pub to: String,
}

/// The intervals a dispute spent awaiting the customer, up to `now` (an open one ends at now).
pub fn pauses(changes: &[StateChange], now: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut since = None;
    for c in changes {
        match (since, c.to == "awaiting_customer") {
            (None, true) => since = Some(c.at),
            (Some(s), false) => {
                out.push((s, c.at));
                since = None;
            }
            _ => {}
        }
    }
    if let Some(s) = since {
        out.push((s, now.max(s)));
    }
    out
}

/// Countable minutes from `start` to `end`, less the paused ones: the seconds that count, less
/// the paused seconds, in whole minutes (so the store can keep a clock as seconds counted and
/// add the seconds since: migrations/0021_dispute_clocks.sql).
pub fn elapsed(
    clock: &Clock,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    paused: &[(DateTime<Utc>, DateTime<Utc>)],
) -> i64 {
    let total = clock.seconds_between(start, end);
    let held: i64 = paused
        .iter()
        .map(|(a, b)| clock.seconds_between((*a).max(start), (*b).min(end)))
        .sum();
    whole_minutes(total - held)
}

/// Seconds counted on a clock as its whole minutes (none below zero): the one rounding every
/// clock's minutes take, measured in full or from what the store keeps.
fn whole_minutes(seconds: i64) -> i64 {
    seconds.max(0) / 60
}

/// Both clocks of a dispute at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisputeClocks {
    pub first_response: SlaClock,
    pub resolution: SlaClock,
}

/// What a dispute's clocks need to know.
#[derive(Debug, Clone)]
pub struct DisputeTimes<'a> {
    pub opened_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub changes: &'a [StateChange],
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

pub fn dispute_clocks(clock: &Clock, d: &DisputeTimes<'_>, now: DateTime<Utc>) -> DisputeClocks {
    let paused = pauses(d.changes, d.resolved_at.unwrap_or(now));
    let paused_now = d.resolved_at.is_none() && paused.last().is_some_and(|(_, end)| *end >= now);
    let make = |target: i64, stop: Option<DateTime<Utc>>| {
        let end = stop.unwrap_or(now).min(now);
        SlaClock {
            target_minutes: target,
            elapsed_minutes: elapsed(clock, d.opened_at, end, &paused),
            stopped: stop.is_some_and(|s| s <= now),
            paused: paused_now && stop.is_none(),
        }
    };
    DisputeClocks {
        first_response: make(d.first_response_minutes, d.first_response_at),
        resolution: make(d.resolution_minutes, d.resolved_at),
    }
}

/// Formats minutes as "3h05m", "2d4h" (business days are not 24h: show hours past a day).
pub fn format_minutes(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.unsigned_abs();
    if m >= 60 * 48 {
        format!("{sign}{}d{}h", m / (60 * 24), (m % (60 * 24)) / 60)
    } else {
        format!("{sign}{}h{:02}m", m / 60, m % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};

    #[test]
    fn a_business_clock_says_when_it_resumes_outside_working_hours() {
        let cal = BusinessCalendar::new(
            "America/New_York".parse().unwrap(),
            (1..=5).collect(),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            [NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()].into(),
        );
        assert_eq!(
            cal.describe(),
            "Mon–Fri 09:00–17:00 America/New_York, less 1 holidays"
        );
        let clock = Clock::Business(cal);
        // Saturday night in New York: back on Monday at nine.
        let off = clock.off_hours(t("2026-11-22T02:43:00Z")).unwrap();
        assert_eq!(off.resumes_at, t("2026-11-23T14:00:00Z"));
        assert_eq!(off.resumes(), "resumes Mon 09:00 EST");
        // Working hours: running.
        assert_eq!(clock.off_hours(t("2026-11-23T15:00:00Z")), None);
        // Wednesday evening before Thanksgiving: back on Friday.
        let off = clock.off_hours(t("2026-11-25T23:00:00Z")).unwrap();
        assert_eq!(off.resumes(), "resumes Fri 09:00 EST");
        assert_eq!(Clock::Wall.off_hours(t("2026-11-22T02:43:00Z")), None);
    }

    #[test]
    fn a_late_first_response_stays_a_breach_and_an_on_time_one_is_met() {
        let late = SlaClock {
            target_minutes: 240,
            elapsed_minutes: 240 + 27 * 60 + 34,
            stopped: true,
            paused: false,
        };
        let resolution = SlaClock {
            target_minutes: 60 * 40,
            elapsed_minutes: 60,
            stopped: false,
            paused: false,
        };
        assert_eq!(late.late_by(), Some(27 * 60 + 34));
        assert_eq!(worst_state(&late, &resolution), SlaState::Breached);
        let on_time = SlaClock {
            elapsed_minutes: 200,
            ..late
        };
        assert_eq!(on_time.late_by(), None);
        assert_eq!(worst_state(&on_time, &resolution), SlaState::Ok);
        // A response just before the target is met, not "at risk": the clock no longer runs.
        let close = SlaClock {
            elapsed_minutes: 239,
            ..late
        };
        assert_eq!(worst_state(&close, &resolution), SlaState::Ok);
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn new_york(holidays: &[&str]) -> Clock {
        Clock::Business(BusinessCalendar::new(
            chrono_tz::America::New_York,
            [1, 2, 3, 4, 5].into(),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            holidays.iter().map(|d| d.parse().unwrap()).collect(),
        ))
    }

    #[test]
    fn a_weekend_does_not_count() {
        let c = new_york(&[]);
        // Friday 2026-11-13 16:00 New York (21:00 UTC) to Monday 10:00 (15:00 UTC): 1h + 1h.
        assert_eq!(
            c.minutes_between(t("2026-11-13T21:00:00Z"), t("2026-11-16T15:00:00Z")),
            120
        );
        assert_eq!(
            Clock::Wall.minutes_between(t("2026-11-13T21:00:00Z"), t("2026-11-16T15:00:00Z")),
            66 * 60
        );
    }

    #[test]
    fn a_holiday_does_not_count() {
        let c = new_york(&["2026-11-26"]); // Thanksgiving, a Thursday
        // Wednesday 16:00 to Friday 10:00 local: 1h Wednesday + 1h Friday.
        assert_eq!(
            c.minutes_between(t("2026-11-25T21:00:00Z"), t("2026-11-27T15:00:00Z")),
            120
        );
    }

    #[test]
    fn the_daylight_saving_change_keeps_local_hours() {
        let c = new_york(&[]);
        // DST ends Sunday 2026-11-01. Friday 9:00 EDT (13:00 UTC) to Monday 9:00 EST (14:00 UTC).
        assert_eq!(
            c.minutes_between(t("2026-10-30T13:00:00Z"), t("2026-11-02T14:00:00Z")),
            8 * 60
        );
        // Monday's window opens at 14:00 UTC, not 13:00.
        assert_eq!(
            c.minutes_between(t("2026-11-02T13:00:00Z"), t("2026-11-02T14:30:00Z")),
            30
        );
    }

    #[test]
    fn a_dispute_opened_outside_hours_starts_at_the_next_opening() {
        let c = new_york(&[]);
        // Opened Saturday; 4 business hours land on Monday 13:00 local (18:00 UTC).
        assert_eq!(
            c.add_minutes(t("2026-11-14T18:00:00Z"), 240),
            t("2026-11-16T18:00:00Z")
        );
        // Opened Tuesday 20:00 local: 8h target runs all of Wednesday.
        assert_eq!(
            c.add_minutes(t("2026-11-18T01:00:00Z"), 480),
            t("2026-11-18T22:00:00Z")
        );
    }

    #[test]
    fn awaiting_the_customer_pauses_and_resumes() {
        let changes = vec![
            StateChange {
                at: t("2026-11-16T15:00:00Z"),
                to: "investigating".into(),
            },
            StateChange {
                at: t("2026-11-16T16:00:00Z"),
                to: "awaiting_customer".into(),
            },
            StateChange {
                at: t("2026-11-17T16:00:00Z"),
                to: "investigating".into(),
            },
        ];
        let times = DisputeTimes {
            opened_at: t("2026-11-16T14:00:00Z"), // Monday 9:00 local
            first_response_at: Some(t("2026-11-16T15:00:00Z")),
            resolved_at: None,
            changes: &changes,
            first_response_minutes: 240,
            resolution_minutes: 1440,
        };
        let clocks = dispute_clocks(&new_york(&[]), &times, t("2026-11-17T18:00:00Z"));
        // Monday 9-11 counts (2h), Monday 11:00 to Tuesday 11:00 paused, Tuesday 11-13 counts (2h).
        assert_eq!(clocks.resolution.elapsed_minutes, 240);
        assert_eq!(clocks.first_response.elapsed_minutes, 60);
        assert!(clocks.first_response.stopped && !clocks.resolution.paused);
        let paused_now = dispute_clocks(
            &new_york(&[]),
            &DisputeTimes {
                changes: &changes[..2],
                ..times.clone()
            },
            t("2026-11-17T18:00:00Z"),
        );
        assert!(paused_now.resolution.paused);
        assert_eq!(
            paused_now.resolution.elapsed_minutes, 120,
            "no time counts while awaiting the customer"
        );
    }

    #[test]
    fn a_kept_clock_counts_on_from_its_base_unless_it_stands_still() {
        let kept = KeptClock {
            target_minutes: 240,
            stopped: false,
            paused: false,
            seconds: 1_000,
        };
        assert_eq!(kept.at(1_000 + 61 * 60 + 59).elapsed_minutes, 61);
        assert_eq!(kept.at(900).elapsed_minutes, 0, "nothing counted yet");
        let paused = KeptClock {
            paused: true,
            seconds: 7_200,
            ..kept
        };
        assert_eq!(paused.at(1_000_000).elapsed_minutes, 120);
        assert!(paused.at(0).paused);
        let stopped = KeptClock {
            stopped: true,
            seconds: 250 * 60,
            ..kept
        };
        assert_eq!(stopped.at(1_000_000).late_by(), Some(10));
    }

    #[test]
    fn states_follow_the_quarter_rule() {
        let clock = |elapsed, stopped| SlaClock {
            target_minutes: 400,
            elapsed_minutes: elapsed,
            stopped,
            paused: false,
        };
        assert_eq!(clock(299, false).state(), SlaState::Ok);
        assert_eq!(clock(301, false).state(), SlaState::AtRisk);
        assert_eq!(clock(400, false).state(), SlaState::AtRisk);
        assert_eq!(clock(401, false).state(), SlaState::Breached);
        assert_eq!(
            clock(390, true).state(),
            SlaState::Ok,
            "a clock stopped in time was met"
        );
        assert_eq!(format_minutes(185), "3h05m");
        assert_eq!(format_minutes(-61), "-1h01m");
        assert_eq!(format_minutes(60 * 50), "2d2h");
    }
}
