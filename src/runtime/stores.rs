//! Where a console reads and writes. Actions and the live feed's cursor always go to the
//! primary; with `--read-url` the views read from a streaming replica, and a view is loaded
//! only once the replica has replayed everything the console knows was committed (the feed's
//! last look at the primary, the console's own last action), so a person never sees their own
//! change disappear or the feed announce a change the screen does not show.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::store::{self, StoreError};

/// How long a view load waits for the replica before it reads what the replica has.
const REPLICA_PATIENCE: Duration = Duration::from_secs(2);

/// The pools a console uses.
#[derive(Clone)]
pub struct Stores {
    pub primary: PgPool,
    pub replica: Option<Replica>,
    /// What a shared overview must cover to be shown (the feed's head, the last action).
    need: Arc<Mutex<Need>>,
    /// Views as last read, answered again while no change touches them (`store::kept`).
    pub kept: Arc<tokio::sync::Mutex<store::kept::KeptViews>>,
}

/// What the next view must show: the change-log head the feed last saw, and the store's clock
/// just after the console's own last action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Need {
    pub head: store::feed::Cursor,
    pub after: Option<DateTime<Utc>>,
}

impl Need {
    /// Whether figures computed from `head`, begun at `polled_at`, show all of it.
    pub fn met_by(&self, head: store::feed::Cursor, polled_at: DateTime<Utc>) -> bool {
        head >= self.head && self.after.is_none_or(|after| polled_at >= after)
    }
}

/// A streaming replica the views read from.
#[derive(Clone)]
pub struct Replica {
    pub pool: PgPool,
    /// The primary's WAL position (bytes) the next view must show.
    must_see: Arc<AtomicU64>,
}

impl Stores {
    /// Everything on one server.
    pub fn primary_only(primary: PgPool) -> Self {
        Stores {
            primary,
            replica: None,
            need: Arc::default(),
            kept: Arc::default(),
        }
    }

    /// Views from `replica`, the rest from `primary`.
    pub fn with_replica(primary: PgPool, replica: PgPool) -> Self {
        Stores {
            primary,
            replica: Some(Replica {
                pool: replica,
                must_see: Arc::new(AtomicU64::new(0)),
            }),
            need: Arc::default(),
            kept: Arc::default(),
        }
    }

    /// On `primary`, with the views on the replica at `read_url` when one is given.
    pub async fn open(primary: PgPool, read_url: Option<&str>) -> Result<Self, StoreError> {
        Ok(match read_url {
            Some(url) => Stores::with_replica(primary, store::pool(url, 4).await?),
            None => Stores::primary_only(primary),
        })
    }

    /// The next view must show at least what the primary had written at `wal`.
    pub fn must_see(&self, wal: u64) {
        if let Some(r) = &self.replica {
            r.must_see.fetch_max(wal, Ordering::Relaxed);
        }
    }

    /// The feed saw the change log's head at `head`: the next view must show it.
    pub fn saw_head(&self, head: store::feed::Cursor) {
        if let Ok(mut need) = self.need.lock() {
            need.head = need.head.max(head);
        }
    }

    /// What the next view must show.
    pub fn need(&self) -> Need {
        self.need.lock().map(|n| *n).unwrap_or_default()
    }

    /// After an action: the next view must show it (a shared overview begun after it, a
    /// replica that has replayed it).
    pub async fn after_action(&self) {
        match store::feed::commit_point(&self.primary).await {
            Ok((clock, wal)) => {
                if let Ok(mut need) = self.need.lock() {
                    need.after = Some(clock);
                }
                self.must_see(wal);
            }
            Err(e) => tracing::warn!("where the store stands after the action is unknown: {e}"),
        }
        // Kept views are read again: the action shows even while an open transaction
        // elsewhere holds the change log's readable head back.
        *self.kept.lock().await = store::kept::KeptViews::default();
    }

    /// The pool a view reads from: the primary, or the replica once it has replayed what the
    /// console must see (at most `REPLICA_PATIENCE`; then what it has, and the log says so).
    pub async fn for_views(&self) -> Result<&PgPool, StoreError> {
        let Some(r) = &self.replica else {
            return Ok(&self.primary);
        };
        let target = r.must_see.load(Ordering::Relaxed);
        let started = Instant::now();
        loop {
            let replayed = store::feed::replayed_wal(&r.pool).await?;
            if replayed >= target {
                return Ok(&r.pool);
            }
            if started.elapsed() >= REPLICA_PATIENCE {
                tracing::warn!(
                    "the replica is {} bytes behind after {} ms; showing what it has",
                    target - replayed,
                    REPLICA_PATIENCE.as_millis()
                );
                return Ok(&r.pool);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// How far behind the primary the replica is, in time: from the feed's looks at the
/// primary's WAL position, the age of the oldest position the replica has not replayed yet.
#[derive(Debug, Default)]
pub struct LagClock {
    seen: std::collections::VecDeque<(Instant, u64)>,
}

impl LagClock {
    /// Records a look at the primary (`wal`) and the replica (`replayed`); the lag now.
    pub fn observe(&mut self, now: Instant, wal: u64, replayed: u64) -> Duration {
        if self.seen.back().is_none_or(|(_, w)| *w < wal) {
            self.seen.push_back((now, wal));
        }
        while self.seen.front().is_some_and(|(_, w)| *w <= replayed) {
            self.seen.pop_front();
        }
        self.seen
            .front()
            .map_or(Duration::ZERO, |(at, _)| now.duration_since(*at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lag_is_the_age_of_the_oldest_position_not_replayed() {
        let t0 = Instant::now();
        let mut clock = LagClock::default();
        assert_eq!(clock.observe(t0, 100, 100), Duration::ZERO);
        // The primary moves on; the replica stays at 100 for a second and a half.
        assert_eq!(
            clock.observe(t0 + Duration::from_millis(500), 200, 100),
            Duration::ZERO
        );
        assert_eq!(
            clock.observe(t0 + Duration::from_millis(2000), 300, 100),
            Duration::from_millis(1500)
        );
        // It catches up with the first of them: the second is now the oldest.
        assert_eq!(
            clock.observe(t0 + Duration::from_millis(2100), 300, 200),
            Duration::from_millis(100)
        );
        assert_eq!(
            clock.observe(t0 + Duration::from_millis(2200), 300, 300),
            Duration::ZERO
        );
    }
}
