//! What a console keeps of its last worklist, so a change reloads only the sources it can
//! touch. A payment changes an invoice: the reminders that may go and the messages to decide
//! are read again only when that invoice reaches them (`work_invoices`), the notes take the
//! customer's new balance; the disputes about to breach, the cleared holds and the promises
//! due are kept. Which sources a change touches is read from the change log (the tables
//! written since the list was last read, and the invoices, in the statement that reads its
//! head). Tables outside the change log (owners, profiles, agents, settings) and the clock are
//! caught up by age: past an age drawn per console up to `store::kept::MAX_AGE_SECS` a source
//! is read again, one a load (the oldest), and all at once past twice that.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::feed::Cursor;
use super::kept::MAX_AGE_SECS;
use super::work::Context;
use super::work_invoices::{ChangedInvoice, reaches};
use super::work_owners::Collectors;
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
pub struct WorkCache {
    kept: Option<Kept>,
    /// The sources the last load read (the others it kept).
    read: Vec<Source>,
    /// This console's age after which a kept source is read again: drawn between half of
    /// `MAX_AGE_SECS` and all of it, so consoles opened together (a team at nine, every console
    /// after the database restarted) do not all read again together.
    max_age: i64,
}

impl Default for WorkCache {
    fn default() -> Self {
        WorkCache {
            kept: None,
            read: Vec::new(),
            max_age: rand::random_range(MAX_AGE_SECS / 2..=MAX_AGE_SECS),
        }
    }
}

struct Kept {
    asked: Asked,
    /// The change log's head when the sources were last looked at: every kept source shows
    /// all changes up to it.
    head: Cursor,
    context: (DateTime<Utc>, Context),
    sources: HashMap<Source, (DateTime<Utc>, Vec<Arc<WorkItem>>)>,
    /// Each customer's collector (None: nobody collects for them), as last read.
    collectors: Collectors,
}

/// One look before a load: who is asking, the change log's head, and the tables written since
/// `since` (none asked on a first load).
pub(super) struct Look {
    pub lead: bool,
    pub head: Cursor,
    pub changed: Vec<String>,
    /// The invoices changed, as they stand now (`work_invoices::look`), when few enough: each
    /// source is then held to them one by one instead of to the table.
    pub invoices: Option<Vec<ChangedInvoice>>,
}

