//! The terminal guard: raw mode and the alternate screen while the console runs (ratatui's own
//! `try_init`, which also restores the terminal on panic), and the terminal put back on quit and
//! on SIGTERM/SIGHUP (handled by the event loop); and the clipboard, by OSC 52.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::clipboard::CopyToClipboard;
use crossterm::cursor::Show;
use crossterm::execute;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

pub type Term = Terminal<CrosstermBackend<SgrWriter>>;

/// The terminal's output, gathered and written once a frame: a frame reaches the terminal in
/// one write, its synchronized-update marks included (fewer wake-ups over SSH and in the
/// terminal). With `basic` set (`--color 16`), the 256-colour codes crossterm writes even for
/// the sixteen named colours (`38;5;9`) become the basic SGR codes every terminal knows
/// (`91`); everything else passes through untouched.
pub struct SgrWriter {
    out: io::Stdout,
    basic: bool,
    /// An escape sequence begun in one write and not yet ended.
    escape: Vec<u8>,
    buf: Vec<u8>,
    /// Set while a frame is being written: flushes wait for its end (shared with the guard,
    /// which draws the frames).
    holding: Arc<AtomicBool>,
}

impl SgrWriter {
    pub fn new(basic: bool, holding: Arc<AtomicBool>) -> Self {
        SgrWriter {
            out: io::stdout(),
            basic,
            escape: Vec::new(),
            buf: Vec::with_capacity(1 << 14),
            holding,
        }
    }

    fn take(&mut self, b: u8) {
        if self.escape.is_empty() {
            if b == 0x1b {
                self.escape.push(b);
            } else {
                self.buf.push(b);
            }
            return;
        }
        self.escape.push(b);
        let done = match self.escape.len() {
            2 => b != b'[',
            _ => (0x40..=0x7e).contains(&b),
        };
        if !done {
            return;
        }
        let seq = std::mem::take(&mut self.escape);
        if seq.len() > 2 && b == b'm' {
            let params = String::from_utf8_lossy(&seq[2..seq.len() - 1]);
            self.buf
                .extend_from_slice(format!("\x1b[{}m", basic_sgr(&params)).as_bytes());
        } else {
            self.buf.extend_from_slice(&seq);
        }
    }
}

/// SGR parameters with every `38;5;N` / `48;5;N` for N < 16 written as the basic code.
pub fn basic_sgr(params: &str) -> String {
    let parts: Vec<&str> = params.split(';').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let n = parts.get(i + 2).and_then(|n| n.parse::<u8>().ok());
        match (parts[i], parts.get(i + 1), n) {
            ("38", Some(&"5"), Some(n)) if n < 16 => {
                out.push(if n < 8 { 30 + n } else { 90 + n - 8 }.to_string());
                i += 3;
            }
            ("48", Some(&"5"), Some(n)) if n < 16 => {
                out.push(
                    if n < 8 {
                        40 + u16::from(n)
                    } else {
                        100 + u16::from(n) - 8
                    }
                    .to_string(),
                );
                i += 3;
            }
            (p, _, _) => {
                out.push(p.to_string());
                i += 1;
            }
        }
    }
    out.join(";")
}

impl Write for SgrWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.basic {
            for &b in data {
                self.take(b);
            }
        } else {
            self.buf.extend_from_slice(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.holding.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut out = self.out.lock();
        out.write_all(&self.buf)?;
        self.buf.clear();
        out.flush()
    }
}

/// Owns the terminal; dropping it puts the terminal back as it was.
pub struct TerminalGuard {
    pub terminal: Term,
    /// While set, the writer keeps a frame's output until the frame ends.
    holding: Arc<AtomicBool>,
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
    /// `basic`: write basic SGR colour codes (`--color 16`).
    pub fn enter(basic: bool) -> io::Result<Self> {
        // ratatui's own setup (raw mode, alternate screen, a panic hook that restores them);
        // the frames then go through our writer.
        // A fixed viewport, resized when the terminal says so (`resize`): drawing a frame then
        // asks the terminal nothing.
        let holding = Arc::new(AtomicBool::new(false));
        let entered = ratatui::try_init().and_then(|_| {
            let (cols, rows) = crossterm::terminal::size()?;
            Terminal::with_options(
                CrosstermBackend::new(SgrWriter::new(basic, holding.clone())),
                TerminalOptions {
                    viewport: Viewport::Fixed(Rect::new(0, 0, cols, rows)),
                },
            )
        });
        match entered {
            Ok(terminal) => Ok(TerminalGuard { terminal, holding }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// The terminal is now `cols`×`rows`: the next frame is drawn whole at that size.
    pub fn resize(&mut self, cols: u16, rows: u16) -> io::Result<()> {
        self.terminal.resize(Rect::new(0, 0, cols, rows))
    }

    /// Draws one frame inside a synchronized update, written to the terminal at once.
    pub fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
        use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
        self.holding.store(true, Ordering::Relaxed);
        let drawn = crossterm::queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)
            .and_then(|()| self.terminal.draw(render).map(|_| ()))
            .and_then(|()| crossterm::queue!(self.terminal.backend_mut(), EndSynchronizedUpdate));
        self.holding.store(false, Ordering::Relaxed);
        drawn.and_then(|()| self.terminal.backend_mut().flush())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // ratatui's `Terminal` shows the cursor as it is dropped and prints to stderr when it
        // cannot, which panics when the terminal has gone (a closed SSH session, a closed
        // window): the cursor is shown here, and to a terminal that has gone the writer keeps
        // what it cannot write.
        if self.terminal.show_cursor().is_err() {
            self.holding.store(true, Ordering::Relaxed);
            let _ = self.terminal.show_cursor();
        }
        restore();
    }
}

/// Puts `text` on the clipboard of the terminal the user sits at, through SSH and tmux.
pub fn copy_to_clipboard(text: &str) {
    let mut out = io::stdout();
    let _ = execute!(out, CopyToClipboard::to_clipboard_from(text));
}

#[cfg(test)]
mod tests {
    use super::basic_sgr;

    #[test]
    fn named_colours_become_basic_codes_and_the_rest_is_kept() {
        assert_eq!(basic_sgr("38;5;9"), "91");
        assert_eq!(basic_sgr("38;5;1"), "31");
        assert_eq!(basic_sgr("48;5;4"), "44");
        assert_eq!(basic_sgr("48;5;12"), "104");
        assert_eq!(basic_sgr("1;38;5;2;48;5;0"), "1;32;40");
        assert_eq!(basic_sgr("38;5;200"), "38;5;200", "not one of the sixteen");
        assert_eq!(basic_sgr("0"), "0");
    }
}
