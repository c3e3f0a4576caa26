//! `e` on the dispute queue: how the selected dispute's clocks were measured — the policy that
//! set them, its calendar, each clock's arithmetic, and the rule that makes the row's state.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Theme;
use super::text::safe;
use crate::app::State;
use crate::app::state::{Rows, View};
use crate::domain::sla::{Clock, SlaClock, format_minutes, worst_state};
use crate::model::DisputeLine;

/// A clock's arithmetic in one line.
fn clock_line(name: &str, c: &SlaClock) -> String {
    let counted = format!(
        "{name}: target {} · counted {}",
        format_minutes(c.target_minutes),
        format_minutes(c.elapsed_minutes)
    );
    let verdict = match (c.late_by(), c.stopped, c.paused) {
        (Some(late), _, _) => {
            format!(
                "late +{}: a breach that stays on the record",
                format_minutes(late)
            )
        }
        (None, true, _) => "met".to_string(),
        (None, false, true) => format!(
            "⏸ paused awaiting the customer, {} left",
            format_minutes(c.remaining())
        ),
        (None, false, false) if c.remaining() < 0 => {
            format!("overdue by {}", format_minutes(-c.remaining()))
        }
        (None, false, false) => format!("{} left", format_minutes(c.remaining())),
    };
    if c.stopped {
        format!("   {counted} → {verdict}")
    } else {
        format!("   {counted} → {verdict} ({})", c.state().label())
    }
}

/// The lines explaining one dispute's clocks at `now`.
pub fn dispute_lines(d: &DisputeLine, now: DateTime<Utc>) -> Vec<String> {
    let counted = d.clock.seconds_between(d.measured_at, now);
    let (fr, res) = (d.first_response.after(counted), d.resolution.after(counted));
    let calendar = match &d.clock {
        Clock::Wall => "every hour counts (calendar hours)".to_string(),
        Clock::Business(cal) => cal.describe(),
    };
    let mut lines = vec![
        format!(
            " {} · {} · raised {}",
            d.number,
            d.customer,
            d.opened_at.format("%Y-%m-%d %H:%M UTC")
        ),
        format!(" Policy: {}", d.policy),
        format!(" Clocks count: {calendar}; time awaiting the customer does not count"),
    ];
    if let Some(off) = d.clock.off_hours(now) {
        lines.push(format!(
            " ☾ Outside working hours now: the clocks stand still and {}",
            off.resumes()
        ));
    }
    lines.push(clock_line("First response", &fr));
    lines.push(clock_line("Resolution", &res));
    lines.push(format!(
        " The row is {}: the worse of the two clocks. At risk when under 25 % of a target is left.",
        worst_state(&fr, &res).label()
    ));
    lines
}

/// The lines explaining where a worklist item stands in the ranking; a dispute's clocks too.
fn work_lines(state: &State) -> Option<Vec<String>> {
    let Rows::Work(rows) = &state.list.rows else {
        return None;
    };
    let i = state.list.window_index();
    let item = rows.get(i)?;
    let u = crate::domain::work::Urgency {
        minutes_left: crate::domain::work::minutes_left(state.now, item.late_at),
        at_stake: item.at_stake,
    };
    let money = crate::domain::money::format_grouped(item.at_stake, state.exponent);
    let mut lines: Vec<String> = crate::domain::work::explain(item.kind, u, i, rows.len(), &money)
        .into_iter()
        .map(|l| format!(" {l}"))
        .collect();
    if let crate::model::WorkSubject::Dispute(d) = &item.subject {
        lines.push(String::new());
        lines.extend(dispute_lines(d, state.now));
    }
    Some(lines)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if let Some(lines) = work_lines(state) {
        return draw(frame, area, " Explain: ranking ", lines, theme);
    }
    let d = match (&state.case, &state.list.rows) {
        (crate::app::state::Loadable::Ready(c), _) if matches!(state.view, View::Case(_)) => {
            &c.line
        }
        (_, Rows::Disputes(rows)) => match rows.get(state.list.window_index()) {
            Some(d) => d,
            None => return,
        },
        _ => return,
    };
    draw(
        frame,
        area,
        " Explain: SLA clocks ",
        dispute_lines(d, state.now),
        theme,
    );
}

fn draw(frame: &mut Frame, area: Rect, title: &str, text: Vec<String>, theme: &Theme) {
    let mut lines: Vec<Line> = text.into_iter().map(|l| Line::raw(safe(&l))).collect();
    lines.push(Line::styled(" esc closes", theme.muted));
    let w = area.width.saturating_sub(4).min(110);
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = super::centered(area, w, h);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(title.to_string(), theme.title));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
