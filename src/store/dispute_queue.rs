//! The dispute queue as the console pages it: the clocks of every open dispute the filter
//! matches decide the order (and `sla:` filters), each from what the store keeps of it, but
//! names, invoices and watchers are read only for the window on screen. Sorted by a column
//! SQL holds, the queue is paged in SQL; with an `sla:` filter too, the whole list is built.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, QueryBuilder};

use super::StoreError;
use super::disputes::{
    ClockInputs, DISPUTE_FIELDS, DISPUTE_TEXT, DISPUTE_VIEW, KEPT_FROM, Kept, KeptArrays, LINE_SQL,
    Row, line_from, lines, lines_by_id, lines_from, open_disputes, queue_key, wanted_sla,
};
use super::lists::{ListQuery, count_sql, page_and_count, push_filter};
use crate::domain::sla::{SlaClock, SlaState, worst_state};
use crate::lists::{Column, DisputeColumn, Sort};
use crate::model::{DisputeLine, Page};

/// One open dispute's clocks.
struct Clocks {
    id: i64,
    first_response: SlaClock,
    resolution: SlaClock,
}

/// The logged tables whose changes can change a queue page: the disputes, their events (the
/// kept clocks) and their customers (the invoice is read for its number, which never changes).
pub const TOUCHED_BY: &[&str] = &["disputes", "dispute_events", "customers"];

