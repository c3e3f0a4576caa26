//! Themes: a palette and semantic tokens, with `extends`; embedded defaults, user files
//! layered over them, colour depth chosen by `--color` and `NO_COLOR`.

use std::collections::BTreeMap;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, locate, suggest};
use crate::ui::Theme;

pub const SHIPPED: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// How many colours the terminal gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    None,
    Basic16,
    Indexed256,
    TrueColor,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<Spanned<toml::Value>>,
    bg: Option<Spanned<toml::Value>>,
    #[serde(default)]
    modifiers: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    #[allow(dead_code)]
    name: Option<String>,
    extends: Option<Spanned<String>>,
    #[serde(default)]
    palette: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    tokens: BTreeMap<String, Spanned<RawStyle>>,
}

type Slot = fn(&mut Theme) -> &mut Style;

/// Every token a theme may set, and the style it fills.
const TOKENS: &[(&str, Slot)] = &[
    ("base", |t| &mut t.base),
    ("header", |t| &mut t.header),
    ("badge.env", |t| &mut t.badge_env),
    ("badge.readonly", |t| &mut t.badge_readonly),
    ("feed.live", |t| &mut t.feed_live),
    ("feed.stale", |t| &mut t.feed_stale),
    ("feed.lost", |t| &mut t.feed_lost),
    ("title", |t| &mut t.title),
    ("border", |t| &mut t.border),
    ("row.selected", |t| &mut t.row_selected),
    ("column.header", |t| &mut t.column_header),
    ("hint.key", |t| &mut t.hint_key),
    ("hint.text", |t| &mut t.hint_text),
    ("status.info", |t| &mut t.status_info),
    ("status.error", |t| &mut t.status_error),
    ("aging.current", |t| &mut t.aging_current),
    ("aging.30", |t| &mut t.aging_30),
    ("aging.60", |t| &mut t.aging_60),
    ("aging.90", |t| &mut t.aging_90),
    ("aging.90_plus", |t| &mut t.aging_90_plus),
    ("sla.ok", |t| &mut t.sla_ok),
    ("sla.at_risk", |t| &mut t.sla_at_risk),
    ("sla.breached", |t| &mut t.sla_breached),
    ("muted", |t| &mut t.muted),
];

const BASIC: &[(&str, Color)] = &[
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("white", Color::White),
    ("reset", Color::Reset),
];

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
];

/// An empty theme: every token unstyled.
fn blank(name: &str) -> Theme {
    let mut t = Theme::fallback();
    for (_, slot) in TOKENS {
        *slot(&mut t) = Style::default();
    }
    t.name = name.to_string();
    t
}

/// Loads a theme by shipped name or path, following `extends`, then the user's
/// `theme.toml` over it. Palettes merge first (a child may recolour its parent), then
/// tokens (the last layer wins), then every token is resolved against the merged palette.
pub fn load(name: &str, user: Option<(String, String)>) -> Result<Theme, Vec<ConfigError>> {
    let (file, text) = super::read_named(name, SHIPPED).map_err(|message| {
        vec![ConfigError {
            file: name.to_string(),
            line: 0,
            col: 0,
            message,
            suggestion: None,
        }]
    })?;
    let mut layers = vec![(file, text)];
    layers.extend(user);
    let mut errors = Vec::new();
    let mut chain: Vec<(String, String, RawTheme)> = Vec::new();
    for (file, text) in layers {
        collect(file, text, &mut chain, &mut errors, 0);
    }
    let mut palette = BTreeMap::new();
    for (file, text, raw) in &chain {
        for (name, value) in &raw.palette {
            match color(value, &palette) {
                Ok(c) => {
                    palette.insert(name.clone(), c);
                }
                Err(msg) => errors.push(locate(file, text, value.span().start, msg, None)),
            }
        }
    }
    let mut tokens: BTreeMap<&str, (&str, &str, &Spanned<RawStyle>)> = BTreeMap::new();
    for (file, text, raw) in &chain {
        for (token, style) in &raw.tokens {
            if TOKENS.iter().any(|(n, _)| n == token) {
                tokens.insert(token, (file, text, style));
            } else {
                let names: Vec<&str> = TOKENS.iter().map(|(n, _)| *n).collect();
                let at = text
                    .find(&format!("\"{token}\""))
                    .unwrap_or(style.span().start);
                errors.push(locate(
                    file,
                    text,
                    at,
                    format!("unknown token `{token}`"),
                    suggest(token, &names),
                ));
            }
        }
    }
    let mut theme = blank(name);
    for (token, (file, text, style)) in tokens {
        let slot = TOKENS
            .iter()
            .find(|(n, _)| *n == token)
            .map(|(_, s)| s)
            .expect("checked above");
        match to_style(style.get_ref(), &palette) {
            Ok(s) => *slot(&mut theme) = s,
            Err((span, msg)) => errors.push(locate(file, text, span, msg, None)),
        }
    }
    if errors.is_empty() {
        Ok(theme)
    } else {
        Err(errors)
    }
}

