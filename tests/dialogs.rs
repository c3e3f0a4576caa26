//! The two-step flow, pure: a key opens a dialog stating what, for whom and how much; the
//! editor collects the note; only `y` confirms; `esc` with text asks before discarding.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use settle::app::dialog::{Field, Request, Stage};
use settle::app::msg::{DialogKey, TextKey};
use settle::app::state::{Rows, SessionInfo, State, View};
use settle::app::{Action, Data, Effect, Msg, update};
use settle::model::HeldOrder;

fn now() -> DateTime<Utc> {
    "2026-11-20T15:30:00Z".parse().unwrap()
}

fn holds_state(role: &str) -> State {
    let session = SessionInfo {
        user: "u".into(),
        role: role.parse().unwrap(),
        ..Default::default()
    };
    let mut s = State::new(now(), now().date_naive(), session);
    s.view = View::Holds;
    s.list.total = 1;
    s.list.rows = Rows::Holds(vec![HeldOrder {
        told: vec!["Sam Reyes".into()],
        hold_id: 77,
        customer_id: 1,
        order: "SO-0000077".into(),
        customer: "Acme Corp".into(),
        reason: "overdue_balance".into(),
        status: "cleared".parse().unwrap(),
        amount: 1_250_000,
        currency: "USD".into(),
        placed_at: now() - Duration::days(2),
        cleared_at: Some(now() - Duration::hours(5)),
        lag_target_minutes: 240,
        blockers: vec![("INV-1".into(), false)],
    }]);
    s
}

fn type_text(s: &mut State, text: &str) {
    for c in text.chars() {
        update(
            s,
            Msg::Edit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE).into()),
        );
    }
}

#[test]
fn a_lead_releases_with_a_reason_and_only_y_confirms() {
    let mut s = holds_state("lead");
    update(&mut s, Msg::Action(Action::ReleaseHold));
    let d = s.dialog.as_ref().expect("dialog opens");
    assert!(
        d.facts
            .iter()
            .any(|f| f.contains("SO-0000077") && f.contains("Acme Corp"))
    );
    assert!(
        d.facts.iter().any(|f| f.contains("12,500.00 USD")),
        "how much: {:?}",
        d.facts
    );
    update(&mut s, Msg::Dialog(DialogKey::Submit));
    assert!(
        matches!(s.dialog.as_ref().unwrap().stage, Stage::Edit { .. }),
        "an empty reason is refused"
    );
    type_text(&mut s, "Wire received");
    update(&mut s, Msg::Dialog(DialogKey::Submit));
    assert_eq!(s.dialog.as_ref().unwrap().stage, Stage::Confirm);
    // Focus is on Cancel: any key but y cancels, and nothing is asked of the store.
    let mut other = s.clone();
    assert!(update(&mut other, Msg::Dialog(DialogKey::Char('\n'))).is_empty());
    assert!(other.dialog.is_none());
    let effects = update(&mut s, Msg::Dialog(DialogKey::Char('y')));
    assert_eq!(
        effects,
        [Effect::Act(Request::ReleaseHold {
            hold: 77,
            reason: "Wire received".into()
        })]
    );
    // The row updates from the database: the result reloads the view.
    let after = update(&mut s, Msg::Acted(Ok("hold released".into())));
    assert!(matches!(after.as_slice(), [Effect::LoadList { .. }]));
}

#[test]
fn escape_with_text_asks_before_discarding() {
    let mut s = holds_state("lead");
    update(&mut s, Msg::Action(Action::ReleaseHold));
    type_text(&mut s, "half written");
    update(&mut s, Msg::Dialog(DialogKey::Cancel));
    assert!(matches!(
        s.dialog.as_ref().unwrap().stage,
        Stage::Discard { .. }
    ));
    update(&mut s, Msg::Dialog(DialogKey::Char('n')));
    assert!(
        matches!(s.dialog.as_ref().unwrap().stage, Stage::Edit { .. }),
        "back to the text"
    );
    assert_eq!(s.dialog.as_ref().unwrap().text(), "half written");
    update(&mut s, Msg::Dialog(DialogKey::Cancel));
    update(&mut s, Msg::Dialog(DialogKey::Char('y')));
    assert!(s.dialog.is_none());
}