impl Look {
    /// Whether the changes it saw can have changed `source`, kept as `items`.
    fn touches(&self, source: Source, items: &[Arc<WorkItem>]) -> bool {
        let Some(invoices) = &self.invoices else {
            return source.touched(&self.changed);
        };
        let elsewhere: Vec<String> = (self.changed.iter())
            .filter(|t| *t != "invoices")
            .cloned()
            .collect();
        source.touched(&elsewhere) || invoices.iter().any(|i| reaches(source, i, items))
    }
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
    ) -> HashMap<Source, Vec<Arc<WorkItem>>> {
        let Some(kept) = &mut self.kept else {
            return HashMap::new();
        };
        let day_moved = kept.context.1.today != kept.context.1.day_of(now);
        if kept.asked != *asked || day_moved || look.head < kept.head {
            self.kept = None;
            return HashMap::new();
        }
        let context_due = (now - kept.context.0).num_seconds() >= self.max_age;
        let renew = renewed_by_age(&kept.sources, now, self.max_age, context_due);
        kept.sources
            .iter()
            .filter(|(source, (_, items))| {
                !renew.contains(source) && !look.touches(**source, items)
            })
            .map(|(source, (_, items))| (*source, items.clone()))
            .collect()
    }

    /// The kept context at `now`, if it is young enough.
    pub(super) fn context(&self, now: DateTime<Utc>) -> Option<Context> {
        let (at, ctx) = &self.kept.as_ref()?.context;
        ((now - *at).num_seconds() < self.max_age).then(|| ctx.at(now))
    }

    /// The collectors kept (empty when nothing is kept, or they are too old).
    pub(super) fn collectors(&mut self, now: DateTime<Utc>) -> Collectors {
        match &mut self.kept {
            Some(k) if (now - k.context.0).num_seconds() < self.max_age => {
                std::mem::take(&mut k.collectors)
            }
            _ => HashMap::new(),
        }
    }

    /// Keeps what a load listed: the sources it read, as read at `now`; the ones it kept, with
    /// their owners brought up to date and the time they were read.
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
        self.read = (load.lists.iter())
            .filter(|l| l.read_now)
            .map(|l| l.source)
            .collect();
        for l in load.lists {
            let at = match sources.get(&l.source) {
                Some((at, _)) if !l.read_now => *at,
                _ => load.now,
            };
            sources.insert(l.source, (at, l.items));
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

/// The kept sources a load reads again by age: the oldest of those past `max_age`, one a load, so sources read together are not all read again together (twenty consoles opened at
/// once read everything again at once every 20 s, and the rests those loads' cost set kept
/// them seconds behind); none while the context (rates, people, collectors) is read again by
/// age in the same load; all of them once one is past twice that (a console that reloads
/// rarely catches up at once).
fn renewed_by_age(
    sources: &HashMap<Source, (DateTime<Utc>, Vec<Arc<WorkItem>>)>,
    now: DateTime<Utc>,
    max_age: i64,
    context_due: bool,
) -> Vec<Source> {
    let mut aged: Vec<(i64, usize, Source)> = sources
        .iter()
        .map(|(source, (at, _))| {
            let order = Source::ALL.iter().position(|s| s == source);
            ((now - *at).num_seconds(), order.unwrap_or(0), *source)
        })
        .filter(|(age, _, _)| *age >= max_age)
        .collect();
    // Oldest first, then in the order sources are gathered.
    aged.sort_by_key(|(age, order, _)| (std::cmp::Reverse(*age), *order));
    let all = aged.first().is_some_and(|(age, _, _)| *age >= 2 * max_age);
    let take = match (all, context_due) {
        (true, _) => aged.len(),
        (false, true) => 0,
        (false, false) => 1,
    };
    aged.into_iter().take(take).map(|(_, _, s)| s).collect()
}

/// One source's items as a load lists them: read now, or kept (shared with the cache).
pub(super) struct Listed {
    pub source: Source,
    pub items: Vec<Arc<WorkItem>>,
    pub read_now: bool,
}

/// What one load read, for `WorkCache::keep`.
pub(super) struct Loaded {
    pub asked: Asked,
    pub now: DateTime<Utc>,
    pub head: Cursor,
    pub context: Context,
    /// Whether the context was read now (else it is the kept one, brought to `now`).
    pub context_read: bool,
    pub lists: Vec<Listed>,
    pub collectors: Collectors,
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
    fn sources_past_their_age_are_read_again_one_a_load_and_all_past_twice_it() {
        let now = Utc::now();
        let read_at = |secs: i64| (now - chrono::Duration::seconds(secs), Vec::new());
        let mut sources: HashMap<Source, (DateTime<Utc>, Vec<Arc<WorkItem>>)> = Source::ALL
            .into_iter()
            .map(|s| (s, read_at(MAX_AGE_SECS - 1)))
            .collect();
        assert_eq!(renewed_by_age(&sources, now, MAX_AGE_SECS, false), []);
        // Read together 21 s ago: the first gathered goes first, the others wait a load.
        for source in Source::ALL {
            sources.insert(source, read_at(MAX_AGE_SECS + 1));
        }
        assert_eq!(
            renewed_by_age(&sources, now, MAX_AGE_SECS, false),
            [Source::Disputes]
        );
        sources.insert(Source::Disputes, read_at(0));
        sources.insert(Source::Notices, read_at(MAX_AGE_SECS + 5));
        assert_eq!(
            renewed_by_age(&sources, now, MAX_AGE_SECS, false),
            [Source::Notices]
        );
        // While the context is read again by age, the sources wait a load.
        assert_eq!(renewed_by_age(&sources, now, MAX_AGE_SECS, true), []);
        // One past twice the age: every aged source at once.
        sources.insert(Source::Promises, read_at(2 * MAX_AGE_SECS));
        let all = renewed_by_age(&sources, now, MAX_AGE_SECS, false);
        assert_eq!(all.len(), 5, "{all:?}");
        assert_eq!(all[0], Source::Promises);
        assert!(!all.contains(&Source::Disputes));
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
