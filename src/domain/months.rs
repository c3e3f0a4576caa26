//! Month arithmetic, in one place: the aging as-of keys, the KPI countback and the benches all
//! step by month ends.

use chrono::{Datelike, Duration, NaiveDate};

/// The first day of `day`'s month.
pub fn first_of_month(day: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day)
}

/// The last day of `day`'s month.
pub fn month_end(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).map_or(day, |next| next - Duration::days(1))
}

/// The last day of the month before `day`'s month.
pub fn previous_month_end(day: NaiveDate) -> NaiveDate {
    first_of_month(day) - Duration::days(1)
}

/// The end of `day`'s month if `day` is before it, else the end of the next month.
pub fn next_month_end(day: NaiveDate) -> NaiveDate {
    let this_end = month_end(day);
    if day < this_end {
        this_end
    } else {
        month_end(this_end + Duration::days(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn month_ends_step_across_years_and_leap_days() {
        assert_eq!(previous_month_end(d("2026-03-15")), d("2026-02-28"));
        assert_eq!(previous_month_end(d("2024-03-01")), d("2024-02-29"));
        assert_eq!(previous_month_end(d("2026-01-10")), d("2025-12-31"));
        assert_eq!(next_month_end(d("2026-12-31")), d("2027-01-31"));
        assert_eq!(next_month_end(d("2026-11-20")), d("2026-11-30"));
        assert_eq!(first_of_month(d("2026-11-20")), d("2026-11-01"));
        assert_eq!(month_end(d("2026-02-01")), d("2026-02-28"));
    }
}
