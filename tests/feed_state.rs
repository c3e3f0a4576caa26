//! The header's feed state: live, stale after quiet seconds, lost, and a resync on return.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use common::fixed_now as now;

use chrono::Duration;
use settle::app::state::{Feed, SessionInfo, State};
use settle::app::{Effect, Msg, init, update};

/// The screen's top line as text.
fn header(state: &State) -> String {
    let theme = settle::config::theme::load("default", None).unwrap();
    let buf = common::draw(state, &theme, 120, 12);
    (0..buf.area.width).map(|x| buf[(x, 0)].symbol()).collect()
}

/// An empty overview, as a load would bring it.
fn overview_data() -> settle::app::Data {
    settle::app::Data::Overview(Box::new(common::empty_overview(now())))
}

/// The load of `generation` took `millis` and lands: what the console does next.
fn land(s: &mut State, generation: u64, millis: u64) -> Vec<Effect> {
    update(s, Msg::Cost { generation, millis });
    update(
        s,
        Msg::Loaded {
            generation,
            data: overview_data(),
        },
    )
}

/// Opens the overview and lands its first load, which is not weighed (it prepares the view's
/// statements: a view freshly opened rests the floor however long that took), then a change
/// after the rest asks for the next load: its generation.
fn opened(s: &mut State) -> u64 {
    let Effect::LoadOverview { generation, .. } = init(s)[0].clone() else {
        panic!()
    };
    update(s, Msg::FeedOk);
    let rest = land(s, generation, 5_000);
    assert_eq!(
        rest,
        [Effect::Wake {
            generation,
            after_ms: 250
        }],
        "a view's first load is not weighed"
    );
    assert!(update(s, Msg::Wake { generation }).is_empty());
    let Effect::LoadOverview { generation, .. } = update(s, Msg::Changed)[0].clone() else {
        panic!()
    };
    generation
}

#[test]
fn live_then_stale_then_lost_then_resynced() {
    let mut s = State::new(now(), now().date_naive(), SessionInfo::default());
    let Effect::LoadOverview {
        generation: first, ..
    } = init(&mut s)[0].clone()
    else {
        panic!()
    };
    update(&mut s, Msg::FeedOk);
    assert_eq!(s.feed, Feed::Live);
    update(&mut s, Msg::Tick(now() + Duration::seconds(2)));
    assert_eq!(s.feed, Feed::Live, "a quiet second or two is still live");
    update(&mut s, Msg::Tick(now() + Duration::seconds(5)));
    assert_eq!(s.feed, Feed::Stale(5));
    update(&mut s, Msg::FeedLost("connection refused".into()));
    assert!(matches!(s.feed, Feed::Lost(_)));
    update(&mut s, Msg::Tick(now() + Duration::seconds(9)));
    assert!(
        matches!(s.feed, Feed::Lost(_)),
        "lost stays lost until the store answers"
    );
    // The store is back: the feed resyncs. The first load is still out (it answers or fails
    // within its time limit): no second load goes on top of it.
    assert!(update(&mut s, Msg::Changed).is_empty());
    assert_eq!(s.feed, Feed::Live);
    // It failed; after its rest the view reloads from the database.
    let rest = update(
        &mut s,
        Msg::Failed {
            generation: first,
            error: "connection refused".into(),
        },
    );
    assert_eq!(
        rest,
        [Effect::Wake {
            generation: first,
            after_ms: 250
        }]
    );
    let effects = update(&mut s, Msg::Wake { generation: first });
    assert!(matches!(effects.as_slice(), [Effect::LoadOverview { .. }]));
}

#[test]
fn a_frozen_console_holds_changes_until_it_thaws() {
    let mut s = State::new(now(), now().date_naive(), SessionInfo::default());
    init(&mut s);
    update(&mut s, Msg::Action(settle::app::Action::Freeze));
    assert!(
        update(&mut s, Msg::Changed).is_empty(),
        "no refresh while frozen"
    );
    assert!(s.pending);
    assert!(
        s.reload_due(),
        "the feed may slow down: the thaw reloads anyway"
    );
    let effects = update(&mut s, Msg::Action(settle::app::Action::Freeze));
    assert!(
        !s.reload_due(),
        "thawed: the feed must hear the next change soon"
    );
    assert_eq!(
        effects.len(),
        1,
        "one refresh for everything that happened meanwhile"
    );
}

