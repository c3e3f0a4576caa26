//! Aging per DOMAIN.md: open amount at an as-of date, days past due, buckets.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use thiserror::Error;

use super::money::convert;

/// Which date an invoice's age counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    #[default]
    Due,
    Invoice,
}

impl FromStr for Basis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "due" => Ok(Basis::Due),
            "invoice" => Ok(Basis::Invoice),
            other => Err(format!("basis `{other}` is not one of: due, invoice")),
        }
    }
}

impl Basis {
    /// The word `FromStr` reads (`due`, `invoice`), as the store keys its kept buckets.
    pub fn key(self) -> &'static str {
        match self {
            Basis::Due => "due",
            Basis::Invoice => "invoice",
        }
    }
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Basis::Due => "due date",
            Basis::Invoice => "invoice date",
        })
    }
}

/// Why bucket edges were refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EdgesError {
    #[error("bucket edge `{0}` is not a whole number of days")]
    NotANumber(String),
    #[error("bucket edges must be positive and strictly increasing (got {0:?})")]
    NotIncreasing(Vec<i32>),
    #[error("at least one bucket edge is needed")]
    Empty,
}

/// Upper bounds (inclusive) of the past-due buckets, e.g. `30,60,90,120`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEdges(Vec<i32>);

impl Default for BucketEdges {
    fn default() -> Self {
        BucketEdges(vec![30, 60, 90, 120])
    }
}

impl FromStr for BucketEdges {
    type Err = EdgesError;
    fn from_str(s: &str) -> Result<Self, EdgesError> {
        let edges = s
            .split(',')
            .map(|p| {
                p.trim()
                    .parse::<i32>()
                    .map_err(|_| EdgesError::NotANumber(p.trim().to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        BucketEdges::new(edges)
    }
}

/// One bucket: its label and the inclusive range of days past due it holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bucket {
    pub label: String,
    pub min_days: Option<i32>,
    pub max_days: Option<i32>,
}

impl BucketEdges {
    pub fn new(edges: Vec<i32>) -> Result<Self, EdgesError> {
        if edges.is_empty() {
            return Err(EdgesError::Empty);
        }
        if edges[0] < 1 || edges.windows(2).any(|w| w[1] <= w[0]) {
            return Err(EdgesError::NotIncreasing(edges));
        }
        Ok(BucketEdges(edges))
    }

    pub fn edges(&self) -> &[i32] {
        &self.0
    }

    /// The buckets: Not due, then one per edge, then the open-ended last one.
    pub fn buckets(&self) -> Vec<Bucket> {
        let mut out = vec![Bucket {
            label: "Not due".into(),
            min_days: None,
            max_days: Some(0),
        }];
        let mut low = 1;
        for &high in &self.0 {
            out.push(Bucket {
                label: format!("{low}-{high}"),
                min_days: Some(low),
                max_days: Some(high),
            });
            low = high + 1;
        }
        let last = *self.0.last().expect("edges are never empty");
        out.push(Bucket {
            label: format!("{last}+"),
            min_days: Some(last + 1),
            max_days: None,
        });
        out
    }

    /// The bucket index for `days` past due (upper bounds inclusive; zero or less is Not due).
    pub fn index_for(&self, days: i32) -> usize {
        if days <= 0 {
            return 0;
        }
        1 + self.0.iter().filter(|&&e| e < days).count()
    }
}

/// Days past due at `as_of` (negative: not yet due).
pub fn days_past(as_of: NaiveDate, basis_date: NaiveDate) -> i32 {
    (as_of - basis_date).num_days() as i32
}

/// An invoice with its dated allocations, as the store holds it.
#[derive(Debug, Clone)]
pub struct BookInvoice {
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub amount: i64,
    pub currency: String,
    pub allocations: Vec<(NaiveDate, i64)>,
}

impl BookInvoice {
    /// Open amount at `as_of`: amount less allocations applied on or before it.
    pub fn open_at(&self, as_of: NaiveDate) -> i64 {
        self.amount
            - self
                .allocations
                .iter()
                .filter(|(d, _)| *d <= as_of)
                .map(|(_, a)| a)
                .sum::<i64>()
    }

    fn basis_date(&self, basis: Basis) -> NaiveDate {
        match basis {
            Basis::Due => self.due_date,
            Basis::Invoice => self.issue_date,
        }
    }
}

/// Cash or a credit note received on `date` with its own dated allocations.
#[derive(Debug, Clone)]
pub struct BookCredit {
    pub date: NaiveDate,
    pub amount: i64,
    pub currency: String,
    pub allocations: Vec<(NaiveDate, i64)>,
}

impl BookCredit {
    pub fn unapplied_at(&self, as_of: NaiveDate) -> i64 {
        if self.date > as_of {
            return 0;
        }
        self.amount
            - self
                .allocations
                .iter()
                .filter(|(d, _)| *d <= as_of)
                .map(|(_, a)| a)
                .sum::<i64>()
    }
}

/// One bucket's line in an aging summary, in the reporting currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BucketLine {
    pub bucket: Bucket,
    pub invoices: i64,
    pub amount: i64,
}

/// Aging of a whole book as of a date, in the reporting currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgingSummary {
    pub as_of: NaiveDate,
    pub basis: Basis,
    pub currency: String,
    pub lines: Vec<BucketLine>,
    /// Unapplied cash and credit notes, as a negative amount.
    pub unapplied: i64,
}

impl AgingSummary {
    /// Open invoices less unapplied credit: the sum of the lines plus the unapplied line.
    pub fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.amount).sum::<i64>() + self.unapplied
    }

    pub fn invoices(&self) -> i64 {
        self.lines.iter().map(|l| l.invoices).sum()
    }
}