/// Parses a layer and, first, the shipped theme it extends.
fn collect(
    file: String,
    text: String,
    chain: &mut Vec<(String, String, RawTheme)>,
    errors: &mut Vec<ConfigError>,
    depth: u8,
) {
    let raw: RawTheme = match toml::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            errors.push(locate(
                &file,
                &text,
                e.span().map_or(0, |s| s.start),
                e.message().to_string(),
                None,
            ));
            return;
        }
    };
    if let Some(parent) = &raw.extends {
        match SHIPPED.iter().find(|(n, _)| *n == parent.get_ref()) {
            Some((n, t)) if depth < 4 => collect(
                format!("<built-in {n}>"),
                t.to_string(),
                chain,
                errors,
                depth + 1,
            ),
            _ => {
                let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
                errors.push(locate(
                    &file,
                    &text,
                    parent.span().start,
                    format!("cannot extend `{}`", parent.get_ref()),
                    suggest(parent.get_ref(), &names),
                ));
            }
        }
    }
    chain.push((file, text, raw));
}

fn to_style(raw: &RawStyle, palette: &BTreeMap<String, Color>) -> Result<Style, (usize, String)> {
    let mut s = Style::default();
    if let Some(fg) = &raw.fg {
        s = s.fg(color(fg, palette).map_err(|m| (fg.span().start, m))?);
    }
    if let Some(bg) = &raw.bg {
        s = s.bg(color(bg, palette).map_err(|m| (bg.span().start, m))?);
    }
    for m in &raw.modifiers {
        let Some((_, modifier)) = MODIFIERS.iter().find(|(n, _)| n == m.get_ref()) else {
            let names: Vec<&str> = MODIFIERS.iter().map(|(n, _)| *n).collect();
            let hint = suggest(m.get_ref(), &names)
                .unwrap_or_else(|| format!("modifiers: {}", names.join(", ")));
            return Err((
                m.span().start,
                format!("unknown modifier `{}` ({hint})", m.get_ref()),
            ));
        };
        s = s.add_modifier(*modifier);
    }
    Ok(s)
}

fn color(value: &Spanned<toml::Value>, palette: &BTreeMap<String, Color>) -> Result<Color, String> {
    match value.get_ref() {
        toml::Value::Integer(n) if (0..=255).contains(n) => Ok(Color::Indexed(*n as u8)),
        toml::Value::String(s) if s.starts_with('#') && s.len() == 7 => {
            u32::from_str_radix(&s[1..], 16)
                .map(|v| Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8))
                .map_err(|_| format!("`{s}` is not a #rrggbb colour"))
        }
        toml::Value::String(s) => palette
            .get(s)
            .copied()
            .or_else(|| BASIC.iter().find(|(n, _)| n == s).map(|(_, c)| *c))
            .ok_or_else(|| {
                let mut names: Vec<&str> = palette.keys().map(String::as_str).collect();
                names.extend(BASIC.iter().map(|(n, _)| *n));
                let hint = suggest(s, &names).map_or(String::new(), |h| format!(" ({h})"));
                format!("unknown colour `{s}`{hint}")
            }),
        other => Err(format!(
            "`{other}` is not a colour (a palette name, 0-255 or #rrggbb)"
        )),
    }
}

/// Adapts a theme to what the terminal can show; with no colour only modifiers remain.
pub fn for_depth(mut theme: Theme, depth: Depth) -> Theme {
    for (_, slot) in TOKENS {
        let s = slot(&mut theme);
        s.fg = s.fg.and_then(|c| downgrade(c, depth));
        s.bg = s.bg.and_then(|c| downgrade(c, depth));
    }
    theme
}