#[test]
fn actions_a_role_may_not_take_are_not_offered() {
    for role in ["collector", "viewer"] {
        let mut s = holds_state(role);
        assert!(!s.offers(Action::ReleaseHold), "{role}");
        assert!(update(&mut s, Msg::Action(Action::ReleaseHold)).is_empty());
        assert!(s.dialog.is_none(), "{role} gets no dialog");
    }
    let mut ro = holds_state("lead");
    ro.session.readonly = true;
    assert!(
        !ro.offers(Action::ReleaseHold),
        "--readonly hides every action"
    );
}

#[test]
fn bulk_release_over_marked_rows_states_count_and_total() {
    let mut s = holds_state("lead");
    if let Rows::Holds(rows) = &mut s.list.rows {
        let mut second = rows[0].clone();
        second.hold_id = 78;
        second.order = "SO-0000078".into();
        second.amount = 250_000;
        rows.push(second);
    }
    s.list.total = 2;
    update(&mut s, Msg::Action(Action::Mark));
    update(&mut s, Msg::Action(Action::Mark));
    assert_eq!(s.list.marked.len(), 2);
    update(&mut s, Msg::Action(Action::ReleaseHold));
    let d = s.dialog.as_ref().unwrap();
    assert_eq!(d.facts[0], "2 marked: SO-0000077, SO-0000078");
    assert_eq!(d.facts[1], "total 15,000.00 USD");
    type_text(&mut s, "paid");
    update(&mut s, Msg::Dialog(DialogKey::Submit));
    let effects = update(&mut s, Msg::Dialog(DialogKey::Char('y')));
    assert_eq!(
        effects,
        [Effect::Act(Request::Bulk(vec![
            Request::ReleaseHold {
                hold: 77,
                reason: "paid".into()
            },
            Request::ReleaseHold {
                hold: 78,
                reason: "paid".into()
            },
        ]))]
    );
    update(&mut s, Msg::Acted(Ok("2 of 2 done".into())));
    assert!(s.list.marked.is_empty(), "marks clear after the action");
}

