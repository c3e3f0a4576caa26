//! The one table widget every list uses: columns (from `crate::lists`) that drop by priority
//! as the terminal narrows, the sorted column marked ▲/▼, untrusted text made safe, and a
//! selection and marks visible without colour (▶ + reverse, ✓ + bold).

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Theme;
use unicode_width::UnicodeWidthStr;

use super::text::{fit, safe};
use crate::lists::{SortBy, Spec};

/// A cell's text and style.
pub type Cell = (String, Style);

/// Which columns fit in `width` (keeping the lowest priorities), in their order.
pub fn fitting(columns: &[Spec], width: usize) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..columns.len()).collect();
    let used = |keep: &[usize]| keep.iter().map(|&i| columns[i].width + 1).sum::<usize>() + 2;
    while used(&keep) > width && keep.len() > 1 {
        let drop = keep
            .iter()
            .enumerate()
            .max_by_key(|(pos, i)| (columns[**i].priority, *pos))
            .map(|(pos, _)| pos);
        match drop {
            Some(pos) if columns[keep[pos]].priority > 0 => {
                keep.remove(pos);
            }
            _ => break,
        }
    }
    keep
}

/// Everything a table needs to draw.
pub struct TableView<'a> {
    pub title: String,
    pub columns: &'a [Spec],
    /// The column the rows are sorted by, marked in the header.
    pub sort: Option<SortBy>,
    pub rows: Vec<Vec<Cell>>,
    /// Index of the selected row within `rows`.
    pub selected: Option<usize>,
    /// Which rows are marked for a bulk action.
    pub marked: Vec<bool>,
    /// A line shown instead of rows (loading, empty, error).
    pub empty: Option<Line<'static>>,
}

pub fn render(frame: &mut Frame, area: Rect, t: TableView<'_>, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(t.title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let keep = fitting(t.columns, inner.width as usize);
    // The last kept column takes whatever width is left.
    let fixed: usize = keep.iter().map(|&i| t.columns[i].width + 1).sum::<usize>() + 2;
    let spare = (inner.width as usize).saturating_sub(fixed);
    let titles: Vec<String> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| match t.sort {
            Some(s) if s.column == i => {
                format!("{}{}", c.title, if s.descending { "▼" } else { "▲" })
            }
            _ => c.title.to_string(),
        })
        .collect();
    let layout = Layout {
        columns: t.columns,
        keep: &keep,
        spare,
    };
    let buf = frame.buffer_mut();
    layout.put(buf, inner, inner.y, |i| {
        Some((titles[i].as_str(), theme.column_header))
    });
    if let Some(empty) = t.empty {
        let below = Rect {
            y: inner.y + 1,
            height: inner.height.saturating_sub(1),
            ..inner
        };
        frame.render_widget(Paragraph::new(empty), below);
        return;
    }
    let body = inner.height.saturating_sub(1) as usize;
    let start = (t.selected.unwrap_or(0) + 1).saturating_sub(body);
    for (line, (n, row)) in t.rows.iter().enumerate().skip(start).take(body).enumerate() {
        let y = inner.y + 1 + line as u16;
        let selected = t.selected == Some(n);
        let marked = t.marked.get(n).copied().unwrap_or(false);
        // Marked rows carry ✓ and bold, so they show in any theme, mono included.
        let row_style = |style: Style| {
            let style = if marked {
                style.add_modifier(Modifier::BOLD)
            } else {
                style
            };
            if selected {
                style.patch(theme.row_selected)
            } else {
                style
            }
        };
        // The row's style over the whole line first, so a selection shows across the gaps.
        buf.set_style(
            Rect {
                y,
                height: 1,
                ..inner
            },
            row_style(Style::default()),
        );
        let mark = match (selected, marked) {
            (true, true) => "▶✓",
            (true, false) => "▶ ",
            (false, true) => "✓ ",
            (false, false) => "  ",
        };
        let mark_style = if marked {
            theme.hint_key
        } else {
            Style::default()
        };
        buf.set_stringn(inner.x, y, mark, 2, row_style(mark_style));
        layout.put(buf, inner, y, |i| {
            row.get(i)
                .map(|(text, style)| (text.as_str(), row_style(*style)))
        });
    }
}

/// Where the kept columns go across the table's inner area.
struct Layout<'a> {
    columns: &'a [Spec],
    keep: &'a [usize],
    /// What the last kept column takes beyond its width.
    spare: usize,
}

impl Layout<'_> {
    /// Writes one line's cells after the two-cell mark: each where it belongs, cut to its
    /// column (`…` at a cut, nothing is padded), right-aligned where the column is, nothing
    /// past the border (a column wider than what is left is cut there).
    fn put<'t>(
        &self,
        buf: &mut Buffer,
        inner: Rect,
        y: u16,
        cell: impl Fn(usize) -> Option<(&'t str, Style)>,
    ) {
        let mut x = inner.x + 2;
        for (pos, &i) in self.keep.iter().enumerate() {
            let room = usize::from(inner.right().saturating_sub(x));
            if room == 0 {
                break;
            }
            let last = pos + 1 == self.keep.len();
            let w = (self.columns[i].width + if last { self.spare } else { 0 }).min(room);
            if let Some((text, style)) = cell(i) {
                let shown = fit(&safe(text), w);
                let pad = if self.columns[i].right {
                    w.saturating_sub(shown.width())
                } else {
                    0
                };
                buf.set_stringn(x + pad as u16, y, &shown, w - pad, style);
            }
            x = x.saturating_add(w as u16 + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(title: &'static str, width: usize, priority: u8) -> Spec {
        Spec {
            title,
            width,
            right: false,
            priority,
            sort: crate::lists::Sort::No,
        }
    }

    #[test]
    fn columns_drop_by_priority_as_width_shrinks() {
        let cols = [
            col("A", 10, 0),
            col("B", 10, 2),
            col("C", 10, 1),
            col("D", 10, 3),
        ];
        assert_eq!(fitting(&cols, 100), [0, 1, 2, 3]);
        assert_eq!(fitting(&cols, 40), [0, 1, 2]);
        assert_eq!(fitting(&cols, 30), [0, 2]);
        assert_eq!(fitting(&cols, 5), [0], "priority 0 stays");
    }
}
