//! The dispute queue as the console pages it: the clocks of every open dispute decide the
//! order (and `sla:` filters), but names, invoices and watchers are read only for the window
//! on screen. Filters on other fields and sorts on SQL columns take the whole-list path.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::disputes::{
    ClockInputs, LINE_SQL, Row, SlaFacts, lines_from, open_disputes, queue_key, wanted_sla,
};
use super::lists::ListQuery;
use super::trust::{calendars, open_state_changes};
use crate::domain::sla::{SlaClock, SlaState, worst_state};
use crate::lists::{Column, DisputeColumn, Sort};
use crate::model::{DisputeLine, Page};

/// One open dispute's clocks.
struct Clocks {
    id: i64,
    first_response: SlaClock,
    resolution: SlaClock,
}

/// The window `q` asks for of the open disputes matching it, and how many match in all.
pub async fn open_disputes_page(
    pool: &PgPool,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<Page<DisputeLine>, StoreError> {
    let sla = wanted_sla(&q.filter);
    let only_sla =
        q.filter.words.is_empty() && q.filter.predicates.iter().all(|p| p.field == "sla");
    let column = q
        .sort
        .and_then(|s| DisputeColumn::at(s.column).map(|c| (c, s.descending)));
    let by_sql = column.is_some_and(|(c, _)| matches!(c.spec().sort, Sort::Sql(_)));
    if !only_sla || by_sql {
        let all = open_disputes(pool, q, now).await?;
        return Ok(window(all, q));
    }
    let (mut clocks, inputs) = every_clock(pool, now).await?;
    if let Some(want) = sla {
        clocks.retain(|c| worst_state(&c.first_response, &c.resolution).label() == want);
    }
    let by = column.map(|(c, _)| c);
    clocks.sort_by_key(|c| queue_key(by, &c.first_response, &c.resolution, c.id));
    if column.is_some_and(|(_, descending)| descending) {
        clocks.reverse();
    }
    let total = clocks.len() as i64;
    let shown = window_range(clocks.len(), q);
    let start = shown.start;
    let ids: Vec<i64> = clocks[shown].iter().map(|c| c.id).collect();
    let mut shown = lines_from(rows_of(pool, &ids).await?, &inputs, now);
    shown.sort_by_key(|d| ids.iter().position(|&id| id == d.id));
    Ok(Page {
        rows: shown,
        total,
        offset: start as i64,
    })
}

/// The open disputes at risk or breached (the worse clock), as queue lines in no order: the
/// worklist's disputes. Every open dispute's clocks are measured; lines are read for these.
pub async fn disputes_not_ok(
    pool: &PgPool,
    now: DateTime<Utc>,
) -> Result<Vec<DisputeLine>, StoreError> {
    let (clocks, inputs) = every_clock(pool, now).await?;
    let ids: Vec<i64> = clocks
        .iter()
        .filter(|c| worst_state(&c.first_response, &c.resolution) != SlaState::Ok)
        .map(|c| c.id)
        .collect();
    Ok(lines_from(rows_of(pool, &ids).await?, &inputs, now))
}

/// The queue lines' rows of the disputes `ids`.
async fn rows_of(pool: &PgPool, ids: &[i64]) -> Result<Vec<Row>, StoreError> {
    Ok(sqlx::QueryBuilder::new(LINE_SQL)
        .push(" WHERE d.id = ANY(")
        .push_bind(ids)
        .push(")")
        .build_query_as()
        .fetch_all(pool)
        .await?)
}

/// Every open dispute's two clocks at `now`, from its times, policy and state changes only
/// (the three read side by side); and those inputs, for the lines shown.
async fn every_clock(
    pool: &PgPool,
    now: DateTime<Utc>,
) -> Result<(Vec<Clocks>, ClockInputs), StoreError> {
    let facts = sqlx::query_as::<_, SlaFacts>(
        "SELECT d.id, d.opened_at, d.first_response_at, d.resolved_at,
                s.first_response_minutes, s.resolution_minutes, s.calendar_id
           FROM disputes d JOIN sla_policies s ON s.id = d.policy_id
          WHERE d.state <> 'resolved'",
    )
    .fetch_all(pool);
    let facts = async { facts.await.map_err(StoreError::from) };
    let (rows, changes, calendars) =
        tokio::try_join!(facts, open_state_changes(pool), calendars(pool))?;
    let inputs = ClockInputs { changes, calendars };
    let clocks = rows
        .iter()
        .map(|r| {
            let (_, c) = inputs.measure(r, now);
            Clocks {
                id: r.id,
                first_response: c.first_response,
                resolution: c.resolution,
            }
        })
        .collect();
    Ok((clocks, inputs))
}

/// The window `q` asks for of a whole list.
fn window(all: Vec<DisputeLine>, q: &ListQuery) -> Page<DisputeLine> {
    let total = all.len() as i64;
    let shown = window_range(all.len(), q);
    Page {
        offset: shown.start as i64,
        rows: all
            .into_iter()
            .skip(shown.start)
            .take(shown.len())
            .collect(),
        total,
    }
}

/// The rows `q`'s offset and limit cover of `len`.
fn window_range(len: usize, q: &ListQuery) -> std::ops::Range<usize> {
    let start = usize::try_from(q.offset.max(0)).unwrap_or(0).min(len);
    let limit = usize::try_from(q.limit.max(0)).unwrap_or(0);
    start..start.saturating_add(limit).min(len)
}