/// The window `q` asks for of the open disputes matching it, and how many match in all.
pub async fn open_disputes_page(
    pool: &PgPool,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<Page<DisputeLine>, StoreError> {
    let sla = wanted_sla(&q.filter);
    let column = q
        .sort
        .and_then(|s| DisputeColumn::at(s.column).map(|c| (c, s.descending)));
    let by_sql = column.is_some_and(|(c, _)| matches!(c.spec().sort, Sort::Sql(_)));
    if by_sql {
        if sla.is_some() {
            let all = open_disputes(pool, q, now).await?;
            return Ok(window(all, q));
        }
        return sql_page(pool, q, now).await;
    }
    let (mut clocks, kept, inputs) = every_clock(pool, q, now).await?;
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
    let mut shown = lines_from(
        rows_of(pool, &ids, DisputesFor::Everyone).await?,
        &kept,
        &inputs,
    )?;
    shown.sort_by_key(|d| ids.iter().position(|&id| id == d.id));
    Ok(Page {
        rows: shown,
        total,
        offset: start as i64,
    })
}

/// Whose disputes the worklist may keep: its lines are read for those only (the worklist's own
/// rule, store::work, still decides; this is never narrower than it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputesFor<'a> {
    /// A lead's whole worklist: every dispute.
    Everyone,
    /// `owner:x`: the disputes assigned to that role.
    AssignedTo(&'a str),
    /// A collector's own worklist: assigned to them, or to nobody on a customer no other
    /// collector collects.
    Collector(&'a str),
}

/// The open disputes at risk or breached (the worse clock), as queue lines in no order: the
/// worklist's disputes. Every open dispute's clocks are measured; lines are read for these.
pub async fn disputes_not_ok(
    pool: &PgPool,
    now: DateTime<Utc>,
    whose: DisputesFor<'_>,
) -> Result<Vec<DisputeLine>, StoreError> {
    let (clocks, kept, inputs) = every_clock(pool, &ListQuery::default(), now).await?;
    let ids: Vec<i64> = clocks
        .iter()
        .filter(|c| worst_state(&c.first_response, &c.resolution) != SlaState::Ok)
        .map(|c| c.id)
        .collect();
    lines_from(rows_of(pool, &ids, whose).await?, &kept, &inputs)
}

/// From how many ids lines are read by `lines_by_id`: a page's window (70 at most) plans and
/// runs faster on `LINE_SQL` (0.3 ms less on the small demo store), a lead's worklist (767
/// disputes on the large one) on `lines_by_id` (its dispute lines 16 → 13 ms).
const MANY_IDS: usize = 100;

/// The queue lines' rows of the disputes `ids`, of those `whose` names.
async fn rows_of(
    pool: &PgPool,
    ids: &[i64],
    whose: DisputesFor<'_>,
) -> Result<Vec<Row>, StoreError> {
    let mut qb = if ids.len() > MANY_IDS {
        lines_by_id(ids)
    } else {
        let mut qb = QueryBuilder::new(LINE_SQL);
        qb.push(" WHERE d.id = ANY(").push_bind(ids).push(")");
        qb
    };
    match whose {
        DisputesFor::Everyone => {}
        DisputesFor::AssignedTo(role) => {
            qb.push(" AND a.role_name = ").push_bind(role.to_string());
        }
        DisputesFor::Collector(role) => {
            qb.push(" AND (a.role_name = ")
                .push_bind(role.to_string())
                .push(
                    " OR (d.assignee_id IS NULL AND NOT EXISTS (
                        SELECT 1 FROM customer_owners co JOIN agents oa ON oa.id = co.agent_id
                         WHERE co.customer_id = d.customer_id AND co.relation = 'collector'
                           AND oa.role_name <> ",
                )
                .push_bind(role.to_string())
                .push(")))");
        }
    }
    Ok(qb.build_query_as().fetch_all(pool).await?)
}

/// Sorted by a column SQL holds (no `sla:` filter): the page and the count from SQL, the
/// clocks of the page's disputes only.
async fn sql_page(
    pool: &PgPool,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<Page<DisputeLine>, StoreError> {
    let mut page = QueryBuilder::new(LINE_SQL);
    page.push(" WHERE d.state <> 'resolved'");
    // Every dispute has its customer, invoice and policy.
    let count_sql = count_sql(
        q,
        "FROM disputes d WHERE d.state <> 'resolved'",
        concat!(line_from!(), " WHERE d.state <> 'resolved'"),
    );
    let (rows, total): (Vec<Row>, i64) =
        page_and_count(pool, page, &count_sql, q, &DISPUTE_VIEW).await?;
    Ok(Page {
        rows: lines(pool, rows, now).await?,
        total,
        offset: q.offset,
    })
}

/// The two clocks at `now` of every open dispute `q`'s filter matches (its `sla:` aside),
/// from what the store keeps of them; and what they were measured from, for the lines
/// shown. Unfiltered, they are read without the lines' joins.
async fn every_clock(
    pool: &PgPool,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<(Vec<Clocks>, Vec<Kept>, ClockInputs), StoreError> {
    let mut filter = q.filter.clone();
    filter.predicates.retain(|p| p.field != "sla");
    let mut qb = KeptArrays::query();
    if filter.is_empty() {
        qb.push(KEPT_FROM).push(" WHERE k.open");
    } else if filter.words.is_empty()
        && filter
            .predicates
            .iter()
            .all(|p| DISPUTE_OWN_FIELDS.contains(&p.field.as_str()))
    {
        // Only the dispute's own columns filter: no line tables.
        qb.push(KEPT_FROM)
            .push(" JOIN disputes d ON d.id = k.dispute_id WHERE k.open");
        push_filter(&mut qb, &filter, DISPUTE_FIELDS, DISPUTE_TEXT, &q.me)?;
    } else {
        qb.push(concat!(
            " ",
            line_from!(),
            " JOIN dispute_clocks k ON k.dispute_id = d.id WHERE d.state <> 'resolved'"
        ));
        push_filter(&mut qb, &filter, DISPUTE_FIELDS, DISPUTE_TEXT, &q.me)?;
    }
    let kept = KeptArrays::fetch(qb, pool);
    let (kept, inputs) = tokio::try_join!(kept, ClockInputs::read(pool, now))?;
    let clocks = kept
        .iter()
        .map(|k| {
            let (_, first_response, resolution) = inputs.measure(k)?;
            Ok(Clocks {
                id: k.id,
                first_response,
                resolution,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((clocks, kept, inputs))
}

/// The filter fields read from the dispute's own row (`d`).
const DISPUTE_OWN_FIELDS: [&str; 4] = ["state", "category", "amount", "age"];

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
