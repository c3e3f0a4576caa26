//! Trust metrics (DOMAIN.md "Trust metrics"): how customers are treated, over a window.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::kpi::Hundredths;
use super::rhythm::percentile;
use super::sla::{
    Clock, DisputeClocks, DisputeTimes, SlaState, StateChange, dispute_clocks, worst_state,
};

/// A dispute as the trust metrics need it.
#[derive(Debug, Clone)]
pub struct DisputeFacts {
    pub id: i64,
    pub opened_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub changes: Vec<StateChange>,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub clock: Clock,
}

impl DisputeFacts {
    /// Both clocks at `now`, measured in full (the definition the store's kept clocks are held
    /// to).
    pub fn clocks(&self, now: DateTime<Utc>) -> DisputeClocks {
        let times = DisputeTimes {
            opened_at: self.opened_at,
            first_response_at: self.first_response_at,
            resolved_at: self.resolved_at,
            changes: &self.changes,
            first_response_minutes: self.first_response_minutes,
            resolution_minutes: self.resolution_minutes,
        };
        dispute_clocks(&self.clock, &times, now)
    }

    /// The dispute as the metrics read it, its clocks measured in full at `now`.
    pub fn measured(&self, now: DateTime<Utc>) -> MeasuredDispute {
        MeasuredDispute {
            id: self.id,
            opened_at: self.opened_at,
            first_response_at: self.first_response_at,
            resolved_at: self.resolved_at,
            clocks: self.clocks(now),
        }
    }
}

/// A dispute's times and both its clocks at the moment the metrics are taken: measured in full
/// from its state changes (`DisputeFacts::measured`) or read from what the store keeps of them
/// (`store::trust::measured_disputes`); the two are held equal by tests and `settle doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeasuredDispute {
    pub id: i64,
    pub opened_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub clocks: DisputeClocks,
}

/// How many unresolved disputes stand breached and how many at risk, by the worse of their two
/// clocks (the dispute queue's rule): what the overview's alerts count.
pub fn open_dispute_states(disputes: &[MeasuredDispute]) -> (usize, usize) {
    let mut counts = (0, 0);
    for d in disputes.iter().filter(|d| d.resolved_at.is_none()) {
        let c = &d.clocks;
        match worst_state(&c.first_response, &c.resolution) {
            SlaState::Breached => counts.0 += 1,
            SlaState::AtRisk => counts.1 += 1,
            _ => {}
        }
    }
    counts
}

/// A hold that cleared (every blocking invoice paid).
#[derive(Debug, Clone, Copy)]
pub struct HoldFacts {
    pub cleared_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
    pub lag_target_minutes: i64,
}

/// Median and p90 of a set of durations in minutes, and how many there were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Spread {
    pub count: usize,
    pub median_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
}

