//! A dispute's case: the invoice and what is disputed, who has it and who is looking, both
//! clocks with the policy behind them, and the timeline, newest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::Theme;
use super::customer::{heading, page};
use super::text::safe;
use crate::app::state::{Loadable, State};
use crate::domain::money::format_grouped;
use crate::domain::states::{DisputeEvent, words};
use crate::model::{Case, CaseEvent};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lines = match &state.case {
        Loadable::Ready(c) => case_lines(c, state, theme),
        Loadable::Failed(e) => vec![Line::styled(
            format!(" could not load the case: {}", safe(e)),
            theme.status_error,
        )],
        _ => vec![Line::styled(" loading…", theme.muted)],
    };
    let title = state.case.ready().map_or(" Case ".to_string(), |c| {
        format!(" {} · {} ", safe(&c.line.number), safe(&c.line.customer))
    });
    page(frame, area, title, lines, state.page_scroll, theme);
}

fn case_lines(c: &Case, state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let d = &c.line;
    let e = state.exponent_of(&d.currency);
    let money = |v: i64| format!("{} {}", format_grouped(v, e), d.currency);
    let mut out = vec![
        Line::raw(format!(
            " Invoice {} · {} · open {} · due {}",
            safe(&d.invoice),
            money(c.invoice_amount),
            money(c.invoice_open),
            c.invoice_due
        )),
        Line::raw(format!(
            " Disputed {} · {}{} · {}{}",
            money(d.amount),
            words(&d.category),
            c.line_item
                .as_deref()
                .map_or(String::new(), |l| format!(" · line “{}”", safe(l))),
            d.state,
            if d.escalated { " · ⇧ escalated" } else { "" }
        )),
        Line::raw(format!(
            " Assigned to {} · watching now: {}",
            safe(d.assignee.as_deref().unwrap_or("nobody")),
            if d.watchers.is_empty() {
                "nobody else".to_string()
            } else {
                safe(&d.watchers.join(", "))
            }
        )),
    ];
    if let (Some(outcome), Some(at)) = (c.outcome, c.resolved_at) {
        out.push(Line::raw(format!(
            " Resolved {} · {outcome}{}",
            at.format("%Y-%m-%d %H:%M"),
            c.credited
                .map_or(String::new(), |v| format!(", {}", money(v)))
        )));
    }
    out.push(Line::raw(""));
    out.push(heading("SLA clocks", theme));
    out.extend(
        super::explain::dispute_lines(d, state.now)
            .into_iter()
            .skip(1)
            .map(|l| Line::raw(safe(&l))),
    );
    if let Some(cal) = &c.calendar {
        let next = c
            .holidays
            .first()
            .map_or(String::from("none listed"), |(day, name)| {
                format!("{day} {}", safe(name))
            });
        out.push(Line::raw(format!(
            " Calendar {} · next holiday: {next}",
            safe(cal)
        )));
    }
    out.push(Line::raw(""));
    out.push(heading(
        &format!("Timeline ({}, newest first)", c.events.len()),
        theme,
    ));
    out.extend(c.events.iter().map(|ev| event_line(ev, c, &money)));
    out
}

/// One timeline entry in words: when, who, what, and the note.
fn event_line(ev: &CaseEvent, c: &Case, money: &dyn Fn(i64) -> String) -> Line<'static> {
    let who = ev.who.as_deref().unwrap_or("the store");
    let what = match ev.kind {
        DisputeEvent::Opened => "raised it".to_string(),
        DisputeEvent::Response => "responded".to_string(),
        DisputeEvent::State => {
            let to = ev.to.as_deref().map_or(String::new(), words);
            let credit = match (ev.to.as_deref(), c.credited) {
                (Some("resolved"), Some(v)) if v > 0 => format!(", credited {}", money(v)),
                _ => String::new(),
            };
            format!(
                "moved it from {} to {to}{credit}",
                ev.from.as_deref().map_or(String::new(), words)
            )
        }
        DisputeEvent::Assigned => match &ev.target {
            Some(to) => format!("assigned it to {to}"),
            None => "assigned it".to_string(),
        },
        DisputeEvent::Note => "noted".to_string(),
        DisputeEvent::Escalated => format!(
            "escalated it to {}",
            ev.target.as_deref().unwrap_or("the leads")
        ),
    };
    let note = if ev.note.is_empty() {
        String::new()
    } else {
        format!(": {}", ev.note)
    };
    Line::raw(safe(&format!(
        "   {}  {who} {what}{note}",
        ev.at.format("%Y-%m-%d %H:%M")
    )))
}
