//! What a console keeps of its last worklist, so a change reloads only the sources it can
//! touch. A payment changes an invoice: the reminders that may go, the messages to decide and
//! the notices' balances are read again; the disputes about to breach, the cleared holds and
//! the promises due are kept. Which sources a change touches is read from the change log
//! (the tables written since the list was last read, in the statement that reads its head).
//! Tables outside the change log (owners, profiles, presence, settings) and the clock are
//! caught up by age: no kept source is older than `store::kept::MAX_AGE_SECS`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::feed::Cursor;
use super::kept::MAX_AGE_SECS;
use super::work::Context;
use super::work_invoices::{ChangedInvoice, reaches};
use crate::model::WorkItem;

/// One of the worklist's sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Disputes,
    Holds,
    Promises,
    Reminders,
    Messages,
    Notices,
}

impl Source {
    /// In the order items are gathered (ties in the ranking keep it).
    pub const ALL: [Source; 6] = [
        Source::Disputes,
        Source::Holds,
        Source::Promises,
        Source::Reminders,
        Source::Messages,
        Source::Notices,
    ];

    /// The logged tables whose changes can change this source's items. Payments, allocations
    /// and credit notes reach an item only through the invoice or promise they change, which is
    /// logged with them.
    fn touched_by(self) -> &'static [&'static str] {
        match self {
            // Lines: the dispute, its events (the kept clocks), its customer; the invoice's
            // number, which never changes.
            Source::Disputes => &["disputes", "dispute_events", "customers"],
            // A hold clears when its blocking invoices are paid: the hold's row changes.
            Source::Holds => &["holds", "customers"],
            // What was paid against a promise is kept on the promise.
            Source::Promises => &["promises", "customers"],
            // `reminder_block`'s tests: open, disputed, promised, messages live or sent.
            Source::Reminders => &["invoices", "customers", "disputes", "promises", "outreach"],
            // The invoice's open amount, and the suppression a queued reminder would meet.
            Source::Messages => &["outreach", "customers", "invoices", "disputes", "promises"],
            // The notes themselves (written, read), and their customers' open balances.
            Source::Notices => &["notifications", "customers", "invoices"],
        }
    }

    /// Whether `changed` (tables written since the source was read) can have changed it.
    fn touched(self, changed: &[String]) -> bool {
        super::kept::touched(changed, self.touched_by())
    }
}

/// What the sources were read for: a different question reads them all again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Asked {
    pub lead: bool,
    pub owner: Option<String>,
    pub me: String,
}

/// A console's kept worklist sources (empty: the next load reads everything).
#[derive(Default)]
pub struct WorkCache {
    kept: Option<Kept>,
    /// The sources the last load read (the others it kept).
    read: Vec<Source>,
}

struct Kept {
    asked: Asked,
    /// The change log's head when the sources were last looked at: every kept source shows
    /// all changes up to it.
    head: Cursor,
    context: (DateTime<Utc>, Context),
    sources: HashMap<Source, (DateTime<Utc>, Vec<WorkItem>)>,
    /// Each customer's collector (None: nobody collects for them), as last read.
    collectors: HashMap<i64, Option<(String, String)>>,
}

/// One look before a load: who is asking, the change log's head, and the tables written since
/// `since` (none asked on a first load).
pub(super) struct Look {
    pub lead: bool,
    pub head: Cursor,
    pub changed: Vec<String>,
    /// The invoices changed, as they stand now (`work_invoices`), when asked and few enough:
    /// each source is then held to them one by one instead of to the table.
    pub invoices: Option<Vec<ChangedInvoice>>,
}

impl Look {
    /// Whether the changes it saw can have changed `source`, kept as `items`.
    fn touches(&self, source: Source, items: &[WorkItem]) -> bool {
        let Some(invoices) = &self.invoices else {
            return source.touched(&self.changed);
        };
        let elsewhere: Vec<String> = (self.changed.iter())
            .filter(|t| *t != "invoices")
            .cloned()
            .collect();
        source.touched(&elsewhere)
            || (source.touched_by().contains(&"invoices")
                && invoices.iter().any(|i| reaches(source, i, items)))
    }
}

/// The role (the store says who leads), the readable head, and the tables changed since
/// `since`, side by side.
pub(super) async fn look(pool: &PgPool, since: Option<Cursor>) -> Result<Look, StoreError> {
    let lead = async {
        let lead: bool = sqlx::query_scalar("SELECT settle_role() = 'lead'")
            .fetch_one(pool)
            .await?;
        Ok::<_, StoreError>(lead)
    };
    let (lead, (head, changed)) = tokio::try_join!(lead, super::kept::changed_since(pool, since))?;
    Ok(Look {
        lead,
        head,
        changed,
        invoices: None,
    })
}

