//! `:work`: one list across disputes about to breach, paid orders still held, promises due or
//! broken, reminders that may go, messages to approve or decide, tasks and slipping accounts.
//! Each source is read with its own list's query where there is one, so an item carries the row
//! every key already works on; the ranking is `domain::work`'s one rule.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::lists::ListQuery;
use super::work_kept::{Asked, Listed, Loaded, Source, WorkCache};
use crate::domain::aging::rate_of;
use crate::domain::money::convert;
use crate::domain::states::WorkKind;
use crate::domain::work::{Urgency, minutes_left, rank};
use crate::filter::{Filter, Op};
use crate::lists::{Column, SortBy, WorkColumn};
use crate::model::{WorkItem, WorkSubject};

/// Who is asking, and what they asked for.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Leads see holds and messages to decide, and may look at anyone's work.
    pub lead: bool,
    /// Only this owner's items (`owner:me`, `owner:ben`).
    pub owner: Option<String>,
    pub kinds: Vec<WorkKind>,
    pub words: Vec<String>,
}

impl Scope {
    /// Reads `owner:`, `kind:` and free words; anything else is refused, naming the fields.
    pub fn read(filter: &Filter, me: &str, lead: bool) -> Result<Scope, StoreError> {
        let mut scope = Scope {
            lead,
            owner: None,
            kinds: Vec::new(),
            words: filter.words.iter().map(|w| w.to_lowercase()).collect(),
        };
        for p in &filter.predicates {
            if p.op != Op::Eq {
                return Err(StoreError::Refused(format!(
                    "`{}` compares only with `:`",
                    p.field
                )));
            }
            match p.field.as_str() {
                "owner" => {
                    let who = if p.value == "me" { me } else { &p.value };
                    if who != me && !lead {
                        return Err(StoreError::Refused(
                            "looking at another person's work needs the lead role".into(),
                        ));
                    }
                    scope.owner = Some(who.to_string());
                }
                "kind" => scope.kinds.push(p.value.parse().map_err(|_| {
                    let kinds: Vec<&str> = WorkKind::ALL.iter().map(|k| k.as_str()).collect();
                    StoreError::Refused(format!(
                        "`{}` is not a kind of work (kinds: {})",
                        p.value,
                        kinds.join(", ")
                    ))
                })?),
                other => {
                    return Err(StoreError::Refused(format!(
                        "unknown filter field `{other}` (fields: owner, kind)"
                    )));
                }
            }
        }
        Ok(scope)
    }

    /// Whose customers' reminders are read: a collector's own, the owner a lead asked for
    /// (None: every customer's, for a lead).
    fn reminders_of<'a>(&'a self, me: &'a str) -> Option<&'a str> {
        (!self.lead).then_some(me).or(self.owner.as_deref())
    }

    fn wants(&self, kind: WorkKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }

    /// Whether an item is this person's to see: the owner asked for; else a collector's own
    /// and nobody's (an unassigned dispute), and everything for a lead except other people's
    /// notifications.
    fn keeps(&self, item: &WorkItem, me: &str) -> bool {
        let owner = item.owner.as_ref().map(|(role, _)| role.as_str());
        let owned = match (&self.owner, owner) {
            (Some(want), got) => got == Some(want.as_str()),
            (None, got) if matches!(item.subject, WorkSubject::Notice(_)) => got == Some(me),
            (None, _) if self.lead => true,
            (None, got) => got.is_none() || got == Some(me),
        };
        if !owned || self.words.is_empty() {
            return owned;
        }
        let text = format!(
            "{} {} {} {}",
            item.customer,
            item.reference,
            item.why,
            item.kind.label()
        )
        .to_lowercase();
        self.words.iter().all(|w| text.contains(w.as_str()))
    }
}

