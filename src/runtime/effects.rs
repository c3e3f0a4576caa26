//! Running effects: each one a store call whose answer comes back as a message.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::app::msg::ListRequest;
use crate::app::state::{AgingLevel, OverviewData, Rows, View};
use crate::app::{Data, Effect, Msg};
use crate::domain::kpi::Period;
use crate::filter::Filter;
use crate::store::lists::ListQuery;
use crate::store::{self, StoreError};

/// Runs one effect against the store and says what came of it: views from where views are
/// read (a replica that has caught up, with `--read-url`), everything else on the primary.
pub async fn run(
    stores: &super::stores::Stores,
    effect: Effect,
    now: DateTime<Utc>,
    me: &str,
) -> Option<Msg> {
    run_waiting(stores, effect, now, me).await.0
}

/// The same, saying also how long it only waited (for the replica to replay, for the worker
/// to publish the overview): time that cost the store nothing, left out of a view's cost.
pub async fn run_waiting(
    stores: &super::stores::Stores,
    effect: Effect,
    now: DateTime<Utc>,
    me: &str,
) -> (Option<Msg>, std::time::Duration) {
    if let Some(generation) = effect.view_generation() {
        let asked = std::time::Instant::now();
        let pool = match stores.for_views().await {
            Ok(pool) => pool,
            Err(e) => {
                let failed = Msg::Failed {
                    generation,
                    error: e.to_string(),
                };
                return (Some(failed), asked.elapsed());
            }
        };
        let mut waited = asked.elapsed();
        if let Effect::LoadOverview { generation, params } = &effect
            && let Some(data) =
                super::shared_overview::covered(pool, params, stores.need(), &mut waited).await
        {
            let loaded = Msg::Loaded {
                generation: *generation,
                data: Data::Overview(Box::new(data)),
            };
            return (Some(loaded), waited);
        }
        return (run_on(pool, effect, now, me, &stores.kept).await, waited);
    }
    let acted = matches!(effect, Effect::Act(_));
    let reply = run_on(&stores.primary, effect, now, me, &stores.kept).await;
    if acted {
        // The next view must show it, wherever views are read.
        stores.after_action().await;
    }
    (reply, std::time::Duration::ZERO)
}

/// The dispute queue's page: the kept one while no change since touched a dispute.
async fn dispute_queue(
    pool: &PgPool,
    q: &ListQuery,
    now: DateTime<Utc>,
    kept: &KeptViews,
) -> Result<Data, StoreError> {
    let read = || store::dispute_queue::open_disputes_page(pool, q, now);
    let touched_by = store::dispute_queue::TOUCHED_BY;
    let mut kept = kept.lock().await;
    let (page, _) = kept
        .disputes
        .answer(pool, q.clone(), now, touched_by, read)
        .await?;
    Ok(Data::List {
        rows: Rows::Disputes(page.rows),
        total: page.total,
        offset: page.offset,
    })
}

/// Views kept between a console's loads (`store::kept`).
type KeptViews = tokio::sync::Mutex<store::kept::KeptViews>;

