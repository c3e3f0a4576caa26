//! The worklist's other sources: paid orders still held, promises due or broken, messages a
//! lead decides, and a person's tasks and slipping accounts. Each reads its own list's query
//! and says, for its items, why they are here and when they go late.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::lists::ListQuery;
use super::work::{Context, decided_by_lead};
use crate::domain::sla::format_minutes;
use crate::domain::states::{PromiseStatus, WorkKind};
use crate::filter::Filter;
use crate::model::{Notice, WorkItem, WorkSubject};

fn query(filter: &str, me: &str) -> ListQuery {
    ListQuery {
        filter: Filter::parse(filter),
        sort: None,
        limit: 300,
        offset: 0,
        me: me.to_string(),
    }
}

/// Orders whose blocking invoices are paid, still held: the release-lag clock runs.
pub(super) async fn holds(
    pool: &PgPool,
    ctx: &Context,
    me: &str,
) -> Result<Vec<WorkItem>, StoreError> {
    let page = super::lists::holds(pool, &query("status:cleared", me)).await?;
    Ok(page
        .rows
        .into_iter()
        .filter_map(|h| {
            let cleared = h.cleared_at?;
            let late_at = cleared + Duration::minutes(h.lag_target_minutes);
            let waited = (ctx.now - cleared).num_minutes().max(0);
            Some(WorkItem {
                kind: WorkKind::Hold,
                reference: h.order.clone(),
                customer_id: h.customer_id,
                customer: h.customer.clone(),
                why: format!(
                    "paid {} ago, still held ({}) · release within {}",
                    format_minutes(waited),
                    h.reason.replace('_', " "),
                    format_minutes(h.lag_target_minutes)
                ),
                late_at,
                amount: h.amount,
                currency: h.currency.clone(),
                at_stake: ctx.at_stake(h.amount, &h.currency),
                owner: None,
                subject: WorkSubject::Hold(h),
            })
        })
        .collect())
}

/// Open promises whose date has come (today, or in their grace days), and promises broken in
/// the last 7 days.
pub(super) async fn promises(pool: &PgPool, ctx: &Context) -> Result<Vec<WorkItem>, StoreError> {
    let week_ago = ctx.today - Duration::days(7);
    Ok(super::promises::due_or_broken(pool, ctx.today, week_ago)
        .await?
        .into_iter()
        .map(|p| {
            let left = p.amount - p.paid;
            let (kind, late_at, why) = if p.status == PromiseStatus::Broken {
                let day = p.closed_on.unwrap_or(ctx.today);
                (
                    WorkKind::PromiseBroken,
                    WorkKind::PromiseBroken.late_at(ctx.at_nine(day)),
                    format!(
                        "promised for {}, broken {} · follow up",
                        p.promised_for.format("%-d %b"),
                        day.format("%-d %b")
                    ),
                )
            } else {
                (
                    WorkKind::PromiseDue,
                    ctx.end_of(p.deadline),
                    if p.promised_for == ctx.today {
                        "promised for today · check the payment".to_string()
                    } else {
                        format!(
                            "promised for {} · grace until {}",
                            p.promised_for.format("%-d %b"),
                            p.deadline.format("%-d %b")
                        )
                    },
                )
            };
            WorkItem {
                kind,
                reference: format!("PTP-{}", p.id),
                customer_id: p.customer_id,
                customer: p.customer.clone(),
                why,
                late_at,
                amount: left,
                currency: p.currency.clone(),
                at_stake: ctx.at_stake(left, &p.currency),
                owner: None,
                subject: WorkSubject::Promise(p),
            }
        })
        .collect())
}

/// Messages waiting for a lead's approval, and sends nobody knows went (a worker died).
pub(super) async fn messages(pool: &PgPool, ctx: &Context) -> Result<Vec<WorkItem>, StoreError> {
    let mut out = Vec::new();
    for (m, amount, currency) in super::lists::messages_to_decide(pool).await? {
        let Some(kind) = decided_by_lead(m.status) else {
            continue;
        };
        let why = match kind {
            WorkKind::Approval => format!("{} tone: a lead approves · {}", m.tone, m.subject),
            _ => format!(
                "may have been sent at {}: mark sent or resend",
                m.send_after.with_timezone(&ctx.zone).format("%-d %b %H:%M")
            ),
        };
        out.push(WorkItem {
            kind,
            reference: format!("MSG-{}", m.id),
            customer_id: m.customer_id,
            customer: m.customer.clone(),
            why,
            late_at: kind.late_at(m.send_after),
            at_stake: ctx.at_stake(amount, &currency),
            amount,
            currency,
            owner: None,
            subject: WorkSubject::Message(m),
        });
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct NoticeRow {
    id: i64,
    created_at: DateTime<Utc>,
    kind: String,
    customer_id: i64,
    customer: String,
    message: String,
    role_name: String,
    display_name: String,
    open: Vec<i64>,
    currencies: Vec<String>,
}

/// Unread tasks (phone calls, personal notes the worker handed to a person) and accounts that
/// started slipping, for whoever they were written to (the store shows each person their own;
/// a lead sees everyone's and the scope keeps what was asked for).
pub(super) async fn notices(pool: &PgPool, ctx: &Context) -> Result<Vec<WorkItem>, StoreError> {
    let rows: Vec<NoticeRow> = sqlx::query_as(
        "SELECT n.id, n.created_at, n.kind, n.customer_id, c.name AS customer, n.message,
                a.role_name, a.display_name,
                array(SELECT sum(i.open_minor)::bigint FROM invoices i
                       WHERE i.customer_id = n.customer_id AND i.open_minor > 0 GROUP BY i.currency ORDER BY i.currency) AS open,
                array(SELECT i.currency::text FROM invoices i
                       WHERE i.customer_id = n.customer_id AND i.open_minor > 0 GROUP BY i.currency ORDER BY i.currency) AS currencies
           FROM notifications n JOIN agents a ON a.id = n.agent_id JOIN customers c ON c.id = n.customer_id
          WHERE n.read_at IS NULL AND n.kind IN ('outreach_task', 'slipping')
          ORDER BY n.created_at DESC LIMIT 300",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let kind = if r.kind == "slipping" {
                WorkKind::Slipping
            } else {
                WorkKind::Task
            };
            let at_stake = r
                .open
                .iter()
                .zip(&r.currencies)
                .map(|(a, c)| ctx.at_stake(*a, c))
                .sum();
            WorkItem {
                kind,
                reference: format!("NOTE-{}", r.id),
                customer_id: r.customer_id,
                customer: r.customer.clone(),
                why: r.message.clone(),
                late_at: kind.late_at(r.created_at),
                amount: at_stake,
                currency: ctx.reporting.clone(),
                at_stake,
                owner: Some((r.role_name, r.display_name)),
                subject: WorkSubject::Notice(Notice {
                    id: r.id,
                    at: r.created_at,
                    kind: r.kind,
                    customer_id: Some(r.customer_id),
                    customer: Some(r.customer),
                    message: r.message,
                    read: false,
                }),
            }
        })
        .collect())
}