/// The worklist at `now`, ranked, every source read.
pub async fn worklist(
    pool: &PgPool,
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<Vec<Arc<WorkItem>>, StoreError> {
    worklist_kept(pool, q, now, &mut WorkCache::default()).await
}

/// The worklist at `now`, ranked, reading again only the sources the changes since `cache`'s
/// last load can touch (`store::work_kept`); the cache keeps what this load read.
pub async fn worklist_kept(
    pool: &PgPool,
    q: &ListQuery,
    now: DateTime<Utc>,
    cache: &mut WorkCache,
) -> Result<Vec<Arc<WorkItem>>, StoreError> {
    // The context first: the look holds changed invoices to the reminder rule on its day.
    let (ctx, context_read, mut collectors) = match cache.context(now) {
        Some(ctx) => (ctx, false, cache.collectors(now)),
        None => (Context::load(pool, now).await?, true, HashMap::new()),
    };
    // The store says who leads; the console only asks. Whose reminders the changed invoices
    // are held to needs the owner asked for first (the scope read after the look refuses what
    // the role may not ask).
    let owner = Scope::read(&q.filter, &q.me, true)
        .ok()
        .and_then(|s| s.owner);
    let look = super::work_invoices::look(pool, cache.head(), (&q.me, owner.as_deref()), ctx.today)
        .await?;
    let scope = Scope::read(&q.filter, &q.me, look.lead)?;
    let asked = Asked {
        lead: scope.lead,
        owner: scope.owner.clone(),
        me: q.me.clone(),
    };
    let mut kept = cache.still_good(&asked, now, &look);
    if let (Some(notices), Some(invoices)) = (kept.get_mut(&Source::Notices), &look.invoices) {
        super::work_invoices::balances(notices, invoices, &ctx);
    }
    let unread: Vec<Source> = wanted(&scope)
        .into_iter()
        .filter(|s| !kept.contains_key(s))
        .collect();
    let mut fresh: HashMap<Source, Vec<WorkItem>> = gather(pool, &ctx, &scope, &q.me, &unread)
        .await?
        .into_iter()
        .collect();
    // Each source's items, fresh or kept, in the order sources are gathered (ties in the
    // ranking keep it); kept items are shared with the cache, not copied.
    let mut lists: Vec<Listed> = Vec::new();
    for source in Source::ALL {
        if let Some(read) = fresh.remove(&source) {
            let items = read.into_iter().map(Arc::new).collect();
            lists.push(Listed {
                source,
                items,
                read_now: true,
            });
        } else if let Some(items) = kept.remove(&source) {
            lists.push(Listed {
                source,
                items,
                read_now: false,
            });
        }
    }
    super::work_owners::assign(pool, &mut lists, &mut collectors).await?;
    let mut items: Vec<Arc<WorkItem>> = (lists.iter())
        .flat_map(|l| l.items.iter().cloned())
        .collect();
    items.retain(|i| {
        super::work_owners::shown(i, &q.me, scope.lead, &collectors)
            && scope.wants(i.kind)
            && scope.keeps(i, &q.me)
    });
    cache.keep(Loaded {
        asked,
        now,
        head: look.head,
        context: ctx,
        context_read,
        lists,
        collectors,
    });
    rank(&mut items, |i| Urgency {
        minutes_left: minutes_left(now, i.late_at),
        at_stake: i.at_stake,
    });
    sort(&mut items, q.sort);
    Ok(items)
}

/// The sources `scope` reads: a lead's holds and messages to decide, everyone's the rest.
fn wanted(scope: &Scope) -> Vec<Source> {
    Source::ALL
        .into_iter()
        .filter(|source| match source {
            Source::Disputes => scope.wants(WorkKind::Dispute),
            Source::Holds => scope.lead && scope.wants(WorkKind::Hold),
            Source::Promises => {
                scope.wants(WorkKind::PromiseDue) || scope.wants(WorkKind::PromiseBroken)
            }
            Source::Reminders => scope.wants(WorkKind::Reminder),
            Source::Messages => {
                scope.lead && (scope.wants(WorkKind::Approval) || scope.wants(WorkKind::Uncertain))
            }
            Source::Notices => scope.wants(WorkKind::Task) || scope.wants(WorkKind::Slipping),
        })
        .collect()
}

/// The sources `which` names, read side by side (each on its own connection: the worklist
/// waits for the slowest source, not for their sum).
async fn gather(
    pool: &PgPool,
    ctx: &Context,
    scope: &Scope,
    me: &str,
    which: &[Source],
) -> Result<Vec<(Source, Vec<WorkItem>)>, StoreError> {
    use super::dispute_queue::DisputesFor;
    use super::work_sources as from;
    use futures::future::{BoxFuture, FutureExt, try_join_all};
    type Read<'a> = BoxFuture<'a, Result<Vec<WorkItem>, StoreError>>;
    let reads = which.iter().map(|source| {
        let read: Read<'_> = match source {
            Source::Disputes => {
                let whose = match (&scope.owner, scope.lead) {
                    (Some(owner), _) => DisputesFor::AssignedTo(owner),
                    (None, true) => DisputesFor::Everyone,
                    (None, false) => DisputesFor::Collector(me),
                };
                from::disputes(pool, ctx, whose).boxed()
            }
            Source::Holds => from::holds(pool, ctx, me).boxed(),
            Source::Promises => from::promises(pool, ctx).boxed(),
            Source::Reminders => from::reminders(pool, ctx, scope.reminders_of(me)).boxed(),
            Source::Messages => from::messages(pool, ctx).boxed(),
            Source::Notices => from::notices(pool, ctx).boxed(),
        };
        read.map(move |items| items.map(|items| (*source, items)))
    });
    try_join_all(reads).await
}

