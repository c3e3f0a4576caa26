//! What this person is offered here: which actions the view has, which the role and
//! `--readonly` allow, and why not in words. Hints, help and dialogs all ask this one place;
//! the database checks every change again.

use super::state::{AgingLevel, State, View};
use crate::domain::states::Role;

impl State {
    /// Whether the connected person may change anything (the database decides in the end).
    pub fn may_act(&self) -> bool {
        !self.session.readonly && self.session.role.may_act()
    }

    /// Whether an action is offered to this person here: hidden from hints and help if not.
    pub fn offers(&self, action: crate::app::Action) -> bool {
        self.refusal(action).is_none() && self.fits_view(action)
    }

    /// Why this person may not take `action` although this view has it (the role, or
    /// `--readonly`), in words; None if they may, or if the view has no such action.
    pub fn refusal(&self, action: crate::app::Action) -> Option<String> {
        use crate::app::Action as A;
        if !action.changes_store() || !self.fits_view(action) {
            return None;
        }
        if self.session.readonly {
            return Some("read-only: settle was started with --readonly".into());
        }
        if !self.session.role.may_act() {
            return Some(format!(
                "read-only: the {} role cannot change anything",
                self.session.role
            ));
        }
        // Leads release holds, give disputes to others, set segments and decide messages;
        // the database checks it again.
        let lead_only = matches!(
            action,
            A::ReleaseHold | A::AssignTo | A::SetSegment | A::DecideMessage
        );
        (lead_only && self.session.role != Role::Lead).then(|| {
            let what = match action {
                A::ReleaseHold => "releasing holds",
                A::AssignTo => "giving a dispute to someone else",
                A::SetSegment => "overriding a segment",
                _ => "approving and deciding messages",
            };
            format!("{what} needs the lead role")
        })
    }

    /// The actions the selected worklist item takes: those of its own list.
    fn work_offers(&self, action: crate::app::Action) -> bool {
        use crate::app::Action as A;
        use crate::model::WorkSubject as S;
        let Some(item) = self.selected_work() else {
            return false;
        };
        matches!(
            (&item.subject, action),
            (
                S::Dispute(_),
                A::AssignMe | A::AssignTo | A::Respond | A::MoveDispute | A::Escalate
            ) | (S::Hold(_), A::ReleaseHold)
                | (S::Reminder(_), A::QueueReminder | A::RecordPromise)
                | (S::Message(_), A::CancelMessage | A::DecideMessage)
        )
    }

    /// The worklist item under the cursor.
    pub fn selected_work(&self) -> Option<&crate::model::WorkItem> {
        match &self.list.rows {
            super::state::Rows::Work(r) => r.get(self.list.window_index()).map(|w| &**w),
            _ => None,
        }
    }

    /// Whether the current view has `action` at all.
    fn fits_view(&self, action: crate::app::Action) -> bool {
        use crate::app::Action as A;
        if self.view == View::Work && action.changes_store() {
            // On the worklist an item takes the actions of its own list.
            return self.work_offers(action);
        }
        match action {
            A::ReleaseHold => self.view == View::Holds,
            A::AssignMe | A::AssignTo | A::Respond | A::MoveDispute | A::Escalate => {
                matches!(self.view, View::Disputes | View::Case(_))
            }
            A::QueueReminder | A::RecordPromise => {
                matches!(self.view, View::Aging(AgingLevel::Invoices { .. }))
            }
            A::CancelMessage | A::DecideMessage => {
                matches!(self.view, View::Outreach | View::Message(_))
            }
            A::SetSegment => matches!(self.view, View::Customer(_)),
            // Only the overview and the dispute queue have figures to explain.
            A::Explain => matches!(
                self.view,
                View::Overview | View::Disputes | View::Case(_) | View::Work
            ),
            A::ToggleBasis | A::AsOfEarlier | A::AsOfLater => {
                matches!(self.view, View::Overview | View::Aging(_))
            }
            A::Mark => matches!(self.view, View::Holds | View::Disputes | View::Outreach),
            A::SortNext | A::SortReverse => !self.view.sortable_columns().is_empty(),
            A::Filter | A::Freeze => self.view.is_list(),
            // On the overview, up and down walk the alerts.
            A::PageUp | A::PageDown => self.view != View::Overview,
            _ => true,
        }
    }
}
