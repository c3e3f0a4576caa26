//! What a key can do. The doc comment on each variant is its help text.

macro_rules! actions {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $name:literal, )+) => {
        /// A user's intent, produced from a key through the keymap.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl Action {
            /// Every action, in help order.
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The name used in keymap files.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)+ }
            }

            /// One line of help: the variant's doc comment.
            pub fn help(self) -> &'static str {
                match self { $(Action::$variant => concat!($($doc),+).trim_ascii(),)+ }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)+ _ => None }
            }
        }
    };
}

actions! {
    /// Quit settle (from the top level; otherwise go back).
    Quit = "quit",
    /// Go back a view, or close what is open.
    Back = "back",
    /// Cancel the current input or dialog; quit from the top level.
    Cancel = "cancel",
    /// Move the selection up one row.
    Up = "up",
    /// Move the selection down one row.
    Down = "down",
    /// Move the selection up one page.
    PageUp = "page_up",
    /// Move the selection down one page.
    PageDown = "page_down",
    /// Jump to the first row.
    Top = "top",
    /// Jump to the last row.
    Bottom = "bottom",
    /// Open the selected row (drill down).
    Open = "open",
    /// Reload the current view from the store.
    Refresh = "refresh",
    /// Show help for the keys of this view.
    Help = "help",
    /// Type a command (`:aging asof=2026-10-31`).
    CommandMode = "command",
    /// Filter the rows of this view (`/acme amount>10000`).
    Filter = "filter",
    /// Pause or resume live updates while you work on a row.
    Freeze = "freeze",
    /// Copy the selected row's id to the clipboard (OSC 52).
    CopyId = "copy_id",
    /// Switch to the previous view.
    LastView = "last_view",
    /// Sort by the next column.
    SortNext = "sort_next",
    /// Reverse the sort order.
    SortReverse = "sort_reverse",
    /// Explain how the selected figure is computed.
    Explain = "explain",
    /// Toggle the aging basis between due date and invoice date.
    ToggleBasis = "toggle_basis",
    /// Move the as-of date back one month end.
    AsOfEarlier = "as_of_earlier",
    /// Move the as-of date forward one month end (up to today).
    AsOfLater = "as_of_later",
    /// Mark or unmark the selected row for a bulk action.
    Mark = "mark",
    /// Release the selected order's hold (leads): asks for a reason, then confirmation.
    ReleaseHold = "release_hold",
    /// Assign the selected dispute to yourself.
    AssignMe = "assign_me",
    /// Assign the selected dispute to someone (leads): pick from the agents.
    AssignTo = "assign_to",
    /// Respond to the selected dispute with a note; the first response stops its clock.
    Respond = "respond",
    /// Move the selected dispute: investigating, awaiting customer, resolved.
    MoveDispute = "move_dispute",
    /// Escalate the selected dispute with a note.
    Escalate = "escalate",
    /// Write a reminder for the selected invoice, in the tone its customer's segment calls for.
    QueueReminder = "queue_reminder",
    /// Record the customer's promise to pay the selected invoice: amount and date.
    RecordPromise = "record_promise",
    /// Cancel the selected queued message.
    CancelMessage = "cancel_message",
    /// Put this customer in a segment whatever the rules say, or lift the override (leads).
    SetSegment = "set_segment",
    /// Decide a message (leads): approve or reject one awaiting approval; for one that may have
    /// gone (a worker died while sending it), mark it sent or send it again.
    DecideMessage = "decide_message",
}

impl Action {
    /// Whether the action changes the store (offered only to roles that may, never read-only).
    pub fn changes_store(self) -> bool {
        matches!(
            self,
            Action::ReleaseHold
                | Action::AssignMe
                | Action::AssignTo
                | Action::Respond
                | Action::MoveDispute
                | Action::Escalate
                | Action::QueueReminder
                | Action::RecordPromise
                | Action::CancelMessage
                | Action::SetSegment
                | Action::DecideMessage
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_unique_name_and_help() {
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
        for a in Action::ALL {
            assert!(!a.help().is_empty(), "{a:?} has no help");
            assert_eq!(Action::from_name(a.name()), Some(*a));
        }
        assert_eq!(
            Action::Quit.help(),
            "Quit settle (from the top level; otherwise go back)."
        );
    }
}
