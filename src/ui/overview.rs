//! The overview: aging bars, KPIs, trust metrics and the alert list; `e` explains figures.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::Theme;
use super::text::{cell, cell_right, safe};
use crate::app::state::{Loadable, OverviewData, State};
use crate::domain::aging::AgingSummary;
use crate::domain::kpi::Hundredths;
use crate::domain::money::format_grouped;
use crate::domain::sla::format_minutes;
use unicode_width::UnicodeWidthStr;

/// An alert cut to `width` cells in its words, never in its `(:command)` hint.
fn keep_hint(alert: &str, width: usize) -> String {
    match alert.rfind("  (:") {
        Some(at) if alert.width() > width => {
            let hint = &alert[at..];
            let words = super::text::fit(&alert[..at], width.saturating_sub(hint.width()));
            format!("{words}{hint}")
        }
        _ => super::text::fit(alert, width),
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let data = match &state.overview {
        Loadable::Ready(d) => d,
        Loadable::Failed(e) => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(" could not load the overview: {}", safe(e)),
                    theme.status_error,
                )),
                area,
            );
            return;
        }
        _ => {
            frame.render_widget(Paragraph::new(Line::styled(" loading…", theme.muted)), area);
            return;
        }
    };
    let aging_height = (data.aging.lines.len() as u16 + 5).min(area.height);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(aging_height), Constraint::Min(0)]).areas(area);
    let [kpi_area, alert_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    let block = |title: String| {
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(title, theme.title))
    };
    let title = format!(
        " Aging · as of {} · basis: {} · {} ",
        data.aging.as_of, data.aging.basis, data.aging.currency
    );
    let b = block(title);
    let inner = b.inner(top);
    frame.render_widget(b, top);
    frame.render_widget(
        Paragraph::new(aging_lines(
            &data.aging,
            state.exponent,
            inner.width as usize,
            theme,
        )),
        inner,
    );
    let b = block(" KPIs (90 days) · trust (30 days) · e explains ".into());
    let inner = b.inner(kpi_area);
    frame.render_widget(b, kpi_area);
    frame.render_widget(Paragraph::new(figure_lines(data, theme)), inner);
    let b = block(format!(" Alerts ({}) ", data.alerts.len()));
    let inner = b.inner(alert_area);
    frame.render_widget(b, alert_area);
    let alerts: Vec<Line> = if data.alerts.is_empty() {
        vec![Line::styled(" nothing needs you right now", theme.sla_ok)]
    } else {
        data.alerts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let style = if a.starts_with('✖') {
                    theme.sla_breached
                } else {
                    theme.sla_at_risk
                };
                // The words give way before the command that opens the list.
                let text = keep_hint(&safe(a), (inner.width as usize).saturating_sub(1));
                if state.alert == Some(i) {
                    Line::styled(format!("▶{text}"), style.patch(theme.row_selected))
                } else {
                    Line::styled(format!(" {text}"), style)
                }
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(alerts), inner);
    if state.explain {
        explain(frame, area, data, state.exponent, theme);
    }
}

