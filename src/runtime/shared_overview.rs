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
use crate::store::shared_overview::{self as shared, Published};
use crate::store::{self, StoreError};

/// The worker looks at the change log this often.
pub const PACE: Duration = Duration::from_millis(200);

/// The worker recomputes at least this often, changes or not.
pub const REFRESH: Duration = Duration::from_secs(10);

/// Older than this, a published overview means no worker is publishing.
const STALE_MS: i64 = 30_000;

/// How long a console waits for the worker to publish what it must show.
const PATIENCE: Duration = Duration::from_millis(1500);

/// Whether the worker publishes what `params` ask for: today's overview, by due date, with the
/// default edges (other as-of dates and settings are computed by the console).
fn published_kind(params: &AgingParams, day: chrono::NaiveDate) -> bool {
    params.as_of == day && params.basis == Basis::Due && params.edges == BucketEdges::default()
}

/// The published overview if it answers `params` and covers `need`; None: compute it here.
pub async fn covered(pool: &PgPool, params: &AgingParams, need: Need) -> Option<OverviewData> {
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
        if published.age_ms > STALE_MS || !published_kind(params, published.day) {
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
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Computes today's overview and publishes it, covering the head read just before.
pub async fn publish(pool: &PgPool) -> Result<bool, StoreError> {
    let (head, polled_at) = shared::head_now(pool).await?;
    let now = Utc::now();
    let day = store::business_today(pool, now).await?;
    let params = AgingParams {
        as_of: day,
        basis: Basis::Due,
        edges: BucketEdges::default(),
    };
    let data = super::effects::overview(pool, &params, now).await?;
    let data = serde_json::to_value(&data)
        .map_err(|e| StoreError::Refused(format!("the overview does not serialise: {e}")))?;
    shared::publish(
        pool,
        &Published {
            day,
            head,
            polled_at,
            data,
            age_ms: 0,
        },
    )
    .await
}

/// The worker's publisher: every `PACE` it looks at the change log's head and the day, and
/// publishes when either moved or `REFRESH` has passed.
pub fn spawn_publisher(pool: PgPool, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last: Option<(store::feed::Cursor, chrono::NaiveDate)> = None;
        let mut published_at: Option<Instant> = None;
        while !stop.load(Ordering::Relaxed) {
            let looked = async {
                let (head, _) = shared::head_now(&pool).await?;
                let day = store::business_today(&pool, Utc::now()).await?;
                Ok::<_, StoreError>((head, day))
            };
            match looked.await {
                Ok(now) => {
                    let due = published_at.is_none_or(|t| t.elapsed() >= REFRESH);
                    if last != Some(now) || due {
                        match publish(&pool).await {
                            Ok(_) => {
                                last = Some(now);
                                published_at = Some(Instant::now());
                            }
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
