//! Loading what SLA clocks and trust metrics need: calendars, disputes with their state
//! changes (the full measure: reports, `settle doctor`) or with the clocks the store keeps
//! (the overview), cleared holds.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::disputes::{ClockInputs, KEPT_FROM, KeptArrays};
use crate::domain::sla::{BusinessCalendar, Clock, DisputeClocks, StateChange};
use crate::domain::trust::{DisputeFacts, HoldFacts, MeasuredDispute, TrustMetrics, trust_metrics};

/// Every business calendar, by id, with its holidays (one round trip: the queue and the
/// worklist ask for them on every load).
pub async fn calendars(pool: &PgPool) -> Result<BTreeMap<i32, Clock>, StoreError> {
    type CalendarRow = (i32, String, Vec<i16>, NaiveTime, NaiveTime, Vec<NaiveDate>);
    let rows: Vec<CalendarRow> = sqlx::query_as(
        "SELECT b.id, b.time_zone, b.work_days, b.day_start, b.day_end,
                array(SELECT h.day FROM calendar_holidays h WHERE h.calendar_id = b.id)
           FROM business_calendars b",
    )
    .fetch_all(pool)
    .await?;
    let mut out = BTreeMap::new();
    for (id, zone, days, start, end, holidays) in rows {
        let tz = zone.parse().map_err(|_| {
            StoreError::Refused(format!("calendar {id}: `{zone}` is not a time zone"))
        })?;
        let holidays: BTreeSet<NaiveDate> = holidays.into_iter().collect();
        let work_days = days.into_iter().map(|d| d as u32).collect();
        out.insert(
            id,
            Clock::Business(BusinessCalendar::new(tz, work_days, start, end, holidays)),
        );
    }
    Ok(out)
}

/// Each dispute's state changes, in order: what its SLA clocks pause on.
pub async fn state_changes(
    pool: &PgPool,
    ids: &[i64],
) -> Result<BTreeMap<i64, Vec<StateChange>>, StoreError> {
    // Joined from `unnest`: `dispute_id = ANY($1)` had the planner weigh each of the 2,098
    // disputes a 30-day trust reading asks about apart (2.9 ms of planning) and then scan
    // the table (4.5 ms; 2.6 through the state index).
    let events: Vec<(i64, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT e.dispute_id, e.at, e.to_state FROM unnest($1::bigint[]) AS want(id)
           JOIN dispute_events e ON e.dispute_id = want.id
          WHERE e.kind = 'state' AND e.to_state IS NOT NULL ORDER BY e.dispute_id, e.at, e.id",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(by_dispute(events))
}

fn by_dispute(events: Vec<(i64, DateTime<Utc>, String)>) -> BTreeMap<i64, Vec<StateChange>> {
    let mut changes: BTreeMap<i64, Vec<StateChange>> = BTreeMap::new();
    for (id, at, to) in events {
        changes.entry(id).or_default().push(StateChange { at, to });
    }
    changes
}

type DisputeRow = (
    i64,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    i32,
    i32,
    Option<i32>,
);

/// The disputes the trust metrics read (`$1`: the window's start): every unresolved one, and
/// those opened, answered or resolved since.
const TRUST_SET: &str = "d.state <> 'resolved' OR d.opened_at >= $1 OR d.first_response_at >= $1 OR d.resolved_at >= $1";

/// Disputes opened, responded to or resolved since `since`, and every unresolved one.
pub async fn dispute_facts(
    pool: &PgPool,
    since: DateTime<Utc>,
) -> Result<Vec<DisputeFacts>, StoreError> {
    let rows = async {
        sqlx::query_as::<_, DisputeRow>(sqlx::AssertSqlSafe(format!(
            "SELECT d.id, d.opened_at, d.first_response_at, d.resolved_at, p.first_response_minutes, p.resolution_minutes, p.calendar_id
               FROM disputes d JOIN sla_policies p ON p.id = d.policy_id WHERE {TRUST_SET}"
        )))
        .bind(since)
        .fetch_all(pool)
        .await
        .map_err(StoreError::from)
    };
    // The calendars side by side with the disputes; the state changes need their ids.
    let (rows, clocks) = tokio::try_join!(rows, calendars(pool))?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut changes = state_changes(pool, &ids).await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, opened_at, first_response_at, resolved_at, fr, res, cal)| DisputeFacts {
                id,
                opened_at,
                first_response_at,
                resolved_at,
                changes: changes.remove(&id).unwrap_or_default(),
                first_response_minutes: fr as i64,
                resolution_minutes: res as i64,
                clock: cal
                    .and_then(|c| clocks.get(&c).cloned())
                    .unwrap_or(Clock::Wall),
            },
        )
        .collect())
}