/// Runs one effect on the pool chosen for it.
async fn run_on(
    pool: &PgPool,
    effect: Effect,
    now: DateTime<Utc>,
    me: &str,
    kept: &KeptViews,
) -> Option<Msg> {
    let (generation, result) = match effect {
        Effect::LoadOverview { generation, params } => (
            generation,
            overview(pool, &params, now)
                .await
                .map(|o| Data::Overview(Box::new(o))),
        ),
        Effect::LoadList {
            generation,
            request,
        } => (generation, list(pool, request, now, me, kept).await),
        Effect::LoadAccount { generation, id } => {
            let account = match store::business_today(pool, now).await {
                Ok(today) => store::account::account(pool, id, today)
                    .await
                    .map(|a| Data::Account(Box::new(a))),
                Err(e) => Err(e),
            };
            (generation, account)
        }
        Effect::LoadCase { generation, id } => (
            generation,
            store::case::case(pool, id, now)
                .await
                .map(|c| Data::Case(Box::new(c))),
        ),
        Effect::LoadMessage { generation, id } => (
            generation,
            store::message::message(pool, id)
                .await
                .map(|m| Data::Message(Box::new(m))),
        ),
        Effect::FindCustomer { request, query } => {
            let found = store::account::find_customers(pool, &query)
                .await
                .map(|found| Data::Found(found, query));
            return Some(side(request, found));
        }
        // Done where they were asked for (`console::run_effects`): copying writes to the
        // terminal, and a timer wakes only the loop that set it.
        Effect::Copy(_) | Effect::ForgetDraft(_) | Effect::Wake { .. } | Effect::Rest { .. } => {
            return None;
        }
        Effect::PrepareReminder {
            request,
            invoice,
            customer,
        } => return Some(side(request, reminder(pool, invoice, customer, now).await)),
        Effect::Act(request) => return Some(Msg::Acted(super::acts::act(pool, request).await)),
        Effect::CountOthers { request } => {
            let others = store::other_settles(pool).await.map(Data::Others);
            return Some(side(request, others));
        }
        Effect::LoadAgents { request } => {
            let agents = store::assignable_agents(pool).await.map(Data::Agents);
            return Some(side(request, agents));
        }
        Effect::ReadNotice { id } => {
            if let Err(e) = store::inbox::read(pool, id).await {
                tracing::warn!("notification {id} not marked read: {e}");
            }
            return None;
        }
        Effect::Touch { dispute } => {
            if let Err(e) = store::actions::touch_presence(pool, "dispute", dispute).await {
                tracing::debug!("presence not recorded: {e}");
            }
            return None;
        }
    };
    Some(match result {
        Ok(data) => Msg::Loaded { generation, data },
        Err(e) => Msg::Failed {
            generation,
            error: e.to_string(),
        },
    })
}

/// A side request's reply, routed by its request id.
fn side(request: u64, reply: Result<Data, StoreError>) -> Msg {
    Msg::Side {
        request,
        reply: reply.map_err(|e| e.to_string()),
    }
}

pub(crate) async fn overview(
    pool: &PgPool,
    params: &crate::app::state::AgingParams,
    now: DateTime<Utc>,
) -> Result<OverviewData, StoreError> {
    // The money and the work side by side: neither waits for the other's round trips.
    let ((aging, kpis), (trust, alerts)) =
        tokio::try_join!(overview_money(pool, params), overview_work(pool, now))?;
    Ok(OverviewData {
        aging,
        kpis,
        trust,
        alerts,
    })
}

/// The overview's money figures: the aging and the 90-day KPIs.
pub(crate) async fn overview_money(
    pool: &PgPool,
    params: &crate::app::state::AgingParams,
) -> Result<(crate::domain::aging::AgingSummary, crate::domain::kpi::Kpis), StoreError> {
    let period = Period::overview(params.as_of);
    // The KPIs' sales and opening receivables beside the aging they close with.
    let (aging, reads) = tokio::try_join!(
        store::aging::aging_summary(pool, params.as_of, params.basis, &params.edges),
        store::kpi::kpi_reads(pool, period)
    )?;
    let kpis = store::kpi::kpis_from(pool, period, reads, Some(&aging)).await?;
    Ok((aging, kpis))
}

/// The overview's work figures: the 30-day trust metrics and the alerts.
pub(crate) async fn overview_work(
    pool: &PgPool,
    now: DateTime<Utc>,
) -> Result<(crate::domain::trust::TrustMetrics, Vec<String>), StoreError> {
    // The disputes' facts once: the trust metrics and the alerts' clocks both come from them.
    // The alerts' other counts are read beside them.
    let ((disputes, holds), counts) = tokio::try_join!(
        store::trust::facts(pool, now, 30),
        store::alert_counts(pool)
    )?;
    let trust = crate::domain::trust::trust_metrics(now, 30, &disputes, &holds);
    let (disputes_breached, disputes_at_risk) =
        crate::domain::trust::open_dispute_states(&disputes);
    let counts = crate::domain::alerts::AlertCounts {
        disputes_breached,
        disputes_at_risk,
        ..counts
    };
    let alerts = crate::domain::alerts::alerts(&counts, &trust);
    Ok((trust, alerts))
}

