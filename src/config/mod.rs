//! Configuration files: themes and keymaps, embedded defaults with the user's files layered
//! over them. Errors are loud: file, line, column and a suggestion.

pub mod keymap;
pub mod theme;

use std::fmt;
use std::path::PathBuf;

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub suggestion: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )?;
        if let Some(s) = &self.suggestion {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// A 1-based line and column for a byte offset into a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub line: usize,
    pub col: usize,
}

impl Located {
    pub fn at(text: &str, offset: usize) -> Located {
        let offset = offset.min(text.len());
        let before = &text[..text.floor_char_boundary(offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Located { line, col }
    }
}

pub(crate) fn locate(
    file: &str,
    text: &str,
    offset: usize,
    message: String,
    suggestion: Option<String>,
) -> ConfigError {
    let Located { line, col } = Located::at(text, offset);
    ConfigError {
        file: file.to_string(),
        line,
        col,
        message,
        suggestion,
    }
}

/// "did you mean `x`?" for the closest candidate within a small edit distance.
pub(crate) fn suggest(word: &str, candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// The user's settle configuration directory (`$XDG_CONFIG_HOME/settle`).
pub fn user_dir() -> Option<PathBuf> {
    std::env::var_os("SETTLE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("settle")))
}

/// Where settle keeps what it writes for this user: the log and drafts
/// (`$XDG_STATE_HOME/settle`; `SETTLE_STATE_DIR` moves it).
pub fn state_dir() -> Option<PathBuf> {
    std::env::var_os("SETTLE_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            dirs::state_dir()
                .or_else(dirs::cache_dir)
                .map(|d| d.join("settle"))
        })
}

/// Reads a named shipped file or a path; `shipped` lists (name, text) pairs.
pub fn read_named(name: &str, shipped: &[(&str, &str)]) -> Result<(String, String), String> {
    if let Some((n, text)) = shipped.iter().find(|(n, _)| *n == name) {
        return Ok((format!("<built-in {n}>"), text.to_string()));
    }
    match std::fs::read_to_string(name) {
        Ok(text) => Ok((name.to_string(), text)),
        Err(e) => {
            let names: Vec<&str> = shipped.iter().map(|(n, _)| *n).collect();
            Err(format!(
                "`{name}` is neither a shipped name ({}) nor a readable file: {e}",
                names.join(", ")
            ))
        }
    }
}

/// Shipped keymaps by name.
pub const KEYMAPS: &[(&str, &str)] = &[("default", keymap::DEFAULT), ("vim", keymap::VIM)];

/// The keymap to run with: the default, the named or given one over it, then the user's
/// `keymap.toml` over that.
pub fn load_keymap(name: Option<&str>) -> Result<keymap::Keymap, Vec<ConfigError>> {
    let mut layers: Vec<(String, String)> = Vec::new();
    if let Some(name) = name.filter(|n| *n != "default") {
        let (file, text) = read_named(name, KEYMAPS).map_err(|message| {
            vec![ConfigError {
                file: name.to_string(),
                line: 0,
                col: 0,
                message,
                suggestion: None,
            }]
        })?;
        layers.push((file, text));
    }
    layers.extend(user_file("keymap.toml")?);
    let borrowed: Vec<(&str, &str)> = layers
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    keymap::Keymap::load(&borrowed)
}

/// The user's `theme.toml`, if there is one.
fn user_theme() -> Result<Option<(String, String)>, Vec<ConfigError>> {
    user_file("theme.toml")
}

/// A file in the user's configuration directory, if it is there: (path, text).
fn user_file(name: &str) -> Result<Option<(String, String)>, Vec<ConfigError>> {
    let Some(path) = user_dir().map(|d| d.join(name)).filter(|p| p.is_file()) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        vec![ConfigError {
            file: path.display().to_string(),
            line: 0,
            col: 0,
            message: e.to_string(),
            suggestion: None,
        }]
    })?;
    Ok(Some((path.display().to_string(), text)))
}

/// The theme to run with, adapted to the colour depth.
pub fn load_theme(
    name: Option<&str>,
    depth: theme::Depth,
) -> Result<crate::ui::Theme, Vec<ConfigError>> {
    let name = name.unwrap_or(if depth == theme::Depth::None {
        "mono"
    } else {
        "default"
    });
    Ok(theme::for_depth(theme::load(name, user_theme()?)?, depth))
}

/// Every problem in every shipped and user configuration file.
pub fn check_all(theme: Option<&str>, keymap: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    // The files named on the command line, as the console would load them.
    if let Some(name) = theme
        && let Err(errors) = load_theme(Some(name), theme::Depth::TrueColor)
    {
        problems.extend(errors.iter().map(|e| e.to_string()));
    }
    if let Some(name) = keymap
        && let Err(errors) = load_keymap(Some(name))
    {
        problems.extend(errors.iter().map(|e| e.to_string()));
    }
    for (name, _) in theme::SHIPPED {
        match user_theme() {
            Ok(user) => {
                if let Err(errors) = theme::load(name, user) {
                    problems.extend(errors.iter().map(|e| e.to_string()));
                }
            }
            Err(errors) => problems.extend(errors.iter().map(|e| e.to_string())),
        }
    }
    for (name, _) in KEYMAPS {
        if let Err(errors) = load_keymap(Some(name)) {
            problems.extend(errors.iter().map(|e| e.to_string()));
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "a = 1\nbb = [2\n";
        assert_eq!(Located::at(text, 0), Located { line: 1, col: 1 });
        assert_eq!(Located::at(text, 6), Located { line: 2, col: 1 });
        assert_eq!(Located::at(text, 11), Located { line: 2, col: 6 });
    }

    #[test]
    fn suggestions_are_close_or_absent() {
        assert_eq!(
            suggest("qiut", &["quit", "help"]).as_deref(),
            Some("did you mean `quit`?")
        );
        assert_eq!(suggest("zzzzzzzz", &["quit", "help"]), None);
    }
}