impl WorkCache {
    /// The sources the last load read from the store; it kept the others.
    pub fn last_read(&self) -> &[Source] {
        &self.read
    }

    /// Where the kept sources stand in the change log (None: nothing kept).
    pub(super) fn head(&self) -> Option<Cursor> {
        self.kept.as_ref().map(|k| k.head)
    }

    /// The kept sources still good for `asked` at `now` after `look`: each with its items;
    /// the rest must be read. Drops everything when the question or the business day changed.
    pub(super) fn still_good(
        &mut self,
        asked: &Asked,
        now: DateTime<Utc>,
        look: &Look,
    ) -> HashMap<Source, Vec<WorkItem>> {
        let Some(kept) = &mut self.kept else {
            return HashMap::new();
        };
        let day_moved = kept.context.1.today != kept.context.1.day_of(now);
        if kept.asked != *asked || day_moved || look.head < kept.head {
            self.kept = None;
            return HashMap::new();
        }
        kept.sources
            .iter()
            .filter(|(source, (at, items))| {
                (now - *at).num_seconds() < MAX_AGE_SECS && !look.touches(**source, items)
            })
            .map(|(source, (_, items))| (*source, items.clone()))
            .collect()
    }

    /// The kept context at `now`, if it is young enough.
    pub(super) fn context(&self, now: DateTime<Utc>) -> Option<Context> {
        let (at, ctx) = &self.kept.as_ref()?.context;
        ((now - *at).num_seconds() < MAX_AGE_SECS).then(|| ctx.at(now))
    }

    /// The collectors kept (empty when nothing is kept, or they are too old).
    pub(super) fn collectors(
        &mut self,
        now: DateTime<Utc>,
    ) -> HashMap<i64, Option<(String, String)>> {
        match &mut self.kept {
            Some(k) if (now - k.context.0).num_seconds() < MAX_AGE_SECS => {
                std::mem::take(&mut k.collectors)
            }
            _ => HashMap::new(),
        }
    }

    /// Keeps what a load read: `fresh` sources read at `now`, the others kept as they were.
    pub(super) fn keep(&mut self, load: Loaded) {
        let previous = self.kept.take().filter(|k| k.asked == load.asked);
        let (context, mut sources) = match previous {
            Some(k) => (
                if load.context_read {
                    (load.now, load.context)
                } else {
                    k.context
                },
                k.sources,
            ),
            None => ((load.now, load.context), HashMap::new()),
        };
        self.read = load.fresh.iter().map(|(source, _)| *source).collect();
        for (source, items) in load.fresh {
            sources.insert(source, (load.now, items));
        }
        self.kept = Some(Kept {
            asked: load.asked,
            head: load.head,
            context,
            sources,
            collectors: load.collectors,
        });
    }
}

/// What one load read, for `WorkCache::keep`.
pub(super) struct Loaded {
    pub asked: Asked,
    pub now: DateTime<Utc>,
    pub head: Cursor,
    pub context: Context,
    /// Whether the context was read now (else it is the kept one, brought to `now`).
    pub context_read: bool,
    pub fresh: Vec<(Source, Vec<WorkItem>)>,
    pub collectors: HashMap<i64, Option<(String, String)>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(tables: &[&str]) -> Vec<String> {
        tables.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_payment_reads_again_only_what_an_invoice_reaches() {
        let payment = changed(&["payments", "allocations", "invoices"]);
        let read: Vec<Source> = Source::ALL
            .into_iter()
            .filter(|s| s.touched(&payment))
            .collect();
        assert_eq!(
            read,
            [Source::Reminders, Source::Messages, Source::Notices],
            "a payment keeps the disputes, holds and promises"
        );
    }

    #[test]
    fn a_cleared_hold_or_a_dispute_event_reads_its_source_again() {
        assert!(Source::Holds.touched(&changed(&["invoices", "holds"])));
        assert!(Source::Disputes.touched(&changed(&["dispute_events"])));
        assert!(!Source::Disputes.touched(&changed(&["holds"])));
        assert!(Source::Promises.touched(&changed(&["promises"])));
    }

    #[test]
    fn a_table_the_sources_do_not_know_reads_every_source_again() {
        let unknown = changed(&["contracts"]);
        assert!(Source::ALL.into_iter().all(|s| s.touched(&unknown)));
        assert!(Source::Notices.touched(&changed(&["notifications"])));
        assert!(!Source::Notices.touched(&[]));
        assert!(!Source::Disputes.touched(&changed(&["notifications"])));
    }
}
