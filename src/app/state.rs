//! Everything the console shows, and nothing it does not. `ui::render` draws from this alone.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::aging::{AgingSummary, Basis, BucketEdges};

/// Who is looking, at which store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    pub user: String,
    pub role: String,
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

/// The screens of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Overview,
}

impl View {
    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
        }
    }
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

/// The whole console state.
#[derive(Debug, Clone)]
pub struct State {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub session: SessionInfo,
    pub feed: Feed,
    pub view: View,
    pub aging: AgingParams,
    pub overview: Loadable<AgingSummary>,
    /// Decimal places of the reporting currency.
    pub exponent: u32,
    pub status: Option<(Severity, String)>,
    pub show_help: bool,
    /// Bumped on every request; replies carrying an older generation are dropped.
    pub generation: u64,
    pub quit: bool,
}

impl State {
    pub fn new(now: DateTime<Utc>, today: NaiveDate, session: SessionInfo) -> Self {
        State {
            now,
            today,
            session,
            feed: Feed::Connecting,
            view: View::Overview,
            aging: AgingParams {
                as_of: today,
                basis: Basis::Due,
                edges: BucketEdges::default(),
            },
            overview: Loadable::Idle,
            exponent: 2,
            status: None,
            show_help: false,
            generation: 0,
            quit: false,
        }
    }

    /// Whether anything on screen counts down by the second (SLA timers).
    pub fn has_ticking_clocks(&self) -> bool {
        false
    }
}
