//! Business calendars (DOMAIN.md "Disputes and SLA clocks"): working days and hours in a
//! time zone, less holidays, or calendar hours. How many seconds count between two instants is
//! asked for every open dispute on every load, so a calendar keeps the working seconds of each
//! local day it has been asked about, added up: a span of months is two lookups.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, SubsecRound, TimeZone, Utc};
use chrono_tz::Tz;

/// Working days and hours in a time zone, less holidays. Made with `new`; its working days
/// and hours are read-only after that (what it has added up stays true).
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    tz: Tz,
    work_days: BTreeSet<u32>, // ISO weekday numbers, Monday = 1
    start: NaiveTime,
    end: NaiveTime,
    holidays: BTreeSet<NaiveDate>,
    /// Working seconds per local day, added up (shared by clones: same calendar).
    totals: DayTotals,
}

/// The working seconds of the local days from `first`, added up: `running[i]` is what the
/// days before `first + i` hold.
#[derive(Debug)]
struct Totals {
    first: NaiveDate,
    running: Vec<i64>,
}

impl Totals {
    /// Whether the days `from..to` are added up here.
    fn covers(&self, from: NaiveDate, to: NaiveDate) -> bool {
        from >= self.first && (to - self.first).num_days() < self.running.len() as i64
    }

    /// The working seconds of the days `from..to` (which it covers).
    fn between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let at = |d: NaiveDate| self.running[(d - self.first).num_days() as usize];
        at(to) - at(from)
    }

    /// The day after the last one added up.
    fn end(&self) -> NaiveDate {
        self.first + Duration::days(self.running.len() as i64 - 1)
    }
}

/// `Totals` behind a lock, shared by a calendar's clones; never part of what a calendar is
/// (two calendars with the same days and hours are equal whatever they have added up).
#[derive(Debug, Clone, Default)]
struct DayTotals(Arc<Mutex<Option<Totals>>>);

impl PartialEq for DayTotals {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Beyond this many days (a century), whole days are counted one by one instead.
const LONGEST_SPAN: i64 = 36_600;
/// Room added on each side when the span grows, so a load's next question rarely grows it.
const MARGIN_DAYS: i64 = 62;

/// How an SLA measures time.
#[derive(Debug, Clone, PartialEq)]
pub enum Clock {
    /// Every minute counts (calendar hours).
    Wall,
    Business(BusinessCalendar),
}

impl BusinessCalendar {
    pub fn new(
        tz: Tz,
        work_days: BTreeSet<u32>,
        start: NaiveTime,
        end: NaiveTime,
        holidays: BTreeSet<NaiveDate>,
    ) -> Self {
        BusinessCalendar {
            tz,
            work_days,
            start,
            end,
            holidays,
            totals: DayTotals::default(),
        }
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Working seconds of one local day.
    fn day_seconds(&self, day: NaiveDate) -> i64 {
        self.window(day)
            .map_or(0, |(open, close)| (close - open).num_seconds().max(0))
    }

    /// Working seconds of the whole local days from `from` up to, not including, `to`.
    fn whole_days(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to <= from {
            return 0;
        }
        if (to - from).num_days() <= LONGEST_SPAN
            && let Ok(mut totals) = self.totals.0.lock()
        {
            let totals = match totals.take() {
                Some(t) if t.covers(from, to) => totals.insert(t),
                had => totals.insert(self.added_up(had.as_ref(), from, to)),
            };
            return totals.between(from, to);
        }
        from.iter_days()
            .take_while(|d| *d < to)
            .map(|d| self.day_seconds(d))
            .sum()
    }

    /// Totals of the days `from..to` and of what `had` held, with room on either side.
    fn added_up(&self, had: Option<&Totals>, from: NaiveDate, to: NaiveDate) -> Totals {
        let mut first = from - Duration::days(MARGIN_DAYS);
        let mut end = to + Duration::days(MARGIN_DAYS);
        if let Some(had) = had {
            first = first.min(had.first);
            end = end.max(had.end());
        }
        let mut running = Vec::with_capacity((end - first).num_days() as usize + 1);
        running.push(0);
        let mut sum = 0;
        for day in first.iter_days().take_while(|d| *d < end) {
            sum += self.day_seconds(day);
            running.push(sum);
        }
        Totals { first, running }
    }

    /// `Mon–Fri 09:00–17:00 America/New_York, less 9 holidays`.
    pub fn describe(&self) -> String {
        let name =
            |d: &u32| ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][(*d as usize + 6) % 7];
        let days: Vec<&u32> = self.work_days.iter().collect();
        let contiguous = days.windows(2).all(|w| *w[1] == *w[0] + 1);
        let days = match (days.first(), days.last()) {
            (Some(a), Some(b)) if contiguous && a != b => format!("{}–{}", name(a), name(b)),
            _ => days.iter().map(|d| name(d)).collect::<Vec<_>>().join(", "),
        };
        format!(
            "{days} {}–{} {}, less {} holidays",
            self.start.format("%H:%M"),
            self.end.format("%H:%M"),
            self.tz.name(),
            self.holidays.len()
        )
    }

    fn works_on(&self, day: NaiveDate) -> bool {
        self.work_days.contains(&day.weekday().number_from_monday())
            && !self.holidays.contains(&day)
    }