async fn list(
    pool: &PgPool,
    r: ListRequest,
    now: DateTime<Utc>,
    me: &str,
    kept: &KeptViews,
) -> Result<Data, StoreError> {
    let q = ListQuery {
        filter: Filter::parse(&r.filter),
        sort: r.sort,
        limit: r.limit,
        offset: r.offset,
        me: me.to_string(),
    };
    let p = &r.params;
    Ok(match r.view {
        View::Aging(AgingLevel::Buckets) => {
            let s = store::aging::aging_summary(pool, p.as_of, p.basis, &p.edges).await?;
            let total = s.lines.len() as i64;
            Data::List {
                rows: Rows::Buckets(s),
                total,
                offset: 0,
            }
        }
        View::Aging(AgingLevel::Customers { bucket }) => {
            let page = store::bucket_customers::customers_in_bucket(
                pool, p.as_of, p.basis, &p.edges, bucket, &q,
            )
            .await?;
            Data::List {
                rows: Rows::Customers(page.rows),
                total: page.total,
                offset: page.offset,
            }
        }
        View::Aging(AgingLevel::Invoices {
            bucket, customer, ..
        }) => {
            let b = p.edges.buckets().get(bucket).cloned();
            let rows =
                store::account::open_invoices(pool, customer, p.as_of, p.basis, b.as_ref()).await?;
            let total = rows.len() as i64;
            Data::List {
                rows: Rows::Invoices(rows),
                total,
                offset: 0,
            }
        }
        View::Disputes => dispute_queue(pool, &q, now, kept).await?,
        View::Holds => {
            let page = store::lists::holds(pool, &q).await?;
            Data::List {
                rows: Rows::Holds(page.rows),
                total: page.total,
                offset: page.offset,
            }
        }
        View::Outreach => {
            let page = store::lists::outreach(pool, &q).await?;
            Data::List {
                rows: Rows::Outreach(page.rows),
                total: page.total,
                offset: page.offset,
            }
        }
        View::Work => {
            let rows =
                store::work::worklist_kept(pool, &q, now, &mut kept.lock().await.work).await?;
            let total = rows.len() as i64;
            Data::List {
                rows: Rows::Work(rows),
                total,
                offset: 0,
            }
        }
        View::Slipping => {
            let page = store::slipping::slipping(pool, &q).await?;
            Data::List {
                rows: Rows::Slipping(page.rows),
                total: page.total,
                offset: page.offset,
            }
        }
        View::Inbox => {
            let page = store::inbox::inbox(pool, &q).await?;
            Data::List {
                rows: Rows::Inbox(page.rows),
                total: page.total,
                offset: page.offset,
            }
        }
        View::Promises => {
            let page = store::promises::promises(pool, &q).await?;
            Data::List {
                rows: Rows::Promises(page.rows),
                total: page.total,
                offset: page.offset,
            }
        }
        View::Activity => {
            let page = store::ledger::activity(pool, &q, None).await?;
            Data::List {
                rows: Rows::Activity(page.rows),
                total: page.total,
                offset: page.offset,
            }
        }
        View::Overview | View::Customer(_) | View::Case(_) | View::Message(_) => Data::List {
            rows: Rows::None,
            total: 0,
            offset: 0,
        },
    })
}

async fn reminder(
    pool: &PgPool,
    invoice: i64,
    customer: i64,
    now: DateTime<Utc>,
) -> Result<Data, StoreError> {
    let segment = store::customer_segment(pool, customer).await?;
    let map = |e: store::actions::ActionError| StoreError::Refused(e.to_string());
    let t = store::actions::reminder_template(pool, &segment)
        .await
        .map_err(map)?;
    let today = store::business_today(pool, now).await?;
    let blocked = store::actions::reminder_block(pool, invoice, today)
        .await
        .map_err(map)?;
    let context = store::actions::reminder_context(pool, invoice, today)
        .await
        .map_err(map)?;
    Ok(Data::Reminder(Box::new(crate::app::msg::ReminderDraft {
        subject: t.subject,
        body: t.body,
        tone: t.tone,
        channel: t.channel,
        context: crate::model::ReminderContext {
            may_go_at: blocked.as_ref().and(context.may_go_at),
            ..context
        },
        blocked,
    })))
}
