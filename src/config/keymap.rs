//! Keymaps: context → action → keys, embedded defaults with user files layered over them.
//! Every error names file, line and column, and suggests what was probably meant.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use toml::Spanned;

use super::{ConfigError, Located, locate, suggest};
use crate::app::Action;

pub const DEFAULT: &str = include_str!("../../keymaps/default.toml");
pub const VIM: &str = include_str!("../../keymaps/vim.toml");

/// The contexts a keymap may bind in. `global` keys work everywhere; `list` keys where a
/// list has the focus.
pub const CONTEXTS: &[&str] = &["global", "list"];

/// A key as the keymap names it: a code plus ctrl/shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeName,
    pub ctrl: bool,
}

/// The key codes a keymap can name (crossterm's KeyCode is not Ord).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeName {
    Char(char),
    Named(&'static str),
    F(u8),
}

const NAMED: &[&str] = &[
    "enter",
    "esc",
    "tab",
    "backtab",
    "space",
    "backspace",
    "delete",
    "up",
    "down",
    "left",
    "right",
    "pgup",
    "pgdn",
    "home",
    "end",
    "insert",
];

/// Reads "ctrl-r", "G", "enter", "f5".
pub fn parse_key(text: &str) -> Result<Key, String> {
    let (ctrl, rest) = match text.strip_prefix("ctrl-") {
        Some(r) if !r.is_empty() => (true, r),
        _ => (false, text),
    };
    let (shift, rest) = match rest.strip_prefix("shift-") {
        Some(r) if !r.is_empty() => (true, r),
        _ => (false, rest),
    };
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) => KeyCodeName::Char(if shift { c.to_ascii_uppercase() } else { c }),
        _ if rest == "space" => KeyCodeName::Char(' '),
        _ if shift && rest == "tab" => KeyCodeName::Named("backtab"),
        _ => {
            if let Some(n) = NAMED.iter().find(|n| **n == rest) {
                KeyCodeName::Named(n)
            } else if let Some(f) = rest
                .strip_prefix('f')
                .and_then(|n| n.parse::<u8>().ok())
                .filter(|n| (1..=12).contains(n))
            {
                KeyCodeName::F(f)
            } else {
                return Err(format!("`{text}` is not a key"));
            }
        }
    };
    Ok(Key { code, ctrl })
}

/// The keymap's view of a terminal key event.
pub fn key_of(event: &KeyEvent) -> Option<Key> {
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    let code = match event.code {
        KeyCode::Char(c) => KeyCodeName::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
        KeyCode::Enter => KeyCodeName::Named("enter"),
        KeyCode::Esc => KeyCodeName::Named("esc"),
        KeyCode::Tab => KeyCodeName::Named("tab"),
        KeyCode::BackTab => KeyCodeName::Named("backtab"),
        KeyCode::Backspace => KeyCodeName::Named("backspace"),
        KeyCode::Delete => KeyCodeName::Named("delete"),
        KeyCode::Up => KeyCodeName::Named("up"),
        KeyCode::Down => KeyCodeName::Named("down"),
        KeyCode::Left => KeyCodeName::Named("left"),
        KeyCode::Right => KeyCodeName::Named("right"),
        KeyCode::PageUp => KeyCodeName::Named("pgup"),
        KeyCode::PageDown => KeyCodeName::Named("pgdn"),
        KeyCode::Home => KeyCodeName::Named("home"),
        KeyCode::End => KeyCodeName::Named("end"),
        KeyCode::Insert => KeyCodeName::Named("insert"),
        KeyCode::F(n) => KeyCodeName::F(n),
        _ => return None,
    };
    Some(Key { code, ctrl })
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        match self.code {
            KeyCodeName::Char(' ') => f.write_str("space"),
            KeyCodeName::Char(c) => write!(f, "{c}"),
            KeyCodeName::Named(n) => f.write_str(n),
            KeyCodeName::F(n) => write!(f, "f{n}"),
        }
    }
}

/// Where a binding came from, for conflict messages.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    file: String,
    line: usize,
    col: usize,
}

/// A loaded keymap: for each context, each action's keys.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    bindings: BTreeMap<(&'static str, Action), (Vec<Key>, Origin)>,
}

