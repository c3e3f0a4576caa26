//! The dispute queue as the console pages it: filtered, ordered and windowed in SQL on the
//! clocks the store keeps, only the window's lines read.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::disputes::{
    DISPUTE_FIELDS, DISPUTE_TEXT, DISPUTE_VIEW, LINE_SELECT, read_lines, with_clocks,
};
use super::lists::{ListQuery, push_filter};
use crate::model::{DisputeLine, Page};

/// The window `q` asks for of the open disputes matching it, and how many match in all.
pub async fn open_disputes_page(
    pool: &PgPool,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<Page<DisputeLine>, StoreError> {
    let mut page = with_clocks(now, LINE_SELECT);
    page.push(" WHERE d.state <> 'resolved'");
    DISPUTE_VIEW.filter_sort_page(&mut page, q)?;
    let (rows, total) = tokio::try_join!(read_lines(pool, page, now), count(pool, q, now))?;
    Ok(Page {
        rows,
        total,
        offset: q.offset,
    })
}

/// How many open disputes `q`'s filter matches: from the disputes alone when nothing filters.
async fn count(pool: &PgPool, q: &ListQuery, now: DateTime<Utc>) -> Result<i64, StoreError> {
    if q.filter.is_empty() {
        return Ok(sqlx::query_scalar(
            "SELECT count(*) FROM disputes d WHERE d.state <> 'resolved'",
        )
        .fetch_one(pool)
        .await?);
    }
    let mut qb = with_clocks(now, "SELECT count(*) ");
    qb.push(" WHERE d.state <> 'resolved'");
    push_filter(&mut qb, &q.filter, DISPUTE_FIELDS, DISPUTE_TEXT, &q.me)?;
    Ok(qb.build_query_scalar().fetch_one(pool).await?)
}

/// The open disputes at risk or breached (the worse clock), as queue lines in no order: the
/// worklist's disputes.
pub async fn disputes_not_ok(
    pool: &PgPool,
    now: DateTime<Utc>,
) -> Result<Vec<DisputeLine>, StoreError> {
    let mut qb = with_clocks(now, LINE_SELECT);
    qb.push(" WHERE d.state <> 'resolved' AND k.sla < 2");
    read_lines(pool, qb, now).await
}
