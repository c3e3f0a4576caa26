//! The clocks the store keeps (migrations/0021_dispute_clocks.sql) against domain::sla's full
//! measure, dispute by dispute: for `settle doctor` and the tests that hold the two together.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::disputes::{LINE_SQL, Row, lines};
use super::trust::{calendars, state_changes};
use crate::domain::sla::{Clock, DisputeClocks, DisputeTimes, SlaClock, dispute_clocks};

/// One dispute whose kept clocks differ from the full measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockDiff {
    pub number: String,
    pub kept: DisputeClocks,
    pub full: DisputeClocks,
}

/// What the comparison found: how many disputes it measured both ways, and which differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockCheck {
    pub measured: usize,
    pub differ: Vec<ClockDiff>,
}

type Facts = (
    i64,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    i32,
    i32,
    Option<i32>,
);

/// Every dispute's clocks at `now`, kept and measured in full (open and resolved alike).
pub async fn check_clocks(pool: &PgPool, now: DateTime<Utc>) -> Result<ClockCheck, StoreError> {
    let facts: Vec<Facts> = sqlx::query_as(
        "SELECT d.id, d.number, d.opened_at, d.first_response_at, d.resolved_at,
                p.first_response_minutes, p.resolution_minutes, p.calendar_id
           FROM disputes d JOIN sla_policies p ON p.id = d.policy_id ORDER BY d.id",
    )
    .fetch_all(pool)
    .await?;
    let ids: Vec<i64> = facts.iter().map(|f| f.0).collect();
    let (changes, calendars) = tokio::try_join!(state_changes(pool, &ids), calendars(pool))?;
    let kept: std::collections::HashMap<i64, DisputeClocks> =
        lines(pool, every_line(pool).await?, now)
            .await?
            .into_iter()
            .map(|l| {
                let clocks = DisputeClocks {
                    first_response: l.first_response,
                    resolution: l.resolution,
                };
                (l.id, clocks)
            })
            .collect();
    let mut differ = Vec::new();
    for (id, number, opened_at, first_response_at, resolved_at, fr, res, cal) in &facts {
        let clock = cal.and_then(|c| calendars.get(&c)).unwrap_or(&Clock::Wall);
        let times = DisputeTimes {
            opened_at: *opened_at,
            first_response_at: *first_response_at,
            resolved_at: *resolved_at,
            changes: changes.get(id).map_or(&[][..], Vec::as_slice),
            first_response_minutes: i64::from(*fr),
            resolution_minutes: i64::from(*res),
        };
        let full = dispute_clocks(clock, &times, now);
        // A dispute the store keeps no clocks for shows as two empty clocks.
        let kept = kept.get(id).copied().unwrap_or(DisputeClocks {
            first_response: SlaClock::default(),
            resolution: SlaClock::default(),
        });
        if kept != full {
            differ.push(ClockDiff {
                number: number.clone(),
                kept,
                full,
            });
        }
    }
    Ok(ClockCheck {
        measured: facts.len(),
        differ,
    })
}

/// Every dispute's line (open and resolved).
async fn every_line(pool: &PgPool) -> Result<Vec<Row>, StoreError> {
    Ok(sqlx::query_as(LINE_SQL).fetch_all(pool).await?)
}
