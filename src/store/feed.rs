//! The live feed: read the change log past a durable cursor `(xid, seq)`, up to the
//! snapshot's xmin, so a transaction that commits out of order is never skipped.

use sqlx::PgPool;

use super::StoreError;

/// Where a console has read the change log up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

/// The head of the visible log: where a console starts, and what it polls (one index
/// probe) to learn that something changed.
pub async fn tail(pool: &PgPool) -> Result<Cursor, StoreError> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        // Qualified names: the output column is also called xid, and ordering by it would
        // sort every row instead of reading the primary key backwards.
        "SELECT c.xid::text::bigint, c.seq FROM change_log c \
          WHERE c.xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY c.xid DESC, c.seq DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map_or(Cursor::default(), |(xid, seq)| Cursor { xid, seq }))
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
