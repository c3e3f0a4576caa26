//! Two-step changes: a dialog states what, for whom and how much; notes are written in a
//! multi-line editor (`ctrl-s` submits, `esc` asks before discarding text); focus rests on
//! Cancel and only `y` confirms.

use ratatui_textarea::TextArea;

use crate::domain::states::{Channel, DisputeOutcome, DisputeState, Tone};

/// What a confirmed dialog asks the store to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    ReleaseHold {
        hold: i64,
        reason: String,
    },
    AssignMe {
        dispute: i64,
        seen: Option<String>,
    },
    Respond {
        dispute: i64,
        note: String,
    },
    Move {
        dispute: i64,
        seen: DisputeState,
        /// None until a person picks where it goes.
        to: Option<DisputeState>,
        outcome: Option<DisputeOutcome>,
        credited: Option<i64>,
        note: String,
    },
    Escalate {
        dispute: i64,
        note: String,
    },
    QueueReminder {
        invoice: i64,
        channel: Channel,
        tone: Tone,
        subject: String,
        body: String,
        override_reason: Option<String>,
        /// When it may go (the customer's pay day, a promise's deadline); None: now.
        send_after: Option<chrono::DateTime<chrono::Utc>>,
        /// The live message for the invoice it replaces.
        replace: Option<i64>,
    },
    CancelMessage {
        id: i64,
    },
    /// A lead approves an escalation-tone message (`Some(true)`) or rejects it with a reason.
    ApproveMessage {
        id: i64,
        approve: Option<bool>,
        reason: String,
    },
    /// A lead decides an uncertain message: `Some(true)` it went, `Some(false)` send it again.
    DecideMessage {
        id: i64,
        went: Option<bool>,
    },
    Promise {
        invoice: i64,
        amount: i64,
        promised_for: Option<chrono::NaiveDate>,
    },
    /// Give a dispute to someone; `options` are the agents offered, `agent` the one picked.
    AssignTo {
        dispute: i64,
        seen: Option<String>,
        agent: Option<i32>,
        options: Vec<(i32, String)>,
    },
    /// Not a change: quitting a demo that other consoles use (it stops their store too).
    Quit,
    /// Not a change: which of several customers a `:cust` search meant (`picked` once chosen).
    OpenCustomer {
        options: Vec<i64>,
        picked: Option<i64>,
    },
    /// Put a customer in a segment (`None`: lift the override) with a reason.
    SetSegment {
        customer: i64,
        /// None until a person picks; then Some(None) lifts the override.
        segment: Option<Option<crate::domain::segment::Segment>>,
        reason: String,
    },
    /// The same action over marked rows; the shared text (reason, note) fills every item.
    Bulk(Vec<Request>),
}

/// Where a dialog is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Writing in the editor; `field` says what.
    Edit { field: Field },
    /// Pick one of the choices by its key.
    Choose,
    /// Everything is known; `y` confirms, anything else cancels.
    Confirm,
    /// `esc` in an editor with text: `y` discards, anything else returns to the editor.
    Discard { field: Field },
}

/// What the editor is collecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Reason,
    Note,
    Message,
    Override,
    Credit,
    /// The amount promised (prefilled with what is open).
    PromiseAmount,
    /// The day it is promised for.
    PromiseDate,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Reason => "Reason (required)",
            Field::Note => "Note",
            Field::Message => "Message (first line is the subject)",
            Field::Override => "Why send anyway? (required, audited)",
            Field::Credit => "Amount credited (e.g. 250.00)",
            Field::PromiseAmount => "Amount promised (enter to go on)",
            Field::PromiseDate => "Promised for (YYYY-MM-DD; enter to go on)",
        }
    }

    /// A one-line field: `enter` submits it.
    pub fn single_line(self) -> bool {
        matches!(
            self,
            Field::Credit | Field::PromiseAmount | Field::PromiseDate
        )
    }
}

/// An open dialog.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub title: String,
    /// What, for whom and how much.
    pub facts: Vec<String>,
    pub stage: Stage,
    pub editor: TextArea<'static>,
    /// Choices for `Stage::Choose`: (key, label).
    pub choices: Vec<(char, String)>,
    /// The request as far as it is known; completed from the editor and choices.
    pub request: Request,
    /// A reason the store would hold this back (suppression, dispute), shown and overridable.
    pub blocked: Option<String>,
    /// When a held-back message may go without an override, offered first.
    pub may_go_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The field last written before confirming, to return to if the store refuses.
    pub edited: Option<Field>,
    /// Why the store refused this the last time it was confirmed.
    pub refused: Option<String>,
    /// Decimal places of the row's currency, for amounts typed in the editor.
    pub exponent: u32,
}