impl Spread {
    fn of(mut values: Vec<i64>) -> Spread {
        values.sort_unstable();
        Spread {
            count: values.len(),
            median_minutes: percentile(&values, 0.5),
            p90_minutes: percentile(&values, 0.9),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TrustMetrics {
    pub window_days: i64,
    /// First response, on each dispute's SLA clock (paused time excluded), for responses in the window.
    pub first_response: Spread,
    /// Resolution, on each dispute's SLA clock, for resolutions in the window.
    pub resolution: Spread,
    /// Disputes opened in the window that breached either clock, of all opened in it.
    pub disputes_breached: usize,
    pub disputes_opened: usize,
    pub breach_rate_percent: Option<Hundredths>,
    /// Breach rate above 10 %.
    pub breach_alert: bool,
    /// Unresolved disputes opened more than 7 days ago.
    pub unresolved_over_7_days: usize,
    /// Holds cleared in the window and settled (released, or past their lag target): how many
    /// were released within the release-lag SLA.
    pub holds_measured: usize,
    pub holds_within_sla: usize,
    pub holds_within_sla_percent: Option<Hundredths>,
    /// Median minutes from clearing to release, over holds released.
    pub median_release_lag_minutes: Option<i64>,
}

pub fn trust_metrics(
    now: DateTime<Utc>,
    window_days: i64,
    disputes: &[MeasuredDispute],
    holds: &[HoldFacts],
) -> TrustMetrics {
    let since = now - Duration::days(window_days);
    let in_window = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t >= since && t <= now);
    let mut first = Vec::new();
    let mut resolved = Vec::new();
    let (mut opened, mut breached, mut stale) = (0, 0, 0);
    for d in disputes {
        let clocks = &d.clocks;
        if in_window(d.first_response_at) {
            first.push(clocks.first_response.elapsed_minutes);
        }
        if in_window(d.resolved_at) {
            resolved.push(clocks.resolution.elapsed_minutes);
        }
        if in_window(Some(d.opened_at)) {
            opened += 1;
            if clocks.first_response.state() == SlaState::Breached
                || clocks.resolution.state() == SlaState::Breached
            {
                breached += 1;
            }
        }
        if d.resolved_at.is_none() && d.opened_at < now - Duration::days(7) {
            stale += 1;
        }
    }
    let mut lags = Vec::new();
    let (mut measured, mut within) = (0, 0);
    for h in holds.iter().filter(|h| in_window(Some(h.cleared_at))) {
        let lag = (h.released_at.unwrap_or(now) - h.cleared_at).num_minutes();
        if let Some(released) = h.released_at {
            lags.push((released - h.cleared_at).num_minutes());
        }
        if h.released_at.is_some() || lag > h.lag_target_minutes {
            measured += 1;
            if h.released_at.is_some() && lag <= h.lag_target_minutes {
                within += 1;
            }
        }
    }
    lags.sort_unstable();
    let rate = Hundredths::ratio(breached as i128 * 100, opened as i128);
    TrustMetrics {
        window_days,
        first_response: Spread::of(first),
        resolution: Spread::of(resolved),
        disputes_breached: breached,
        disputes_opened: opened,
        breach_rate_percent: rate,
        breach_alert: rate.is_some_and(|r| r.0 > 1000),
        unresolved_over_7_days: stale,
        holds_measured: measured,
        holds_within_sla: within,
        holds_within_sla_percent: Hundredths::ratio(within as i128 * 100, measured as i128),
        median_release_lag_minutes: percentile(&lags, 0.5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn dispute(opened: &str, responded: Option<&str>, resolved: Option<&str>) -> DisputeFacts {
        DisputeFacts {
            id: 1,
            opened_at: t(opened),
            first_response_at: responded.map(t),
            resolved_at: resolved.map(t),
            changes: vec![],
            first_response_minutes: 60,
            resolution_minutes: 600,
            clock: Clock::Wall,
        }
    }

    #[test]
    fn open_disputes_count_by_their_worse_clock() {
        let now = t("2026-11-20T12:00:00Z");
        let disputes = [
            // Unanswered for 11 hours of a 1-hour response: breached.
            dispute("2026-11-20T01:00:00Z", None, None),
            // Answered; 9 hours 15 minutes of a 10-hour resolution: at risk.
            dispute("2026-11-20T02:45:00Z", Some("2026-11-20T03:00:00Z"), None),
            // Just opened: ok.
            dispute("2026-11-20T11:55:00Z", None, None),
            // Resolved long ago, late: not counted.
            dispute("2026-11-10T00:00:00Z", None, Some("2026-11-12T00:00:00Z")),
        ];
        let measured: Vec<_> = disputes.iter().map(|d| d.measured(now)).collect();
        assert_eq!(open_dispute_states(&measured), (1, 1));
    }

    #[test]
    fn metrics_count_what_the_window_holds() {
        let now = t("2026-11-20T12:00:00Z");
        let disputes = [
            dispute(
                "2026-11-19T00:00:00Z",
                Some("2026-11-19T00:30:00Z"),
                Some("2026-11-19T05:00:00Z"),
            ),
            dispute("2026-11-18T00:00:00Z", Some("2026-11-18T02:00:00Z"), None), // both clocks breached
            dispute("2026-11-20T11:30:00Z", None, None),
            dispute("2026-11-01T00:00:00Z", Some("2026-11-01T00:10:00Z"), None), // unresolved for 19 days
            dispute(
                "2026-09-01T00:00:00Z",
                Some("2026-09-01T00:10:00Z"),
                Some("2026-09-02T00:00:00Z"),
            ), // outside
        ];
        let holds = [
            HoldFacts {
                cleared_at: t("2026-11-19T10:00:00Z"),
                released_at: Some(t("2026-11-19T11:00:00Z")),
                lag_target_minutes: 240,
            },
            HoldFacts {
                cleared_at: t("2026-11-19T10:00:00Z"),
                released_at: Some(t("2026-11-19T20:00:00Z")),
                lag_target_minutes: 240,
            },
            HoldFacts {
                cleared_at: t("2026-11-20T11:00:00Z"),
                released_at: None,
                lag_target_minutes: 240,
            }, // not due yet
            HoldFacts {
                cleared_at: t("2026-11-19T00:00:00Z"),
                released_at: None,
                lag_target_minutes: 240,
            }, // still held, late
        ];
        let measured: Vec<_> = disputes.iter().map(|d| d.measured(now)).collect();
        let m = trust_metrics(now, 30, &measured, &holds);
        assert_eq!(
            m.first_response,
            Spread {
                count: 3,
                median_minutes: Some(30),
                p90_minutes: Some(120)
            }
        );
        assert_eq!(
            m.resolution,
            Spread {
                count: 1,
                median_minutes: Some(300),
                p90_minutes: Some(300)
            }
        );
        assert_eq!((m.disputes_opened, m.disputes_breached), (4, 2));
        assert_eq!(m.breach_rate_percent, Some(Hundredths(5000)));
        assert!(m.breach_alert);
        assert_eq!(m.unresolved_over_7_days, 1);
        assert_eq!((m.holds_measured, m.holds_within_sla), (3, 1));
        assert_eq!(m.holds_within_sla_percent, Some(Hundredths(3333)));
        assert_eq!(m.median_release_lag_minutes, Some(60));
    }

    #[test]
    fn an_empty_window_has_no_rates_rather_than_nonsense() {
        let m = trust_metrics(t("2026-11-20T12:00:00Z"), 30, &[], &[]);
        assert_eq!(
            (
                m.breach_rate_percent,
                m.holds_within_sla_percent,
                m.breach_alert
            ),
            (None, None, false)
        );
    }
}
