//! What is typed on the bottom line: `:` commands with completion and history, `/` filters,
//! and the help filter. Pure.

use super::command::{self, Command};
use super::msg::{Effect, TextKey};
use super::navigate::{load, navigate};
use super::state::{AgingLevel, Input, InputKind, Severity, State, View};

pub(super) fn open_input(state: &mut State, kind: InputKind) -> Vec<Effect> {
    // What is typed next goes after the filter there is, not into its last word.
    let text = if kind == InputKind::Filter && !state.list.filter.is_empty() {
        format!("{} ", state.list.filter.trim_end())
    } else {
        String::new()
    };
    state.input = Some(Input { kind, text });
    vec![]
}

/// Keys while help is open: typing filters it, arrows scroll, `esc` clears the filter and
/// then closes, `enter` closes.
pub(super) fn help_key(state: &mut State, key: TextKey) -> Vec<Effect> {
    match key {
        TextKey::Char(c) if !c.is_control() => {
            state.help_filter.push(c);
            state.help_scroll = 0;
        }
        TextKey::Backspace => {
            state.help_filter.pop();
        }
        TextKey::Up => state.help_scroll = state.help_scroll.saturating_sub(1),
        TextKey::Down => state.help_scroll = state.help_scroll.saturating_add(1),
        TextKey::Esc if !state.help_filter.is_empty() => state.help_filter.clear(),
        TextKey::Esc | TextKey::Enter => {
            state.show_help = false;
            state.help_filter.clear();
        }
        _ => {}
    }
    vec![]
}

pub(super) fn type_key(state: &mut State, key: TextKey) -> Vec<Effect> {
    if state.show_help && state.input.is_none() {
        return help_key(state, key);
    }
    let Some(input) = state.input.as_mut() else {
        return vec![];
    };
    match key {
        TextKey::Char(c) if !c.is_control() => input.text.push(c),
        TextKey::Char(_) => {}
        TextKey::Backspace => {
            input.text.pop();
        }
        TextKey::Tab if input.kind == InputKind::Command => {
            if let Some(done) = command::complete(&input.text) {
                input.text = done;
            }
        }
        TextKey::Tab => {}
        TextKey::Up | TextKey::Down if input.kind == InputKind::Command => {
            let pos = state.history.iter().position(|h| *h == input.text);
            let pick = match (key, pos) {
                (TextKey::Up, None) => state.history.len().checked_sub(1),
                (TextKey::Up, Some(p)) => p.checked_sub(1).or(Some(p)),
                (_, Some(p)) if p + 1 < state.history.len() => Some(p + 1),
                _ => None,
            };
            input.text = pick.map_or_else(String::new, |p| state.history[p].clone());
        }
        TextKey::Up | TextKey::Down => {}
        TextKey::Esc => state.input = None,
        TextKey::Enter => return submit(state),
    }
    vec![]
}

pub(super) fn submit(state: &mut State) -> Vec<Effect> {
    let Some(input) = state.input.take() else {
        return vec![];
    };
    match input.kind {
        InputKind::Filter => {
            state.list.filter = input.text.trim().to_string();
            state.list.selected = 0;
            state.list.selected_key = None;
            load(state)
        }
        InputKind::Command => {
            let line = input.text.trim().to_string();
            if !line.is_empty() {
                state.history.retain(|h| *h != line);
                state.history.push(line.clone());
            }
            match command::parse(&line) {
                Ok(cmd) => run_command(state, cmd),
                Err(e) => {
                    state.status = Some((Severity::Error, e));
                    vec![]
                }
            }
        }
    }
}

pub(super) fn run_command(state: &mut State, cmd: Command) -> Vec<Effect> {
    let with_filter = |state: &mut State, view: View, filter: String| {
        // `:d` after `:d owner=me` starts clean: the command's filter, or none.
        if state.view == view {
            state.list.filter = filter;
            state.list.selected = 0;
            state.list.selected_key = None;
            return load(state);
        }
        let effects = navigate(state, view);
        if filter.is_empty() {
            return effects;
        }
        state.list.filter = filter;
        load(state)
    };
    match cmd {
        Command::Overview => navigate(state, View::Overview),
        Command::Aging {
            as_of,
            basis,
            edges,
        } => {
            if let Some(d) = as_of {
                if let Err(why) = crate::domain::aging::check_as_of(d, state.today) {
                    state.status = Some((Severity::Error, why));
                    return vec![];
                }
                state.aging.as_of = d;
            }
            if let Some(b) = basis {
                state.aging.basis = b;
            }
            if let Some(e) = edges {
                state.aging.edges = e;
            }
            navigate(state, View::Aging(AgingLevel::Buckets))
        }
        Command::Disputes { filter } => with_filter(state, View::Disputes, filter),
        Command::Holds { filter } => with_filter(state, View::Holds, filter),
        Command::Outreach { filter } => with_filter(state, View::Outreach, filter),
        Command::Promises { filter } => with_filter(state, View::Promises, filter),
        Command::Inbox { filter } => with_filter(state, View::Inbox, filter),
        Command::Work { filter } => with_filter(state, View::Work, filter),
        Command::Slipping { filter } => with_filter(state, View::Slipping, filter),
        Command::Activity { filter } => with_filter(state, View::Activity, filter),
        Command::Customer { query } => {
            state.side_request += 1;
            vec![Effect::FindCustomer {
                request: state.side_request,
                query,
            }]
        }
        Command::Help => {
            state.show_help = true;
            vec![]
        }
        Command::Quit => {
            state.quit = true;
            vec![]
        }
    }
}
