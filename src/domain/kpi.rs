//! KPIs in their Credit Research Foundation forms (DOMAIN.md "KPIs"). Exact: every ratio is
//! carried as integers and rounded once, to hundredths, half away from zero.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A figure in hundredths (45.00 is 4500), rounded half away from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Hundredths(pub i64);

impl Hundredths {
    /// num / den, in hundredths. None when den is zero.
    pub fn ratio(num: i128, den: i128) -> Option<Hundredths> {
        if den == 0 {
            return None;
        }
        let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
        let scaled = num * 100;
        let q = if scaled >= 0 {
            (scaled + den / 2) / den
        } else {
            (scaled - den / 2) / den
        };
        Some(Hundredths(q as i64))
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl std::fmt::Display for Hundredths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(
            f,
            "{sign}{}.{:02}",
            self.0.unsigned_abs() / 100,
            self.0.unsigned_abs() % 100
        )
    }
}

impl Serialize for Hundredths {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

/// Read back from the figure `Serialize` writes: exact for any KPI (|hundredths| < 2^50).
impl<'de> Deserialize<'de> for Hundredths {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let figure = f64::deserialize(d)?;
        let hundredths = (figure * 100.0).round();
        if !hundredths.is_finite() || hundredths.abs() >= (1u64 << 50) as f64 {
            return Err(serde::de::Error::custom(format!(
                "{figure} is not a KPI figure"
            )));
        }
        #[allow(clippy::cast_possible_truncation)] // bounded just above
        Ok(Hundredths(hundredths as i64))
    }
}

/// A period from its first to its last day, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// How many days the overview's KPIs look back over.
pub const OVERVIEW_DAYS: i64 = 90;

/// How many past month ends' overviews the worker keeps ready (their opening receivables
/// remembered): a year of month-end reviews with `[`.
pub const MONTH_ENDS_KEPT: usize = 12;

impl Period {
    /// The overview's period ending on `as_of` (`OVERVIEW_DAYS` days, `as_of` included).
    pub fn overview(as_of: NaiveDate) -> Period {
        Period {
            from: as_of - chrono::Duration::days(OVERVIEW_DAYS - 1),
            to: as_of,
        }
    }

    /// The day whose closing receivables open the period (the day before it).
    pub fn opening_day(&self) -> NaiveDate {
        self.from - chrono::Duration::days(1)
    }

    /// The opening days of the overviews as of the `n` month ends before `today`'s month,
    /// latest first: what a lead stepping back with `[` asks for.
    pub fn month_end_openings(today: NaiveDate, n: usize) -> Vec<NaiveDate> {
        std::iter::successors(
            Some(crate::domain::months::previous_month_end(today)),
            |m| Some(crate::domain::months::previous_month_end(*m)),
        )
        .take(n)
        .map(|m| Period::overview(m).opening_day())
        .collect()
    }

    /// P: the days in the period.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// N: the calendar months the period spans.
    pub fn months(&self) -> i64 {
        let m = |d: NaiveDate| d.year() as i64 * 12 + d.month0() as i64;
        m(self.to) - m(self.from) + 1
    }
}

/// What every KPI is computed from, in reporting-currency minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiInputs {
    /// BR: receivables open at the end of the day before the period.
    pub beginning_receivables: i64,
    /// CS: invoices issued in the period less credit notes issued in it.
    pub credit_sales: i64,
    /// ETR: receivables open at the end of the period's last day.
    pub ending_total_receivables: i64,
    /// ECR: the part of ETR not past due (due on or after the last day).
    pub ending_current_receivables: i64,
    /// P
    pub days: i64,
    /// N
    pub months: i64,
}

/// The KPIs; None where a denominator is zero (no sales in the period, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpis {
    pub dso: Option<Hundredths>,
    pub best_possible_dso: Option<Hundredths>,
    pub add: Option<Hundredths>,
    pub countback_dso: Option<Hundredths>,
    pub cei: Option<Hundredths>,
    pub percent_current: Option<Hundredths>,
    pub inputs: KpiInputs,
}

/// One KPI as people read it: its name, its value, its unit, and how it is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KpiLine {
    pub name: &'static str,
    pub value: Option<Hundredths>,
    /// "days" or "%".
    pub unit: &'static str,
    pub formula: &'static str,
}

impl Kpis {
    /// Every KPI with its definition, in the order reports and the explain panel show them
    /// (the one place their names and formulas are written).
    pub fn lines(&self) -> [KpiLine; 6] {
        let line = |name, value, unit, formula| KpiLine {
            name,
            value,
            unit,
            formula,
        };
        [
            line("DSO", self.dso, "days", "ETR / CS × P"),
            line(
                "Best possible DSO",
                self.best_possible_dso,
                "days",
                "ECR / CS × P",
            ),
            line("ADD", self.add, "days", "DSO − best possible DSO"),
            line(
                "Countback DSO",
                self.countback_dso,
                "days",
                "months of sales, newest first, that ETR covers",
            ),
            line(
                "CEI",
                self.cei,
                "%",
                "(BR + CS/N − ETR) / (BR + CS/N − ECR) × 100",
            ),
            line(
                "Percent current",
                self.percent_current,
                "%",
                "ECR / ETR × 100",
            ),
        ]
    }
}

/// DSO = ETR / CS × P.
pub fn dso(i: &KpiInputs) -> Option<Hundredths> {
    Hundredths::ratio(
        i.ending_total_receivables as i128 * i.days as i128,
        i.credit_sales as i128,
    )
}

/// Best possible DSO = ECR / CS × P.
pub fn best_possible_dso(i: &KpiInputs) -> Option<Hundredths> {
    Hundredths::ratio(
        i.ending_current_receivables as i128 * i.days as i128,
        i.credit_sales as i128,
    )
}

