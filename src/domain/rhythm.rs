//! Payment rhythm (DOMAIN.md "Payment rhythm"): typical days to pay, its spread, expected
//! pay dates, drift ("slipping"), and whether an automatic reminder may go today.
//! The store computes the same in `refresh_customer_profiles()`; a test proves they agree.

use chrono::{Duration, NaiveDate};

/// The nearest-rank percentile of sorted values (PostgreSQL's `percentile_disc`).
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// A paid invoice as the rhythm sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaidInvoice {
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub settled_on: NaiveDate,
}

/// A customer's payment rhythm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rhythm {
    /// Median days from issue to payment.
    pub typical_days: i64,
    /// Interquartile range of days to pay.
    pub spread_days: i64,
    /// Median days to pay over invoices settled in the last 90 days, and how many.
    pub recent_days: Option<i64>,
    pub recent_count: usize,
}

/// The rhythm of a customer's paid invoices as of `today` (None: nothing paid yet).
pub fn rhythm(paid: &[PaidInvoice], today: NaiveDate) -> Option<Rhythm> {
    let mut all: Vec<i64> = paid
        .iter()
        .filter(|p| p.settled_on <= today)
        .map(days_to_pay)
        .collect();
    all.sort_unstable();
    let mut recent: Vec<i64> = paid
        .iter()
        .filter(|p| p.settled_on <= today && p.settled_on > today - Duration::days(90))
        .map(days_to_pay)
        .collect();
    recent.sort_unstable();
    Some(Rhythm {
        typical_days: percentile(&all, 0.5)?,
        spread_days: percentile(&all, 0.75)? - percentile(&all, 0.25)?,
        recent_days: percentile(&recent, 0.5),
        recent_count: recent.len(),
    })
}

fn days_to_pay(p: &PaidInvoice) -> i64 {
    (p.settled_on - p.issue_date).num_days()
}

impl Rhythm {
    /// Expected pay date of an open invoice: invoice date + typical days to pay.
    pub fn expected(&self, issue_date: NaiveDate) -> NaiveDate {
        issue_date + Duration::days(self.typical_days)
    }

    /// Slipping: the recent median is later than the long-run one by more than `drift_days`
    /// (with at least 3 recent payments), or an open invoice is past its expected date by more
    /// than the spread (at least 3 days).
    pub fn slipping(
        &self,
        drift_days: i64,
        open_issue_dates: &[NaiveDate],
        today: NaiveDate,
    ) -> Option<String> {
        if let Some(recent) = self.recent_days.filter(|_| self.recent_count >= 3)
            && recent - self.typical_days > drift_days
        {
            return Some(format!(
                "recently pays in {recent} days against a usual {} days",
                self.typical_days
            ));
        }
        let allowance = self.spread_days.max(3);
        open_issue_dates
            .iter()
            .map(|d| (today - self.expected(*d)).num_days())
            .filter(|late| *late > allowance)
            .max()
            .map(|late| format!("an open invoice is {late} days past its expected pay date"))
    }
}

/// Why a slipping account is slipping, in the words of its list: the recent pace against the
/// usual one when that is what moved, else how far its oldest open invoice is past the date the
/// rhythm expected it paid.
pub fn slipping_reason(
    recent_days: Option<i64>,
    typical_days: Option<i64>,
    days_past_expected: Option<i64>,
    drift_days: i64,
) -> String {
    match (recent_days, typical_days, days_past_expected) {
        (Some(r), Some(t), _) if r - t > drift_days => {
            format!("recently {r} days to pay vs usually {t}")
        }
        (_, Some(_), Some(late)) if late > 0 => {
            format!("an open invoice is {late} days past the day it was expected paid")
        }
        (_, Some(t), _) => format!("paying later than the usual {t} days"),
        _ => "paying later than usual".into(),
    }
}

/// Why an automatic reminder may not go today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    Disputed,
    Paid,
    /// Suppressed until this date, with the reason a person sees.
    Until(NaiveDate, String),
}

