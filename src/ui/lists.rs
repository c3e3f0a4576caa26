//! The list views, each a set of columns and cells for the one table widget.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use super::Theme;
use super::table::{self, Cell, Column, TableView, col, num};
use crate::app::state::{AgingLevel, Rows, State, View};
use crate::domain::money::format_grouped;
use crate::domain::sla::{SlaClock, SlaState, format_minutes};
use crate::model::DisputeLine;

const BUCKETS: &[Column] = &[
    col("Bucket", 10, 0),
    num("Invoices", 9, 1),
    num("Amount", 18, 0),
    col("", 10, 2),
];
const CUSTOMERS: &[Column] = &[
    col("Code", 8, 2),
    col("Customer", 28, 0),
    col("Segment", 12, 3),
    num("Invoices", 8, 1),
    num("Amount", 16, 0),
];
const INVOICES: &[Column] = &[
    col("Invoice", 13, 0),
    col("Issued", 10, 3),
    col("Due", 10, 1),
    num("Days", 5, 2),
    num("Open", 14, 0),
    col("Cur", 3, 4),
    col("Expected", 10, 5),
    col("Dispute", 8, 4),
];
const DISPUTES: &[Column] = &[
    col("SLA", 11, 0),
    num("Response", 9, 1),
    num("Resolve", 9, 0),
    col("Dispute", 9, 0),
    col("Customer", 24, 1),
    col("Segment", 12, 5),
    col("State", 17, 2),
    col("Category", 20, 6),
    num("Amount", 13, 3),
    col("Assignee", 14, 4),
    col("Watching", 10, 7),
];
const HOLDS: &[Column] = &[
    col("Status", 10, 0),
    col("Order", 10, 0),
    col("Customer", 24, 1),
    num("Value", 14, 2),
    num("Held", 8, 3),
    num("Release lag", 12, 1),
    col("Blocking invoices", 30, 4),
];
const OUTREACH: &[Column] = &[
    col("Status", 9, 0),
    col("Customer", 22, 0),
    col("Invoice", 13, 3),
    col("Purpose", 12, 5),
    col("Tone", 11, 2),
    col("Channel", 13, 4),
    col("Send after", 16, 1),
    col("Copies", 12, 6),
    col("Held back", 28, 3),
    col("Subject", 30, 2),
];
const ACTIVITY: &[Column] = &[
    col("At", 16, 0),
    col("Actor", 10, 0),
    col("Action", 16, 0),
    col("Entity", 10, 2),
    col("Customer", 22, 1),
    col("Details", 30, 3),
];

