//! Promises to pay (DOMAIN.md "Promises"): where a promise stands on a given day. The store
//! decides kept and broken (`settle_promises`, run by the worker); this says it in words.

use chrono::NaiveDate;

use super::states::PromiseStatus;

/// Where a promise stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseStanding {
    /// Open, the promised date still ahead.
    DueIn(i64),
    DueToday,
    /// Open, past the promised date but inside the grace period: this many days left.
    InGrace(i64),
    /// Open and past its deadline: the next run of the store's jobs breaks it.
    Overdue,
    Kept(NaiveDate),
    Broken(NaiveDate),
}

impl PromiseStanding {
    pub fn of(
        status: PromiseStatus,
        promised_for: NaiveDate,
        deadline: NaiveDate,
        closed_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Self {
        match status {
            PromiseStatus::Kept => PromiseStanding::Kept(closed_on.unwrap_or(promised_for)),
            PromiseStatus::Broken => PromiseStanding::Broken(closed_on.unwrap_or(deadline)),
            PromiseStatus::Open if today < promised_for => {
                PromiseStanding::DueIn((promised_for - today).num_days())
            }
            PromiseStatus::Open if today == promised_for => PromiseStanding::DueToday,
            PromiseStatus::Open if today <= deadline => {
                PromiseStanding::InGrace((deadline - today).num_days())
            }
            PromiseStatus::Open => PromiseStanding::Overdue,
        }
    }

    /// `due in 3d`, `due today`, `grace: 1d left`, `kept 12 Nov`, `broken 20 Nov`.
    pub fn label(self) -> String {
        match self {
            PromiseStanding::DueIn(d) => format!("due in {d}d"),
            PromiseStanding::DueToday => "due today".into(),
            PromiseStanding::InGrace(0) => "grace: last day".into(),
            PromiseStanding::InGrace(d) => format!("grace: {d}d left"),
            PromiseStanding::Overdue => "past deadline".into(),
            PromiseStanding::Kept(d) => format!("kept {}", d.format("%-d %b")),
            PromiseStanding::Broken(d) => format!("broken {}", d.format("%-d %b")),
        }
    }

    /// Whether a person should look at it today.
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            PromiseStanding::DueToday
                | PromiseStanding::InGrace(_)
                | PromiseStanding::Overdue
                | PromiseStanding::Broken(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn an_open_promise_moves_from_due_to_grace_to_past_its_deadline() {
        let (promised, deadline) = (d("2026-11-20"), d("2026-11-22"));
        let at =
            |today| PromiseStanding::of(PromiseStatus::Open, promised, deadline, None, d(today));
        assert_eq!(at("2026-11-17"), PromiseStanding::DueIn(3));
        assert_eq!(at("2026-11-20"), PromiseStanding::DueToday);
        assert_eq!(at("2026-11-21"), PromiseStanding::InGrace(1));
        assert_eq!(at("2026-11-22").label(), "grace: last day");
        assert_eq!(at("2026-11-23"), PromiseStanding::Overdue);
        assert!(!at("2026-11-17").needs_attention());
        assert!(at("2026-11-21").needs_attention());
    }

    #[test]
    fn settled_promises_say_when() {
        let kept = PromiseStanding::of(
            PromiseStatus::Kept,
            d("2026-11-20"),
            d("2026-11-22"),
            Some(d("2026-11-19")),
            d("2026-11-23"),
        );
        assert_eq!(kept.label(), "kept 19 Nov");
        let broken = PromiseStanding::of(
            PromiseStatus::Broken,
            d("2026-11-10"),
            d("2026-11-12"),
            Some(d("2026-11-13")),
            d("2026-11-23"),
        );
        assert_eq!(broken.label(), "broken 13 Nov");
    }
}
