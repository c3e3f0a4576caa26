//! Semantic styles the widgets draw with. Loaded from `themes/*.toml` (see `config::theme`).

use ratatui::style::{Color, Modifier, Style};

/// Every style a widget may use, by meaning rather than colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub base: Style,
    pub header: Style,
    pub badge_env: Style,
    pub badge_readonly: Style,
    pub feed_live: Style,
    pub feed_stale: Style,
    pub feed_lost: Style,
    pub title: Style,
    pub border: Style,
    pub row_selected: Style,
    pub column_header: Style,
    pub hint_key: Style,
    pub hint_text: Style,
    pub status_info: Style,
    pub status_error: Style,
    pub aging_current: Style,
    pub aging_30: Style,
    pub aging_60: Style,
    pub aging_90: Style,
    pub aging_90_plus: Style,
    pub sla_ok: Style,
    pub sla_at_risk: Style,
    pub sla_breached: Style,
    pub muted: Style,
}

impl Theme {
    /// The built-in fallback: 256-colour safe on the terminal's own background.
    pub fn fallback() -> Theme {
        let fg = |c: u8| Style::default().fg(Color::Indexed(c));
        Theme {
            name: "default".into(),
            base: Style::default(),
            header: Style::default().add_modifier(Modifier::BOLD),
            badge_env: fg(16).bg(Color::Indexed(179)).add_modifier(Modifier::BOLD),
            badge_readonly: fg(16).bg(Color::Indexed(110)).add_modifier(Modifier::BOLD),
            feed_live: fg(71),
            feed_stale: fg(179),
            feed_lost: fg(167).add_modifier(Modifier::BOLD),
            title: Style::default().add_modifier(Modifier::BOLD),
            border: fg(240),
            row_selected: Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            column_header: fg(250).add_modifier(Modifier::UNDERLINED),
            hint_key: fg(110).add_modifier(Modifier::BOLD),
            hint_text: fg(245),
            status_info: fg(250),
            status_error: fg(167).add_modifier(Modifier::BOLD),
            aging_current: fg(71),
            aging_30: fg(150),
            aging_60: fg(179),
            aging_90: fg(173),
            aging_90_plus: fg(167).add_modifier(Modifier::BOLD),
            sla_ok: fg(71),
            sla_at_risk: fg(179).add_modifier(Modifier::BOLD),
            sla_breached: fg(167).add_modifier(Modifier::BOLD | Modifier::REVERSED),
            muted: fg(245),
        }
    }

    /// The style of aging bucket `index` (0 = not due) out of `count` buckets.
    pub fn aging(&self, index: usize, count: usize) -> Style {
        match index {
            0 => self.aging_current,
            i if i + 1 == count => self.aging_90_plus,
            1 => self.aging_30,
            2 => self.aging_60,
            _ => self.aging_90,
        }
    }
}
