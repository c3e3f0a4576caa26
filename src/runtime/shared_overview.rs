//! The overview computed once for everyone. The worker computes today's overview whenever the
//! change log moves (at most every `PACE`, and every `REFRESH` anyway: the SLA clocks run) and
//! publishes it (`store::shared_overview`); a console on today's overview shows the published
//! one when it covers what that console must show, waiting up to `PATIENCE` for the worker to
//! catch up, and computes the overview itself when no worker publishes or the wait runs out.
//! Two hundred consoles then cost the store one computation per change, not two hundred.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::PgPool;

use super::stores::Need;
use crate::app::state::{AgingParams, OverviewData};
use crate::domain::aging::{Basis, BucketEdges};
use crate::store::shared_overview::{self as shared, Look, Published};
use crate::store::{self, StoreError};

/// The worker looks at the change log this often.
pub const PACE: Duration = Duration::from_millis(120);

/// The worker recomputes at least this often, changes or not.
pub const REFRESH: Duration = Duration::from_secs(10);

/// Older than this, a published overview means no worker is publishing.
const STALE_MS: i64 = 30_000;

/// How long a console waits for the worker to publish what it must show.
const PATIENCE: Duration = Duration::from_millis(1500);

/// What the worker publishes for `day`: that day's overview, by due date, with the default
/// edges (other as-of dates and settings are computed by the console).
fn published_params(day: chrono::NaiveDate) -> AgingParams {
    AgingParams {
        as_of: day,
        basis: Basis::Due,
        edges: BucketEdges::default(),
    }
}

/// The published overview if it answers `params` and covers `need`; None: compute it here.
/// The time spent waiting for the worker to publish is added to `waited`.
pub async fn covered(
    pool: &PgPool,
    params: &AgingParams,
    need: Need,
    waited: &mut Duration,
) -> Option<OverviewData> {
    let started = Instant::now();
    loop {
        let published = match shared::read(pool).await {
            Ok(Some(p)) => p,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!("reading the shared overview: {e}");
                return None;
            }
        };
        if published.age_ms > STALE_MS || *params != published_params(published.day) {
            return None;
        }
        if need.met_by(published.head, published.polled_at) {
            return match serde_json::from_value(published.data) {
                Ok(data) => Some(data),
                Err(e) => {
                    tracing::warn!("the shared overview does not read: {e}");
                    None
                }
            };
        }
        if started.elapsed() >= PATIENCE {
            tracing::info!("the shared overview is behind; computing it here");
            return None;
        }
        let nap = Duration::from_millis(60);
        tokio::time::sleep(nap).await;
        *waited += nap;
    }
}

/// Which of the overview's figures a change to a table can move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Touched {
    /// The aging and the KPIs.
    pub money: bool,
    /// The trust metrics and the alerts.
    pub work: bool,
}

impl Touched {
    pub const ALL: Touched = Touched {
        money: true,
        work: true,
    };

    /// What a change to `table` can move (a table this does not know moves everything).
    pub fn by(table: &str) -> Touched {
        match table {
            "invoices" | "payments" | "allocations" | "credit_notes" => Touched {
                money: true,
                work: false,
            },
            "disputes" | "dispute_events" | "holds" | "outreach" | "promises" => Touched {
                money: false,
                work: true,
            },
            // A person's notes and tasks: no figure on the overview reads them.
            "notifications" => Touched::default(),
            _ => Touched::ALL,
        }
    }

    /// What changes to all of `tables` can move.
    pub fn by_all<S: AsRef<str>>(tables: &[S]) -> Touched {
        tables.iter().fold(Touched::default(), |t, table| {
            let more = Touched::by(table.as_ref());
            Touched {
                money: t.money || more.money,
                work: t.work || more.work,
            }
        })
    }
}

/// What the publisher published last: the figures, and what they cover.
#[derive(Debug, Clone)]
pub struct Last {
    pub head: store::feed::Cursor,
    pub day: chrono::NaiveDate,
    pub data: OverviewData,
    pub at: Instant,
}

/// Computes the overview for the day `looked` saw and publishes it, covering the head it read
/// (the look comes first). With the last one published the same day and less than `REFRESH`
/// ago, only the figures the changes since touched are computed again (a payment leaves the
/// disputes' clocks alone).
pub async fn publish_after(
    pool: &PgPool,
    looked: Look,
    last: Option<&Last>,
) -> Result<Last, StoreError> {
    let Look {
        head,
        polled_at,
        day,
    } = looked;
    let now = Utc::now();
    let params = published_params(day);
    let touched = match last {
        Some(l) if l.day == day && l.at.elapsed() < REFRESH => {
            shared::tables_changed(pool, l.head, head, 100_000)
                .await?
                .map_or(Touched::ALL, |tables| Touched::by_all(&tables))
        }
        _ => Touched::ALL,
    };
    let data = match last {
        Some(l) if touched != Touched::ALL => {
            let mut data = l.data.clone();
            if touched.money {
                (data.aging, data.kpis) = super::effects::overview_money(pool, &params).await?;
            }
            if touched.work {
                (data.trust, data.alerts) = super::effects::overview_work(pool, now).await?;
            }
            data
        }
        _ => super::effects::overview(pool, &params, now).await?,
    };
    let json = serde_json::to_value(&data)
        .map_err(|e| StoreError::Refused(format!("the overview does not serialise: {e}")))?;
    shared::publish(
        pool,
        &Published {
            day,
            head,
            polled_at,
            data: json,
            age_ms: 0,
        },
    )
    .await?;
    // A refresh of everything restarts the clock; a partial one keeps the last full one's.
    let at = match last {
        Some(l) if touched != Touched::ALL => l.at,
        _ => Instant::now(),
    };
    Ok(Last {
        head,
        day,
        data,
        at,
    })
}

/// Computes today's whole overview and publishes it (`settle worker --once`, tests).
pub async fn publish(pool: &PgPool) -> Result<bool, StoreError> {
    let looked = shared::look(pool).await?;
    publish_after(pool, looked, None).await.map(|_| true)
}

/// The worker's publisher: every `PACE` it looks at the change log's head and the day, and
/// publishes when either moved or `REFRESH` has passed since everything was computed.
pub fn spawn_publisher(pool: PgPool, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last: Option<Last> = None;
        while !stop.load(Ordering::Relaxed) {
            match shared::look(&pool).await {
                Ok(looked) => {
                    let moved = last.as_ref().is_none_or(|l| {
                        l.head != looked.head || l.day != looked.day || l.at.elapsed() >= REFRESH
                    });
                    if moved {
                        match publish_after(&pool, looked, last.as_ref()).await {
                            Ok(published) => last = Some(published),
                            Err(e) => tracing::warn!("publishing the overview failed: {e}"),
                        }
                    }
                }
                Err(e) => tracing::warn!("the worker cannot see the change log: {e}"),
            }
            tokio::time::sleep(PACE).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_moves_the_money_figures_and_a_dispute_the_work_ones() {
        assert_eq!(
            Touched::by_all(&["payments", "allocations", "invoices"]),
            Touched {
                money: true,
                work: false
            }
        );
        assert_eq!(
            Touched::by_all(&["disputes", "dispute_events"]),
            Touched {
                money: false,
                work: true
            }
        );
        assert_eq!(Touched::by_all(&["payments", "holds"]), Touched::ALL);
        assert_eq!(Touched::by_all(&["customers"]), Touched::ALL);
        assert_eq!(Touched::by_all::<&str>(&[]), Touched::default());
    }
}
