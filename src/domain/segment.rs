//! Segments and tone (DOMAIN.md "Segments and tone"). One place for the rules; every
//! segment carries the reason that put it there. Mirrors `refresh_customer_profiles()`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Vip,
    HighRisk,
    ChronicLate,
    Standard,
}

impl Segment {
    pub fn code(self) -> &'static str {
        match self {
            Segment::Vip => "vip",
            Segment::HighRisk => "high_risk",
            Segment::ChronicLate => "chronic_late",
            Segment::Standard => "standard",
        }
    }

    pub fn from_code(code: &str) -> Option<Segment> {
        [
            Segment::Vip,
            Segment::HighRisk,
            Segment::ChronicLate,
            Segment::Standard,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Segment::Vip => "VIP",
            Segment::HighRisk => "High risk",
            Segment::ChronicLate => "Chronic late",
            Segment::Standard => "Standard",
        }
    }

    /// The register of outreach for this segment: (tone, channel).
    pub fn tone(self) -> (&'static str, &'static str) {
        match self {
            Segment::Vip => ("personal", "personal_note"),
            Segment::HighRisk => ("escalation", "email"),
            Segment::ChronicLate => ("firm", "email"),
            Segment::Standard => ("friendly", "email"),
        }
    }
}

/// The thresholds the rules use (the store's `settings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRules {
    pub high_risk_90_minor: i64,
    pub vip_top_percent: i64,
    /// The reporting currency and its decimal places: reasons show money as money.
    pub currency: &'static str,
    pub exponent: u32,
}

/// What the rules look at for one customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentFacts {
    pub override_to: Option<(Segment, String)>,
    pub strategic: bool,
    /// Rank by revenue over the last 365 days (1 = largest), and how many customers there are.
    pub revenue_rank: Option<i64>,
    pub customers: i64,
    /// Open more than 90 days past due, in reporting minor units.
    pub over_90: i64,
    pub broken_promises: i64,
    pub open_total: i64,
    pub credit_limit: i64,
    /// Of the last 12 paid invoices: how many, how many late, total days late.
    pub paid: i64,
    pub late: i64,
    pub days_late: i64,
}

/// The segment and the reason for it. Precedence: override, VIP, high risk, chronic late.
pub fn segment(f: &SegmentFacts, rules: SegmentRules) -> (Segment, String) {
    if let Some((s, why)) = &f.override_to {
        return (*s, format!("override: {why}"));
    }
    let vip_places = (f.customers * rules.vip_top_percent / 100).max(1);
    if f.strategic {
        return (Segment::Vip, "strategic account".into());
    }
    if let Some(rank) = f.revenue_rank.filter(|r| *r <= vip_places) {
        return (
            Segment::Vip,
            format!("top revenue: rank {rank} over the last 365 days"),
        );
    }
    if f.over_90 > rules.high_risk_90_minor {
        return (
            Segment::HighRisk,
            format!(
                "over 90 days past due: {} {cur} above the {} {cur} threshold",
                super::money::format_grouped(f.over_90, rules.exponent),
                super::money::format_grouped(rules.high_risk_90_minor, rules.exponent),
                cur = rules.currency
            ),
        );
    }
    if f.broken_promises >= 2 {
        return (
            Segment::HighRisk,
            format!("{} broken promises to pay", f.broken_promises),
        );
    }
    if f.open_total > f.credit_limit {
        return (
            Segment::HighRisk,
            "open balance over the credit limit".into(),
        );
    }
    if f.paid >= 3 && (f.late * 2 >= f.paid || f.days_late > 10 * f.paid) {
        let tenths = (f.days_late * 10 + f.paid / 2) / f.paid;
        return (
            Segment::ChronicLate,
            format!(
                "late on {} of the last {} paid invoices; {}.{} days late on average",
                f.late,
                f.paid,
                tenths / 10,
                tenths % 10
            ),
        );
    }
    (
        Segment::Standard,
        format!("late on {} of the last {} paid invoices", f.late, f.paid),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: SegmentRules = SegmentRules {
        high_risk_90_minor: 1_000_000,
        vip_top_percent: 1,
        currency: "USD",
        exponent: 2,
    };

    fn facts() -> SegmentFacts {
        SegmentFacts {
            customers: 1000,
            credit_limit: 5_000_000,
            paid: 12,
            ..Default::default()
        }
    }

    #[test]
    fn precedence_and_reasons() {
        assert_eq!(
            segment(&facts(), RULES),
            (
                Segment::Standard,
                "late on 0 of the last 12 paid invoices".into()
            )
        );
        let late = SegmentFacts {
            late: 6,
            days_late: 30,
            ..facts()
        };
        assert_eq!(
            segment(&late, RULES).0,
            Segment::ChronicLate,
            "half of the last 12 late"
        );
        let very_late = SegmentFacts {
            late: 2,
            days_late: 130,
            ..facts()
        };
        assert_eq!(
            segment(&very_late, RULES).1,
            "late on 2 of the last 12 paid invoices; 10.8 days late on average"
        );
        let risky = SegmentFacts {
            broken_promises: 2,
            ..late.clone()
        };
        assert_eq!(
            segment(&risky, RULES),
            (Segment::HighRisk, "2 broken promises to pay".into())
        );
        let over = SegmentFacts {
            open_total: 5_000_001,
            ..facts()
        };
        assert_eq!(segment(&over, RULES).0, Segment::HighRisk);
        let top = SegmentFacts {
            revenue_rank: Some(10),
            ..risky.clone()
        };
        assert_eq!(
            segment(&top, RULES).0,
            Segment::Vip,
            "VIP wins over high risk"
        );
        let eleventh = SegmentFacts {
            revenue_rank: Some(11),
            ..facts()
        };
        assert_eq!(segment(&eleventh, RULES).0, Segment::Standard);
        let pinned = SegmentFacts {
            override_to: Some((Segment::Standard, "new CFO, give them time".into())),
            ..top
        };
        assert_eq!(
            segment(&pinned, RULES),
            (
                Segment::Standard,
                "override: new CFO, give them time".into()
            )
        );
    }

    #[test]
    fn too_little_history_is_not_chronic() {
        let f = SegmentFacts {
            paid: 2,
            late: 2,
            days_late: 40,
            ..facts()
        };
        assert_eq!(segment(&f, RULES).0, Segment::Standard);
        assert_eq!(
            Segment::from_code("chronic_late"),
            Some(Segment::ChronicLate)
        );
        assert_eq!(Segment::Vip.tone(), ("personal", "personal_note"));
    }
}
