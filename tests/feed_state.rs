//! The header's feed state: live, stale after quiet seconds, lost, and a resync on return.

use chrono::{DateTime, Duration, Utc};
use settle::app::state::{Feed, SessionInfo, State};
use settle::app::{Effect, Msg, init, update};

fn now() -> DateTime<Utc> {
    "2026-11-20T15:30:00Z".parse().unwrap()
}

#[test]
fn live_then_stale_then_lost_then_resynced() {
    let mut s = State::new(now(), now().date_naive(), SessionInfo::default());
    init(&mut s);
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
    // The store is back: the feed resyncs and the view reloads from the database.
    let effects = update(&mut s, Msg::Changed);
    assert_eq!(s.feed, Feed::Live);
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
    let effects = update(&mut s, Msg::Action(settle::app::Action::Freeze));
    assert_eq!(
        effects.len(),
        1,
        "one refresh for everything that happened meanwhile"
    );
}