fn plain(s: impl Into<String>) -> Cell {
    (s.into(), Style::default())
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// Minutes left on a clock now, advancing a running one since it was measured.
fn remaining_now(c: &SlaClock, d: &DisputeLine, now: DateTime<Utc>) -> SlaClock {
    let mut c = *c;
    if !c.stopped && !c.paused {
        c.elapsed_minutes += d.clock.minutes_between(d.measured_at, now);
    }
    c
}

fn sla_cell(state: SlaState, theme: &Theme) -> Cell {
    match state {
        SlaState::Breached => ("✖ breached".into(), theme.sla_breached),
        SlaState::AtRisk => ("▲ at risk".into(), theme.sla_at_risk),
        SlaState::Ok => ("● ok".into(), theme.sla_ok),
    }
}

fn clock_cell(c: &SlaClock, theme: &Theme) -> Cell {
    if c.stopped {
        return ("met".into(), theme.muted);
    }
    let text = if c.paused {
        format!("⏸{}", format_minutes(c.remaining()))
    } else {
        format_minutes(c.remaining())
    };
    let style = match c.state() {
        SlaState::Breached => theme.sla_breached,
        SlaState::AtRisk => theme.sla_at_risk,
        SlaState::Ok => Style::default(),
    };
    (text, style)
}

fn dispute_row(d: &DisputeLine, now: DateTime<Utc>, exponent: u32, theme: &Theme) -> Vec<Cell> {
    let fr = remaining_now(&d.first_response, d, now);
    let res = remaining_now(&d.resolution, d, now);
    let worst = if fr.stopped {
        res.state()
    } else {
        fr.state().min(res.state())
    };
    vec![
        sla_cell(worst, theme),
        clock_cell(&fr, theme),
        clock_cell(&res, theme),
        plain(&d.number),
        plain(&d.customer),
        plain(&d.segment),
        plain(format!(
            "{}{}",
            d.state.replace('_', " "),
            if d.escalated { " ⇧" } else { "" }
        )),
        plain(d.category.replace('_', " ")),
        plain(format!(
            "{} {}",
            format_grouped(d.amount, exponent),
            d.currency
        )),
        plain(d.assignee.clone().unwrap_or_else(|| "—".into())),
        plain(d.watchers.join(", ")),
    ]
}

/// Columns and cells for the current list view.
fn table_of(state: &State, theme: &Theme) -> (&'static [Column], Vec<Vec<Cell>>) {
    let e = state.exponent;
    let now = state.now;
    match &state.list.rows {
        Rows::None => (BUCKETS, vec![]),
        Rows::Buckets(s) => {
            let max = s.lines.iter().map(|l| l.amount).max().unwrap_or(0).max(1);
            let rows = s
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let filled = ((l.amount.max(0) as i128 * 30) / max as i128) as usize;
                    vec![
                        plain(&l.bucket.label),
                        plain(l.invoices.to_string()),
                        plain(format_grouped(l.amount, e)),
                        ("█".repeat(filled), theme.aging(i, s.lines.len())),
                    ]
                })
                .collect();
            (BUCKETS, rows)
        }
        Rows::Customers(r) => (
            CUSTOMERS,
            r.iter()
                .map(|c| {
                    vec![
                        plain(&c.code),
                        plain(&c.name),
                        plain(&c.segment),
                        plain(c.invoices.to_string()),
                        plain(format_grouped(c.amount, e)),
                    ]
                })
                .collect(),
        ),
        Rows::Invoices(r) => (
            INVOICES,
            r.iter()
                .map(|i| {
                    let days = (state.aging.as_of - i.due_date).num_days();
                    vec![
                        plain(&i.number),
                        plain(i.issue_date.to_string()),
                        plain(i.due_date.to_string()),
                        plain(days.to_string()),
                        plain(format_grouped(i.open, e)),
                        plain(&i.currency),
                        plain(i.expected.map(|d| d.to_string()).unwrap_or_default()),
                        plain(if i.disputed { "disputed" } else { "" }),
                    ]
                })
                .collect(),
        ),
        Rows::Disputes(r) => (
            DISPUTES,
            r.iter().map(|d| dispute_row(d, now, e, theme)).collect(),
        ),
        Rows::Holds(r) => (
            HOLDS,
            r.iter()
                .map(|h| {
                    let (status, lag) = match h.cleared_at {
                        Some(c) if h.status == "cleared" => {
                            let waited = (now - c).num_minutes();
                            let style = if waited > h.lag_target_minutes {
                                theme.sla_breached
                            } else {
                                theme.sla_at_risk
                            };
                            (
                                ("⚑ PAID".to_string(), style),
                                (
                                    format!(
                                        "{} / {}",
                                        format_minutes(waited),
                                        format_minutes(h.lag_target_minutes)
                                    ),
                                    style,
                                ),
                            )
                        }
                        _ => (plain("held"), plain("—")),
                    };
                    let blockers = h
                        .blockers
                        .iter()
                        .map(|(n, open)| format!("{n}{}", if *open { "" } else { " ✓" }))
                        .collect::<Vec<_>>()
                        .join(", ");
                    vec![
                        status,
                        plain(&h.order),
                        plain(&h.customer),
                        plain(format!("{} {}", format_grouped(h.amount, e), h.currency)),
                        plain(format_minutes((now - h.placed_at).num_minutes())),
                        lag,
                        plain(blockers),
                    ]
                })
                .collect(),
        ),
        Rows::Outreach(r) => (
            OUTREACH,
            r.iter()
                .map(|o| {
                    vec![
                        plain(&o.status),
                        plain(&o.customer),
                        plain(o.invoice.clone().unwrap_or_default()),
                        plain(o.purpose.replace('_', " ")),
                        plain(&o.tone),
                        plain(o.channel.replace('_', " ")),
                        plain(when(o.send_after)),
                        plain(o.copies.join(", ")),
                        match &o.suppression {
                            Some(why) => (format!("▲ {why}"), theme.sla_at_risk),
                            None => plain(""),
                        },
                        plain(&o.subject),
                    ]
                })
                .collect(),
        ),
        Rows::Activity(r) => (
            ACTIVITY,
            r.iter()
                .map(|a| {
                    vec![
                        plain(when(a.at)),
                        plain(&a.actor),
                        plain(a.action.replace('_', " ")),
                        plain(format!(
                            "{} {}",
                            a.entity,
                            a.entity_id.map(|i| i.to_string()).unwrap_or_default()
                        )),
                        plain(a.customer.clone().unwrap_or_default()),
                        plain(&a.details),
                    ]
                })
                .collect(),
        ),
    }
}

fn title(state: &State) -> String {
    let l = &state.list;
    let mut t = match &state.view {
        View::Aging(level) => {
            let what = match level {
                AgingLevel::Buckets => String::new(),
                AgingLevel::Customers { bucket } => format!(" › {}", state.bucket_label(*bucket)),
                AgingLevel::Invoices { bucket, name, .. } => {
                    format!(" › {} › {name}", state.bucket_label(*bucket))
                }
            };
            format!(
                " Aging{what} · as of {} · basis: {} ",
                state.aging.as_of, state.aging.basis
            )
        }
        v => format!(" {} ", v.title()),
    };
    if l.total > 0 {
        t.push_str(&format!(
            "· {}/{} ",
            (l.selected + 1).min(l.total as usize),
            l.total
        ));
    }
    if !l.filter.is_empty() {
        t.push_str(&format!("· filter: {} ", super::text::safe(&l.filter)));
    }
    if let Some((c, desc)) = l.sort {
        t.push_str(&format!(
            "· sort: column {} {} ",
            c + 1,
            if desc { "↓" } else { "↑" }
        ));
    }
    if !l.marked.is_empty() {
        t.push_str(&format!("· {} marked ", l.marked.len()));
    }
    if state.frozen {
        t.push_str("· ❄ FROZEN ");
    }
    t
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let (columns, rows) = table_of(state, theme);
    let l = &state.list;
    let empty = if let Some(e) = &l.error {
        Some(Line::styled(
            format!(" {}", super::text::safe(e)),
            theme.status_error,
        ))
    } else if rows.is_empty() && l.loading {
        Some(Line::styled(" loading…", theme.muted))
    } else if rows.is_empty() {
        Some(Line::styled(
            if l.filter.is_empty() {
                " nothing here"
            } else {
                " nothing matches the filter (esc clears it)"
            },
            theme.muted,
        ))
    } else {
        None
    };
    let selected = l
        .selected
        .checked_sub(l.offset as usize)
        .filter(|s| *s < rows.len());
    let marked = (0..rows.len())
        .map(|i| l.rows.key(i).is_some_and(|k| l.marked.contains_key(&k)))
        .collect();
    table::render(
        frame,
        area,
        TableView {
            title: title(state),
            columns,
            rows,
            selected,
            marked,
            empty,
        },
        theme,
    );
}
