//! What comes back into `update`: actions from keys, typed text, and replies from effects.

use chrono::{DateTime, Utc};

use super::action::Action;
use super::state::{AgingParams, OverviewData, Rows, View};
use crate::model::{Account, Case, MessageView};

/// Data a query brought back.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Overview(Box<OverviewData>),
    List {
        rows: Rows,
        total: i64,
        offset: i64,
    },
    Account(Box<Account>),
    Case(Box<Case>),
    Message(Box<MessageView>),
    /// The customers a `:cust` query found (id, code, name), and the query.
    Found(Vec<(i64, String, String)>, String),
    /// How many other settle processes use this store (asked before quitting a demo).
    Others(i64),
    /// The agents a dispute can be given to: (id, name).
    Agents(Vec<(i32, String)>),
    /// What a reminder for an invoice would say, and what stands in its way.
    Reminder(Box<ReminderDraft>),
}

/// A reminder as the template would write it, and what the store would make of it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderDraft {
    pub subject: String,
    pub body: String,
    pub tone: crate::domain::states::Tone,
    pub channel: crate::domain::states::Channel,
    /// Why the store would hold it back now, if it would.
    pub blocked: Option<String>,
    /// What surrounds it (`may_go_at` only when it is held back).
    pub context: crate::model::ReminderContext,
}

/// Keys a dialog understands outside its editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKey {
    /// `ctrl-s`: submit the editor.
    Submit,
    /// `esc` or `ctrl-c`.
    Cancel,
    /// Any other character (`y` confirms; a choice's key picks it).
    Char(char),
}

/// A key while something is being typed (command line, filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKey {
    Char(char),
    Backspace,
    Enter,
    Esc,
    Tab,
    Up,
    Down,
}

/// An input to `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Action(Action),
    Text(TextKey),
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
    /// The feed polled the store and nothing changed.
    FeedOk,
    /// How far the replica the views read from is behind the primary, in tenths of a
    /// second (`None`: it does not answer).
    Replica {
        behind_tenths: Option<u64>,
    },
    /// How many settle processes share the store (counted every few seconds): views rest
    /// longer between reloads when many do (`domain::pace`).
    Sharing {
        settles: u64,
    },
    /// Committed changes are held back (seconds waiting) by an open transaction (whose).
    FeedBehind {
        seconds: u64,
        holder: Option<String>,
    },
    /// The body has room for this many rows now.
    Resized {
        rows: usize,
    },
    /// A key for the dialog's editor.
    Edit(ratatui_textarea::Input),
    Dialog(DialogKey),
    /// The reply to a side request (a customer search, a reminder's template, the agents),
    /// routed to whoever asked, never to the view.
    Side {
        request: u64,
        reply: Result<Data, String>,
    },
    /// What came of a confirmed action: a message for the status line, or why it failed.
    Acted(Result<String, String>),
    /// How long the view load of `generation` took (sent just before its reply).
    Cost {
        generation: u64,
        millis: u64,
    },
    /// The rest after the view load of `generation` is over.
    Wake {
        generation: u64,
    },
    /// The cursor has rested since move `request`.
    Rested {
        request: u64,
    },
}

/// What a list query asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub view: View,
    pub filter: String,
    pub sort: Option<crate::lists::SortBy>,
    pub limit: i64,
    pub offset: i64,
    pub params: AgingParams,
}

/// Work for the runtime; its result comes back as a `Msg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    LoadOverview {
        generation: u64,
        params: AgingParams,
    },
    LoadList {
        generation: u64,
        request: ListRequest,
    },
    LoadAccount {
        generation: u64,
        id: i64,
    },
    LoadCase {
        generation: u64,
        id: i64,
    },
    LoadMessage {
        generation: u64,
        id: i64,
    },
    /// A side request (not a view load): its reply carries `request`, so it neither makes a
    /// list look stale nor paints it as failed.
    FindCustomer {
        request: u64,
        query: String,
    },
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Fetch what a reminder for an invoice would say.
    PrepareReminder {
        request: u64,
        invoice: i64,
        customer: i64,
    },
    /// Do what a confirmed dialog asked.
    Act(super::dialog::Request),
    /// Fetch the agents a lead can assign to.
    LoadAgents {
        request: u64,
    },
    /// Count the other settle processes on this store.
    CountOthers {
        request: u64,
    },
    /// The draft kept for this key was used or thrown away.
    ForgetDraft(String),
    /// Tell others which dispute this console is on.
    Touch {
        dispute: i64,
    },
    /// Mark a notification read (it was opened).
    ReadNotice {
        id: i64,
    },
    /// Send `Msg::Wake` for `generation` after this many milliseconds.
    Wake {
        generation: u64,
        after_ms: u64,
    },
    /// Send `Msg::Rested` for cursor move `request` after this many milliseconds.
    Rest {
        request: u64,
        after_ms: u64,
    },
}

impl Effect {
    /// The generation of a view load (what `Msg::Cost` reports on), if this is one.
    pub fn view_generation(&self) -> Option<u64> {
        match self {
            Effect::LoadOverview { generation, .. }
            | Effect::LoadList { generation, .. }
            | Effect::LoadAccount { generation, .. }
            | Effect::LoadCase { generation, .. }
            | Effect::LoadMessage { generation, .. } => Some(*generation),
            _ => None,
        }
    }

    /// A timer: the message to send back and after how many milliseconds, if this is one.
    pub fn timer(&self) -> Option<(Msg, u64)> {
        match *self {
            Effect::Wake {
                generation,
                after_ms,
            } => Some((Msg::Wake { generation }, after_ms)),
            Effect::Rest { request, after_ms } => Some((Msg::Rested { request }, after_ms)),
            _ => None,
        }
    }
}
