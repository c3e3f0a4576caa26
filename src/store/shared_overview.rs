//! The overview computed once for everyone (migration 0018): the worker publishes today's
//! overview with the change-log head it covers and the store's clock when it read that head;
//! consoles read it when it covers what they must show.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::feed::Cursor;

/// What the worker last published.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub day: NaiveDate,
    pub head: Cursor,
    /// Every change committed before this moment (the store's clock) is in the figures.
    pub polled_at: DateTime<Utc>,
    pub data: serde_json::Value,
    /// How long ago it was published, by the store's clock (0 when publishing).
    pub age_ms: i64,
}

/// The change log's readable head and the store's clock, read together: the point a
/// computation that starts after it covers.
pub async fn head_now(pool: &PgPool) -> Result<(Cursor, DateTime<Utc>), StoreError> {
    let (xid, seq, at): (Option<i64>, Option<i64>, DateTime<Utc>) = sqlx::query_as(
        "SELECT c.xid::text::bigint, c.seq, clock_timestamp()
           FROM (SELECT 1) one
           LEFT JOIN LATERAL (SELECT xid, seq FROM change_log
                               WHERE xid < pg_snapshot_xmin(pg_current_snapshot())
                               ORDER BY xid DESC, seq DESC LIMIT 1) c ON true",
    )
    .fetch_one(pool)
    .await?;
    let head = match (xid, seq) {
        (Some(xid), Some(seq)) => Cursor { xid, seq },
        _ => Cursor::default(),
    };
    Ok((head, at))
}

/// The tables changed after `from` up to `to` (the change log's cursors), at most `limit`
/// distinct ones; None when more changes than `scan` lie between (too many to look at).
pub async fn tables_changed(
    pool: &PgPool,
    from: Cursor,
    to: Cursor,
    scan: i64,
) -> Result<Option<Vec<String>>, StoreError> {
    let (seen, tables): (i64, Vec<String>) = sqlx::query_as(
        "SELECT count(*), coalesce(array_agg(DISTINCT tbl), '{}') FROM (
             SELECT tbl FROM change_log
              WHERE (xid, seq) > ($1::text::xid8, $2) AND (xid, seq) <= ($3::text::xid8, $4)
              ORDER BY xid, seq LIMIT $5) c",
    )
    .bind(from.xid)
    .bind(from.seq)
    .bind(to.xid)
    .bind(to.seq)
    .bind(scan + 1)
    .fetch_one(pool)
    .await?;
    Ok((seen <= scan).then_some(tables))
}

/// The store's clock now (after an action: the figures must have begun after it).
pub async fn store_clock(pool: &PgPool) -> Result<DateTime<Utc>, StoreError> {
    Ok(sqlx::query_scalar("SELECT clock_timestamp()")
        .fetch_one(pool)
        .await?)
}

/// The published overview, if any.
pub async fn read(pool: &PgPool) -> Result<Option<Published>, StoreError> {
    type Row = (NaiveDate, i64, i64, DateTime<Utc>, serde_json::Value, i64);
    let row: Option<Row> = sqlx::query_as(
        "SELECT day, head_xid, head_seq, polled_at, data,
                (extract(epoch FROM clock_timestamp() - polled_at) * 1000)::bigint
           FROM overview_snapshot",
    )
    .fetch_optional(pool)
    .await?;
    Ok(
        row.map(|(day, xid, seq, polled_at, data, age_ms)| Published {
            day,
            head: Cursor { xid, seq },
            polled_at,
            data,
            age_ms,
        }),
    )
}

/// Publishes an overview (the worker); false when a newer one is there already.
pub async fn publish(pool: &PgPool, p: &Published) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT publish_overview($1, $2, $3, $4, $5)")
            .bind(p.day)
            .bind(p.head.xid)
            .bind(p.head.seq)
            .bind(p.polled_at)
            .bind(&p.data)
            .fetch_one(pool)
            .await?,
    )
}
