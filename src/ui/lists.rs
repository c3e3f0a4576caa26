//! The list views, each a set of columns and cells for the one table widget.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use super::Theme;
use super::table::{self, Cell, TableView};
use crate::app::state::{AgingLevel, Rows, State, View};
use crate::domain::money::format_grouped;
use crate::domain::promise::PromiseStanding;
use crate::domain::sla::{SlaClock, SlaState, format_minutes, worst_state};
use crate::domain::states::words;
use crate::domain::states::{HoldStatus, OutreachStatus};
use crate::lists::{
    ActivityColumn, BucketColumn, Column, CustomerColumn, DisputeColumn, HoldColumn, InboxColumn,
    InvoiceColumn, OutreachColumn, PromiseColumn, SlippingColumn,
};
use crate::model::DisputeLine;
use crate::model::{
    AuditEntry, CustomerAging, HeldOrder, Notice, OpenInvoice, OutreachLine, PromiseLine,
};

fn plain(s: impl Into<String>) -> Cell {
    (s.into(), Style::default())
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn sla_cell(state: SlaState, theme: &Theme) -> Cell {
    match state {
        SlaState::Breached => ("✖ breached".into(), theme.sla_breached),
        SlaState::AtRisk => ("▲ at risk".into(), theme.sla_at_risk),
        SlaState::Ok => ("● ok".into(), theme.sla_ok),
    }
}

/// A clock's cell: `late +2h10m`, `met`, `⏸3h00m` (awaiting the customer), `☾3h00m`
/// (outside its calendar's working hours: standing still until they resume), the time left,
/// or in a clock's last hour minutes and seconds (`42m07s`), ticking each second.
fn clock_cell(c: &SlaClock, off_hours: bool, last_hour: Option<i64>, theme: &Theme) -> Cell {
    if let Some(late) = c.late_by() {
        return (
            format!("late +{}", format_minutes(late)),
            theme.sla_breached,
        );
    }
    if c.stopped {
        return ("met".into(), theme.muted);
    }
    let text = if c.paused {
        format!("⏸{}", format_minutes(c.remaining()))
    } else if off_hours {
        format!("☾{}", format_minutes(c.remaining()))
    } else if let Some(s) = last_hour {
        format!("{}m{:02}s", s / 60, s % 60)
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

/// The cells of `rows`, one per column of `C` in its order: a cell is asked for by its column,
/// so a row can never put a figure under the wrong title.
fn cells<C: Column, R>(rows: &[R], cell: impl Fn(&R, C) -> Cell) -> Vec<Vec<Cell>> {
    rows.iter()
        .map(|r| C::ALL.iter().map(|&c| cell(r, c)).collect())
        .collect()
}

/// A dispute row with its clocks as they stand now, worked out once per row (not per cell).
struct ShownDispute<'a> {
    d: &'a DisputeLine,
    fr: SlaClock,
    res: SlaClock,
    off_hours: bool,
    /// Seconds left on each clock in its last hour.
    fr_seconds: Option<i64>,
    res_seconds: Option<i64>,
}

impl<'a> ShownDispute<'a> {
    fn new(d: &'a DisputeLine, now: DateTime<Utc>) -> Self {
        // What has counted on the calendar since the row was measured: once a row, not once
        // a clock and figure (a business calendar walks its days to work it out).
        let counted = d.clock.seconds_between(d.measured_at, now);
        ShownDispute {
            d,
            fr: d.first_response.after(counted),
            res: d.resolution.after(counted),
            off_hours: d.clock.off_hours(now).is_some(),
            fr_seconds: d.first_response.last_hour_seconds(counted),
            res_seconds: d.resolution.last_hour_seconds(counted),
        }
    }
}

fn dispute_cell(s: &ShownDispute, c: DisputeColumn, ctx: &Ctx) -> Cell {
    let d = s.d;
    match c {
        DisputeColumn::Sla => sla_cell(worst_state(&s.fr, &s.res), ctx.theme),
        DisputeColumn::Response => clock_cell(&s.fr, s.off_hours, s.fr_seconds, ctx.theme),
        DisputeColumn::Resolve => clock_cell(&s.res, s.off_hours, s.res_seconds, ctx.theme),
        DisputeColumn::Dispute => plain(&d.number),
        DisputeColumn::Customer => plain(&d.customer),
        DisputeColumn::Segment => plain(words(&d.segment)),
        DisputeColumn::State => plain(format!(
            "{}{}",
            d.state,
            if d.escalated { " ⇧" } else { "" }
        )),
        DisputeColumn::Category => plain(words(&d.category)),
        DisputeColumn::Amount => plain(money(ctx, d.amount, &d.currency)),
        DisputeColumn::Assignee => plain(d.assignee.clone().unwrap_or_else(|| "—".into())),
        DisputeColumn::Watching => plain(d.watchers.join(", ")),
    }
}

/// What cells are drawn with besides the row.
struct Ctx<'a> {
    state: &'a State,
    theme: &'a Theme,
}

/// An amount in its own currency's decimal places.
fn money(ctx: &Ctx, minor: i64, currency: &str) -> String {
    format!(
        "{} {currency}",
        format_grouped(minor, ctx.state.exponent_of(currency))
    )
}

fn customer_cell(c: &CustomerAging, col: CustomerColumn, ctx: &Ctx) -> Cell {
    match col {
        CustomerColumn::Code => plain(&c.code),
        CustomerColumn::Customer => plain(&c.name),
        CustomerColumn::Segment => plain(words(&c.segment)),
        CustomerColumn::Invoices => plain(c.invoices.to_string()),
        CustomerColumn::Amount => plain(format_grouped(c.amount, ctx.state.exponent)),
    }
}

fn invoice_cell(i: &OpenInvoice, col: InvoiceColumn, ctx: &Ctx) -> Cell {
    match col {
        InvoiceColumn::Invoice => plain(&i.number),
        InvoiceColumn::Issued => plain(i.issue_date.to_string()),
        InvoiceColumn::Due => plain(i.due_date.to_string()),
        InvoiceColumn::Days => plain((ctx.state.aging.as_of - i.due_date).num_days().to_string()),
        InvoiceColumn::Open => plain(format_grouped(i.open, ctx.state.exponent_of(&i.currency))),
        InvoiceColumn::Currency => plain(&i.currency),
        InvoiceColumn::Expected => plain(i.expected.map(|d| d.to_string()).unwrap_or_default()),
        InvoiceColumn::Dispute => plain(if i.disputed { "disputed" } else { "" }),
    }
}

fn hold_cell(h: &HeldOrder, col: HoldColumn, ctx: &Ctx) -> Cell {
    let paid = h
        .cleared_at
        .filter(|_| h.status == HoldStatus::Cleared)
        .map(|c| {
            let waited = (ctx.state.now - c).num_minutes();
            let style = if waited > h.lag_target_minutes {
                ctx.theme.sla_breached
            } else {
                ctx.theme.sla_at_risk
            };
            (waited, style)
        });
    match col {
        HoldColumn::Status => match paid {
            Some((_, style)) => ("⚑ PAID".to_string(), style),
            None => plain("held"),
        },
        HoldColumn::Order => plain(&h.order),
        HoldColumn::Customer => plain(&h.customer),
        HoldColumn::Reason => plain(words(&h.reason)),
        HoldColumn::Value => plain(money(ctx, h.amount, &h.currency)),
        HoldColumn::Held => plain(format_minutes((ctx.state.now - h.placed_at).num_minutes())),
        HoldColumn::ReleaseLag => match paid {
            Some((waited, style)) => (
                format!(
                    "{} / {}",
                    format_minutes(waited),
                    format_minutes(h.lag_target_minutes)
                ),
                style,
            ),
            None => plain("—"),
        },
        HoldColumn::Blocking => plain(
            h.blockers
                .iter()
                .map(|(n, open)| format!("{n}{}", if *open { "" } else { " ✓" }))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    }
}

fn outreach_cell(o: &OutreachLine, col: OutreachColumn, ctx: &Ctx) -> Cell {
    match col {
        OutreachColumn::Status => plain(o.status.label()),
        OutreachColumn::Customer => plain(&o.customer),
        OutreachColumn::Invoice => plain(o.invoice.clone().unwrap_or_default()),
        OutreachColumn::Purpose => plain(o.purpose.label()),
        OutreachColumn::Tone => plain(o.tone.label()),
        OutreachColumn::Channel => plain(o.channel.label()),
        OutreachColumn::SendAfter => plain(when(o.send_after)),
        OutreachColumn::Copies => plain(o.copies.join(", ")),
        OutreachColumn::HeldBack => match (&o.suppression, &o.last_error, o.status) {
            (Some(why), _, _) => (format!("▲ {why}"), ctx.theme.sla_at_risk),
            (None, _, OutreachStatus::Uncertain) => (
                "? may have gone: a lead decides (D)".into(),
                ctx.theme.sla_breached,
            ),
            (None, Some(why), OutreachStatus::Failed) => {
                (format!("✖ {why}"), ctx.theme.sla_breached)
            }
            (None, Some(why), _) => (why.clone(), ctx.theme.muted),
            (None, None, _) => plain(""),
        },
        OutreachColumn::Subject => plain(&o.subject),
    }
}

fn promise_cell(p: &PromiseLine, col: PromiseColumn, ctx: &Ctx) -> Cell {
    let e = ctx.state.exponent_of(&p.currency);
    let money = |v: i64| plain(format!("{} {}", format_grouped(v, e), p.currency));
    match col {
        PromiseColumn::Status => plain(p.status.label()),
        PromiseColumn::When => {
            let standing = PromiseStanding::of(
                p.status,
                p.promised_for,
                p.deadline,
                p.closed_on,
                ctx.state.today,
            );
            let style = match standing {
                PromiseStanding::Broken(_) | PromiseStanding::Overdue => ctx.theme.sla_breached,
                PromiseStanding::DueToday | PromiseStanding::InGrace(_) => ctx.theme.sla_at_risk,
                PromiseStanding::Kept(_) => ctx.theme.muted,
                PromiseStanding::DueIn(_) => Style::default(),
            };
            (standing.label(), style)
        }
        PromiseColumn::Customer => plain(&p.customer),
        PromiseColumn::Invoice => plain(p.invoice.clone().unwrap_or_default()),
        PromiseColumn::Promised => money(p.amount),
        PromiseColumn::Paid => money(p.paid),
        PromiseColumn::Due => plain(p.promised_for.to_string()),
        PromiseColumn::Made => plain(p.made_on.to_string()),
        PromiseColumn::TakenBy => plain(p.taken_by.clone().unwrap_or_default()),
    }
}

fn inbox_cell(n: &Notice, col: InboxColumn, ctx: &Ctx) -> Cell {
    let style = if n.read {
        ctx.theme.muted
    } else {
        Style::default()
    };
    match col {
        InboxColumn::Read => (if n.read { " " } else { "●" }.into(), style),
        InboxColumn::When => (when(n.at), style),
        InboxColumn::Kind => (words(&n.kind), style),
        InboxColumn::Customer => (n.customer.clone().unwrap_or_default(), style),
        InboxColumn::Message => (n.message.clone(), style),
    }
}

fn slipping_cell(a: &crate::model::SlippingAccount, col: SlippingColumn, ctx: &Ctx) -> Cell {
    let days = |d: Option<i64>| d.map_or("—".into(), |d| format!("{d}d"));
    match col {
        SlippingColumn::Customer => plain(&a.name),
        SlippingColumn::Segment => plain(words(&a.segment)),
        SlippingColumn::Recent => plain(days(a.recent_days)),
        SlippingColumn::Usual => plain(days(a.typical_days)),
        SlippingColumn::Open => plain(format_grouped(a.open, ctx.state.exponent)),
        SlippingColumn::Collector => plain(a.collector.clone().unwrap_or_else(|| "—".into())),
        SlippingColumn::Reason => plain(&a.reason),
    }
}

fn activity_cell(a: &AuditEntry, col: ActivityColumn) -> Cell {
    match col {
        ActivityColumn::At => plain(when(a.at)),
        ActivityColumn::Actor => plain(&a.actor),
        ActivityColumn::Action => plain(words(&a.action)),
        ActivityColumn::Entity if a.reference.is_some() => {
            plain(a.reference.clone().unwrap_or_default())
        }
        ActivityColumn::Entity => plain(format!(
            "{} {}",
            a.entity,
            a.entity_id.map(|i| i.to_string()).unwrap_or_default()
        )),
        ActivityColumn::Customer => plain(a.customer.clone().unwrap_or_default()),
        ActivityColumn::Details => plain(&a.details),
    }
}

/// The part of `rows` in `window` (clamped to what there is).
fn part<'a, T>(rows: &'a [T], window: &std::ops::Range<usize>) -> &'a [T] {
    &rows[window.start.min(rows.len())..window.end.min(rows.len())]
}

