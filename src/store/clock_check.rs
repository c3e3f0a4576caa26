//! The clocks the store keeps (migrations/0021_dispute_clocks.sql) against domain::sla's full
//! measure, dispute by dispute: for `settle doctor` and the tests that hold the two together.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::disputes::{LINE_SQL, Row, lines};
use super::trust::dispute_facts;
use crate::domain::sla::{DisputeClocks, SlaClock};

/// One dispute whose kept clocks differ from the full measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockDiff {
    /// Its number (its id when the store keeps no clocks for it).
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

/// Every dispute's clocks at `now`, kept and measured in full (open and resolved alike).
pub async fn check_clocks(pool: &PgPool, now: DateTime<Utc>) -> Result<ClockCheck, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(LINE_SQL).fetch_all(pool).await?;
    let (facts, kept) = tokio::try_join!(
        dispute_facts(pool, DateTime::<Utc>::UNIX_EPOCH),
        lines(pool, rows, now)
    )?;
    let kept: HashMap<i64, (String, DisputeClocks)> = kept
        .into_iter()
        .map(|l| {
            let clocks = DisputeClocks {
                first_response: l.first_response,
                resolution: l.resolution,
            };
            (l.id, (l.number, clocks))
        })
        .collect();
    let mut differ = Vec::new();
    for f in &facts {
        let full = f.clocks(now);
        // A dispute the store keeps no clocks for shows as two empty clocks.
        let (number, kept) = kept.get(&f.id).cloned().unwrap_or_else(|| {
            let none = SlaClock::default();
            (
                format!("id {}", f.id),
                DisputeClocks {
                    first_response: none,
                    resolution: none,
                },
            )
        });
        if kept != full {
            differ.push(ClockDiff { number, kept, full });
        }
    }
    differ.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(ClockCheck {
        measured: facts.len(),
        differ,
    })
}
