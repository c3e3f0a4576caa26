//! The worklist's sources: disputes about to breach, reminders that may go, paid orders still
//! held, promises due or broken, messages a lead decides, and a person's tasks and slipping
//! accounts. Each reads its own list's query where there is one and says, for its items, why
//! they are here and when they go late; whose they are is settled afterwards, for all at once.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::lists::ListQuery;
use super::work::Context;
use crate::domain::sla::format_minutes;
use crate::domain::states::{OutreachStatus, PromiseStatus, WorkKind};
use crate::filter::Filter;
use crate::model::{DisputeLine, Notice, OpenInvoice, WorkItem, WorkSubject};

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
    let held = super::lists::held_orders(pool, &query("status:cleared", me)).await?;
    Ok(held
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
                coalesce(b.open, '{}') AS open, coalesce(b.currencies, '{}') AS currencies
           -- The newest 300 first, then each one's customer's balance (not every unread note's).
           FROM (SELECT * FROM notifications
                  WHERE read_at IS NULL AND kind IN ('outreach_task', 'slipping')
                  ORDER BY created_at DESC LIMIT 300) n
           JOIN agents a ON a.id = n.agent_id JOIN customers c ON c.id = n.customer_id
           -- The customer's open balance per currency, read once.
           LEFT JOIN LATERAL (
               SELECT array_agg(o.open ORDER BY o.currency) AS open, array_agg(o.currency ORDER BY o.currency) AS currencies
                 FROM (SELECT i.currency::text AS currency, sum(i.open_minor)::bigint AS open FROM invoices i
                        WHERE i.customer_id = n.customer_id AND i.open_minor > 0 GROUP BY 1) o) b ON true
          ORDER BY n.created_at DESC",
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
            let at_stake = ctx.at_stake_of(
                r.currencies
                    .iter()
                    .map(String::as_str)
                    .zip(r.open.iter().copied()),
            );
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

/// How many reminders that may go the list shows: the largest (a day's calls and e-mails).
/// Written into the reminders' read as a number (`reminders_of!`; a unit test holds the two).
pub(super) const REMINDERS: i64 = 150;

/// Disputes at risk or breached, of those `whose` names (whose each is, is settled with the
/// other items').
pub(super) async fn disputes(
    pool: &PgPool,
    ctx: &Context,
    whose: super::dispute_queue::DisputesFor<'_>,
) -> Result<Vec<WorkItem>, StoreError> {
    Ok(super::dispute_queue::disputes_not_ok(pool, ctx.now, whose)
        .await?
        .into_iter()
        .map(|d| dispute_item(ctx, d))
        .collect())
}

fn dispute_item(ctx: &Context, d: DisputeLine) -> WorkItem {
    let responding = !d.first_response.stopped;
    let clock = if responding {
        d.first_response
    } else {
        d.resolution
    };
    let left = clock.remaining();
    let late_at = if left >= 0 {
        d.clock.add_minutes(ctx.now, left)
    } else {
        ctx.now + Duration::minutes(left)
    };
    let what = if responding {
        "first response"
    } else {
        "resolution"
    };
    // Business clocks count working time only: say so, the column shows the wall time.
    let working = match d.clock {
        crate::domain::sla::Clock::Business(_) => " of working time",
        crate::domain::sla::Clock::Wall => "",
    };
    let span = crate::domain::sla::format_minutes(left.abs());
    let standing = if left < 0 {
        format!("{what} overdue by {span}{working}")
    } else {
        format!("{what}: {span}{working} left")
    };
    let why = format!(
        "{standing} · {} · {}",
        d.state.label(),
        d.category.replace('_', " ")
    );
    WorkItem {
        kind: WorkKind::Dispute,
        reference: d.number.clone(),
        customer_id: d.customer_id,
        customer: d.customer.clone(),
        why,
        late_at,
        amount: d.amount,
        currency: d.currency.clone(),
        at_stake: ctx.at_stake(d.amount, &d.currency),
        owner: ctx.owner_named(d.assignee.as_deref()),
        subject: WorkSubject::Dispute(Box::new(d)),
    }
}

#[derive(sqlx::FromRow)]
struct ReminderRow {
    #[sqlx(flatten)]
    invoice: super::account::InvoiceRow,
    first_day: NaiveDate,
}

/// Overdue invoices past their customer's expected pay date whose reminder may go now: not
/// disputed, not promised, not inside the rhythm's grace (`reminder_block` says nothing), with
/// no message live on them and none sent in the last 7 days. Largest first, `REMINDERS` at
/// most (the candidates walked largest first from an index, so its cost stays bounded on a
/// large book); `only` keeps one collector's customers.
pub(super) async fn reminders(
    pool: &PgPool,
    ctx: &Context,
    only: Option<&str>,
) -> Result<Vec<WorkItem>, StoreError> {
    let rows = reminder_rows(pool, ctx.today, only).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let inv = OpenInvoice::from(r.invoice);
            let days = (ctx.today - inv.due_date).num_days();
            let why = match inv.expected {
                Some(e) => format!(
                    "{days} days overdue · usually paid by {} · no reminder yet",
                    e.format("%-d %b")
                ),
                None => format!("{days} days overdue · no reminder yet"),
            };
            WorkItem {
                kind: WorkKind::Reminder,
                reference: inv.number.clone(),
                customer_id: inv.customer_id,
                customer: inv.customer.clone(),
                why,
                late_at: WorkKind::Reminder.late_at(ctx.at_nine(r.first_day)),
                amount: inv.open,
                currency: inv.currency.clone(),
                at_stake: ctx.at_stake(inv.open, &inv.currency),
                owner: None,
                subject: WorkSubject::Reminder(inv),
            }
        })
        .collect())
}