/// The cells of the rows in `window` of the current list view (its columns come from
/// `View::columns`): only what is on screen is built, however long the list.
fn table_of(state: &State, theme: &Theme, w: &std::ops::Range<usize>) -> Vec<Vec<Cell>> {
    let ctx = Ctx { state, theme };
    match &state.list.rows {
        Rows::None => vec![],
        Rows::Buckets(s) => {
            let max = s.lines.iter().map(|l| l.amount).max().unwrap_or(0).max(1);
            let lines: Vec<(usize, _)> = s.lines.iter().enumerate().collect();
            cells(part(&lines, w), |(i, l), c: BucketColumn| match c {
                BucketColumn::Bucket => plain(&l.bucket.label),
                BucketColumn::Invoices => plain(l.invoices.to_string()),
                BucketColumn::Amount => plain(format_grouped(l.amount, state.exponent)),
                BucketColumn::Bar => {
                    let filled = ((l.amount.max(0) as i128 * 30) / max as i128) as usize;
                    ("█".repeat(filled), theme.aging(*i, s.lines.len()))
                }
            })
        }
        Rows::Customers(r) => cells(part(r, w), |c, col| customer_cell(c, col, &ctx)),
        Rows::Invoices(r) => cells(part(r, w), |i, col| invoice_cell(i, col, &ctx)),
        Rows::Disputes(r) => {
            let shown: Vec<ShownDispute> = part(r, w)
                .iter()
                .map(|d| ShownDispute::new(d, state.now))
                .collect();
            cells(&shown, |s, col| dispute_cell(s, col, &ctx))
        }
        Rows::Holds(r) => cells(part(r, w), |h, col| hold_cell(h, col, &ctx)),
        Rows::Outreach(r) => cells(part(r, w), |o, col| outreach_cell(o, col, &ctx)),
        Rows::Promises(r) => cells(part(r, w), |p, col| promise_cell(p, col, &ctx)),
        Rows::Inbox(r) => cells(part(r, w), |n, col| inbox_cell(n, col, &ctx)),
        Rows::Work(r) => cells(part(r, w), |w, col| super::work::cell(w, col, state, theme)),
        Rows::Slipping(r) => cells(part(r, w), |a, col| slipping_cell(a, col, &ctx)),
        Rows::Activity(r) => cells(part(r, w), activity_cell),
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
    if let Some(sort) = l.sort
        && let Some(c) = state.view.columns().get(sort.column)
    {
        t.push_str(&format!(
            "· sort: {} {} ",
            c.title,
            if sort.descending { "▼" } else { "▲" }
        ));
    }
    if !l.marked.is_empty() {
        t.push_str(&format!("· {} marked ", l.marked.len()));
    }
    // Business-hour clocks stand still out of hours: say so, and when they run again.
    if let Rows::Disputes(rows) = &l.rows
        && let Some(off) = rows.iter().find_map(|d| d.clock.off_hours(state.now))
    {
        t.push_str(&format!("· ☾ off hours until {} ", off.when()));
    }
    if state.frozen {
        t.push_str("· ❄ FROZEN ");
    }
    t
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let columns = state.view.columns();
    let l = &state.list;
    // The rows the table will show (it keeps the selected row in view the same way).
    let fetched = l.rows.len();
    let body = (area.height.saturating_sub(3) as usize).max(1);
    let selected = l
        .selected
        .checked_sub(l.offset as usize)
        .filter(|s| *s < fetched);
    let start = selected.map_or(0, |s| (s + 1).saturating_sub(body));
    let window = start..(start + body).min(fetched);
    let rows = table_of(state, theme, &window);
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
    let selected = selected.map(|s| s - start);
    let marked = window
        .map(|i| l.rows.key(i).is_some_and(|k| l.marked.contains_key(&k)))
        .collect();
    table::render(
        frame,
        area,
        TableView {
            title: title(state),
            columns: &columns,
            sort: l.sort,
            rows,
            selected,
            marked,
            empty,
        },
        theme,
    );
}