impl Dialog {
    pub fn new(
        title: impl Into<String>,
        facts: Vec<String>,
        stage: Stage,
        request: Request,
    ) -> Dialog {
        Dialog {
            title: title.into(),
            facts,
            stage,
            editor: TextArea::default(),
            choices: Vec::new(),
            request,
            blocked: None,
            may_go_at: None,
            edited: None,
            refused: None,
            exponent: 2,
        }
    }

    /// Amounts typed in this dialog are in a currency with `exponent` decimal places.
    pub fn in_currency(mut self, exponent: u32) -> Dialog {
        self.exponent = exponent;
        self
    }

    pub fn with_text(mut self, text: &str) -> Dialog {
        self.editor = TextArea::new(text.lines().map(String::from).collect());
        self
    }

    /// Where this dialog's text is kept as a draft: the kind of action and the row it is on
    /// (`release_hold-77`). None for dialogs with nothing to type or over several rows.
    pub fn draft_key(&self) -> Option<String> {
        let (kind, id) = match &self.request {
            Request::ReleaseHold { hold, .. } => ("release_hold", *hold),
            Request::Respond { dispute, .. } => ("respond", *dispute),
            Request::Escalate { dispute, .. } => ("escalate", *dispute),
            Request::Move { dispute, .. } => ("move", *dispute),
            Request::QueueReminder { invoice, .. } => ("reminder", *invoice),
            Request::Promise { invoice, .. } => ("promise", *invoice),
            Request::SetSegment { customer, .. } => ("segment", *customer),
            _ => return None,
        };
        Some(format!("{kind}-{id}"))
    }

    pub fn text(&self) -> String {
        self.editor.lines().join("\n").trim().to_string()
    }

    /// `ctrl-s` in the editor: store the text in the request and move on. An empty required
    /// field stays in the editor with a message.
    pub fn submit(&mut self) -> Result<(), String> {
        let Stage::Edit { field } = self.stage.clone() else {
            return Ok(());
        };
        let text = self.text();
        self.edited = Some(field);
        if text.is_empty() && field != Field::Note {
            return Err(format!("{} cannot be empty", field.label()));
        }
        let mut next = Stage::Confirm;
        if let Request::Bulk(items) = &mut self.request {
            for item in items.iter_mut() {
                match item {
                    Request::ReleaseHold { reason, .. } => *reason = text.clone(),
                    Request::Respond { note, .. } | Request::Escalate { note, .. } => {
                        *note = text.clone()
                    }
                    _ => {}
                }
            }
            self.stage = Stage::Confirm;
            return Ok(());
        }
        match (&mut self.request, field) {
            (
                Request::ReleaseHold { reason, .. }
                | Request::SetSegment { reason, .. }
                | Request::ApproveMessage { reason, .. },
                _,
            ) => *reason = text,
            (
                Request::Respond { note, .. }
                | Request::Escalate { note, .. }
                | Request::Move { note, .. },
                Field::Note,
            ) => *note = text,
            (Request::Move { credited, .. }, Field::Credit) => {
                let minor = crate::domain::money::parse_decimal(&text, self.exponent)
                    .map_err(|e| e.to_string())?;
                *credited = Some(minor);
            }
            (Request::QueueReminder { subject, body, .. }, Field::Message) => {
                let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
                *subject = first.trim_start_matches("Subject:").trim().to_string();
                *body = rest.trim().to_string();
                if let (Some(_), Some(at)) = (&self.blocked, self.may_go_at) {
                    // The natural choice first: let it go when it may; the override is for
                    // real exceptions.
                    next = Stage::Choose;
                    self.choices = vec![
                        (
                            'l',
                            format!("queue it to go {}", at.format("%a %-d %b %H:%M UTC")),
                        ),
                        ('o', "send it now anyway (give a reason; audited)".into()),
                    ];
                } else if self.blocked.is_some() {
                    next = Stage::Edit {
                        field: Field::Override,
                    };
                    self.editor = TextArea::default();
                }
            }
            (
                Request::QueueReminder {
                    override_reason, ..
                },
                Field::Override,
            ) => *override_reason = Some(text),
            (
                Request::Promise {
                    amount,
                    promised_for,
                    ..
                },
                Field::PromiseAmount,
            ) => {
                let typed = text.replace([',', '_', ' '], "");
                *amount = crate::domain::money::parse_decimal(&typed, self.exponent)
                    .map_err(|e| e.to_string())?;
                if *amount <= 0 {
                    return Err("a promise is for more than nothing".into());
                }
                self.facts.push(format!(
                    "amount: {}",
                    crate::domain::money::format_grouped(*amount, self.exponent)
                ));
                next = Stage::Edit {
                    field: Field::PromiseDate,
                };
                let suggested = promised_for.map(|d| d.to_string()).unwrap_or_default();
                self.editor = TextArea::new(vec![suggested]);
                self.editor.move_cursor(ratatui_textarea::CursorMove::End);
            }
            (Request::Promise { promised_for, .. }, Field::PromiseDate) => {
                *promised_for = Some(
                    text.parse()
                        .map_err(|_| format!("`{text}` is not a date (YYYY-MM-DD)"))?,
                );
            }
            _ => {}
        }
        self.stage = next;
        Ok(())
    }

