//! Everything the console shows, and nothing it does not. `ui::render` draws from this alone.

use crate::domain::states::Role;
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::aging::{AgingSummary, Basis, BucketEdges};
use crate::domain::kpi::Kpis;
use crate::domain::trust::TrustMetrics;
use crate::model::{
    Account, AuditEntry, Case, CustomerAging, DisputeLine, HeldOrder, MessageView, Notice,
    OpenInvoice, OutreachLine, PromiseLine, SlippingAccount, WorkItem,
};

/// Who is looking, at which store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    pub user: String,
    pub role: Role,
    pub agent: Option<String>,
    pub database: String,
    pub host: String,
    pub readonly: bool,
    pub environment: String,
}

/// The live feed's health, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Feed {
    #[default]
    Connecting,
    Live,
    /// No successful poll for this many seconds.
    Stale(u64),
    /// The store cannot be reached; the reason.
    Lost(String),
    /// Committed changes wait this many seconds behind a transaction left open somewhere.
    Behind(u64),
}

/// A view's data: not asked for yet, on its way, here, or failed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Loadable<T> {
    #[default]
    Idle,
    Loading,
    Ready(T),
    Failed(String),
}

impl<T> Loadable<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loadable::Ready(v) => Some(v),
            _ => None,
        }
    }
}

/// Where in the aging drill-down we are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgingLevel {
    Buckets,
    Customers {
        bucket: usize,
    },
    Invoices {
        bucket: usize,
        customer: i64,
        name: String,
    },
}

/// The screens of the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Overview,
    Aging(AgingLevel),
    Disputes,
    Holds,
    Outreach,
    Promises,
    Customer(i64),
    Activity,
    /// One dispute's case, from the queue.
    Case(i64),
    /// One message, from `:outreach`.
    Message(i64),
    /// The person's notifications.
    Inbox,
    /// What to do next, ranked across disputes, holds, promises, reminders and messages.
    Work,
    /// Accounts slipping from their usual pay day.
    Slipping,
}

impl View {
    pub fn title(&self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Aging(_) => "Aging",
            View::Disputes | View::Case(_) => "Disputes",
            View::Holds => "Holds",
            View::Outreach | View::Message(_) => "Outreach",
            View::Promises => "Promises",
            View::Inbox => "Inbox",
            View::Work => "Work",
            View::Slipping => "Slipping",
            View::Customer(_) => "Customer",
            View::Activity => "Activity",
        }
    }

    /// The columns a list view shows, as the table draws them and the store sorts by them.
    pub fn columns(&self) -> Vec<crate::lists::Spec> {
        use crate::lists::*;
        match self {
            View::Aging(AgingLevel::Buckets)
            | View::Overview
            | View::Customer(_)
            | View::Case(_)
            | View::Message(_) => specs::<BucketColumn>(),
            View::Aging(AgingLevel::Customers { .. }) => specs::<CustomerColumn>(),
            View::Aging(AgingLevel::Invoices { .. }) => specs::<InvoiceColumn>(),
            View::Disputes => specs::<DisputeColumn>(),
            View::Holds => specs::<HoldColumn>(),
            View::Outreach => specs::<OutreachColumn>(),
            View::Promises => specs::<PromiseColumn>(),
            View::Inbox => specs::<InboxColumn>(),
            View::Work => specs::<WorkColumn>(),
            View::Slipping => specs::<SlippingColumn>(),
            View::Activity => specs::<ActivityColumn>(),
        }
    }

    /// Positions of the columns `s` may sort by.
    pub fn sortable_columns(&self) -> Vec<usize> {
        crate::lists::sortable_of(&self.columns())
    }

    /// Whether the view is a list the cursor moves in.
    pub fn is_list(&self) -> bool {
        !matches!(
            self,
            View::Overview | View::Customer(_) | View::Case(_) | View::Message(_)
        )
    }
}

