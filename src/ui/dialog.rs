//! The action dialog: what, for whom and how much; the editor or choices; Cancel in focus.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Theme;
use super::text::safe;
use crate::app::dialog::{Dialog, Stage};

pub fn render(frame: &mut Frame, area: Rect, d: &Dialog, theme: &Theme) {
    let w = area.width.saturating_sub(4).min(90);
    let h = area.height.saturating_sub(2).min(20);
    if w < 20 || h < 6 {
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(format!(
                "{}: enlarge the terminal, or esc to cancel",
                d.title
            )),
            area,
        );
        return;
    }
    let rect = super::centered(area, w, h);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(format!(" {} ", d.title), theme.title));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let facts = facts_lines(d, theme);
    let facts_h = (facts.len() as u16 + 1).min(inner.height / 2);
    let [top, rest, keys] = Layout::vertical([
        Constraint::Length(facts_h),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(facts).wrap(Wrap { trim: false }), top);
    let hint = |text: &str| Line::styled(format!(" {text}"), theme.hint_text);
    match &d.stage {
        Stage::Edit { field } => {
            let mut editor = d.editor.clone();
            editor.set_block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.hint_key)
                    .title(format!(" {} ", field.label())),
            );
            // A one-line field gets a one-line box, not a page.
            let rest = if field.single_line() {
                Rect {
                    height: rest.height.min(3),
                    ..rest
                }
            } else {
                rest
            };
            frame.render_widget(&editor, rest);
            frame.render_widget(Paragraph::new(hint("ctrl-s continue · esc cancel")), keys);
        }
        Stage::Choose if d.choices.is_empty() => {
            frame.render_widget(Paragraph::new(Line::styled(" loading…", theme.muted)), rest);
        }
        Stage::Choose => {
            let lines: Vec<Line> = d
                .choices
                .iter()
                .map(|(k, label)| {
                    Line::from(vec![
                        Span::styled(format!("  {k} "), theme.hint_key),
                        Span::raw(label.clone()),
                    ])
                })
                .collect();
            frame.render_widget(Paragraph::new(lines), rest);
            frame.render_widget(
                Paragraph::new(hint("press a key to choose · esc cancel")),
                keys,
            );
        }
        Stage::Confirm => {
            let text = d.editor.lines().join(" ");
            let mut lines = Vec::new();
            if !text.trim().is_empty() {
                lines.push(Line::raw(format!(" “{}”", safe(text.trim()))));
            }
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled(" [ Cancel ] ", theme.row_selected),
                Span::raw("   "),
                Span::styled("y", theme.hint_key),
                Span::raw(" confirm"),
            ]));
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), rest);
            frame.render_widget(
                Paragraph::new(hint("y confirms · any other key cancels")),
                keys,
            );
        }
        Stage::Discard { .. } => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    " Discard what you wrote? y discards · any other key returns to it",
                    theme.sla_at_risk,
                )),
                rest,
            );
        }
    }
}

/// What, for whom and how much; why the store refused it last time; what holds it back.
fn facts_lines(d: &Dialog, theme: &Theme) -> Vec<Line<'static>> {
    let mut facts: Vec<Line<'static>> = d
        .facts
        .iter()
        .map(|f| Line::raw(format!(" {}", safe(f))))
        .collect();
    if let Some(why) = &d.refused {
        facts.push(Line::styled(
            format!(" ✗ not done: {}", safe(why)),
            theme.status_error,
        ));
    }
    if let Some(why) = &d.blocked {
        facts.push(Line::styled(
            format!(" ▲ held back: {}", safe(why)),
            theme.sla_at_risk,
        ));
    }
    facts
}
