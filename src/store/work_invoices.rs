//! Whether the invoices changed since a console's worklist was read reach its kept sources,
//! invoice by invoice. A payment changes one invoice: a lead's reminders (the largest 150 of
//! the book that may go) change only when that invoice is one of them or now ranks among
//! them; the messages to decide, when one is about that invoice; the notices only show the
//! customer's balance, which the look reads beside the invoice. Twenty leads on `:work` while
//! the ERP posts payments read none of the three again for most payments (before, ~9 ms of
//! store time a reload on the large demo book, which their shared rest multiplied into
//! seconds).

use std::sync::Arc;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::StoreError;
use super::feed::{Cursor, from_readable_head};
use super::kept::tables_changed_since;
use super::work::Context;
use super::work_kept::{Look, Source};
use super::work_sources::{collected_by, reminder_may_go};
use crate::model::{WorkItem, WorkSubject};

/// More changed invoices than this since the last load (an import, a payment run) and every
/// source an invoice reaches is read again: deciding would cost more than reading.
const AT_MOST: i64 = 200;

/// An invoice changed since the kept sources were read, as it stands at the look's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedInvoice {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub open: i64,
    /// Its customer is collected by the person whose reminders are read (every invoice is a
    /// lead's, when no owner was asked for).
    pub theirs: bool,
    /// Open, overdue and let go by the reminder rule on the look's business day: one that
    /// may not go is not among the reminders, whatever its amount.
    pub may_go: bool,
    /// Its customer's open balance per currency, now.
    pub balance: Vec<(String, i64)>,
}