/// The rows a list view holds (one window of them).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Rows {
    #[default]
    None,
    Buckets(AgingSummary),
    Customers(Vec<CustomerAging>),
    Invoices(Vec<OpenInvoice>),
    Disputes(Vec<DisputeLine>),
    Holds(Vec<HeldOrder>),
    Outreach(Vec<OutreachLine>),
    Promises(Vec<PromiseLine>),
    Inbox(Vec<Notice>),
    Work(Vec<std::sync::Arc<WorkItem>>),
    Slipping(Vec<SlippingAccount>),
    Activity(Vec<AuditEntry>),
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::None => 0,
            Rows::Buckets(s) => s.lines.len(),
            Rows::Customers(r) => r.len(),
            Rows::Invoices(r) => r.len(),
            Rows::Disputes(r) => r.len(),
            Rows::Holds(r) => r.len(),
            Rows::Outreach(r) => r.len(),
            Rows::Promises(r) => r.len(),
            Rows::Inbox(r) => r.len(),
            Rows::Work(r) => r.len(),
            Rows::Slipping(r) => r.len(),
            Rows::Activity(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The stable key of row `i` (what selection follows across refreshes) and the id a user
    /// copies.
    pub fn key(&self, i: usize) -> Option<String> {
        match self {
            Rows::None => None,
            Rows::Buckets(s) => s.lines.get(i).map(|l| l.bucket.label.clone()),
            Rows::Customers(r) => r.get(i).map(|c| c.code.clone()),
            Rows::Invoices(r) => r.get(i).map(|x| x.number.clone()),
            Rows::Disputes(r) => r.get(i).map(|x| x.number.clone()),
            Rows::Holds(r) => r.get(i).map(|x| x.order.clone()),
            Rows::Outreach(r) => r.get(i).map(|x| format!("MSG-{}", x.id)),
            Rows::Promises(r) => r.get(i).map(|x| format!("PTP-{}", x.id)),
            Rows::Inbox(r) => r.get(i).map(|x| format!("NOTE-{}", x.id)),
            Rows::Work(r) => r.get(i).map(|x| x.reference.clone()),
            Rows::Slipping(r) => r.get(i).map(|x| x.code.clone()),
            Rows::Activity(r) => r.get(i).map(|x| format!("AUDIT-{}", x.id)),
        }
    }

    /// What a bulk action needs of row `i`.
    pub fn marked(&self, i: usize) -> Option<Marked> {
        let m = |id, label: &str, amount, currency: &str, seen: Option<String>| Marked {
            id,
            label: label.to_string(),
            amount,
            currency: currency.to_string(),
            seen,
        };
        match self {
            Rows::Holds(r) => r
                .get(i)
                .map(|h| m(h.hold_id, &h.order, h.amount, &h.currency, None)),
            Rows::Disputes(r) => r
                .get(i)
                .map(|d| m(d.id, &d.number, d.amount, &d.currency, d.assignee.clone())),
            Rows::Outreach(r) => r
                .get(i)
                .map(|o| m(o.id, &format!("MSG-{}", o.id), 0, "", None)),
            _ => None,
        }
    }

    /// Row `i` as the keys act on it: a worklist item as the row of its own list (so its keys
    /// work as they do there), any other row as it is. The rows and the row's place in them.
    pub fn acted_on(&self, i: usize) -> (std::borrow::Cow<'_, Rows>, usize) {
        use crate::model::WorkSubject as S;
        use std::borrow::Cow;
        let item = match self {
            Rows::Work(r) => r.get(i),
            _ => return (Cow::Borrowed(self), i),
        };
        let Some(item) = item else {
            return (Cow::Owned(Rows::None), 0);
        };
        let rows = match &item.subject {
            S::Dispute(d) => Rows::Disputes(vec![(**d).clone()]),
            S::Hold(h) => Rows::Holds(vec![h.clone()]),
            S::Promise(p) => Rows::Promises(vec![p.clone()]),
            S::Reminder(inv) => Rows::Invoices(vec![inv.clone()]),
            S::Message(m) => Rows::Outreach(vec![m.clone()]),
            S::Notice(n) => Rows::Inbox(vec![n.clone()]),
        };
        (Cow::Owned(rows), 0)
    }

    pub fn position(&self, key: &str) -> Option<usize> {
        (0..self.len()).find(|i| self.key(*i).as_deref() == Some(key))
    }
}

/// A row marked for a bulk action: what the action needs even when it has scrolled away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub id: i64,
    pub label: String,
    pub amount: i64,
    pub currency: String,
    /// The state the console saw (a dispute's assignee), for conflict detection.
    pub seen: Option<String>,
}

/// A list view's window of rows, cursor, filter and sort.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListState {
    pub rows: Rows,
    /// Rows matching in all (the window holds `rows` from `offset`).
    pub total: i64,
    pub offset: i64,
    /// Absolute index of the selected row.
    pub selected: usize,
    pub selected_key: Option<String>,
    pub filter: String,
    /// The filter of the rows on show: a filter the store refuses gives way to it.
    pub applied_filter: String,
    pub sort: Option<crate::lists::SortBy>,
    /// Rows marked for a bulk action, by key.
    pub marked: std::collections::BTreeMap<String, Marked>,
    pub loading: bool,
    pub error: Option<String>,
}