fn downgrade(c: Color, depth: Depth) -> Option<Color> {
    match (depth, c) {
        (Depth::None, _) => None,
        (Depth::TrueColor, c) => Some(c),
        (Depth::Indexed256, Color::Rgb(r, g, b)) => Some(Color::Indexed(
            16 + 36 * (r as u16 * 5 / 255) as u8
                + 6 * (g as u16 * 5 / 255) as u8
                + (b as u16 * 5 / 255) as u8,
        )),
        (Depth::Indexed256, c) => Some(c),
        // Named colours are sent as the basic SGR codes (30–37, 90–97) every terminal knows.
        (Depth::Basic16, Color::Indexed(n)) if n < 16 => Some(NAMED[n as usize]),
        (Depth::Basic16, Color::Indexed(n)) => Some(basic_of(index_rgb(n))),
        (Depth::Basic16, Color::Rgb(r, g, b)) => Some(basic_of((r, g, b))),
        (Depth::Basic16, c) => Some(c),
    }
}

fn index_rgb(n: u8) -> (u8, u8, u8) {
    if n >= 232 {
        let v = 8 + (n - 232) * 10;
        return (v, v, v);
    }
    let n = n - 16;
    let step = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
    (step(n / 36), step((n / 6) % 6), step(n % 6))
}

/// The sixteen basic colours by their index.
const NAMED: [Color; 16] = [
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
    Color::DarkGray,
    Color::LightRed,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::White,
];

fn basic_of((r, g, b): (u8, u8, u8)) -> Color {
    let bright = r.max(g).max(b) > 170;
    match (r > 110, g > 110, b > 110) {
        (true, false, false) => Color::Red,
        (false, true, false) => Color::Green,
        (true, true, false) => Color::Yellow,
        (false, false, true) => Color::Blue,
        (true, false, true) => Color::Magenta,
        (false, true, true) => Color::Cyan,
        (true, true, true) if bright => Color::White,
        (true, true, true) => Color::Gray,
        _ => Color::DarkGray,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_loads_and_mono_has_no_colour() {
        for (name, _) in SHIPPED {
            let t = load(name, None).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(
                t.row_selected.add_modifier.contains(Modifier::REVERSED),
                "{name}: selection visible without colour"
            );
        }
        let mono = load("mono", None).unwrap();
        for (token, slot) in TOKENS {
            let mut m = mono.clone();
            let s = slot(&mut m);
            assert_eq!(
                (s.fg, s.bg),
                (None, None),
                "mono token {token} carries a colour"
            );
        }
        let light = load("light", None).unwrap();
        assert_eq!(
            light.sla_ok.fg,
            Some(Color::Indexed(28)),
            "light recolours the default's tokens"
        );
    }

    #[test]
    fn broken_themes_say_where_and_what() {
        let bad = "name = \"x\"\n[tokens]\n\"sla.breachd\" = { fg = \"red\" }\n\"muted\" = { fg = \"gren\" }\n";
        let errors = load("default", Some(("mine.toml".into(), bad.into()))).unwrap_err();
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            text[0],
            "mine.toml:3:1: unknown token `sla.breachd` (did you mean `sla.breached`?)"
        );
        assert!(
            text[1].starts_with("mine.toml:4:18: unknown colour `gren` (did you mean `green`?)"),
            "{}",
            text[1]
        );
        let errors = load("default", Some(("m.toml".into(), "[tokens\n".into()))).unwrap_err();
        assert!(
            errors[0].to_string().starts_with("m.toml:1:"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn depth_strips_or_reduces_colour() {
        let t = for_depth(load("default", None).unwrap(), Depth::None);
        assert_eq!(t.sla_breached.fg, None);
        assert!(t.sla_breached.add_modifier.contains(Modifier::REVERSED));
        let t = for_depth(load("default", None).unwrap(), Depth::Basic16);
        assert_eq!(t.sla_breached.fg, Some(Color::Red));
        // Sixteen colours means the basic codes only: no 256-colour index, no RGB.
        for (name, _) in SHIPPED {
            let t = for_depth(load(name, None).unwrap(), Depth::Basic16);
            let text = format!("{t:?}");
            assert!(
                !text.contains("Indexed") && !text.contains("Rgb"),
                "{name}: {text}"
            );
        }
    }
}
