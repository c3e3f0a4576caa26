//! The terminal guard: raw mode and the alternate screen while the console runs (ratatui's own
//! `try_init`, which also restores the terminal on panic), and the terminal put back on quit and
//! on SIGTERM/SIGHUP (handled by the event loop); and the clipboard, by OSC 52.

use std::io::{self, Write};

use crossterm::clipboard::CopyToClipboard;
use crossterm::cursor::Show;
use crossterm::execute;
use ratatui::DefaultTerminal;

pub type Term = DefaultTerminal;

/// Owns the terminal; dropping it puts the terminal back as it was.
pub struct TerminalGuard {
    pub terminal: Term,
}

/// Leaves raw mode and the alternate screen and shows the cursor. Safe to call more than once;
/// errors are ignored because the terminal may already be gone (SIGHUP).
pub fn restore() {
    let _ = ratatui::try_restore();
    let mut out = io::stdout();
    let _ = execute!(out, Show);
    let _ = out.flush();
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        match ratatui::try_init() {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts `text` on the clipboard of the terminal the user sits at, through SSH and tmux.
pub fn copy_to_clipboard(text: &str) {
    let mut out = io::stdout();
    let _ = execute!(out, CopyToClipboard::to_clipboard_from(text));
}
