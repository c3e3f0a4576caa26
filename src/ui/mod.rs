//! Drawing: `render(&State)` reads state and nothing else. No SQL here.

pub mod case;
pub mod chrome;
pub mod customer;
pub mod dialog;
pub mod explain;
pub mod lists;
pub mod message;
pub mod overview;
pub mod table;
pub mod text;
pub mod theme;
pub mod work;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::app::State;
use crate::app::state::View;
pub use theme::Theme;

/// The smallest terminal the console draws in; below it, a message says so.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 8;

/// Draws the whole screen from state.
pub fn render(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    let [header, crumbs, body, hints, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::header(frame, header, state, theme);
    chrome::breadcrumbs(frame, crumbs, state, theme);
    match state.view {
        View::Overview => overview::render(frame, body, state, theme),
        View::Customer(_) => customer::render(frame, body, state, theme),
        View::Case(_) => case::render(frame, body, state, theme),
        View::Message(_) => message::render(frame, body, state, theme),
        _ => lists::render(frame, body, state, theme),
    }
    chrome::hints(frame, hints, state, theme);
    chrome::status(frame, status, state, theme);
    if state.explain && matches!(state.view, View::Disputes | View::Case(_) | View::Work) {
        explain::render(frame, body, state, theme);
    }
    if state.show_help {
        chrome::help(frame, body, state, theme);
    }
    if let Some(d) = &state.dialog {
        dialog::render(frame, body, d, theme);
    }
}

/// A `w` by `h` box in the middle of `area` (for dialogs and explanations over a view).
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    Rect {
        x: area.x + area.width.saturating_sub(w) / 2,
        y: area.y + area.height.saturating_sub(h) / 2,
        width: w.min(area.width),
        height: h.min(area.height),
    }
}

fn too_small(frame: &mut Frame, area: Rect) {
    let msg = format!(
        "Terminal too small: {}x{}; settle needs {MIN_WIDTH}x{MIN_HEIGHT}.",
        area.width, area.height
    );
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(Line::from(msg)).wrap(Wrap { trim: true }),
        area,
    );
}