#[test]
fn a_lead_picks_whom_to_give_a_dispute_to() {
    use settle::model::DisputeLine;
    let session = SessionInfo {
        user: "ava".into(),
        role: "lead".parse().unwrap(),
        ..Default::default()
    };
    let mut s = State::new(now(), now().date_naive(), session);
    s.view = View::Disputes;
    s.list.total = 1;
    s.list.rows = Rows::Disputes(vec![DisputeLine {
        segment: "vip".into(),
        assignee: Some("Ben Okafor".into()),
        ..common::open_dispute(5, now())
    }]);
    let effects = update(&mut s, Msg::Action(Action::AssignTo));
    let Some(Effect::LoadAgents { request }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    update(
        &mut s,
        Msg::Side {
            request,
            reply: Ok(Data::Agents(vec![
                (3, "Ben Okafor".into()),
                (4, "Chloe Martin".into()),
            ])),
        },
    );
    assert_eq!(
        s.dialog.as_ref().unwrap().choices,
        [
            ('1', "Ben Okafor".to_string()),
            ('2', "Chloe Martin".to_string())
        ]
    );
    update(&mut s, Msg::Dialog(DialogKey::Char('2')));
    let effects = update(&mut s, Msg::Dialog(DialogKey::Char('y')));
    let [
        Effect::Act(Request::AssignTo {
            dispute: 5,
            agent: Some(4),
            seen,
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(seen.as_deref(), Some("Ben Okafor"));
    let mut collector = s.clone();
    collector.session.role = "collector".parse().unwrap();
    assert!(
        !collector.offers(Action::AssignTo),
        "collectors only take disputes for themselves"
    );
}

#[test]
fn a_promise_needs_an_amount_and_a_date() {
    use settle::model::OpenInvoice;
    let session = SessionInfo {
        user: "ben".into(),
        role: "collector".parse().unwrap(),
        ..Default::default()
    };
    let mut s = State::new(now(), now().date_naive(), session);
    s.view = View::Aging(settle::app::state::AgingLevel::Invoices {
        bucket: 1,
        customer: 1,
        name: "Acme".into(),
    });
    s.list.total = 1;
    s.list.rows = Rows::Invoices(vec![OpenInvoice {
        id: 9,
        customer_id: 1,
        number: "INV-9".into(),
        customer: "Acme".into(),
        issue_date: now().date_naive() - Duration::days(40),
        due_date: now().date_naive() - Duration::days(10),
        amount: 100_000,
        open: 100_000,
        currency: "USD".into(),
        disputed: false,
        expected: None,
    }]);
    update(&mut s, Msg::Action(Action::RecordPromise));
    let d = s.dialog.as_ref().unwrap();
    assert_eq!(d.text(), "1000.00", "the open amount is offered");
    let backspace = || Msg::Edit(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE).into());
    let enter = || Msg::Edit(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE).into());
    for _ in 0..7 {
        update(&mut s, backspace());
    }
    type_text(&mut s, "next week");
    update(&mut s, enter());
    assert_eq!(
        s.dialog.as_ref().unwrap().stage,
        Stage::Edit {
            field: Field::PromiseAmount
        },
        "not an amount: enter stays in the field"
    );
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .1
            .contains("`nextweek` is not a decimal amount")
    );
    for _ in 0..9 {
        update(&mut s, backspace());
    }
    type_text(&mut s, "500.00");
    update(&mut s, enter());
    let d = s.dialog.as_ref().unwrap();
    assert_eq!(
        d.stage,
        Stage::Edit {
            field: Field::PromiseDate
        }
    );
    let week_out = (now().date_naive() + Duration::days(7)).to_string();
    assert_eq!(d.text(), week_out, "a week out is offered");
    for _ in 0..10 {
        update(&mut s, backspace());
    }
    type_text(&mut s, "2026-13-01");
    update(&mut s, enter());
    assert!(s.status.as_ref().unwrap().1.contains("is not a date"));
    for _ in 0..10 {
        update(&mut s, backspace());
    }
    type_text(&mut s, "2026-12-01");
    update(&mut s, enter());
    assert_eq!(s.dialog.as_ref().unwrap().stage, Stage::Confirm);
    let effects = update(&mut s, Msg::Dialog(DialogKey::Char('y')));
    assert_eq!(
        effects,
        [Effect::Act(Request::Promise {
            invoice: 9,
            amount: 50_000,
            promised_for: "2026-12-01".parse().ok()
        })]
    );
}

#[test]
fn a_refused_action_brings_the_dialog_back_with_what_was_typed_and_why() {
    let mut s = holds_state("lead");
    update(&mut s, Msg::Action(Action::ReleaseHold));
    type_text(&mut s, "Wire received, CFO approved");
    update(&mut s, Msg::Dialog(DialogKey::Submit));
    update(&mut s, Msg::Dialog(DialogKey::Char('y')));
    assert!(
        s.dialog.is_none(),
        "the dialog closes while the store works"
    );
    update(
        &mut s,
        Msg::Acted(Err(
            "already released by Marco Rossi at 2026-11-20 15:29 UTC".into(),
        )),
    );
    let d = s.dialog.as_ref().expect("the dialog comes back");
    assert!(matches!(d.stage, Stage::Edit { .. }), "{:?}", d.stage);
    assert_eq!(d.text(), "Wire received, CFO approved");
    assert_eq!(
        d.refused.as_deref(),
        Some("already released by Marco Rossi at 2026-11-20 15:29 UTC")
    );
    let status = s.status.as_ref().map(|(_, t)| t.as_str()).unwrap_or("");
    assert!(status.starts_with("not done: already released"), "{status}");
    // Confirming again sends the same request, text intact.
    update(&mut s, Msg::Dialog(DialogKey::Submit));
    let effects = update(&mut s, Msg::Dialog(DialogKey::Char('y')));
    assert_eq!(
        effects,
        [Effect::Act(Request::ReleaseHold {
            hold: 77,
            reason: "Wire received, CFO approved".into()
        })]
    );
    // Success leaves no dialog behind.
    update(&mut s, Msg::Acted(Ok("hold released".into())));
    assert!(s.dialog.is_none());
}

#[test]
fn a_side_request_neither_stales_the_list_nor_fails_it() {
    let mut s = holds_state("lead");
    s.view = View::Holds;
    // A list load is on its way…
    let effects = update(&mut s, Msg::Changed);
    let Some(Effect::LoadList {
        generation,
        request,
    }) = effects.first().cloned()
    else {
        panic!("{effects:?}")
    };
    // …when the person searches for a customer: a side request, with its own id.
    update(&mut s, Msg::Action(Action::CommandMode));
    for c in "cust acme".chars() {
        update(&mut s, Msg::Text(TextKey::Char(c)));
    }
    let effects = update(&mut s, Msg::Text(TextKey::Enter));
    let Some(Effect::FindCustomer {
        request: search, ..
    }) = effects.first().cloned()
    else {
        panic!("{effects:?}")
    };
    // The search fails: the status line says so; the list is not painted as failed.
    update(
        &mut s,
        Msg::Side {
            request: search,
            reply: Err("the store could not be reached".into()),
        },
    );
    assert_eq!(s.list.error, None);
    assert!(
        s.status
            .as_ref()
            .is_some_and(|(_, t)| t.contains("could not be reached"))
    );
    // The list's reply still lands: it is not stale.
    let rows = s.list.rows.clone();
    update(
        &mut s,
        Msg::Loaded {
            generation,
            data: Data::List {
                rows,
                total: 1,
                offset: 0,
            },
        },
    );
    assert!(!s.list.loading, "{request:?}");
}

#[test]
fn a_draft_comes_back_in_its_dialog_and_is_forgotten_once_used() {
    let mut s = holds_state("lead");
    s.drafts
        .insert("release_hold-77".into(), "Wire received".into());
    update(&mut s, Msg::Action(Action::ReleaseHold));
    assert_eq!(s.dialog.as_ref().unwrap().text(), "Wire received");
    update(&mut s, Msg::Dialog(DialogKey::Submit));
    update(&mut s, Msg::Dialog(DialogKey::Char('y')));
    let effects = update(&mut s, Msg::Acted(Ok("hold released".into())));
    assert!(
        effects.contains(&Effect::ForgetDraft("release_hold-77".into())),
        "{effects:?}"
    );
    assert!(s.drafts.is_empty());
    // Used up: the same dialog now starts empty.
    update(&mut s, Msg::Action(Action::ReleaseHold));
    assert_eq!(s.dialog.as_ref().unwrap().text(), "");
}

#[test]
fn a_future_as_of_date_is_refused_on_the_command_line_not_silently_moved() {
    let mut s = holds_state("lead");
    update(&mut s, Msg::Action(Action::CommandMode));
    for c in "aging asof=2030-01-31".chars() {
        update(&mut s, Msg::Text(TextKey::Char(c)));
    }
    update(&mut s, Msg::Text(TextKey::Enter));
    assert_eq!(s.view, View::Holds, "nothing moved");
    let said = s.status.clone().unwrap().1;
    assert!(said.contains("as of 2030-01-31 is in the future"), "{said}");
}

#[test]
fn several_customers_matching_cust_are_offered_and_the_one_picked_opens() {
    let mut s = holds_state("collector");
    update(&mut s, Msg::Action(Action::CommandMode));
    for c in "cust foods".chars() {
        update(&mut s, Msg::Text(TextKey::Char(c)));
    }
    let effects = update(&mut s, Msg::Text(TextKey::Enter));
    let Some(Effect::FindCustomer { request, query }) = effects.first().cloned() else {
        panic!("a search is asked for: {effects:?}");
    };
    assert_eq!(query, "foods");
    let found = vec![
        (11, "C000011".to_string(), "Summit Foods Co.".to_string()),
        (
            12,
            "C000012".to_string(),
            "Søndergaard Foods plc".to_string(),
        ),
    ];
    update(
        &mut s,
        Msg::Side {
            request,
            reply: Ok(Data::Found(found, query)),
        },
    );
    let d = s.dialog.as_ref().expect("a picker opens");
    assert_eq!(d.choices.len(), 2);
    assert!(d.choices[1].1.contains("Søndergaard Foods plc"));
    let effects = update(&mut s, Msg::Dialog(DialogKey::Char('2')));
    assert!(s.dialog.is_none());
    assert_eq!(s.view, View::Customer(12));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadAccount { id: 12, .. }))
    );
}

