//! The live feed: read the change log past a durable cursor `(xid, seq)`, up to the
//! snapshot's xmin, so a transaction that commits out of order is never skipped.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;

/// Where a console has read the change log up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cursor {
    pub xid: i64,
    pub seq: i64,
}

/// One committed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub table: String,
    pub key: i64,
    pub op: String,
}

/// What one poll of the feed sees: the head of the readable log, and how long the oldest
/// committed change that cannot be read yet has waited (a transaction left open somewhere
/// holds the snapshot's xmin back), if one waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Poll {
    pub head: Cursor,
    pub waiting_seconds: Option<i64>,
    /// The primary's WAL position at the poll (bytes): what a replica must have replayed to
    /// show everything the head covers.
    pub wal: u64,
}

/// `FROM` a one-row source joined to the head of the readable log as `h(xid, seq)` (both null
/// on an empty log): a backward index probe below the snapshot's xmin. Qualified names: the
/// output column is also called xid, and ordering by it would sort every row instead of
/// reading the primary key backwards.
macro_rules! from_readable_head {
    () => {
        " FROM (SELECT 1) one
           LEFT JOIN LATERAL (SELECT c.xid::text::bigint AS xid, c.seq FROM change_log c
                               WHERE c.xid < pg_snapshot_xmin(pg_current_snapshot())
                               ORDER BY c.xid DESC, c.seq DESC LIMIT 1) h ON true"
    };
}
pub(super) use from_readable_head;

impl Cursor {
    /// The cursor `from_readable_head!` read (the start of the log when it is empty).
    pub(super) fn read(xid: Option<i64>, seq: Option<i64>) -> Cursor {
        match (xid, seq) {
            (Some(xid), Some(seq)) => Cursor { xid, seq },
            _ => Cursor::default(),
        }
    }
}

/// One round trip, two index probes: the head below the snapshot's xmin (read backwards), and
/// the first change at or past it (read forwards).
pub async fn poll(pool: &PgPool) -> Result<Poll, StoreError> {
    let (xid, seq, waiting, wal): (Option<i64>, Option<i64>, Option<i64>, i64) =
        sqlx::query_as(concat!(
            "SELECT h.xid, h.seq,
                (SELECT extract(epoch FROM now() - w.at)::bigint FROM change_log w
                  WHERE w.xid >= pg_snapshot_xmin(pg_current_snapshot()) ORDER BY w.xid, w.seq LIMIT 1),
                (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint",
            from_readable_head!()
        ))
        .fetch_one(pool)
        .await?;
    Ok(Poll {
        head: Cursor::read(xid, seq),
        waiting_seconds: waiting.map(|s| s.max(0)),
        wal: wal.max(0).unsigned_abs(),
    })
}

/// Where the primary stands just after a commit: the store's clock (figures begun after it
/// show the commit) and its WAL position in bytes (a replica that has replayed that far has
/// it: the insert position, as with asynchronous commit a commit record may not be written
/// out yet). One round trip.
pub async fn commit_point(pool: &PgPool) -> Result<(DateTime<Utc>, u64), StoreError> {
    let (clock, wal): (DateTime<Utc>, i64) = sqlx::query_as(
        "SELECT clock_timestamp(), (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint",
    )
    .fetch_one(pool)
    .await?;
    Ok((clock, wal.max(0).unsigned_abs()))
}

/// How far a replica has replayed the primary's WAL (bytes); a server that is not in recovery
/// has everything (`u64::MAX`).
pub async fn replayed_wal(pool: &PgPool) -> Result<u64, StoreError> {
    let wal: Option<i64> =
        sqlx::query_scalar("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint")
            .fetch_one(pool)
            .await?;
    Ok(wal.map_or(u64::MAX, |w| w.max(0).unsigned_abs()))
}

/// The head of the visible log: where a console starts, and what it polls to learn that
/// something changed.
pub async fn tail(pool: &PgPool) -> Result<Cursor, StoreError> {
    Ok(poll(pool).await?.head)
}

/// Changes committed past `cursor` (at most `limit`), and the cursor after them.
pub async fn read_after(
    pool: &PgPool,
    cursor: Cursor,
    limit: i64,
) -> Result<(Vec<Change>, Cursor), StoreError> {
    let rows: Vec<(i64, i64, String, i64, String)> = sqlx::query_as(
        "SELECT c.xid::text::bigint, c.seq, c.tbl, c.key, c.op::text FROM change_log c \
          WHERE (c.xid, c.seq) > ($1::text::xid8, $2) AND c.xid < pg_snapshot_xmin(pg_current_snapshot()) \
          ORDER BY c.xid, c.seq LIMIT $3",
    )
    .bind(cursor.xid)
    .bind(cursor.seq)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let next = rows
        .last()
        .map_or(cursor, |r| Cursor { xid: r.0, seq: r.1 });
    Ok((
        rows.into_iter()
            .map(|(_, _, table, key, op)| Change { table, key, op })
            .collect(),
        next,
    ))
}

/// Changes that are committed but not yet readable: a transaction left open somewhere holds the
/// snapshot's xmin back, and every console's view with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBack {
    /// How long the oldest held-back change has waited, in seconds.
    pub seconds: i64,
    /// The oldest open transaction, as far as this role may see it: who, from what, how long.
    pub holder: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Holder {
    usename: Option<String>,
    application_name: Option<String>,
    open_seconds: Option<i64>,
}

/// Whether committed changes wait behind an open transaction, and whose.
pub async fn held_back(pool: &PgPool) -> Result<Option<HeldBack>, StoreError> {
    let Some(seconds) = poll(pool).await?.waiting_seconds else {
        return Ok(None);
    };
    Ok(Some(HeldBack {
        seconds,
        holder: holder(pool).await?,
    }))
}

/// The oldest open transaction in this database, as far as this role may see
/// `pg_stat_activity`: who, from what, for how long. Asked only while changes wait.
pub async fn holder(pool: &PgPool) -> Result<Option<String>, StoreError> {
    let holder: Option<Holder> = sqlx::query_as(
        "SELECT usename::text, application_name,
                extract(epoch FROM now() - xact_start)::bigint AS open_seconds
           FROM pg_stat_activity
          WHERE pid <> pg_backend_pid() AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)
            AND datname = current_database()
          ORDER BY xact_start NULLS LAST LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(holder.map(|h| {
        let who = h.usename.unwrap_or_else(|| "someone".into());
        let app = h
            .application_name
            .filter(|a| !a.is_empty())
            .map_or(String::new(), |a| format!(" ({a})"));
        match h.open_seconds {
            Some(s) => format!("a transaction by {who}{app}, open {s}s"),
            None => format!("a transaction by {who}{app}"),
        }
    }))
}