impl ListState {
    /// The selected row's place in the fetched window (`rows` starts at `offset`).
    pub fn window_index(&self) -> usize {
        self.selected.saturating_sub(self.offset as usize)
    }
}

/// What is being typed on the bottom line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    Command,
    Filter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
}

/// How severe a status-line message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Error,
}

/// The aging parameters every aging figure is computed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingParams {
    pub as_of: NaiveDate,
    pub basis: Basis,
    pub edges: BucketEdges,
}

/// The overview's figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OverviewData {
    pub aging: AgingSummary,
    pub kpis: Kpis,
    pub trust: TrustMetrics,
    pub alerts: Vec<String>,
}

/// The whole console state.
#[derive(Debug, Clone)]
pub struct State {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub session: SessionInfo,
    pub feed: Feed,
    /// When the feed last reached the store (for "stale Ns").
    pub feed_ok_at: DateTime<Utc>,
    /// With `--read-url`: how far behind the primary the replica the views read from is
    /// (`Some(None)`: it does not answer); `None` without a replica.
    pub replica: Option<Option<u64>>,
    pub view: View,
    /// Where `esc` goes back to: each view left, with its list as it was and its breadcrumb
    /// path then (the next view's path starts from it).
    pub back: Vec<(View, ListState, Vec<String>)>,
    /// Where `-` goes.
    pub last_view: Option<View>,
    pub aging: AgingParams,
    pub overview: Loadable<OverviewData>,
    /// The overview alert the cursor is on (`enter` opens the list it counts).
    pub alert: Option<usize>,
    pub list: ListState,
    pub account: Loadable<Account>,
    /// The dispute case on show.
    pub case: Loadable<Case>,
    /// The message on show.
    pub message: Loadable<MessageView>,
    /// How far the customer or case view is scrolled, in lines.
    pub page_scroll: usize,
    pub input: Option<Input>,
    pub dialog: Option<crate::app::dialog::Dialog>,
    /// The confirmed dialog whose request is on its way: if the store refuses it, the dialog
    /// comes back with what was typed and the reason.
    pub in_flight: Option<crate::app::dialog::Dialog>,
    /// Text left in dialogs when an earlier console ended (hang-up, stop), by draft key.
    pub drafts: std::collections::BTreeMap<String, String>,
    pub history: Vec<String>,
    /// Decimal places of the reporting currency.
    pub exponent: u32,
    /// Decimal places of every currency the store knows (amounts typed in a dialog are read in
    /// their row's currency).
    pub exponents: std::collections::BTreeMap<String, u32>,
    pub status: Option<(Severity, String)>,
    pub show_help: bool,
    pub help_scroll: u16,
    /// Typed while help is open: only lines containing it are shown.
    pub help_filter: String,
    pub explain: bool,
    /// The generation of the view load on its way, if one is; changes seen meanwhile set
    /// `refresh_due` and cost one more load when it lands, however many there were.
    pub loading_generation: Option<u64>,
    pub refresh_due: bool,
    /// The view rests after its load of this generation (`domain::pace`): changes meanwhile
    /// wait for the rest to end and cost one reload.
    pub resting: Option<u64>,
    /// What loading the current view costs, as its rests weigh it.
    pub view_cost: crate::domain::pace::ViewCost,
    /// How many settle processes share the store (0: not counted yet).
    pub settles: u64,
    /// Live updates paused; `pending` counts changes seen meanwhile.
    pub frozen: bool,
    pub pending: bool,
    /// Rows the body can show (from the terminal size).
    pub page_rows: usize,
    /// The live keymap, for hints and help: each action and its keys.
    pub keys: Vec<(crate::app::Action, String)>,
    /// Bumped on every view load; replies carrying an older generation are dropped.
    pub generation: u64,
    /// Bumped on every side request (search, template, agents); older replies are dropped.
    pub side_request: u64,
    /// The side request asking who else uses a demo's store before quitting it.
    pub quit_check: Option<u64>,
    /// The last cursor move, until the cursor rests (then others are told where it is).
    pub cursor_moved: Option<u64>,
    pub quit: bool,
}