/// Rates into the reporting currency (×10^8) at the as-of date, by currency.
pub type Rates = BTreeMap<String, i64>;

/// Counts and open amounts by bucket index, each invoice's open amount already converted into
/// the reporting currency.
pub type BucketSums = BTreeMap<usize, (i64, i64)>;

/// The rate that converts `c` into `reporting` (×10^8): one for the reporting currency itself,
/// nothing for a currency with no rate.
pub fn rate_of(rates: &Rates, reporting: &str, c: &str) -> i64 {
    if c == reporting {
        100_000_000
    } else {
        rates.get(c).copied().unwrap_or(0)
    }
}

/// Builds a summary from per-bucket sums. The conversion rule, which the store follows too:
/// **each invoice's open amount is converted on its own (rounding half away from zero), then
/// the converted amounts are summed** — so a bucket, a customer, a segment and the book all
/// add up to the cent, however the rows are grouped. Unapplied credit (one line, never split)
/// is converted per currency.
pub fn summarise(
    as_of: NaiveDate,
    basis: Basis,
    edges: &BucketEdges,
    currency: &str,
    rates: &Rates,
    sums: &BucketSums,
    unapplied_by_currency: &BTreeMap<String, i64>,
) -> AgingSummary {
    let rate = |c: &str| rate_of(rates, currency, c);
    let mut lines: Vec<BucketLine> = edges
        .buckets()
        .into_iter()
        .map(|bucket| BucketLine {
            bucket,
            invoices: 0,
            amount: 0,
        })
        .collect();
    for (idx, (count, converted)) in sums {
        lines[*idx].invoices += count;
        lines[*idx].amount += converted;
    }
    let unapplied = -unapplied_by_currency
        .iter()
        .map(|(c, m)| convert(*m, rate(c)))
        .sum::<i64>();
    AgingSummary {
        as_of,
        basis,
        currency: currency.to_string(),
        lines,
        unapplied,
    }
}