/// The same disputes as `dispute_facts`, their clocks at `now` read from what the store keeps
/// of them (migrations/0021_dispute_clocks.sql): one row of arrays and a count per calendar,
/// no state change read and no calendar walked. What the overview measures on every load.
pub async fn measured_disputes(
    pool: &PgPool,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> Result<Vec<MeasuredDispute>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct TimesArrays {
        opened_at: Vec<DateTime<Utc>>,
        first_response_at: Vec<Option<DateTime<Utc>>>,
        resolved_at: Vec<Option<DateTime<Utc>>>,
        #[sqlx(flatten)]
        kept: KeptArrays,
    }
    let mut qb = KeptArrays::query_with(
        ", coalesce(array_agg(opened_at), '{}') AS opened_at,
           coalesce(array_agg(first_response_at), '{}') AS first_response_at,
           coalesce(array_agg(resolved_at), '{}') AS resolved_at",
        ", d.opened_at, d.first_response_at, d.resolved_at",
    );
    qb.push(KEPT_FROM)
        .push(" JOIN disputes d ON d.id = k.dispute_id WHERE ")
        .push(TRUST_SET)
        .push(") kept");
    let arrays = async {
        let a: TimesArrays = qb.build_query_as().bind(since).fetch_one(pool).await?;
        Ok::<_, StoreError>(a)
    };
    let (a, inputs) = tokio::try_join!(arrays, ClockInputs::read(pool, now))?;
    let kept = a.kept.into_kept();
    let mut out = Vec::with_capacity(kept.len());
    for (n, k) in kept.iter().enumerate() {
        let (_, first_response, resolution) = inputs.measure(k)?;
        out.push(MeasuredDispute {
            id: k.id,
            opened_at: a.opened_at[n],
            first_response_at: a.first_response_at[n],
            resolved_at: a.resolved_at[n],
            clocks: DisputeClocks {
                first_response,
                resolution,
            },
        });
    }
    Ok(out)
}

/// Holds cleared since `since`, with their release-lag targets.
pub async fn cleared_holds(
    pool: &PgPool,
    since: DateTime<Utc>,
) -> Result<Vec<HoldFacts>, StoreError> {
    // As one row of arrays: a busy month clears thousands of holds, and rows decoded one by
    // one cost the console more than the store takes to find them.
    type Arrays = (Vec<DateTime<Utc>>, Vec<Option<DateTime<Utc>>>, Vec<i32>);
    let (cleared, released, lag): Arrays = sqlx::query_as(
        "SELECT coalesce(array_agg(h.cleared_at), '{}'), coalesce(array_agg(h.released_at), '{}'),
                    coalesce(array_agg(p.release_lag_minutes), '{}')
               FROM holds h JOIN hold_policies p ON p.reason = h.reason
              WHERE h.cleared_at >= $1",
    )
    .bind(since)
    .fetch_one(pool)
    .await?;
    Ok(cleared
        .into_iter()
        .zip(released)
        .zip(lag)
        .map(|((cleared_at, released_at), lag)| HoldFacts {
            cleared_at,
            released_at,
            lag_target_minutes: i64::from(lag),
        })
        .collect())
}

/// The trust metrics over the `window_days` before `now`, every clock measured in full from
/// its state changes (reports; `settle doctor` holds the overview's kept path to it).
pub async fn metrics(
    pool: &PgPool,
    now: DateTime<Utc>,
    window_days: i64,
) -> Result<TrustMetrics, StoreError> {
    let since = now - Duration::days(window_days);
    let (disputes, holds) =
        tokio::try_join!(dispute_facts(pool, since), cleared_holds(pool, since))?;
    let measured: Vec<MeasuredDispute> = disputes.iter().map(|d| d.measured(now)).collect();
    Ok(trust_metrics(now, window_days, &measured, &holds))
}

/// What the overview's trust metrics are computed from, for a window ending `now`: the
/// disputes (every open one, and those that opened, answered or resolved in it) with the
/// clocks the store keeps, and the holds cleared in it.
pub async fn facts(
    pool: &PgPool,
    now: DateTime<Utc>,
    window_days: i64,
) -> Result<(Vec<MeasuredDispute>, Vec<HoldFacts>), StoreError> {
    let since = now - Duration::days(window_days);
    tokio::try_join!(
        measured_disputes(pool, now, since),
        cleared_holds(pool, since)
    )
}
