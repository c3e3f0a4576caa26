//! The overview: aging buckets with counts, amounts and bars.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Theme;
use super::text::{cell, cell_right, safe};
use crate::app::state::{Loadable, State};
use crate::domain::money::format_grouped;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let title = format!(
        " Aging · as of {} · basis: {} · {} ",
        state.aging.as_of,
        state.aging.basis,
        state.overview.ready().map_or("", |s| s.currency.as_str())
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = match &state.overview {
        Loadable::Idle | Loadable::Loading => vec![Line::styled(" loading…", theme.muted)],
        Loadable::Failed(e) => vec![Line::styled(
            format!(" could not load aging: {}", safe(e)),
            theme.status_error,
        )],
        Loadable::Ready(summary) => {
            aging_lines(summary, state.exponent, inner.width as usize, theme)
        }
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

fn aging_lines(
    s: &crate::domain::aging::AgingSummary,
    exponent: u32,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let (label_w, count_w, amount_w) = (9, 9, 18);
    let bar_w = width.saturating_sub(label_w + count_w + amount_w + 5);
    let max = s.lines.iter().map(|l| l.amount).max().unwrap_or(0).max(1);
    let mut out = vec![Line::styled(
        format!(
            " {}{}{}",
            cell("Bucket", label_w),
            cell_right("Invoices", count_w),
            cell_right("Amount", amount_w)
        ),
        theme.column_header,
    )];
    for (i, l) in s.lines.iter().enumerate() {
        let style = theme.aging(i, s.lines.len());
        let filled = ((l.amount.max(0) as i128 * bar_w as i128) / max as i128) as usize;
        out.push(Line::from(vec![
            Span::raw(format!(" {}", cell(&l.bucket.label, label_w))),
            Span::raw(cell_right(&l.invoices.to_string(), count_w)),
            Span::raw(cell_right(&format_grouped(l.amount, exponent), amount_w)),
            Span::raw("  "),
            Span::styled("█".repeat(filled), style),
        ]));
    }
    out.push(Line::from(vec![
        Span::styled(format!(" {}", cell("Unapplied", label_w)), theme.muted),
        Span::raw(cell_right("", count_w)),
        Span::styled(
            cell_right(&format_grouped(s.unapplied, exponent), amount_w),
            theme.muted,
        ),
    ]));
    out.push(Line::from(vec![
        Span::styled(format!(" {}", cell("Total", label_w)), theme.title),
        Span::styled(cell_right(&s.invoices().to_string(), count_w), theme.title),
        Span::styled(
            cell_right(&format_grouped(s.total(), exponent), amount_w),
            theme.title,
        ),
    ]));
    out
}