#[test]
fn a_burst_of_changes_costs_one_refresh_per_view() {
    let mut s = State::new(now(), now().date_naive(), SessionInfo::default());
    let generation = opened(&mut s);
    assert!(
        !s.reload_due(),
        "nothing known yet: the feed looks at its pace"
    );
    for _ in 0..50 {
        assert!(
            update(&mut s, Msg::Changed).is_empty(),
            "no new load while one is on its way"
        );
    }
    assert!(
        s.reload_due(),
        "one more load is coming: the feed may slow down"
    );
    let data = overview_data();
    // The load took 450 ms: the view rests four times that before it may reload.
    let after = land(&mut s, generation, 450);
    assert_eq!(
        after,
        [Effect::Wake {
            generation,
            after_ms: 1_800
        }],
        "no reload straight away: the view rests in proportion to its cost"
    );
    assert!(
        s.reload_due(),
        "the changes seen during the load still wait for the rest"
    );
    assert!(
        update(&mut s, Msg::Changed).is_empty(),
        "changes during the rest wait for it"
    );
    let after = update(&mut s, Msg::Wake { generation });
    assert!(
        !s.reload_due(),
        "reloading: changes from now on need the feed again"
    );
    assert_eq!(
        after.len(),
        1,
        "the fifty-one changes cost exactly one more load"
    );
    let Effect::LoadOverview {
        generation: second, ..
    } = after[0].clone()
    else {
        panic!()
    };
    let rest = update(
        &mut s,
        Msg::Loaded {
            generation: second,
            data,
        },
    );
    assert!(matches!(rest.as_slice(), [Effect::Wake { .. }]));
    assert!(
        !s.reload_due(),
        "resting with nothing new: the feed looks at its pace"
    );
    assert!(
        update(&mut s, Msg::Wake { generation: second }).is_empty(),
        "and with nothing new it stays"
    );
}

#[test]
fn many_consoles_on_one_store_rest_longer_and_the_header_says_how_often() {
    let mut s = State::new(now(), now().date_naive(), SessionInfo::default());
    let generation = opened(&mut s);
    update(&mut s, Msg::Sharing { settles: 40 });
    // Alone a 30 ms view would rest the 250 ms floor; forty consoles on the store together
    // spend at most a quarter of a backend: 30 ms × 40 × 4 = 4.8 s each.
    let rest = land(&mut s, generation, 30);
    assert_eq!(
        rest,
        [Effect::Wake {
            generation,
            after_ms: 4_800
        }]
    );
    let top = header(&s);
    assert!(top.contains("● live · every 5s"), "{top}");
    // Alone again: the floor, and the header says only live.
    update(&mut s, Msg::Sharing { settles: 1 });
    assert_eq!(s.refresh_pause_ms(), 250);
    let top = header(&s);
    assert!(top.contains("● live") && !top.contains("every"), "{top}");
}

#[test]
fn a_person_moving_is_never_made_to_wait_for_a_rest() {
    let mut s = State::new(now(), now().date_naive(), SessionInfo::default());
    let first = init(&mut s);
    let Effect::LoadOverview { generation, .. } = first[0].clone() else {
        panic!()
    };
    update(
        &mut s,
        Msg::Failed {
            generation,
            error: "x".into(),
        },
    );
    assert!(s.resting.is_some(), "resting after the load");
    let effects = update(&mut s, Msg::Action(settle::app::Action::Open));
    assert!(
        matches!(effects.as_slice(), [Effect::LoadList { .. }]),
        "a key press loads at once: {effects:?}"
    );
    assert!(s.resting.is_none());
}

#[test]
fn changes_held_back_say_behind_and_whose_then_clear_when_they_arrive() {
    let mut s = State::new(now(), now().date_naive(), SessionInfo::default());
    init(&mut s);
    update(&mut s, Msg::FeedOk);
    update(
        &mut s,
        Msg::FeedBehind {
            seconds: 24,
            holder: Some("a transaction by erp (loader), open 31s".into()),
        },
    );
    assert_eq!(s.feed, Feed::Behind(24), "the header must not say live");
    let said = s.status.clone().unwrap().1;
    assert!(said.contains("erp (loader), open 31s"), "{said}");
    // Quiet polls in between do not turn it back to live.
    update(&mut s, Msg::FeedOk);
    update(&mut s, Msg::Tick(now() + Duration::seconds(4)));
    assert_eq!(s.feed, Feed::Behind(24));
    // The transaction ends: the changes arrive, the header is live, the stale reason goes.
    update(&mut s, Msg::Changed);
    assert_eq!(s.feed, Feed::Live);
    assert_eq!(s.status, None);
}
