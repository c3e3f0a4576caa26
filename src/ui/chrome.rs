//! The frame around every view: header, breadcrumbs, key hints, status line, help.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::Theme;
use super::text::safe;
use crate::app::Action;
use crate::app::state::{Feed, Severity, State};

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
    if s.readonly || s.role == "viewer" {
        spans.push(Span::styled(" READ-ONLY ", theme.badge_readonly));
        spans.push(Span::raw(" "));
    }
    let (feed, style) = match &state.feed {
        Feed::Connecting => ("◌ connecting".to_string(), theme.feed_stale),
        Feed::Live => ("● live".to_string(), theme.feed_live),
        Feed::Stale(secs) => (format!("◐ stale {secs}s"), theme.feed_stale),
        Feed::Lost(_) => ("○ lost".to_string(), theme.feed_lost),
    };
    spans.push(Span::styled(feed, style));
    let currency = state.overview.ready().map_or("", |o| o.currency.as_str());
    spans.push(Span::styled(
        format!("  as of {}  {currency}", state.aging.as_of),
        theme.muted,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn breadcrumbs(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let line = Line::from(Span::styled(
        format!(" {}", state.view.title()),
        theme.title,
    ));
    frame.render_widget(Paragraph::new(line), area);
}

/// The keys that matter here, from the action list.
pub fn hints(frame: &mut Frame, area: Rect, _state: &State, theme: &Theme) {
    let keys: &[(&str, &str)] = &[
        ("q", "quit"),
        ("?", "help"),
        ("b", "basis"),
        ("[ ]", "as-of"),
        ("r", "refresh"),
    ];
    let mut spans = Vec::new();
    for (key, what) in keys {
        spans.push(Span::styled(format!(" {key}"), theme.hint_key));
        spans.push(Span::styled(format!(" {what} "), theme.hint_text));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn status(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let line = match &state.status {
        Some((Severity::Error, msg)) => Line::from(Span::styled(
            format!(" ✖ {}", safe(msg)),
            theme.status_error,
        )),
        Some((Severity::Info, msg)) => {
            Line::from(Span::styled(format!(" {}", safe(msg)), theme.status_info))
        }
        None => match &state.feed {
            Feed::Lost(why) => Line::from(Span::styled(
                format!(" store unreachable: {}", safe(why)),
                theme.status_error,
            )),
            _ => Line::default(),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// Help over the body: every action with its help text.
pub fn help(frame: &mut Frame, area: Rect, _state: &State, theme: &Theme) {
    let lines: Vec<Line> = Action::ALL
        .iter()
        .map(|a| {
            Line::from(vec![
                Span::styled(format!(" {:<14}", a.name()), theme.hint_key),
                Span::raw(a.help()),
            ])
        })
        .collect();
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(" Help · esc closes ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