type RawKeymap = BTreeMap<String, BTreeMap<String, Spanned<Vec<Spanned<String>>>>>;

impl Keymap {
    /// The default keymap, with `layers` (name, text) applied over it in order.
    pub fn load(layers: &[(&str, &str)]) -> Result<Keymap, Vec<ConfigError>> {
        let mut map = Keymap::default();
        let mut errors = Vec::new();
        for (file, text) in std::iter::once(&("<built-in default keymap>", DEFAULT)).chain(layers) {
            map.layer(file, text, &mut errors);
        }
        errors.extend(map.conflicts());
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }

    fn layer(&mut self, file: &str, text: &str, errors: &mut Vec<ConfigError>) {
        let raw: RawKeymap = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let at = e.span().map_or(0, |s| s.start);
                errors.push(locate(file, text, at, e.message().to_string(), None));
                return;
            }
        };
        for (context, actions) in raw {
            let Some(ctx) = CONTEXTS.iter().find(|c| **c == context) else {
                let at = text.find(&format!("[{context}]")).unwrap_or(0) + 1;
                errors.push(locate(
                    file,
                    text,
                    at,
                    format!("unknown context `{context}`"),
                    suggest(&context, CONTEXTS),
                ));
                continue;
            };
            for (name, keys) in actions {
                let span = keys.span();
                let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
                let Some(action) = Action::from_name(&name) else {
                    let at = text[line_start..]
                        .find(&name)
                        .map_or(span.start, |i| line_start + i);
                    let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                    errors.push(locate(
                        file,
                        text,
                        at,
                        format!("unknown action `{name}`"),
                        suggest(&name, &names),
                    ));
                    continue;
                };
                let mut parsed = Vec::new();
                for key in keys.get_ref() {
                    match parse_key(key.get_ref()) {
                        Ok(k) => parsed.push(k),
                        Err(msg) => errors.push(locate(
                            file,
                            text,
                            key.span().start + 1,
                            msg,
                            Some("keys look like `q`, `G`, `ctrl-r`, `enter`, `f5`".into()),
                        )),
                    }
                }
                let Located { line, col, .. } = Located::at(text, span.start);
                self.bindings.insert(
                    (ctx, action),
                    (
                        parsed,
                        Origin {
                            file: file.to_string(),
                            line,
                            col,
                        },
                    ),
                );
            }
        }
    }

    /// A key bound to two actions where both contexts are active is an error.
    fn conflicts(&self) -> Vec<ConfigError> {
        let mut seen: BTreeMap<(&str, Key), (Action, &Origin)> = BTreeMap::new();
        let mut errors = Vec::new();
        let ordered = self
            .bindings
            .iter()
            .filter(|((c, _), _)| *c == "global")
            .chain(self.bindings.iter().filter(|((c, _), _)| *c != "global"));
        for ((ctx, action), (keys, origin)) in ordered {
            for key in keys {
                let clash = seen
                    .get(&(*ctx, *key))
                    .or_else(|| seen.get(&("global", *key)));
                if let Some((other, other_origin)) = clash.filter(|(a, _)| a != action) {
                    errors.push(ConfigError {
                        file: origin.file.clone(),
                        line: origin.line,
                        col: origin.col,
                        message: format!(
                            "key `{key}` for `{}` is already bound to `{}` ({}:{})",
                            action.name(),
                            other.name(),
                            other_origin.file,
                            other_origin.line
                        ),
                        suggestion: Some(format!("unbind one: `{} = []`", other.name())),
                    });
                } else {
                    seen.insert((ctx, *key), (*action, origin));
                }
            }
        }
        errors
    }

    /// The action for a key press: list bindings first, then global ones.
    pub fn action_for(&self, event: &KeyEvent) -> Option<Action> {
        let key = key_of(event)?;
        ["list", "global"].iter().find_map(|ctx| {
            self.bindings
                .iter()
                .find(|((c, _), (keys, _))| c == ctx && keys.contains(&key))
                .map(|((_, a), _)| *a)
        })
    }

    /// The keys bound to an action, in any context, as people write them.
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        self.bindings
            .iter()
            .filter(|((_, a), _)| *a == action)
            .flat_map(|(_, (keys, _))| keys.iter().map(|k| k.to_string()))
            .collect()
    }
}
