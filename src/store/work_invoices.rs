//! Whether the invoices changed since a console's worklist was read reach its kept sources,
//! invoice by invoice. A payment changes one invoice: a lead's reminders (the largest 150 of
//! the book that may go) change only when that invoice is one of them or now ranks among
//! them; the messages to decide, when one is about that invoice; the notices, when one is
//! about that invoice's customer. Twenty leads on `:work` while the ERP posts payments read
//! none of the three again for most payments (before, ~9 ms of store time a reload on the
//! large demo book, which their shared rest multiplied into seconds).

use sqlx::PgPool;

use super::StoreError;
use super::feed::Cursor;
use super::work_kept::Source;
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
}

/// The invoices changed past `since` up to `head`, as they stand now; None when more than
/// `AT_MOST` changes were logged, or one of them is gone (deleted).
pub(super) async fn changed_invoices(
    pool: &PgPool,
    (since, head): (Cursor, Cursor),
    collector: Option<&str>,
) -> Result<Option<Vec<ChangedInvoice>>, StoreError> {
    type Row = (i64, i64, Option<String>, Option<i64>, Option<i64>, bool);
    let rows: Vec<Row> = sqlx::query_as(
        // The log's range is walked at most AT_MOST + 1 rows far (its primary key's order).
        "WITH k AS (SELECT c.key FROM change_log c
                     WHERE c.tbl = 'invoices' AND (c.xid, c.seq) > ($1::text::xid8, $2)
                       AND (c.xid, c.seq) <= ($3::text::xid8, $4)
                     ORDER BY c.xid, c.seq LIMIT $6 + 1)
         SELECT (SELECT count(*) FROM k), d.key, i.number, i.customer_id, i.open_minor::bigint,
                $5::text IS NULL OR EXISTS (
                    SELECT 1 FROM customer_owners co JOIN agents a ON a.id = co.agent_id
                     WHERE co.customer_id = i.customer_id AND co.relation = 'collector'
                       AND a.role_name = $5)
           FROM (SELECT DISTINCT key FROM k) d LEFT JOIN invoices i ON i.id = d.key",
    )
    .bind(since.xid)
    .bind(since.seq)
    .bind(head.xid)
    .bind(head.seq)
    .bind(collector)
    .bind(AT_MOST)
    .fetch_all(pool)
    .await?;
    if rows.first().is_some_and(|r| r.0 > AT_MOST) {
        return Ok(None);
    }
    Ok(rows
        .into_iter()
        .map(|(_, id, number, customer_id, open, theirs)| {
            Some(ChangedInvoice {
                id,
                number: number?,
                customer_id: customer_id?,
                open: open?,
                theirs,
            })
        })
        .collect())
}

/// Whether a change to `invoice` can have changed `source`'s kept `items` (a source no invoice
/// reaches: never).
pub(super) fn reaches(source: Source, invoice: &ChangedInvoice, items: &[WorkItem]) -> bool {
    match source {
        Source::Reminders => reaches_reminders(invoice, items),
        // A message shows its invoice's open amount; invoices never add or remove one.
        Source::Messages => items.iter().any(|i| match &i.subject {
            WorkSubject::Message(m) => m.invoice.as_deref() == Some(invoice.number.as_str()),
            _ => false,
        }),
        // A note shows its customer's open balance.
        Source::Notices => items.iter().any(|i| i.customer_id == invoice.customer_id),
        Source::Disputes | Source::Holds | Source::Promises => false,
    }
}

/// The reminders are the largest `REMINDERS` that may go, by open amount then id: an invoice
/// reaches them when it is one of them, or is open and would rank above the last of a full
/// list (whether the rule lets it go is for a read to say). One of another collector's
/// customers never does.
fn reaches_reminders(invoice: &ChangedInvoice, items: &[WorkItem]) -> bool {
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
    if invoice.open <= 0 {
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

    fn changed(id: i64, open: i64, theirs: bool) -> ChangedInvoice {
        ChangedInvoice {
            id,
            number: format!("INV-{id}"),
            customer_id: id % 7,
            open,
            theirs,
        }
    }

    /// A full list: 150 reminders of 1,000.00 up to 2,490.00, ids 1..=150.
    fn full() -> Vec<WorkItem> {
        (1..=super::super::work_sources::REMINDERS)
            .map(|id| reminder(id, 100_000 + (150 - id) * 1_000))
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
    fn a_short_list_of_reminders_is_reached_by_any_open_invoice() {
        let list: Vec<WorkItem> = full().into_iter().take(20).collect();
        assert!(reaches(Source::Reminders, &changed(900, 1, true), &list));
        assert!(!reaches(Source::Reminders, &changed(900, 0, true), &list));
        assert!(reaches(Source::Reminders, &changed(900, 5, true), &[]));
    }

    #[test]
    fn notices_are_reached_by_their_customers_invoices_and_nothing_else_by_invoices() {
        let mut note = reminder(1, 0);
        note.kind = WorkKind::Task;
        note.customer_id = 5;
        let notes = [note];
        assert!(reaches(Source::Notices, &changed(12, 0, false), &notes));
        assert!(!reaches(Source::Notices, &changed(13, 0, true), &notes));
        for source in [Source::Disputes, Source::Holds, Source::Promises] {
            assert!(!reaches(source, &changed(1, 0, true), &notes));
        }
        // A message is about an invoice by its number; no message here is.
        assert!(!reaches(Source::Messages, &changed(1, 0, true), &notes));
    }
}
