//! Moving about as a person expects: commands start clean, `/` adds to a filter, a refused
//! filter gives way, a key the role may not use says why, and j/k move.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a failed test

mod common;

use common::fixed_now as now;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use settle::app::msg::TextKey;
use settle::app::state::{SessionInfo, State, View};
use settle::app::{Action, Effect, Msg, init, update};

fn console(role: &str, readonly: bool) -> State {
    let session = SessionInfo {
        user: "ben".into(),
        role: role.parse().unwrap(),
        readonly,
        ..Default::default()
    };
    let mut s = State::new(now(), now().date_naive(), session);
    init(&mut s);
    s
}

fn command(s: &mut State, line: &str) -> Vec<Effect> {
    update(s, Msg::Action(Action::CommandMode));
    for c in line.chars() {
        update(s, Msg::Text(TextKey::Char(c)));
    }
    update(s, Msg::Text(TextKey::Enter))
}

fn list_filter(effects: &[Effect]) -> Option<String> {
    effects.iter().find_map(|e| match e {
        Effect::LoadList { request, .. } => Some(request.filter.clone()),
        _ => None,
    })
}

#[test]
fn a_command_starts_clean_and_slash_adds_to_the_filter_there_is() {
    let mut s = console("collector", false);
    command(&mut s, "d owner=me");
    assert_eq!(s.list.filter, "owner=me");
    let effects = command(&mut s, "d");
    assert_eq!(s.view, View::Disputes);
    assert_eq!(s.list.filter, "", ":d after :d owner=me starts clean");
    assert_eq!(list_filter(&effects).as_deref(), Some(""));
    command(&mut s, "d owner=me");
    update(&mut s, Msg::Action(Action::Filter));
    assert_eq!(
        s.input.as_ref().unwrap().text,
        "owner=me ",
        "what is typed next is a new word, not the end of the last"
    );
}

#[test]
fn a_filter_the_store_refuses_does_not_stay() {
    let mut s = console("collector", false);
    let effects = command(&mut s, "d");
    let generation = effects
        .iter()
        .find_map(|e| match e {
            Effect::LoadList { generation, .. } => Some(*generation),
            _ => None,
        })
        .unwrap();
    update(
        &mut s,
        Msg::Loaded {
            generation,
            data: settle::app::Data::List {
                rows: settle::app::state::Rows::Disputes(vec![]),
                total: 0,
                offset: 0,
            },
        },
    );
    update(&mut s, Msg::Action(Action::Filter));
    for c in "colour:red".chars() {
        update(&mut s, Msg::Text(TextKey::Char(c)));
    }
    update(&mut s, Msg::Text(TextKey::Enter));
    assert_eq!(s.list.filter, "colour:red");
    let error = "unknown filter field `colour` (fields: sla, customer, state)".to_string();
    let failed = s.generation;
    let effects = update(
        &mut s,
        Msg::Failed {
            generation: failed,
            error: error.clone(),
        },
    );
    assert_eq!(s.list.filter, "", "back to the filter that worked");
    assert_eq!(list_filter(&effects).as_deref(), Some(""));
    assert_eq!(
        s.status.as_ref().unwrap().1,
        error,
        "and the reason is said"
    );
}

#[test]
fn a_key_the_role_may_not_use_says_why_once() {
    let mut s = console("collector", false);
    command(&mut s, "holds");
    assert!(update(&mut s, Msg::Action(Action::ReleaseHold)).is_empty());
    assert_eq!(
        s.status.as_ref().unwrap().1,
        "releasing holds needs the lead role"
    );
    let mut v = console("viewer", false);
    command(&mut v, "holds");
    update(&mut v, Msg::Action(Action::ReleaseHold));
    assert!(v.status.as_ref().unwrap().1.contains("viewer role"));
    let mut r = console("lead", true);
    command(&mut r, "holds");
    update(&mut r, Msg::Action(Action::ReleaseHold));
    assert!(
        r.status.as_ref().unwrap().1.contains("--readonly"),
        "the flag, not the role, is the reason"
    );
    // Where the view has no such action, nothing is said.
    let mut o = console("collector", false);
    update(&mut o, Msg::Action(Action::ReleaseHold));
    assert!(o.status.is_none());
}