/// CEI = (BR + CS/N − ETR) / (BR + CS/N − ECR) × 100, computed over N to stay exact.
pub fn cei(i: &KpiInputs) -> Option<Hundredths> {
    let n = i.months as i128;
    let base = i.beginning_receivables as i128 * n + i.credit_sales as i128;
    let num = base - i.ending_total_receivables as i128 * n;
    let den = base - i.ending_current_receivables as i128 * n;
    Hundredths::ratio(num * 100, den)
}

/// Percent current = ECR / ETR × 100.
pub fn percent_current(i: &KpiInputs) -> Option<Hundredths> {
    Hundredths::ratio(
        i.ending_current_receivables as i128 * 100,
        i.ending_total_receivables as i128,
    )
}

/// Countback DSO: walk back month by month (newest first, each with its sales and days),
/// taking each month's sales off the receivables until they are used up; whole months count
/// their days, the last month the fraction of its days that its sales covered.
pub fn countback_dso(receivables: i64, months: &[(i64, i64)]) -> Option<Hundredths> {
    let mut left = receivables as i128;
    // Days as a fraction num/den accumulated exactly: whole days plus one partial month.
    let mut whole_days: i128 = 0;
    for &(sales, days) in months {
        if left <= 0 {
            break;
        }
        let (sales, days) = (sales as i128, days as i128);
        if sales <= 0 {
            whole_days += days;
            continue;
        }
        if left >= sales {
            left -= sales;
            whole_days += days;
        } else {
            return Hundredths::ratio(whole_days * sales + left * days, sales);
        }
    }
    if left > 0 {
        return None; // sales history too short to cover the receivables
    }
    Hundredths::ratio(whole_days, 1)
}

/// Every KPI from its inputs and the monthly sales (newest first) for the countback.
pub fn kpis(inputs: KpiInputs, monthly_sales: &[(i64, i64)]) -> Kpis {
    let dso_v = dso(&inputs);
    let best = best_possible_dso(&inputs);
    Kpis {
        dso: dso_v,
        best_possible_dso: best,
        add: dso_v.zip(best).map(|(d, b)| Hundredths(d.0 - b.0)),
        countback_dso: countback_dso(inputs.ending_total_receivables, monthly_sales),
        cei: cei(&inputs),
        percent_current: percent_current(&inputs),
        inputs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_end_overviews_open_the_day_before_their_ninety_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = Period::overview(d("2026-10-31"));
        assert_eq!(
            (p.from, p.to, p.days()),
            (d("2026-08-03"), d("2026-10-31"), 90)
        );
        assert_eq!(p.opening_day(), d("2026-08-02"));
        let openings = Period::month_end_openings(d("2026-12-04"), 3);
        // 30 Nov, 31 Oct, 30 Sep: each one's period less a day.
        assert_eq!(
            openings,
            [d("2026-09-01"), d("2026-08-02"), d("2026-07-02")]
        );
        // On a month end itself that month is not over yet: 31 Oct comes first.
        assert_eq!(
            Period::month_end_openings(d("2026-11-30"), 1),
            [d("2026-08-02")]
        );
    }

    fn inputs(br: i64, cs: i64, etr: i64, ecr: i64, days: i64, months: i64) -> KpiInputs {
        KpiInputs {
            beginning_receivables: br,
            credit_sales: cs,
            ending_total_receivables: etr,
            ending_current_receivables: ecr,
            days,
            months,
        }
    }

    #[test]
    fn dso_best_possible_and_add_match_the_worked_example() {
        let k = kpis(inputs(0, 10_000, 15_000, 4_000, 30, 1), &[]);
        assert_eq!(k.dso, Some(Hundredths(4500)));
        assert_eq!(k.best_possible_dso, Some(Hundredths(1200)));
        assert_eq!(k.add, Some(Hundredths(3300)));
    }

    #[test]
    fn countback_matches_the_worked_example() {
        let months = [(100_000, 30), (80_000, 30), (70_000, 30)];
        assert_eq!(countback_dso(212_000, &months), Some(Hundredths(7371)));
        assert_eq!(countback_dso(100_000, &months), Some(Hundredths(3000)));
        assert_eq!(countback_dso(500_000, &months), None, "not enough history");
    }

    #[test]
    fn cei_matches_the_worked_example() {
        let i = inputs(6_200, 3_390 + 3_610 + 3_890, 6_340, 3_590, 91, 3);
        assert_eq!(cei(&i), Some(Hundredths(5593)));
    }

    #[test]
    fn periods_count_days_and_months_inclusively() {
        let p = Period {
            from: "2026-04-01".parse().unwrap(),
            to: "2026-06-30".parse().unwrap(),
        };
        assert_eq!((p.days(), p.months()), (91, 3));
        let p = Period {
            from: "2025-12-15".parse().unwrap(),
            to: "2026-01-14".parse().unwrap(),
        };
        assert_eq!((p.days(), p.months()), (31, 2));
    }

    #[test]
    fn no_sales_means_no_dso_rather_than_a_panic() {
        let k = kpis(inputs(100, 0, 100, 50, 30, 1), &[]);
        assert_eq!((k.dso, k.best_possible_dso, k.add), (None, None, None));
        assert_eq!(k.percent_current, Some(Hundredths(5000)));
    }

    #[test]
    fn hundredths_round_half_away_from_zero_and_print() {
        assert_eq!(Hundredths::ratio(1, 8), Some(Hundredths(13)));
        assert_eq!(Hundredths::ratio(-1, 8), Some(Hundredths(-13)));
        assert_eq!(Hundredths(-5).to_string(), "-0.05");
        assert_eq!(Hundredths(7371).to_string(), "73.71");
    }
}
