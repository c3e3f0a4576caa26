//! The states things are in, as types: each knows its name in the store and the words a person
//! reads, in one place (no `.replace('_', " ")` about the code). The store turns its text into
//! these at the boundary (`TryFrom<String>`), so an unknown state is an error there, not a
//! string that matches nothing later.

use std::fmt;

/// A state name the store sent that this settle does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a {what}")]
pub struct UnknownState {
    pub what: &'static str,
    pub value: String,
}

macro_rules! states {
    ($(#[$doc:meta])* $name:ident as $what:literal { $($variant:ident => ($db:literal, $label:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name the store uses.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $db),+ }
            }

            /// The words a person reads.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownState;
            fn from_str(s: &str) -> Result<Self, UnknownState> {
                match s {
                    $($db => Ok($name::$variant),)+
                    _ => Err(UnknownState { what: $what, value: s.to_string() }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownState;
            fn try_from(s: String) -> Result<Self, UnknownState> {
                s.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

states!(
    /// Where a dispute is: open → investigating → awaiting customer ↔ investigating → resolved.
    DisputeState as "dispute state" {
        Open => ("open", "open"),
        Investigating => ("investigating", "investigating"),
        AwaitingCustomer => ("awaiting_customer", "awaiting customer"),
        Resolved => ("resolved", "resolved"),
    }
);

states!(
    /// How a resolved dispute ended.
    DisputeOutcome as "dispute outcome" {
        Credited => ("credited", "credited in full"),
        Rejected => ("rejected", "rejected"),
        PartiallyCredited => ("partially_credited", "partially credited"),
    }
);

states!(
    /// An order's hold: blocked by open invoices, cleared by payment (waiting for a person), or
    /// released.
    HoldStatus as "hold status" {
        Held => ("held", "held"),
        Cleared => ("cleared", "paid, waiting for release"),
        Released => ("released", "released"),
    }
);

states!(
    /// Where a message is.
    OutreachStatus as "message status" {
        Draft => ("draft", "draft"),
        PendingApproval => ("pending_approval", "to approve"),
        Queued => ("queued", "queued"),
        Sending => ("sending", "sending"),
        Uncertain => ("uncertain", "uncertain"),
        Sent => ("sent", "sent"),
        Failed => ("failed", "failed"),
        Cancelled => ("cancelled", "cancelled"),
    }
);

states!(
    /// What a worklist item is; the first word is what `kind:` filters on.
    WorkKind as "work kind" {
        Dispute => ("dispute", "dispute"),
        Hold => ("hold", "paid, on hold"),
        PromiseDue => ("promise", "promise due"),
        PromiseBroken => ("broken", "promise broken"),
        Reminder => ("reminder", "reminder due"),
        Approval => ("approval", "to approve"),
        Uncertain => ("uncertain", "uncertain send"),
        Task => ("task", "task"),
        Slipping => ("slipping", "slipping"),
    }
);

states!(
    /// How a message speaks to the customer.
    Tone as "tone" {
        Personal => ("personal", "personal"),
        Friendly => ("friendly", "friendly"),
        Firm => ("firm", "firm"),
        Escalation => ("escalation", "escalation"),
        Confirmation => ("confirmation", "confirmation"),
    }
);

states!(
    /// How a message reaches the customer.
    Channel as "channel" {
        Email => ("email", "email"),
        PhoneTask => ("phone_task", "phone task"),
        Portal => ("portal", "portal"),
        PersonalNote => ("personal_note", "personal note"),
    }
);

states!(
    /// Why a message is sent.
    Purpose as "purpose" {
        Reminder => ("reminder", "reminder"),
        HoldRelease => ("hold_release", "hold release"),
        PromiseFollowup => ("promise_followup", "promise follow-up"),
    }
);

states!(
    /// A promise to pay.
    PromiseStatus as "promise status" {
        Open => ("open", "open"),
        Kept => ("kept", "kept"),
        Broken => ("broken", "broken"),
    }
);

states!(
    /// What happened on a dispute's timeline.
    DisputeEvent as "dispute event" {
        Opened => ("opened", "raised"),
        Response => ("response", "responded"),
        State => ("state", "moved"),
        Assigned => ("assigned", "assigned"),
        Note => ("note", "note"),
        Escalated => ("escalated", "escalated"),
    }
);

states!(
    /// The settle role a login acts with (the strongest group it belongs to).
    Role as "settle role" {
        Viewer => ("viewer", "viewer"),
        Collector => ("collector", "collector"),
        Lead => ("lead", "lead"),
        NoRole => ("none", "no role"),
    }
);

impl Role {
    /// Whether this role may change anything at all (the database decides each change).
    pub fn may_act(self) -> bool {
        matches!(self, Role::Collector | Role::Lead)
    }
}

impl DisputeState {
    /// Where a dispute may go from here, as a person would pick it.
    pub fn next(self) -> &'static [DisputeState] {
        match self {
            DisputeState::Open => &[DisputeState::Investigating, DisputeState::Resolved],
            DisputeState::Investigating => {
                &[DisputeState::AwaitingCustomer, DisputeState::Resolved]
            }
            DisputeState::AwaitingCustomer => &[DisputeState::Investigating],
            DisputeState::Resolved => &[],
        }
    }
}

impl Default for Role {
    /// Until the store says otherwise, a console may do nothing.
    fn default() -> Self {
        Role::NoRole
    }
}

/// A store identifier (`duplicate_billing`, `account_executive`) in words, for names that are
/// not states with a type of their own (those carry their own labels above).
pub fn words(identifier: &str) -> String {
    identifier.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_store_name() {
        for s in DisputeState::ALL {
            assert_eq!(s.as_str().parse::<DisputeState>(), Ok(*s));
        }
        for s in HoldStatus::ALL {
            assert_eq!(s.as_str().parse::<HoldStatus>(), Ok(*s));
        }
        for s in Channel::ALL {
            assert_eq!(s.as_str().parse::<Channel>(), Ok(*s));
        }
        for s in Role::ALL {
            assert_eq!(s.as_str().parse::<Role>(), Ok(*s));
        }
        assert_eq!(
            DisputeState::AwaitingCustomer.to_string(),
            "awaiting customer"
        );
        assert_eq!(
            "limbo".parse::<DisputeState>().unwrap_err().to_string(),
            "`limbo` is not a dispute state"
        );
    }
}