    /// The store refused the confirmed request: back to the last field written (its text kept)
    /// or to the confirmation, with the reason on show.
    pub fn refuse(&mut self, why: String) {
        self.stage = match self.edited {
            Some(field) => Stage::Edit { field },
            None => Stage::Confirm,
        };
        self.refused = Some(why);
    }

    /// A choice key in `Stage::Choose`; returns whether it was one.
    pub fn choose(&mut self, key: char) -> bool {
        if !self.choices.iter().any(|(k, _)| *k == key) {
            return false;
        }
        if let Request::AssignTo { agent, options, .. } = &mut self.request {
            let index = key
                .to_digit(36)
                .map_or(usize::MAX, |d| d as usize)
                .wrapping_sub(1);
            if let Some((id, name)) = options.get(index) {
                *agent = Some(*id);
                self.facts.push(format!("to: {name}"));
                self.stage = Stage::Confirm;
            }
            return true;
        }
        if let Request::OpenCustomer { options, picked } = &mut self.request {
            *picked = key
                .to_digit(36)
                .and_then(|d| options.get((d as usize).wrapping_sub(1)))
                .copied();
            return true;
        }
        if let Request::QueueReminder { send_after, .. } = &mut self.request {
            if key == 'l' {
                *send_after = self.may_go_at;
                self.facts.push(match self.may_go_at {
                    Some(at) => format!("goes {}", at.format("%a %-d %b %H:%M UTC")),
                    None => "goes when it may".into(),
                });
                self.stage = Stage::Confirm;
            } else {
                self.stage = Stage::Edit {
                    field: Field::Override,
                };
                self.editor = TextArea::default();
            }
            return true;
        }
        if let Request::ApproveMessage { approve, .. } = &mut self.request {
            *approve = Some(key == 'a');
            if key == 'a' {
                self.facts.push("decision: approve; it is queued".into());
                self.stage = Stage::Confirm;
            } else {
                self.facts.push("decision: reject".into());
                self.stage = Stage::Edit {
                    field: Field::Reason,
                };
            }
            return true;
        }
        if let Request::DecideMessage { went, .. } = &mut self.request {
            *went = Some(key == 's');
            self.facts.push(if key == 's' {
                "decision: it went; mark it sent".to_string()
            } else {
                "decision: send it again".to_string()
            });
            self.stage = Stage::Confirm;
            return true;
        }
        if let Request::SetSegment { segment, .. } = &mut self.request {
            use crate::domain::segment::Segment;
            let picked = match key {
                'v' => Some(Segment::Vip),
                'c' => Some(Segment::ChronicLate),
                'h' => Some(Segment::HighRisk),
                's' => Some(Segment::Standard),
                _ => None,
            };
            *segment = Some(picked);
            self.facts.push(match picked {
                Some(s) => format!("to: {}", s.label()),
                None => "lift the override: the rules decide again".to_string(),
            });
            self.stage = match picked {
                Some(_) => Stage::Edit {
                    field: Field::Reason,
                },
                None => Stage::Confirm,
            };
            return true;
        }
        if let Request::Move { to, outcome, .. } = &mut self.request {
            let (state, result) = match key {
                'i' => (DisputeState::Investigating, None),
                'w' => (DisputeState::AwaitingCustomer, None),
                'c' => (DisputeState::Resolved, Some(DisputeOutcome::Credited)),
                'x' => (DisputeState::Resolved, Some(DisputeOutcome::Rejected)),
                _ => (
                    DisputeState::Resolved,
                    Some(DisputeOutcome::PartiallyCredited),
                ),
            };
            *to = Some(state);
            *outcome = result;
            self.facts.push(format!(
                "to: {state}{}",
                result.map_or(String::new(), |r| format!(" ({r})"))
            ));
            self.stage = if key == 'p' {
                Stage::Edit {
                    field: Field::Credit,
                }
            } else {
                Stage::Edit { field: Field::Note }
            };
        }
        true
    }
}