impl State {
    pub fn new(now: DateTime<Utc>, today: NaiveDate, session: SessionInfo) -> Self {
        State {
            now,
            today,
            session,
            feed: Feed::Connecting,
            feed_ok_at: now,
            replica: None,
            view: View::Overview,
            back: Vec::new(),
            last_view: None,
            aging: AgingParams {
                as_of: today,
                basis: Basis::Due,
                edges: BucketEdges::default(),
            },
            overview: Loadable::Idle,
            alert: None,
            list: ListState::default(),
            account: Loadable::Idle,
            case: Loadable::Idle,
            message: Loadable::Idle,
            page_scroll: 0,
            input: None,
            dialog: None,
            in_flight: None,
            drafts: std::collections::BTreeMap::new(),
            history: Vec::new(),
            exponent: 2,
            exponents: std::collections::BTreeMap::new(),
            status: None,
            show_help: false,
            help_scroll: 0,
            help_filter: String::new(),
            explain: false,
            loading_generation: None,
            refresh_due: false,
            resting: None,
            view_cost: crate::domain::pace::ViewCost::default(),
            settles: 0,
            frozen: false,
            pending: false,
            page_rows: 20,
            keys: Vec::new(),
            generation: 0,
            side_request: 0,
            cursor_moved: None,
            quit_check: None,
            quit: false,
        }
    }

    /// Whether anything on screen counts down by the second (SLA timers, release lag).
    pub fn has_ticking_clocks(&self) -> bool {
        matches!(
            self.view,
            View::Disputes | View::Holds | View::Case(_) | View::Work
        )
    }

    /// How long the view rests between reloads on changes, given its cost and how many share
    /// the store (`domain::pace`).
    pub fn refresh_pause_ms(&self) -> u64 {
        crate::domain::pace::refresh_pause(self.view_cost.ms(), self.settles)
    }

    /// A change is known and the view will reload for it (after its rest or its load in
    /// flight, or when live updates resume): the feed need not look as often meanwhile.
    pub fn reload_due(&self) -> bool {
        self.refresh_due || (self.frozen && self.pending)
    }

    /// The rest in whole seconds, when it is long enough for the header to say it.
    pub fn refresh_said(&self) -> Option<u64> {
        let ms = self.refresh_pause_ms();
        (ms >= crate::domain::pace::SAID_FROM_MS).then(|| ms.div_ceil(1000))
    }

    /// Decimal places of `currency` (two if the store did not say).
    pub fn exponent_of(&self, currency: &str) -> u32 {
        self.exponents.get(currency).copied().unwrap_or(2)
    }

    /// The keys bound to an action, as the hint bar shows them (empty if unbound).
    pub fn key_for(&self, action: crate::app::Action) -> &str {
        self.keys
            .iter()
            .find(|(a, _)| *a == action)
            .map_or("", |(_, k)| k.as_str())
    }

    /// The breadcrumb trail: `Disputes › ACME Corp › DSP-2291`.
    /// The whole path here: `Aging › 1-30 › Cedar Software`, `Work › Acme Corp › DSP-00008`.
    /// A top-level view starts a path of its own; a drill-down continues the one it came from.
    pub fn breadcrumbs(&self) -> Vec<String> {
        let own = self.own_crumbs();
        let drilled = matches!(
            self.view,
            View::Aging(AgingLevel::Customers { .. } | AgingLevel::Invoices { .. })
                | View::Customer(_)
                | View::Case(_)
                | View::Message(_)
        );
        let mut out = match self.back.last() {
            Some((_, _, path)) if drilled && !path.is_empty() => path.clone(),
            _ => return own,
        };
        out.extend(own.into_iter().skip(1));
        out.dedup();
        out
    }

    /// This view's own crumbs: its title and what it is of.
    fn own_crumbs(&self) -> Vec<String> {
        let mut out = vec![self.view.title().to_string()];
        match &self.view {
            View::Aging(AgingLevel::Customers { bucket }) => out.push(self.bucket_label(*bucket)),
            View::Aging(AgingLevel::Invoices { bucket, name, .. }) => {
                out.push(self.bucket_label(*bucket));
                out.push(name.clone());
            }
            View::Customer(_) => {
                if let Some(a) = self.account.ready() {
                    out.push(a.name.clone());
                }
            }
            View::Message(id) => {
                if let Some(m) = self.message.ready() {
                    out.push(m.line.customer.clone());
                }
                out.push(format!("MSG-{id}"));
            }
            View::Case(_) => {
                if let Some(c) = self.case.ready() {
                    out.push(c.line.customer.clone());
                    out.push(c.line.number.clone());
                }
            }
            _ => {}
        }
        out
    }

    pub fn bucket_label(&self, bucket: usize) -> String {
        self.aging
            .edges
            .buckets()
            .get(bucket)
            .map_or_else(String::new, |b| b.label.clone())
    }
}