/// `s` on `:work`: by a column, the ranking breaking ties (a stable sort over the ranked list).
fn sort(items: &mut [Arc<WorkItem>], by: Option<SortBy>) {
    let Some((column, descending)) =
        by.and_then(|s| WorkColumn::at(s.column).map(|c| (c, s.descending)))
    else {
        return;
    };
    let text = |i: &WorkItem| match column {
        WorkColumn::Kind => i.kind.label().to_string(),
        WorkColumn::Reference => i.reference.clone(),
        WorkColumn::Customer => i.customer.to_lowercase(),
        WorkColumn::Owner => i
            .owner
            .as_ref()
            .map(|o| o.1.to_lowercase())
            .unwrap_or_default(),
        _ => String::new(),
    };
    match column {
        WorkColumn::Due => items.sort_by_key(|i| i.late_at),
        WorkColumn::Amount => items.sort_by_key(|i| i.at_stake),
        _ => items.sort_by_cached_key(|i| text(i)),
    }
    if descending {
        items.reverse();
    }
}

/// What every source needs: the time, the rates, and who owns which customer.
#[derive(Clone)]
pub(super) struct Context {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub zone: chrono_tz::Tz,
    pub reporting: String,
    rates: crate::domain::aging::Rates,
    /// Display name → role name, for owners named by display name.
    roles: HashMap<String, String>,
}

impl Context {
    async fn load(pool: &PgPool, now: DateTime<Utc>) -> Result<Context, StoreError> {
        // Side by side: the first load and each renewal by age wait for one round trip here,
        // then the rates of the day.
        let agents = async {
            let agents: Vec<(String, String)> =
                sqlx::query_as("SELECT role_name, display_name FROM agents")
                    .fetch_all(pool)
                    .await?;
            Ok::<_, StoreError>(agents)
        };
        let (zone, reporting, agents) = tokio::try_join!(
            super::business_zone(pool),
            super::setting(pool, "reporting_currency"),
            agents
        )?;
        let today = now.with_timezone(&zone).date_naive();
        Ok(Context {
            now,
            today,
            zone,
            reporting,
            rates: super::aging::rates_at(pool, today).await?,
            roles: agents.into_iter().map(|(r, d)| (d, r)).collect(),
        })
    }

    /// The same context at `now` (the rates, settings and people as they were read).
    pub fn at(&self, now: DateTime<Utc>) -> Context {
        Context {
            now,
            today: self.day_of(now),
            ..self.clone()
        }
    }

    /// The business day `now` falls on.
    pub fn day_of(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.zone).date_naive()
    }

    /// An amount in the reporting currency's minor units (the aging's conversion).
    pub fn at_stake(&self, amount: i64, currency: &str) -> i64 {
        convert(amount, rate_of(&self.rates, &self.reporting, currency))
    }

    /// An open balance in several currencies (currency, minor units), in the reporting
    /// currency's minor units: what a note about the customer puts at stake.
    pub fn at_stake_of<'a>(&self, balance: impl IntoIterator<Item = (&'a str, i64)>) -> i64 {
        (balance.into_iter())
            .map(|(currency, open)| self.at_stake(open, currency))
            .sum()
    }

    /// An owner named by display name.
    pub fn owner_named(&self, name: Option<&str>) -> Option<(String, String)> {
        let name = name?;
        Some((self.roles.get(name)?.clone(), name.to_string()))
    }

    /// 09:00 business time on `day`, or the start of the day after it (`end_of`).
    pub fn at_nine(&self, day: NaiveDate) -> DateTime<Utc> {
        self.local(day, NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default())
    }

    pub fn end_of(&self, day: NaiveDate) -> DateTime<Utc> {
        self.local(day + Duration::days(1), NaiveTime::MIN)
    }

    fn local(&self, day: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
        self.zone
            .from_local_datetime(&day.and_time(t))
            .earliest()
            .map_or_else(|| day.and_time(t).and_utc(), |d| d.with_timezone(&Utc))
    }
}