#[test]
fn a_lead_overrides_a_segment_from_the_customer_page_with_a_reason() {
    let mut s = holds_state("collector");
    s.view = View::Customer(5);
    s.account = settle::app::state::Loadable::Ready(settle::model::Account {
        id: 5,
        code: "C000005".into(),
        name: "Acme Corp".into(),
        segment: "chronic_late".into(),
        ..Default::default()
    });
    update(&mut s, Msg::Action(Action::SetSegment));
    assert!(s.dialog.is_none(), "collectors are not offered it");
    s.session.role = "lead".parse().unwrap();
    update(&mut s, Msg::Action(Action::SetSegment));
    update(&mut s, Msg::Dialog(DialogKey::Char('v')));
    type_text(&mut s, "Strategic partner");
    update(&mut s, Msg::Dialog(DialogKey::Submit));
    let effects = update(&mut s, Msg::Dialog(DialogKey::Char('y')));
    assert_eq!(
        effects,
        [Effect::Act(Request::SetSegment {
            customer: 5,
            segment: Some(Some(settle::domain::segment::Segment::Vip)),
            reason: "Strategic partner".into(),
        })]
    );
}

#[test]
fn a_sent_message_cannot_be_cancelled_and_a_lead_decides_an_uncertain_one() {
    let mut s = holds_state("lead");
    s.view = View::Outreach;
    let line = |id: i64, status: &str| settle::model::OutreachLine {
        id,
        customer_id: 1,
        customer: "Acme Corp".into(),
        invoice: None,
        purpose: "reminder".parse().unwrap(),
        channel: "email".parse().unwrap(),
        tone: "friendly".parse().unwrap(),
        status: status.parse().unwrap(),
        subject: "Invoice INV-1".into(),
        copies: vec![],
        send_after: now(),
        suppression: None,
        last_error: None,
    };
    s.list.total = 2;
    s.list.rows = Rows::Outreach(vec![line(7, "sent"), line(8, "uncertain")]);
    update(&mut s, Msg::Action(Action::CancelMessage));
    assert!(s.dialog.is_none());
    assert!(s.status.as_ref().unwrap().1.contains("MSG-7 is sent"));
    update(&mut s, Msg::Action(Action::DecideMessage));
    assert!(s.dialog.is_none(), "a sent message needs no decision");
    update(&mut s, Msg::Action(Action::Down));
    update(&mut s, Msg::Action(Action::DecideMessage));
    update(&mut s, Msg::Dialog(DialogKey::Char('r')));
    let effects = update(&mut s, Msg::Dialog(DialogKey::Char('y')));
    assert_eq!(
        effects,
        [Effect::Act(Request::DecideMessage {
            id: 8,
            went: Some(false)
        })]
    );
    s.session.role = "collector".parse().unwrap();
    update(&mut s, Msg::Action(Action::DecideMessage));
    assert!(s.dialog.is_none(), "collectors do not decide");
}
