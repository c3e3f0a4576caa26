//! The one place state changes: `update(&mut State, Msg) -> Vec<Effect>`. Pure.

use chrono::{Datelike, Duration, NaiveDate};

use super::action::Action;
use super::msg::{Data, Effect, Msg};
use super::state::{Feed, Loadable, Severity, State, View};
use crate::domain::aging::Basis;

/// Starts the console: ask for the first view's data.
pub fn init(state: &mut State) -> Vec<Effect> {
    load_view(state)
}

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Action(action) => act(state, action),
        Msg::Loaded { generation, data } => {
            if generation == state.generation {
                state.feed = Feed::Live;
                match data {
                    Data::Overview(summary) => state.overview = Loadable::Ready(summary),
                }
            }
            vec![]
        }
        Msg::Failed { generation, error } => {
            if generation == state.generation {
                state.overview = Loadable::Failed(error.clone());
                state.status = Some((Severity::Error, error));
            }
            vec![]
        }
        Msg::Tick(now) => {
            state.now = now;
            vec![]
        }
        Msg::Changed => {
            state.feed = Feed::Live;
            load_view(state)
        }
        Msg::FeedLost(why) => {
            state.feed = Feed::Lost(why);
            vec![]
        }
        Msg::Resized => vec![],
    }
}

fn act(state: &mut State, action: Action) -> Vec<Effect> {
    if state.show_help {
        if matches!(
            action,
            Action::Back | Action::Cancel | Action::Help | Action::Quit
        ) {
            state.show_help = false;
        }
        return vec![];
    }
    match action {
        Action::Quit | Action::Cancel => {
            state.quit = true;
            vec![]
        }
        Action::Help => {
            state.show_help = true;
            vec![]
        }
        Action::Refresh => load_view(state),
        Action::ToggleBasis => {
            state.aging.basis = match state.aging.basis {
                Basis::Due => Basis::Invoice,
                Basis::Invoice => Basis::Due,
            };
            load_view(state)
        }
        Action::AsOfEarlier => {
            state.aging.as_of = previous_month_end(state.aging.as_of);
            load_view(state)
        }
        Action::AsOfLater => {
            let next = next_month_end(state.aging.as_of).min(state.today);
            if next == state.aging.as_of {
                return vec![];
            }
            state.aging.as_of = next;
            load_view(state)
        }
        _ => vec![],
    }
}

/// Asks for the current view's data under a new generation.
fn load_view(state: &mut State) -> Vec<Effect> {
    state.generation += 1;
    match state.view {
        View::Overview => {
            if !matches!(state.overview, Loadable::Ready(_)) {
                state.overview = Loadable::Loading;
            }
            vec![Effect::LoadOverview {
                generation: state.generation,
                params: state.aging.clone(),
            }]
        }
    }
}

/// The last day of the month before `day`'s month, or of `day`'s month if `day` is later.
pub fn previous_month_end(day: NaiveDate) -> NaiveDate {
    let first = day.with_day(1).expect("day 1 exists");
    first - Duration::days(1)
}

/// The last day of the month after `day` (or of `day`'s own month if `day` is not its end).
pub fn next_month_end(day: NaiveDate) -> NaiveDate {
    let this_end = month_end(day);
    if day < this_end {
        this_end
    } else {
        month_end(this_end + Duration::days(1))
    }
}

fn month_end(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("valid month") - Duration::days(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::SessionInfo;
    use crate::domain::aging::{AgingSummary, Basis};

    fn state() -> State {
        let now = "2026-11-20T15:30:00Z".parse().unwrap();
        State::new(now, now.date_naive(), SessionInfo::default())
    }

    fn summary(as_of: NaiveDate) -> AgingSummary {
        AgingSummary {
            as_of,
            basis: Basis::Due,
            currency: "USD".into(),
            lines: vec![],
            unapplied: 0,
        }
    }

    #[test]
    fn a_stale_reply_is_dropped() {
        let mut s = state();
        let first = init(&mut s);
        let Effect::LoadOverview {
            generation: old, ..
        } = first[0].clone();
        update(&mut s, Msg::Action(Action::ToggleBasis));
        let day = s.today;
        update(
            &mut s,
            Msg::Loaded {
                generation: old,
                data: Data::Overview(summary(day)),
            },
        );
        assert_eq!(
            s.overview,
            Loadable::Loading,
            "an older generation's reply must not land"
        );
        let current = s.generation;
        update(
            &mut s,
            Msg::Loaded {
                generation: current,
                data: Data::Overview(summary(day)),
            },
        );
        assert!(s.overview.ready().is_some());
    }

    #[test]
    fn as_of_moves_by_month_end_and_not_past_today() {
        let mut s = state();
        update(&mut s, Msg::Action(Action::AsOfEarlier));
        assert_eq!(s.aging.as_of.to_string(), "2026-10-31");
        update(&mut s, Msg::Action(Action::AsOfEarlier));
        assert_eq!(s.aging.as_of.to_string(), "2026-09-30");
        update(&mut s, Msg::Action(Action::AsOfLater));
        update(&mut s, Msg::Action(Action::AsOfLater));
        assert_eq!(s.aging.as_of, s.today, "never later than today");
        assert!(update(&mut s, Msg::Action(Action::AsOfLater)).is_empty());
    }

    #[test]
    fn quit_sets_quit_and_help_swallows_keys() {
        let mut s = state();
        update(&mut s, Msg::Action(Action::Help));
        update(&mut s, Msg::Action(Action::Quit));
        assert!(!s.quit && !s.show_help, "quit in help closes help first");
        update(&mut s, Msg::Action(Action::Quit));
        assert!(s.quit);
    }
}