/// The rule's questions of invoice `i` (its customer's profile `p` left joined) on the day
/// `$today` names (a placeholder or a column): no message live or sent in the last 7 days, no
/// open dispute, no promise in its grace, past the customer's usual pay day plus the grace.
/// The reminders' read asks them of its candidates, and the look before a kept load of the
/// invoices changed since (`work_invoices`): one that may not go cannot have joined the list.
macro_rules! reminder_may_go {
    ($today:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM outreach m WHERE m.invoice_id = i.id
                    AND (m.status IN ('draft', 'pending_approval', 'queued', 'sending', 'uncertain')
                         OR (m.status = 'sent' AND m.sent_at > now() - interval '7 days')))
              AND NOT EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.state <> 'resolved')
              AND NOT EXISTS (SELECT 1 FROM promises x WHERE x.invoice_id = i.id AND x.status = 'open'
                                AND x.promised_for + (SELECT setting_int('promise_grace_days'))::int >= ",
            $today,
            ")
              AND ",
            $today,
            " >= i.issue_date + coalesce(p.typical_days, 0) + (SELECT setting_int('reminder_grace_days'))::int"
        )
    };
}
pub(super) use reminder_may_go;

/// Whether the customer `$customer` names is collected by the role `$role` names (each a
/// placeholder or a column): whose reminders an invoice is, for the read and for the look that
/// holds changed invoices to a kept list.
macro_rules! collected_by {
    ($customer:literal, $role:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM customer_owners co JOIN agents a ON a.id = co.agent_id
                      WHERE co.customer_id = ",
            $customer,
            " AND co.relation = 'collector' AND a.role_name = ",
            $role,
            ")"
        )
    };
}
pub(super) use collected_by;

/// The reminders' read, of the candidates `$whose` keeps (open, overdue, walked largest
/// first). The limit is written in (`REMINDERS`) and a collector's read is a statement of its
/// own, so the store can keep one plan for each instead of planning every read (~4 ms, more
/// than most reads take): with the limit a parameter or an `owner IS NULL OR` test, the plan
/// for no values in particular looked dearer and was never chosen.
macro_rules! reminders_of {
    ($($whose:tt)*) => {
        concat!(
            // Every test `reminder_block` (the rule the dialog and the worker ask) makes, by
            // index: not paid, not disputed, no promise in its grace, past the customer's usual
            // pay day plus grace (and past due). Calling the function itself cost ~65 µs an
            // invoice, most of a worklist reload; tests/work.rs holds the two to the same answer.
            "SELECT i.id, i.customer_id, i.number, c.name AS customer, i.issue_date, i.due_date,
                    i.amount_minor::bigint AS amount, i.open_minor::bigint AS open,
                    i.currency::text AS currency, false AS disputed, p.typical_days,
                    greatest(i.due_date, i.issue_date + coalesce(p.typical_days, 0))
                      + (SELECT setting_int('reminder_grace_days'))::int AS first_day",
            // One flat join, limited: the planner walks the candidates in the index's order
            // (index alone) only as far as the limit needs. (As an ordered subquery it was
            // planned without the limit, and once the store's statistics moved it sorted all
            // 12,157 of a collector's overdue invoices instead, with JIT: 0.4 s a read, seconds
            // among twenty consoles.)
            "
               FROM invoices w
               JOIN invoices i ON i.id = w.id JOIN customers c ON c.id = i.customer_id
               LEFT JOIN customer_profiles p ON p.customer_id = i.customer_id
              WHERE w.open_minor > 0 AND w.due_date < $1",
            $($whose)*,
            " AND ",
            reminder_may_go!("$1"),
            " ORDER BY w.open_minor DESC, w.id LIMIT 150"
        )
    };
}

/// The reminders that may go, largest first (`REMINDERS` at most), of the customers `only`
/// collects (None: all of them). The candidates (open, overdue, the customer's) are walked
/// from an index alone (amount, id, due date and customer: migration 0025), so invoice rows
/// and the rule's questions are read for the few hundred that might go, not for the ~5,800 a
/// collector's 150 lie among on the large demo book (15–27 → 8–11 ms).
async fn reminder_rows(
    pool: &PgPool,
    today: NaiveDate,
    only: Option<&str>,
) -> Result<Vec<ReminderRow>, StoreError> {
    let rows = match only {
        None => sqlx::query_as(reminders_of!("")).bind(today),
        Some(collector) => {
            sqlx::query_as(reminders_of!(" AND ", collected_by!("w.customer_id", "$2")))
                .bind(today)
                .bind(collector)
        }
    };
    Ok(rows.fetch_all(pool).await?)
}

/// Whether a message is one a lead decides (used by the message sources).
fn decided_by_lead(status: OutreachStatus) -> Option<WorkKind> {
    match status {
        OutreachStatus::PendingApproval => Some(WorkKind::Approval),
        OutreachStatus::Uncertain => Some(WorkKind::Uncertain),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reminders_read_is_limited_to_reminders() {
        assert!(reminders_of!("").ends_with(&format!("LIMIT {}", super::REMINDERS)));
    }
}
