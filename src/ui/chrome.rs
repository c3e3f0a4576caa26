//! The frame around every view: header, breadcrumbs, key hints, status or input line, help.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::Theme;
use super::text::safe;
use crate::app::Action;
use crate::app::command::COMMANDS;
use crate::app::state::{Feed, InputKind, Severity, State, View};

/// Environment, database, user and role, read-only badge, feed state, as-of date, currency.
pub fn header(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let s = &state.session;
    let mut spans = vec![Span::styled(" settle ", theme.header)];
    if !s.environment.is_empty() {
        spans.push(Span::styled(
            format!(" {} ", safe(&s.environment)),
            theme.badge_env,
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(format!(
        "{}@{} ",
        safe(&s.database),
        safe(&s.host)
    )));
    let who = s
        .agent
        .as_deref()
        .map_or(String::new(), |a| format!(" {}", safe(a)));
    spans.push(Span::styled(
        format!("{}{who} ({}) ", safe(&s.user), s.role),
        theme.muted,
    ));
    if !state.may_act() {
        spans.push(Span::styled(" READ-ONLY ", theme.badge_readonly));
        spans.push(Span::raw(" "));
    }
    let (feed, style) = match &state.feed {
        Feed::Connecting => ("◌ connecting".to_string(), theme.feed_stale),
        Feed::Live if state.frozen => ("❄ frozen".to_string(), theme.feed_stale),
        // Live, but on a busy shared store the view refreshes only this often: say so.
        Feed::Live => match state.refresh_said() {
            Some(secs) => (format!("● live · every {secs}s"), theme.feed_live),
            None => ("● live".to_string(), theme.feed_live),
        },
        Feed::Stale(secs) => (format!("◐ stale {secs}s"), theme.feed_stale),
        Feed::Lost(_) => ("○ lost".to_string(), theme.feed_lost),
        Feed::Behind(secs) => (format!("◐ behind {secs}s"), theme.feed_stale),
    };
    spans.push(Span::styled(feed, style));
    // Where the views are read from, when it is not the primary.
    match state.replica {
        Some(Some(tenths)) if tenths >= 5 => spans.push(Span::styled(
            format!(" · replica {}.{}s behind", tenths / 10, tenths % 10),
            theme.feed_stale,
        )),
        Some(Some(_)) => spans.push(Span::styled(" · replica", theme.muted)),
        Some(None) => spans.push(Span::styled(" · replica not answering", theme.feed_lost)),
        None => {}
    }
    let currency = state
        .overview
        .ready()
        .map_or("", |o| o.aging.currency.as_str());
    spans.push(Span::styled(
        format!("  as of {}  {currency}", state.aging.as_of),
        theme.muted,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn breadcrumbs(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let trail = state
        .breadcrumbs()
        .iter()
        .map(|c| safe(c))
        .collect::<Vec<_>>()
        .join(" › ");
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(format!(" {trail}"), theme.title))),
        area,
    );
}

/// The handful of keys that matter here, from the live keymap.
pub fn hints(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut wanted = vec![(Action::CommandMode, "views"), (Action::Help, "help")];
    match state.view {
        View::Overview => wanted.extend([
            (Action::Down, "alerts"),
            (
                Action::Open,
                if state.alert.is_some() {
                    "open alert"
                } else {
                    "aging"
                },
            ),
            (Action::Explain, "explain"),
            (Action::ToggleBasis, "basis"),
        ]),
        View::Message(_) => wanted.extend([
            (Action::CancelMessage, "cancel"),
            (Action::DecideMessage, "decide"),
            (Action::Open, "customer"),
            (Action::Back, "back"),
        ]),
        View::Customer(_) => wanted.extend([
            (Action::SetSegment, "segment"),
            (Action::Back, "back"),
            (Action::CopyId, "copy id"),
        ]),
        _ => wanted.extend([
            (Action::ReleaseHold, "release"),
            (Action::AssignMe, "take"),
            (Action::AssignTo, "assign"),
            (Action::Respond, "respond"),
            (Action::MoveDispute, "move"),
            (Action::Explain, "explain"),
            (Action::QueueReminder, "remind"),
            (Action::RecordPromise, "promise"),
            (Action::CancelMessage, "cancel msg"),
            (Action::DecideMessage, "decide"),
            (Action::Open, "open"),
            (Action::Filter, "filter"),
            (Action::SortNext, "sort"),
            (Action::Freeze, "freeze"),
            (Action::CopyId, "copy id"),
            (Action::Back, "back"),
        ]),
    }
    wanted.push((Action::Quit, "quit"));
    let mut shown: Vec<(&str, &str)> = wanted
        .into_iter()
        .filter(|(action, _)| state.offers(*action))
        .map(|(action, what)| (state.key_for(action), what))
        .filter(|(key, _)| !key.is_empty())
        .collect();
    // On a narrow terminal the middle hints give way; how to get help and how to quit stay.
    let width = |hints: &[(&str, &str)]| -> usize {
        hints
            .iter()
            .map(|(k, w)| unicode_width::UnicodeWidthStr::width(*k) + w.len() + 3)
            .sum()
    };
    while width(&shown) > area.width as usize && shown.len() > 2 {
        shown.remove(shown.len() - 2);
    }
    let mut spans = Vec::new();
    for (key, what) in shown {
        spans.push(Span::styled(format!(" {key}"), theme.hint_key));
        spans.push(Span::styled(format!(" {what} "), theme.hint_text));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The bottom line: what is being typed, or the latest message.
pub fn status(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let line = if let Some(input) = &state.input {
        let prompt = if input.kind == InputKind::Command {
            ":"
        } else {
            "/"
        };
        Line::from(vec![
            Span::styled(prompt, theme.hint_key),
            Span::raw(safe(&input.text)),
            Span::styled("█", theme.hint_key),
        ])
    } else {
        match &state.status {
            Some((Severity::Error, msg)) => Line::from(Span::styled(
                format!(" ✖ {}", safe(msg)),
                theme.status_error,
            )),
            Some((Severity::Info, msg)) => {
                Line::from(Span::styled(format!(" {}", safe(msg)), theme.status_info))
            }
            None => match &state.feed {
                Feed::Lost(why) => Line::from(Span::styled(
                    format!(" store unreachable, retrying: {}", safe(why)),
                    theme.status_error,
                )),
                _ => Line::default(),
            },
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// Help over the body: every key this person may use here, with its help text, then the
/// commands; typing filters the lines.
pub fn help(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let wanted = state.help_filter.to_lowercase();
    let keep = |text: &str| wanted.is_empty() || text.to_lowercase().contains(&wanted);
    let mut lines: Vec<Line> = vec![Line::styled(" Keys", theme.title)];
    for (action, keys) in state
        .keys
        .iter()
        // Only the keys that do something here, for this person.
        .filter(|(a, _)| state.offers(*a))
    {
        if keep(&format!("{keys} {} {}", action.name(), action.help())) {
            lines.push(Line::from(vec![
                Span::styled(format!(" {keys:<16}"), theme.hint_key),
                Span::raw(action.help()),
            ]));
        }
    }
    lines.push(Line::styled(
        " Commands (type : then a name; tab completes)",
        theme.title,
    ));
    for (name, aliases, what) in COMMANDS {
        if keep(&format!("{name} {} {what}", aliases.join(" "))) {
            lines.push(Line::from(vec![
                Span::styled(
                    format!(" :{name:<10} {:<10}", aliases.join(" ")),
                    theme.hint_key,
                ),
                Span::raw(*what),
            ]));
        }
    }
    lines.push(Line::styled(
        " Filters: free text plus field:value, amount>10000, owner:me, sla:breached",
        theme.muted,
    ));
    frame.render_widget(Clear, area);
    let title = if wanted.is_empty() {
        " Help · type to filter · ↑↓ scroll · esc closes ".to_string()
    } else {
        format!(" Help · filter: {} · esc clears ", safe(&state.help_filter))
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((state.help_scroll, 0)),
        area,
    );
}