/// Ages a book held in memory. The store's SQL must give the same answer.
pub fn age_book(
    invoices: &[BookInvoice],
    credits: &[BookCredit],
    as_of: NaiveDate,
    basis: Basis,
    edges: &BucketEdges,
    currency: &str,
    rates: &Rates,
) -> AgingSummary {
    let mut sums = BucketSums::new();
    for inv in invoices.iter().filter(|i| i.issue_date <= as_of) {
        let open = inv.open_at(as_of);
        if open == 0 {
            continue;
        }
        let idx = edges.index_for(days_past(as_of, inv.basis_date(basis)));
        let entry = sums.entry(idx).or_default();
        entry.0 += 1;
        entry.1 += convert(open, rate_of(rates, currency, &inv.currency));
    }
    let mut unapplied: BTreeMap<String, i64> = BTreeMap::new();
    for c in credits {
        *unapplied.entry(c.currency.clone()).or_default() += c.unapplied_at(as_of);
    }
    summarise(as_of, basis, edges, currency, rates, &sums, &unapplied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn inv(issue: &str, due: &str, amount: i64, allocs: &[(&str, i64)]) -> BookInvoice {
        BookInvoice {
            issue_date: d(issue),
            due_date: d(due),
            amount,
            currency: "USD".into(),
            allocations: allocs.iter().map(|(dt, a)| (d(dt), *a)).collect(),
        }
    }

    fn age(invoices: &[BookInvoice], as_of: &str) -> AgingSummary {
        age_book(
            invoices,
            &[],
            d(as_of),
            Basis::Due,
            &BucketEdges::default(),
            "USD",
            &Rates::new(),
        )
    }

    #[test]
    fn default_labels_and_bounds() {
        let labels: Vec<_> = BucketEdges::default()
            .buckets()
            .into_iter()
            .map(|b| b.label)
            .collect();
        assert_eq!(
            labels,
            ["Not due", "1-30", "31-60", "61-90", "91-120", "120+"]
        );
        let e = BucketEdges::default();
        assert_eq!(
            (
                e.index_for(-3),
                e.index_for(0),
                e.index_for(1),
                e.index_for(30)
            ),
            (0, 0, 1, 1)
        );
        assert_eq!(
            (e.index_for(31), e.index_for(120), e.index_for(121)),
            (2, 4, 5)
        );
    }

    #[test]
    fn edges_are_checked() {
        assert_eq!("30, 45".parse::<BucketEdges>().unwrap().edges(), &[30, 45]);
        assert!(matches!(
            "30,x".parse::<BucketEdges>(),
            Err(EdgesError::NotANumber(_))
        ));
        assert!(matches!(
            "60,30".parse::<BucketEdges>(),
            Err(EdgesError::NotIncreasing(_))
        ));
        assert!(matches!(
            "0,30".parse::<BucketEdges>(),
            Err(EdgesError::NotIncreasing(_))
        ));
    }

    #[test]
    fn due_on_the_as_of_date_is_not_due() {
        let s = age(&[inv("2026-10-01", "2026-10-31", 500, &[])], "2026-10-31");
        assert_eq!(s.lines[0].amount, 500);
        let s = age(&[inv("2026-10-01", "2026-10-31", 500, &[])], "2026-11-01");
        assert_eq!((s.lines[0].amount, s.lines[1].amount), (0, 500));
    }

    #[test]
    fn payment_on_the_as_of_date_counts_and_later_ones_do_not() {
        let book = [inv(
            "2026-09-01",
            "2026-09-30",
            1000,
            &[("2026-10-31", 400), ("2026-11-05", 600)],
        )];
        let s = age(&book, "2026-10-31");
        assert_eq!((s.lines[2].amount, s.lines[2].invoices), (600, 1));
        assert_eq!(age(&book, "2026-11-05").invoices(), 0);
        assert_eq!(age(&book, "2026-10-30").total(), 1000);
    }

    #[test]
    fn invoices_issued_after_the_as_of_date_do_not_exist() {
        assert_eq!(
            age(&[inv("2026-11-02", "2026-12-02", 700, &[])], "2026-11-01").invoices(),
            0
        );
    }

    #[test]
    fn unapplied_cash_is_its_own_negative_line() {
        let credit = BookCredit {
            date: d("2026-10-10"),
            amount: 300,
            currency: "USD".into(),
            allocations: vec![(d("2026-10-20"), 100)],
        };
        let book = [inv("2026-10-01", "2026-10-31", 1000, &[])];
        let s = age_book(
            &book,
            std::slice::from_ref(&credit),
            d("2026-10-15"),
            Basis::Due,
            &BucketEdges::default(),
            "USD",
            &Rates::new(),
        );
        assert_eq!((s.unapplied, s.total()), (-300, 700));
        let s = age_book(
            &book,
            &[credit],
            d("2026-10-20"),
            Basis::Due,
            &BucketEdges::default(),
            "USD",
            &Rates::new(),
        );
        assert_eq!(s.unapplied, -200);
    }

    #[test]
    fn two_currencies_convert_at_the_as_of_rate() {
        let mut eur = inv("2026-10-01", "2026-10-31", 1000, &[]);
        eur.currency = "EUR".into();
        let rates = Rates::from([("EUR".to_string(), 110_000_000)]);
        let s = age_book(
            &[eur, inv("2026-10-01", "2026-10-31", 1000, &[])],
            &[],
            d("2026-10-15"),
            Basis::Due,
            &BucketEdges::default(),
            "USD",
            &rates,
        );
        assert_eq!((s.lines[0].amount, s.lines[0].invoices), (2100, 2));
    }

    #[test]
    fn invoice_basis_ages_from_issue() {
        let book = [inv("2026-09-01", "2026-12-01", 100, &[])];
        let s = age_book(
            &book,
            &[],
            d("2026-10-15"),
            Basis::Invoice,
            &BucketEdges::default(),
            "USD",
            &Rates::new(),
        );
        assert_eq!(s.lines[2].amount, 100);
    }
}

/// An as-of date must not be after today: the book is known up to today, and the console and
/// the report refuse a later one the same way.
pub fn check_as_of(as_of: chrono::NaiveDate, today: chrono::NaiveDate) -> Result<(), String> {
    if as_of > today {
        return Err(format!(
            "as of {as_of} is in the future (today is {today}): aging is known up to today"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod as_of_tests {
    #[test]
    fn a_future_as_of_date_is_refused_and_today_is_not() {
        let today: chrono::NaiveDate = "2026-11-20".parse().unwrap();
        assert!(super::check_as_of(today, today).is_ok());
        let e = super::check_as_of("2026-12-31".parse().unwrap(), today).unwrap_err();
        assert!(e.contains("in the future (today is 2026-11-20)"), "{e}");
    }
}
