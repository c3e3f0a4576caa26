//! One message in full: to, cc, subject, body, where it stands and why, and its history.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::Theme;
use super::customer::{heading, page};
use super::text::safe;
use crate::app::state::{Loadable, State};
use crate::domain::states::{OutreachStatus, words};
use crate::model::MessageView;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let lines = match &state.message {
        Loadable::Ready(m) => message_lines(m, theme),
        Loadable::Failed(e) => vec![Line::styled(
            format!(" could not load the message: {}", safe(e)),
            theme.status_error,
        )],
        _ => vec![Line::styled(" loading…", theme.muted)],
    };
    let title = state.message.ready().map_or(" Message ".to_string(), |m| {
        format!(" MSG-{} · {} ", m.line.id, safe(&m.line.customer))
    });
    page(frame, area, title, lines, state.page_scroll, theme);
}

fn message_lines(m: &MessageView, theme: &Theme) -> Vec<Line<'static>> {
    let l = &m.line;
    let status_style = match l.status {
        OutreachStatus::Failed | OutreachStatus::Uncertain => theme.sla_breached,
        OutreachStatus::PendingApproval => theme.sla_at_risk,
        _ => ratatui::style::Style::default(),
    };
    let mut out = vec![
        Line::styled(
            format!(
                " {} · {} · {} tone · {}{}",
                l.status.label(),
                l.purpose.label(),
                l.tone,
                l.channel,
                l.invoice
                    .as_deref()
                    .map_or(String::new(), |i| format!(" · invoice {}", safe(i)))
            ),
            status_style,
        ),
        Line::raw(format!(
            " To: {}",
            safe(
                m.to.as_deref()
                    .unwrap_or("(no contact e-mail, or not yours to see)")
            )
        )),
        Line::raw(format!(" Cc: {}", safe(&l.copies.join(", ")))),
        Line::raw(match m.sent_at {
            Some(at) => format!(" Sent {}", at.format("%Y-%m-%d %H:%M UTC")),
            None => format!(" Goes after {}", l.send_after.format("%Y-%m-%d %H:%M UTC")),
        }),
        Line::raw(format!(
            " Queued by {} · {} attempt(s){}",
            safe(m.created_by.as_deref().unwrap_or("the store")),
            m.attempts,
            m.claimed_by
                .as_deref()
                .map_or(String::new(), |w| format!(" · held by worker {}", safe(w)))
        )),
    ];
    if l.status == OutreachStatus::Uncertain {
        out.push(Line::styled(
            " ? A worker was sending it when it stopped: it may have gone. A lead decides (D).",
            theme.sla_breached,
        ));
    }
    if let Some(why) = &l.suppression {
        out.push(Line::styled(
            format!(" ▲ would be held back now: {}", safe(why)),
            theme.sla_at_risk,
        ));
    }
    if let Some(why) = &l.last_error {
        out.push(Line::styled(
            format!(" Last attempt: {}", safe(why)),
            status_style,
        ));
    }
    out.push(Line::raw(""));
    out.push(heading(&format!("Subject: {}", safe(&l.subject)), theme));
    out.extend(m.body.lines().map(|b| Line::raw(format!("   {}", safe(b)))));
    out.push(Line::raw(""));
    out.push(heading("History", theme));
    out.extend(m.history.iter().map(|h| {
        Line::raw(format!(
            "   {}  {}  {}  {}",
            h.at.format("%Y-%m-%d %H:%M"),
            safe(&h.actor),
            words(&h.action),
            safe(&h.details)
        ))
    }));
    out
}
