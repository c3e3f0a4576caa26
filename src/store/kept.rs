//! Answers kept with where the change log stood when they were read. A view no change since
//! has touched (by the tables the changes wrote) answers from what it kept, at the cost of one
//! look at the log: twenty consoles on `:disputes` while the ERP posts payments no longer read
//! the queue again after every payment. Tables outside the change log (profiles, owners,
//! presence, agents, settings) and the clock are caught up by age: nothing is kept longer than
//! `MAX_AGE_SECS`.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::feed::{Cursor, from_readable_head};
use super::lists::ListQuery;
use crate::model::{DisputeLine, Page};

/// The longest an answer is kept without being read again.
pub const MAX_AGE_SECS: i64 = 20;

/// The tables the change log covers (migration 0002's `log_change` triggers, 0026's on
/// notifications).
pub const LOGGED: [&str; 11] = [
    "customers",
    "invoices",
    "payments",
    "credit_notes",
    "allocations",
    "holds",
    "disputes",
    "dispute_events",
    "promises",
    "outreach",
    "notifications",
];

/// Whether changes to `changed` can touch what is read from `tables`: one of them, or a
/// table this code does not know (a later migration's).
pub fn touched(changed: &[String], tables: &[&str]) -> bool {
    changed
        .iter()
        .any(|t| tables.contains(&t.as_str()) || !LOGGED.contains(&t.as_str()))
}

/// The distinct tables changed past the cursor `($1, $2)` that are readable (below the
/// snapshot's xmin: up to `from_readable_head!`'s head in the same statement), when `$3`
/// (else none), as a column. The cursor is read through sub-selects, so the planner guesses
/// the range alike with the values and without: the store then keeps one plan for a look
/// instead of planning each (~3 ms of the look's 3.5 on the small demo book, every reload).
macro_rules! tables_changed_since {
    () => {
        "CASE WHEN $3 THEN array(SELECT DISTINCT c.tbl FROM change_log c
              WHERE (c.xid, c.seq) > ((SELECT $1::text::xid8), (SELECT $2::bigint))
                AND c.xid < pg_snapshot_xmin(pg_current_snapshot())) ELSE '{}' END"
    };
}
pub(super) use tables_changed_since;

/// The readable head of the change log, and the distinct tables changed past `since` up to
/// it (none asked when `since` is None), in one statement: the same snapshot, so the tables
/// are those of the changes the head covers.
pub async fn changed_since(
    pool: &PgPool,
    since: Option<Cursor>,
) -> Result<(Cursor, Vec<String>), StoreError> {
    let from = since.unwrap_or_default();
    let (xid, seq, changed): (Option<i64>, Option<i64>, Vec<String>) = sqlx::query_as(concat!(
        "SELECT h.xid, h.seq, ",
        tables_changed_since!(),
        from_readable_head!()
    ))
    .bind(from.xid)
    .bind(from.seq)
    .bind(since.is_some())
    .fetch_one(pool)
    .await?;
    Ok((Cursor::read(xid, seq), changed))
}

/// One answer kept for the question `K` (a console's last page of a list).
pub struct Kept<K, T> {
    kept: Option<KeptAnswer<K, T>>,
}

struct KeptAnswer<K, T> {
    asked: K,
    /// Every change up to here is in the answer.
    head: Cursor,
    read_at: DateTime<Utc>,
    answer: T,
}

impl<K, T> Default for Kept<K, T> {
    fn default() -> Self {
        Kept { kept: None }
    }
}

impl<K: PartialEq, T: Clone> Kept<K, T> {
    /// The answer to `asked` at `now`: the kept one when it answers the same question, is
    /// younger than `MAX_AGE_SECS` and no change since touched `tables`; else `read()`'s,
    /// kept. The second element says whether it was read.
    pub async fn answer<F, Fut>(
        &mut self,
        pool: &PgPool,
        asked: K,
        now: DateTime<Utc>,
        tables: &[&str],
        read: F,
    ) -> Result<(T, bool), StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let usable = self
            .kept
            .as_mut()
            .filter(|k| k.asked == asked && (now - k.read_at).num_seconds() < MAX_AGE_SECS);
        let since = usable.as_ref().map(|k| k.head);
        let (head, changed) = changed_since(pool, since).await?;
        if let Some(k) = usable
            && head >= k.head
            && !touched(&changed, tables)
        {
            // Nothing it reads changed up to the new head.
            k.head = head;
            return Ok((k.answer.clone(), false));
        }
        let answer = read().await?;
        self.kept = Some(KeptAnswer {
            asked,
            head,
            read_at: now,
            answer: answer.clone(),
        });
        Ok((answer, true))
    }
}

/// What a console keeps of its views between loads.
#[derive(Default)]
pub struct KeptViews {
    pub work: super::work_kept::WorkCache,
    pub disputes: Kept<ListQuery, Page<DisputeLine>>,
}
