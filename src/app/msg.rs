//! What comes back into `update`: actions from keys, and replies from effects.

use chrono::{DateTime, Utc};

use super::action::Action;
use super::state::AgingParams;
use crate::domain::aging::AgingSummary;

/// Data a query brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    Overview(AgingSummary),
}

/// An input to `update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Action(Action),
    /// A query's reply, tagged with the generation that asked for it.
    Loaded {
        generation: u64,
        data: Data,
    },
    Failed {
        generation: u64,
        error: String,
    },
    /// The clock moved (once a second).
    Tick(DateTime<Utc>),
    /// The feed saw changes committed by someone (another console, the ERP).
    Changed,
    /// The feed could not poll the store.
    FeedLost(String),
    /// The terminal was resized.
    Resized,
}

/// Work for the runtime; its result comes back as a `Msg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    LoadOverview {
        generation: u64,
        params: AgingParams,
    },
}
