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

/// What the publisher looks at: the change log's readable head, the store's clock when it was
/// read (a computation that starts after it covers the head), and the business day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub head: Cursor,
    pub polled_at: DateTime<Utc>,
    pub day: NaiveDate,
}

/// One look, one round trip.
pub async fn look(pool: &PgPool) -> Result<Look, StoreError> {
    let (xid, seq, polled_at, day): (Option<i64>, Option<i64>, DateTime<Utc>, NaiveDate) =
        sqlx::query_as(concat!(
            "SELECT h.xid, h.seq, clock_timestamp(), settle_today()",
            super::feed::from_readable_head!()
        ))
        .fetch_one(pool)
        .await?;
    Ok(Look {
        head: Cursor::read(xid, seq),
        polled_at,
        day,
    })
}

/// The tables changed after `from` up to `to` (the change log's cursors); None when more than
/// `scan` changes lie between (too many to look at).
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