    /// The working window of a local day, in UTC (DST-safe: local times are resolved in
    /// the zone on that very day).
    fn window(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.works_on(day) {
            return None;
        }
        let at = |t: NaiveTime| {
            let local = day.and_time(t);
            self.tz.from_local_datetime(&local).earliest().or_else(|| {
                self.tz
                    .from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
        };
        Some((
            at(self.start)?.with_timezone(&Utc),
            at(self.end)?.with_timezone(&Utc),
        ))
    }

    fn local_day(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }
}

/// A business clock standing still outside working hours, and when it runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffHours {
    pub resumes_at: DateTime<Utc>,
    /// The calendar's time zone, to say the resume time as its people read it.
    pub tz: Tz,
}

impl OffHours {
    /// `Mon 09:00 EST`: when the clock runs again, in the calendar's own time.
    pub fn when(&self) -> String {
        self.resumes_at
            .with_timezone(&self.tz)
            .format("%a %H:%M %Z")
            .to_string()
    }

    /// `resumes Mon 09:00 EST`.
    pub fn resumes(&self) -> String {
        format!("resumes {}", self.when())
    }
}

impl Clock {
    /// Outside working hours at `now`: when the clock runs again. None for calendar hours and
    /// during working hours.
    pub fn off_hours(&self, now: DateTime<Utc>) -> Option<OffHours> {
        let Clock::Business(cal) = self else {
            return None;
        };
        let mut day = cal.local_day(now);
        for _ in 0..3660 {
            if let Some((open, close)) = cal.window(day) {
                if now < open {
                    return Some(OffHours {
                        resumes_at: open,
                        tz: cal.tz,
                    });
                }
                if now < close {
                    return None;
                }
            }
            day += Duration::days(1);
        }
        None
    }

    /// Minutes that count between two instants (zero if `to` is not after `from`).
    pub fn minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.seconds_between(from, to) / 60
    }

    /// Seconds that count between two instants (zero if `to` is not after `from`), each taken
    /// to its whole second: counts add up exactly (from a to b, then b to c, is a to c).
    pub fn seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let (from, to) = (from.trunc_subsecs(0), to.trunc_subsecs(0));
        if to <= from {
            return 0;
        }
        match self {
            Clock::Wall => (to - from).num_seconds(),
            Clock::Business(cal) => {
                // The first and last days in part; the whole days between from the totals
                // (each lies inside its local day, so inside `from..to`).
                let part = |day: NaiveDate| {
                    cal.window(day).map_or(0, |(open, close)| {
                        let (a, b) = (open.max(from), close.min(to));
                        if b > a { (b - a).num_seconds() } else { 0 }
                    })
                };
                let first = cal.local_day(from);
                let last = cal.local_day(to);
                if first == last {
                    return part(first);
                }
                part(first) + cal.whole_days(first + Duration::days(1), last) + part(last)
            }
        }
    }

    /// The instant when `minutes` countable minutes have passed since `from`.
    pub fn add_minutes(&self, from: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        match self {
            Clock::Wall => from + Duration::minutes(minutes),
            Clock::Business(cal) => {
                let mut left = Duration::minutes(minutes.max(0));
                let mut day = cal.local_day(from);
                // A calendar with no working day at all would never finish: stop after ten years.
                for _ in 0..3660 {
                    if let Some((open, close)) = cal.window(day) {
                        let a = open.max(from);
                        if close > a {
                            if a + left <= close {
                                return a + left;
                            }
                            left -= close - a;
                        }
                    }
                    day += Duration::days(1);
                }
                from + Duration::days(3660)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The count as it was before the totals: every local day from first to last, one by one.
    fn one_by_one(cal: &BusinessCalendar, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let mut seconds = 0;
        let mut day = cal.local_day(from);
        while to > from && day <= cal.local_day(to) {
            if let Some((open, close)) = cal.window(day) {
                let (a, b) = (open.max(from), close.min(to));
                if b > a {
                    seconds += (b - a).num_seconds();
                }
            }
            day += Duration::days(1);
        }
        seconds
    }

    #[test]
    fn added_up_days_count_what_counting_day_by_day_counts() {
        let holidays: BTreeSet<NaiveDate> = ["2026-11-26", "2026-12-25", "2027-01-01"]
            .iter()
            .map(|d| d.parse().unwrap())
            .collect();
        let calendars = [
            // Across both daylight-saving changes, with holidays.
            BusinessCalendar::new(
                chrono_tz::America::New_York,
                (1..=5).collect(),
                NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
                holidays,
            ),
            // Working hours that hold the change itself (02:00 in spring and autumn), and a
            // half-hour change.
            BusinessCalendar::new(
                chrono_tz::Australia::Lord_Howe,
                [1, 2, 3, 4, 5, 6, 7].into(),
                NaiveTime::from_hms_opt(0, 30, 0).unwrap(),
                NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
                BTreeSet::new(),
            ),
        ];
        let base: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        // A fixed pseudo-random walk of spans: minutes to two years, either side of midnight.
        let mut seed: u64 = 0x5eed;
        let mut next = |limit: i64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) as i64) % limit
        };
        for cal in calendars {
            let clock = Clock::Business(cal.clone());
            for _ in 0..400 {
                let from = base + Duration::seconds(next(400 * 86_400));
                let longest = if next(2) == 0 {
                    86_400 * 3
                } else {
                    86_400 * 700
                };
                let to = from + Duration::seconds(next(longest));
                assert_eq!(
                    clock.seconds_between(from, to),
                    one_by_one(&cal, from, to),
                    "{from} → {to} in {}",
                    cal.tz.name()
                );
            }
        }
    }
}