/// The look before a load, in one round trip and one snapshot: whether the person leads (the
/// store says), the readable head, the tables changed past `since` (none asked on a first
/// load), and the invoices changed as they stand now (None when more than `AT_MOST` changes
/// were logged, or one is gone). `me` and the `owner` asked for say whose reminders the
/// invoices are held to: a collector's own, the owner a lead asked for, else everyone's;
/// `today` (the context's business day) the day the reminder rule is asked on.
pub(super) async fn look(
    pool: &PgPool,
    since: Option<Cursor>,
    (me, owner): (&str, Option<&str>),
    today: NaiveDate,
) -> Result<Look, StoreError> {
    let from = since.unwrap_or_default();
    let row: LookRow = sqlx::query_as(concat!(
        "SELECT settle_role() = 'lead' AS lead, h.xid, h.seq, ",
        tables_changed_since!(),
        " AS changed, inv.logged, inv.ids, inv.numbers, inv.customers, inv.opens, inv.theirs, inv.may_go,
                bal.customers AS balance_customers, bal.currencies AS balance_currencies,
                bal.opens AS balance_opens",
        from_readable_head!(),
        // The log's range walked at most AT_MOST + 1 rows far (its primary key's order); the
        // cursor through sub-selects, as in `tables_changed_since!`.
        " LEFT JOIN LATERAL (
             WITH k AS (SELECT c.key FROM change_log c
                         WHERE $3 AND c.tbl = 'invoices' AND (c.xid, c.seq) > ((SELECT $1::text::xid8), (SELECT $2::bigint))
                           AND c.xid < pg_snapshot_xmin(pg_current_snapshot())
                         ORDER BY c.xid, c.seq LIMIT $6 + 1),
                  whose AS (SELECT CASE WHEN settle_role() = 'lead' THEN $5 ELSE $4 END AS role_name,
                                   $7::date AS today)
             SELECT (SELECT count(*) FROM k) AS logged, array_agg(ch.key) AS ids,
                    array_agg(i.number) AS numbers, array_agg(i.customer_id) AS customers,
                    array_agg(i.open_minor::bigint) AS opens,
                    array_agg(w.role_name IS NULL OR ",
        collected_by!("i.customer_id", "w.role_name"),
        ") AS theirs,
                    array_agg(i.open_minor > 0 AND i.due_date < w.today AND ",
        reminder_may_go!("w.today"),
        ") AS may_go
               FROM (SELECT DISTINCT key FROM k) ch CROSS JOIN whose w
               LEFT JOIN invoices i ON i.id = ch.key
               LEFT JOIN customer_profiles p ON p.customer_id = i.customer_id) inv ON true
           -- The changed invoices' customers' open balances per currency (a note shows them).
           LEFT JOIN LATERAL (
             SELECT array_agg(b.customer_id) AS customers, array_agg(b.currency) AS currencies,
                    array_agg(b.open) AS opens
               FROM (SELECT o.customer_id, o.currency::text AS currency, sum(o.open_minor)::bigint AS open
                       FROM invoices o WHERE o.customer_id = ANY(inv.customers) AND o.open_minor > 0
                      GROUP BY 1, 2) b) bal ON inv.logged <= $6"
    ))
    .bind(from.xid)
    .bind(from.seq)
    .bind(since.is_some())
    .bind(me)
    .bind(owner)
    .bind(AT_MOST)
    .bind(today)
    .fetch_one(pool)
    .await?;
    let invoices = row.invoices();
    Ok(Look {
        lead: row.lead,
        head: Cursor::read(row.xid, row.seq),
        changed: row.changed,
        invoices,
    })
}

#[derive(sqlx::FromRow)]
struct LookRow {
    lead: bool,
    xid: Option<i64>,
    seq: Option<i64>,
    changed: Vec<String>,
    logged: i64,
    ids: Option<Vec<i64>>,
    numbers: Option<Vec<Option<String>>>,
    customers: Option<Vec<Option<i64>>>,
    opens: Option<Vec<Option<i64>>>,
    theirs: Option<Vec<Option<bool>>>,
    may_go: Option<Vec<Option<bool>>>,
    balance_customers: Option<Vec<i64>>,
    balance_currencies: Option<Vec<String>>,
    balance_opens: Option<Vec<i64>>,
}

impl LookRow {
    /// The changed invoices, or None when too many changed or one is gone.
    fn invoices(&self) -> Option<Vec<ChangedInvoice>> {
        if self.logged > AT_MOST {
            return None;
        }
        let ids = self.ids.as_deref().unwrap_or_default();
        let balances = (self.balance_customers.iter().flatten())
            .zip(self.balance_currencies.iter().flatten())
            .zip(self.balance_opens.iter().flatten());
        let balance = |customer: i64| -> Vec<(String, i64)> {
            (balances.clone())
                .filter(|((c, _), _)| **c == customer)
                .map(|((_, currency), open)| (currency.clone(), *open))
                .collect()
        };
        let at = |i: usize| -> Option<ChangedInvoice> {
            let customer_id = (*self.customers.as_ref()?.get(i)?)?;
            Some(ChangedInvoice {
                id: ids[i],
                number: self.numbers.as_ref()?.get(i)?.clone()?,
                customer_id,
                open: (*self.opens.as_ref()?.get(i)?)?,
                theirs: (*self.theirs.as_ref()?.get(i)?)?,
                may_go: (*self.may_go.as_ref()?.get(i)?)?,
                balance: balance(customer_id),
            })
        };
        (0..ids.len()).map(at).collect()
    }
}

/// Whether a change to `invoice` can have changed `source`'s kept `items` (a source no invoice
/// reaches: never).
pub(super) fn reaches(source: Source, invoice: &ChangedInvoice, items: &[Arc<WorkItem>]) -> bool {
    match source {
        Source::Reminders => reaches_reminders(invoice, items),
        // A message shows its invoice's open amount; invoices never add or remove one.
        Source::Messages => items.iter().any(|i| match &i.subject {
            WorkSubject::Message(m) => m.invoice.as_deref() == Some(invoice.number.as_str()),
            _ => false,
        }),
        // A note shows its customer's open balance, which the look brought (`balances`).
        Source::Notices | Source::Disputes | Source::Holds | Source::Promises => false,
    }
}

/// Brings kept notes' balances up to the changed invoices' customers' (as the look read
/// them), in the reporting currency as `work_sources::notices` gives them.
pub(super) fn balances(notices: &mut [Arc<WorkItem>], invoices: &[ChangedInvoice], ctx: &Context) {
    for note in notices.iter_mut() {
        let Some(changed) = invoices.iter().find(|i| i.customer_id == note.customer_id) else {
            continue;
        };
        let at_stake = ctx.at_stake_of(changed.balance.iter().map(|(c, open)| (c.as_str(), *open)));
        if note.at_stake != at_stake {
            let note = Arc::make_mut(note);
            note.amount = at_stake;
            note.at_stake = at_stake;
        }
    }
}

/// The reminders are the largest `REMINDERS` that may go, by open amount then id: an invoice
/// reaches them when it is one of them, or may go now and would rank above the last of a full
/// list (or the list is short). One of another collector's customers never does.
fn reaches_reminders(invoice: &ChangedInvoice, items: &[Arc<WorkItem>]) -> bool {
    if !invoice.theirs {
        return false;
    }
    let kept: Vec<(i64, i64)> = items
        .iter()
        .filter_map(|i| match &i.subject {
            WorkSubject::Reminder(r) => Some((r.open, r.id)),
            _ => None,
        })
        .collect();
    if kept.iter().any(|(_, id)| *id == invoice.id) {
        return true;
    }
    if !invoice.may_go {
        return false;
    }
    if (kept.len() as i64) < super::work_sources::REMINDERS {
        return true;
    }
    // Largest first, ties by id: ranks above (open, id) when larger, or as large and older.
    let ranks_above =
        |(open, id): (i64, i64)| invoice.open > open || (invoice.open == open && invoice.id < id);
    kept.iter().any(|k| ranks_above(*k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::states::WorkKind;
    use crate::model::OpenInvoice;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn reminder(id: i64, open: i64) -> WorkItem {
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default();
        let inv = OpenInvoice {
            id,
            customer_id: id % 7,
            number: format!("INV-{id}"),
            customer: "Acme".into(),
            issue_date: day,
            due_date: day,
            amount: open,
            open,
            currency: "EUR".into(),
            disputed: false,
            expected: None,
        };
        WorkItem {
            kind: WorkKind::Reminder,
            reference: inv.number.clone(),
            customer_id: inv.customer_id,
            customer: inv.customer.clone(),
            why: String::new(),
            late_at: Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap(),
            amount: open,
            currency: "EUR".into(),
            at_stake: open,
            owner: None,
            subject: WorkSubject::Reminder(inv),
        }
    }

    /// An invoice changed to `open`, whose reminder may go when open (the rule's questions
    /// aside: `may_not_go`).
    fn changed(id: i64, open: i64, theirs: bool) -> ChangedInvoice {
        ChangedInvoice {
            id,
            number: format!("INV-{id}"),
            customer_id: id % 7,
            open,
            theirs,
            may_go: open > 0,
            balance: Vec::new(),
        }
    }

    /// The same, not yet due (or held back by a message, dispute, promise or pay day).
    fn may_not_go(id: i64, open: i64) -> ChangedInvoice {
        ChangedInvoice {
            may_go: false,
            ..changed(id, open, true)
        }
    }

    /// A full list: 150 reminders of 1,000.00 up to 2,490.00, ids 1..=150.
    fn full() -> Vec<Arc<WorkItem>> {
        (1..=super::super::work_sources::REMINDERS)
            .map(|id| Arc::new(reminder(id, 100_000 + (150 - id) * 1_000)))
            .collect()
    }

    #[test]
    fn a_full_list_of_reminders_is_reached_only_by_its_own_or_a_larger_invoice() {
        let list = full();
        // One of them paid (or changed at all).
        assert!(reaches(Source::Reminders, &changed(150, 0, true), &list));
        assert!(reaches(
            Source::Reminders,
            &changed(3, 147_000, true),
            &list
        ));
        // A smaller one paid, or still smaller than the last: the list stays.
        assert!(!reaches(
            Source::Reminders,
            &changed(900, 40_000, true),
            &list
        ));
        assert!(!reaches(Source::Reminders, &changed(900, 0, true), &list));
        // As large as the last (id 150, 1,000.00): ranks above it only when older.
        assert!(!reaches(
            Source::Reminders,
            &changed(900, 100_000, true),
            &list
        ));
        assert!(reaches(
            Source::Reminders,
            &changed(149, 100_000, true),
            &list
        ));
        // Larger than the last (an import raised it): it may now be among them.
        assert!(reaches(
            Source::Reminders,
            &changed(900, 100_001, true),
            &list
        ));
        // Another collector's customer's: never.
        assert!(!reaches(
            Source::Reminders,
            &changed(900, 9_000_000, false),
            &list
        ));
    }

    #[test]
    fn a_short_list_of_reminders_is_reached_by_any_invoice_that_may_go() {
        let list: Vec<Arc<WorkItem>> = full().into_iter().take(20).collect();
        assert!(reaches(Source::Reminders, &changed(900, 1, true), &list));
        assert!(!reaches(Source::Reminders, &changed(900, 0, true), &list));
        assert!(reaches(Source::Reminders, &changed(900, 5, true), &[]));
        // Not due yet, or held back: it cannot have joined, however large.
        assert!(!reaches(Source::Reminders, &may_not_go(900, 5), &[]));
        assert!(!reaches(
            Source::Reminders,
            &may_not_go(900, 9_000_000),
            &list
        ));
        // One of them held back now (a message queued, a promise): it leaves, so read.
        assert!(reaches(Source::Reminders, &may_not_go(3, 147_000), &list));
        assert!(!reaches(
            Source::Reminders,
            &may_not_go(900, 9_000_000),
            &full()
        ));
    }

    #[test]
    fn only_reminders_and_messages_are_reached_by_invoices() {
        let mut note = reminder(1, 0);
        note.kind = WorkKind::Task;
        note.customer_id = 5;
        let notes = [Arc::new(note)];
        // A note about the customer keeps its place: its balance is brought up to date.
        assert!(!reaches(Source::Notices, &changed(12, 0, true), &notes));
        for source in [Source::Disputes, Source::Holds, Source::Promises] {
            assert!(!reaches(source, &changed(1, 0, true), &notes));
        }
        // A message is about an invoice by its number; no message here is.
        assert!(!reaches(Source::Messages, &changed(1, 0, true), &notes));
    }
}
