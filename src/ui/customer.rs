//! One account: brief, owners, segment and why, rhythm, open items, work and history.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use super::text::safe;
use crate::app::state::{Loadable, State};
use crate::domain::money::format_grouped;
use crate::domain::states::words;
use crate::model::Account;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lines = match &state.account {
        Loadable::Ready(a) => account_lines(a, state, theme),
        Loadable::Failed(e) => vec![Line::styled(
            format!(" could not load the account: {}", safe(e)),
            theme.status_error,
        )],
        _ => vec![Line::styled(" loading…", theme.muted)],
    };
    let title = state.account.ready().map_or(" Customer ".to_string(), |a| {
        format!(" {} · {} ", safe(&a.code), safe(&a.name))
    });
    page(frame, area, title, lines, state.page_scroll, theme);
}

/// A page of lines in a box that scrolls; the title says when there is more above or below.
pub(super) fn page(
    frame: &mut Frame,
    area: Rect,
    title: String,
    lines: Vec<Line<'static>>,
    scroll: usize,
    theme: &Theme,
) {
    let inner_height = area.height.saturating_sub(2) as usize;
    let more_below = lines.len() > inner_height + scroll;
    let title = match (scroll > 0, more_below) {
        (false, false) => title,
        (up, down) => format!(
            "{title}· {}{} scroll ",
            if up { "↑" } else { "" },
            if down { "↓" } else { "" }
        ),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(u16::MAX as usize) as u16, 0)),
        area,
    );
}

pub(super) fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::styled(format!(" {text}"), theme.title)
}

fn account_lines(a: &Account, state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let e = state.exponent;
    let mut out = vec![
        Line::raw(format!(
            " {} · terms net {} · credit limit {} {} · segment {} ({})",
            safe(&a.region),
            a.terms_days,
            format_grouped(a.credit_limit, e),
            a.currency,
            words(&a.segment),
            safe(&a.segment_reason)
        )),
        Line::raw(format!(
            " Rhythm: usually pays in {} days (spread {}), recently {}{}",
            a.typical_days.map_or("?".into(), |d| d.to_string()),
            a.spread_days.map_or("?".into(), |d| d.to_string()),
            a.recent_days.map_or("n/a".into(), |d| format!("{d} days")),
            if a.slipping { "  ▲ SLIPPING" } else { "" }
        )),
        Line::raw(format!(
            " Owners: {}",
            a.owners
                .iter()
                .map(|(r, n)| format!("{} ({})", safe(n), words(r)))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    ];
    if !a.contacts.is_empty() {
        out.push(heading("Contacts", theme));
        out.extend(a.contacts.iter().map(contact_line));
    }
    if !a.brief.is_empty() {
        out.push(heading("Handoff brief", theme));
        out.extend(
            a.brief
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| Line::raw(format!("   {k}: {}", safe(v)))),
        );
    }
    out.push(heading(
        &format!("Open invoices ({})", a.invoices.len()),
        theme,
    ));
    for i in &a.invoices {
        out.push(Line::raw(format!(
            "   {}  due {}  open {:>14} {}{}{}",
            safe(&i.number),
            i.due_date,
            format_grouped(i.open, state.exponent_of(&i.currency)),
            i.currency,
            i.expected
                .map_or(String::new(), |d| format!("  expected {d}")),
            if i.disputed { "  disputed" } else { "" }
        )));
    }
    let section = |out: &mut Vec<Line<'static>>, title: &str, items: Vec<String>| {
        if !items.is_empty() {
            out.push(heading(title, theme));
            out.extend(items.into_iter().map(|s| Line::raw(format!("   {s}"))));
        }
    };
    section(
        &mut out,
        "Disputes",
        a.disputes
            .iter()
            .map(|(n, s, m)| format!("{}  {}  {}", safe(n), words(s), format_grouped(*m, e)))
            .collect(),
    );
    section(
        &mut out,
        "Holds",
        a.holds
            .iter()
            .map(|(o, s)| format!("{}  {s}", safe(o)))
            .collect(),
    );
    section(
        &mut out,
        "Promises to pay",
        a.promises.iter().map(|p| promise_text(p, state)).collect(),
    );
    section(
        &mut out,
        "Outreach",
        a.outreach
            .iter()
            .map(|(t, s, subj)| format!("{}  {s}  {}", t.format("%Y-%m-%d"), safe(subj)))
            .collect(),
    );
    section(
        &mut out,
        "Audit trail",
        a.audit
            .iter()
            .map(|x| {
                format!(
                    "{}  {}  {}",
                    x.at.format("%Y-%m-%d %H:%M"),
                    safe(&x.actor),
                    words(&x.action)
                )
            })
            .collect(),
    );
    out
}

/// A contact: name, whether primary, the channel they prefer, and how to reach them.
fn contact_line(c: &crate::model::Contact) -> Line<'static> {
    let reach: Vec<&str> = [c.email.as_deref(), c.phone.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    Line::raw(format!(
        "   {}{} · prefers {} · {}",
        safe(&c.name),
        if c.primary { " (primary)" } else { "" },
        words(&c.channel),
        safe(&reach.join(", "))
    ))
}

/// A promise: its date, state and standing, the invoice, the amount, and who took it.
fn promise_text(p: &crate::model::PromiseLine, state: &State) -> String {
    let standing = crate::domain::promise::PromiseStanding::of(
        p.status,
        p.promised_for,
        p.deadline,
        p.closed_on,
        state.today,
    );
    format!(
        "{}  {:<7} {:<16} {}  {} {}  taken by {}",
        p.promised_for,
        p.status.label(),
        standing.label(),
        safe(p.invoice.as_deref().unwrap_or("account")),
        format_grouped(p.amount, state.exponent_of(&p.currency)),
        p.currency,
        safe(p.taken_by.as_deref().unwrap_or("?"))
    )
}