#[test]
fn j_and_k_move_in_the_default_keymap() {
    let keymap = settle::config::load_keymap(None).unwrap();
    let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    assert_eq!(keymap.action_for(&key('j')), Some(Action::Down));
    assert_eq!(keymap.action_for(&key('k')), Some(Action::Up));
}

#[test]
fn quitting_a_demo_others_use_asks_first_and_a_failed_check_still_quits() {
    let mut s = State::new(
        now(),
        now().date_naive(),
        SessionInfo {
            environment: "DEMO".into(),
            ..Default::default()
        },
    );
    init(&mut s);
    let effects = update(&mut s, Msg::Action(Action::Quit));
    let [Effect::CountOthers { request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    update(
        &mut s,
        Msg::Side {
            request: *request,
            reply: Ok(settle::app::Data::Others(2)),
        },
    );
    assert!(!s.quit, "two other consoles: asked first");
    assert!(s.dialog.as_ref().unwrap().facts[0].contains("2 other console"));
    update(&mut s, Msg::Dialog(settle::app::msg::DialogKey::Char('y')));
    assert!(s.quit);

    let mut alone = State::new(
        now(),
        now().date_naive(),
        SessionInfo {
            environment: "DEMO".into(),
            ..Default::default()
        },
    );
    init(&mut alone);
    let effects = update(&mut alone, Msg::Action(Action::Quit));
    let [Effect::CountOthers { request }] = effects.as_slice() else {
        panic!()
    };
    update(
        &mut alone,
        Msg::Side {
            request: *request,
            reply: Err("the store is gone".into()),
        },
    );
    assert!(alone.quit, "a failed check does not keep anyone in");
}

#[test]
fn an_overview_alert_opens_the_list_it_counts() {
    let mut s = console("lead", false);
    s.overview = settle::app::state::Loadable::Ready(settle::app::state::OverviewData {
        alerts: vec![
            "✖ 2 disputes have breached an SLA clock  (:disputes sla=breached)".into(),
            "▲ 4 accounts slipping from their usual pay day".into(),
        ],
        ..common::empty_overview(now())
    });
    update(&mut s, Msg::Action(Action::Down));
    assert_eq!(s.alert, Some(0));
    let effects = update(&mut s, Msg::Action(Action::Open));
    assert_eq!(s.view, View::Disputes);
    assert_eq!(s.list.filter, "sla=breached");
    assert_eq!(list_filter(&effects).as_deref(), Some("sla=breached"));
    // Back on the overview, with no alert chosen, enter opens aging as before.
    update(&mut s, Msg::Action(Action::Back));
    update(&mut s, Msg::Action(Action::Back));
    assert_eq!(s.view, View::Overview);
    assert_eq!(s.alert, None);
    update(&mut s, Msg::Action(Action::Open));
    assert!(matches!(s.view, View::Aging(_)));
}

fn disputes(n: i64) -> Vec<settle::model::DisputeLine> {
    (1..=n).map(|id| common::open_dispute(id, now())).collect()
}

fn touched(effects: &[Effect]) -> Option<i64> {
    effects.iter().find_map(|e| match e {
        Effect::Touch { dispute } => Some(*dispute),
        _ => None,
    })
}

fn rest_request(effects: &[Effect]) -> u64 {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Rest { request, .. } => Some(*request),
            _ => None,
        })
        .expect("a cursor move on the queue waits for the cursor to rest")
}

#[test]
fn others_hear_where_the_cursor_rests_not_every_row_it_passes() {
    let mut s = console("collector", false);
    s.view = View::Disputes;
    s.list.total = 5;
    s.list.rows = settle::app::state::Rows::Disputes(disputes(5));
    let first = update(&mut s, Msg::Action(Action::Down));
    assert_eq!(touched(&first), None, "a move alone tells nobody");
    let passed = rest_request(&first);
    let second = update(&mut s, Msg::Action(Action::Down));
    let rested = rest_request(&second);
    assert_ne!(passed, rested);
    assert_eq!(
        touched(&update(&mut s, Msg::Rested { request: passed })),
        None,
        "the row the cursor passed is not announced"
    );
    assert_eq!(
        touched(&update(&mut s, Msg::Rested { request: rested })),
        Some(3),
        "the row it rests on is"
    );
    assert_eq!(
        touched(&update(&mut s, Msg::Rested { request: rested })),
        None,
        "once"
    );
}