impl Hold {
    pub fn reason(&self) -> String {
        match self {
            Hold::Disputed => "the invoice is under dispute".into(),
            Hold::Paid => "the invoice is paid".into(),
            Hold::Until(_, why) => why.clone(),
        }
    }
}

/// Whether an automatic reminder for an invoice may go today.
pub fn reminder_hold(
    today: NaiveDate,
    issue_date: NaiveDate,
    open: i64,
    disputed: bool,
    rhythm: Option<&Rhythm>,
    grace_days: i64,
) -> Option<Hold> {
    if open <= 0 {
        return Some(Hold::Paid);
    }
    if disputed {
        return Some(Hold::Disputed);
    }
    let r = rhythm?;
    let expected = r.expected(issue_date);
    let until = expected + Duration::days(grace_days);
    (today < until).then(|| {
        Hold::Until(
            until,
            format!(
                "usually pays on day {}; expected {}",
                r.typical_days,
                expected.format("%-d %b")
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slipping_account_says_what_moved() {
        assert_eq!(
            slipping_reason(Some(103), Some(35), Some(2), 7),
            "recently 103 days to pay vs usually 35"
        );
        assert_eq!(
            slipping_reason(Some(38), Some(35), Some(19), 7),
            "an open invoice is 19 days past the day it was expected paid"
        );
        assert_eq!(
            slipping_reason(None, None, None, 7),
            "paying later than usual"
        );
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn paid(issue: &str, days: i64) -> PaidInvoice {
        let issue = d(issue);
        PaidInvoice {
            issue_date: issue,
            due_date: issue + Duration::days(30),
            settled_on: issue + Duration::days(days),
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4, 5], 0.5), Some(3));
        assert_eq!(percentile(&[10], 0.9), Some(10));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn a_clockwork_payer_has_a_tight_rhythm_and_suppression_says_why() {
        let history: Vec<_> = (0..10)
            .map(|i| paid("2026-01-05", 35 + i % 2))
            .map(|mut p| {
                p.settled_on = p.settled_on.min(d("2026-10-01"));
                p
            })
            .collect();
        let r = rhythm(&history, d("2026-11-20")).unwrap();
        assert_eq!((r.typical_days, r.spread_days), (35, 1));
        let hold =
            reminder_hold(d("2026-03-05"), d("2026-02-09"), 100, false, Some(&r), 3).unwrap();
        assert_eq!(
            hold,
            Hold::Until(
                d("2026-03-19"),
                "usually pays on day 35; expected 16 Mar".into()
            )
        );
        assert_eq!(
            reminder_hold(d("2026-03-19"), d("2026-02-09"), 100, false, Some(&r), 3),
            None
        );
        assert_eq!(
            reminder_hold(d("2026-03-19"), d("2026-02-09"), 100, true, Some(&r), 3),
            Some(Hold::Disputed)
        );
        assert_eq!(
            reminder_hold(d("2026-03-19"), d("2026-02-09"), 0, false, Some(&r), 3),
            Some(Hold::Paid)
        );
    }

    #[test]
    fn drift_flags_a_customer_before_sixty_days_late() {
        let mut history: Vec<_> = (0..12)
            .map(|i| paid(&format!("2025-{:02}-01", i % 12 + 1), 32))
            .collect();
        history.extend((0..4).map(|i| paid(&format!("2026-{:02}-01", i + 7), 50)));
        let today = d("2026-11-20");
        let r = rhythm(&history, today).unwrap();
        assert_eq!(r.typical_days, 32);
        assert!(
            r.slipping(7, &[], today)
                .unwrap()
                .contains("recently pays in 50 days")
        );
        let steady = rhythm(&history[..12], today).unwrap();
        assert_eq!(
            steady.slipping(7, &[d("2026-10-17")], today),
            None,
            "within the allowance"
        );
        assert!(
            steady
                .slipping(7, &[d("2026-10-01")], today)
                .unwrap()
                .contains("past its expected pay date")
        );
    }
}