fn aging_lines(s: &AgingSummary, exponent: u32, width: usize, theme: &Theme) -> Vec<Line<'static>> {
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
        let filled = ((l.amount.max(0) as i128 * bar_w as i128) / max as i128) as usize;
        out.push(Line::from(vec![
            Span::raw(format!(" {}", cell(&l.bucket.label, label_w))),
            Span::raw(cell_right(&l.invoices.to_string(), count_w)),
            Span::raw(cell_right(&format_grouped(l.amount, exponent), amount_w)),
            Span::raw("  "),
            Span::styled("█".repeat(filled), theme.aging(i, s.lines.len())),
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

fn h(v: Option<Hundredths>) -> String {
    v.map_or("n/a".into(), |x| x.to_string())
}

fn figure_lines(d: &OverviewData, theme: &Theme) -> Vec<Line<'static>> {
    let k = &d.kpis;
    let t = &d.trust;
    let row = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!(" {name:<24}"), theme.muted),
            Span::raw(value),
        ])
    };
    let breach = format!(
        "{} %{}",
        h(t.breach_rate_percent),
        if t.breach_alert {
            "  ✖ above 10 %"
        } else {
            ""
        }
    );
    vec![
        row("DSO", h(k.dso)),
        row("Best possible DSO", h(k.best_possible_dso)),
        row("ADD", h(k.add)),
        row("Countback DSO", h(k.countback_dso)),
        row("CEI", format!("{} %", h(k.cei))),
        row("Percent current", format!("{} %", h(k.percent_current))),
        row(
            "First response p50/p90",
            format!(
                "{} / {}",
                t.first_response
                    .median_minutes
                    .map_or("n/a".into(), format_minutes),
                t.first_response
                    .p90_minutes
                    .map_or("n/a".into(), format_minutes)
            ),
        ),
        row(
            "Resolution p50/p90",
            format!(
                "{} / {}",
                t.resolution
                    .median_minutes
                    .map_or("n/a".into(), format_minutes),
                t.resolution
                    .p90_minutes
                    .map_or("n/a".into(), format_minutes)
            ),
        ),
        Line::from(vec![
            Span::styled(format!(" {:<24}", "Disputes breaching SLA"), theme.muted),
            Span::styled(
                breach,
                if t.breach_alert {
                    theme.sla_breached
                } else {
                    theme.base
                },
            ),
        ]),
        row("Unresolved > 7 days", t.unresolved_over_7_days.to_string()),
        row(
            "Holds released in SLA",
            format!("{} %", h(t.holds_within_sla_percent)),
        ),
        row(
            "Median release lag",
            t.median_release_lag_minutes
                .map_or("n/a".into(), format_minutes),
        ),
    ]
}

/// The explain panel: each figure's formula and the inputs it was computed from.
fn explain(frame: &mut Frame, area: Rect, d: &OverviewData, exponent: u32, theme: &Theme) {
    let i = &d.kpis.inputs;
    let m = |v: i64| format_grouped(v, exponent);
    let t = &d.trust;
    let mut lines = vec![
        Line::styled(
            " Period: the 90 days to the as-of date (P = days, N = calendar months)",
            theme.title,
        ),
        Line::raw(format!("   P = {}   N = {}", i.days, i.months)),
        Line::raw(format!(
            "   BR  (open the day before) = {}",
            m(i.beginning_receivables)
        )),
        Line::raw(format!(
            "   CS  (invoices − credit notes issued) = {}",
            m(i.credit_sales)
        )),
        Line::raw(format!(
            "   ETR (open at the end) = {}",
            m(i.ending_total_receivables)
        )),
        Line::raw(format!(
            "   ECR (not yet due at the end) = {}",
            m(i.ending_current_receivables)
        )),
    ];
    lines.extend(d.kpis.lines().iter().map(|l| {
        let unit = if l.unit == "%" { " %" } else { "" };
        Line::raw(format!(
            "   {} = {} = {}{unit}",
            l.name,
            l.formula,
            h(l.value)
        ))
    }));
    lines.extend([
        Line::styled(
            " Trust: the last 30 days, SLA clock time (paused time excluded)",
            theme.title,
        ),
        Line::raw(format!(
            "   first responses measured: {}   resolutions: {}",
            t.first_response.count, t.resolution.count
        )),
        Line::raw(format!(
            "   breach rate = {} breached / {} opened",
            t.disputes_breached, t.disputes_opened
        )),
        Line::raw(format!(
            "   holds in SLA = {} released in time / {} cleared and settled",
            t.holds_within_sla, t.holds_measured
        )),
        Line::styled(" esc closes", theme.muted),
    ]);
    let h_needed = (lines.len() as u16 + 2).min(area.height);
    let w = area.width.min(90);
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y,
        width: w,
        height: h_needed,
    };
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" Explain ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_gives_up_its_words_before_its_command() {
        let alert = "✖ 7 orders cleared but still held: the customer paid and is waiting  (:holds status=cleared)";
        let cut = keep_hint(alert, 50);
        assert!(cut.ends_with("(:holds status=cleared)"), "{cut}");
        assert!(cut.contains('…'), "{cut}");
        assert!(cut.width() <= 50, "{cut}");
        assert_eq!(keep_hint(alert, 200), alert, "room enough: untouched");
        let plain = "✖ SLA breach rate 34.78 % over 30 days is above 10 %";
        assert!(keep_hint(plain, 20).width() <= 20);
    }
}
