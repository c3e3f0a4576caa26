//! `settle bench keys`: key → frame complete, the real console in a pseudo-terminal beside a
//! bare ratatui app (a table the same size, nothing else) in the same kind of terminal, pressed
//! the same way, in one run. A frame is complete when its end-of-synchronized-update mark
//! (`ESC [ ? 2026 l`) has been read from the terminal; both programs write one around each frame.

use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use nix::pty::{Winsize, openpty};

use super::bench::{ms, quantile};

/// The end of a synchronized update: the frame is on the terminal.
const FRAME_END: &[u8] = b"\x1b[?2026l";
/// A cursor-position query, answered as a terminal would (top left).
const CURSOR_QUERY: &[u8] = b"\x1b[6n";
/// How long after a press other frames are watched for (a tick, a reload): a press that drew
/// more than one frame is set aside, since which frame was the key's cannot be told.
const SETTLE: Duration = Duration::from_millis(40);

/// One program under test in its own pseudo-terminal, 120×40.
struct Pty {
    child: Child,
    keys: File,
    frames: Receiver<Instant>,
}

impl Pty {
    fn spawn(args: &[String]) -> anyhow::Result<Pty> {
        let size = Winsize {
            ws_row: 40,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(Some(&size), None)?;
        let child = Command::new(std::env::current_exe()?)
            .args(args)
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .stdin(Stdio::from(pty.slave.try_clone()?))
            .stdout(Stdio::from(pty.slave.try_clone()?))
            .stderr(Stdio::from(pty.slave))
            .spawn()?;
        let master = File::from(pty.master);
        let keys = master.try_clone()?;
        let answers = master.try_clone()?;
        let (tx, frames) = channel();
        std::thread::spawn(move || watch(master, answers, &tx));
        Ok(Pty {
            child,
            keys,
            frames,
        })
    }

    /// Frame ends seen so far, dropped.
    fn drain(&self) -> usize {
        self.frames.try_iter().count()
    }

    /// Waits until no frame has ended for `quiet`, at most `limit`.
    fn quiet(&self, quiet: Duration, limit: Duration) {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            match self.frames.recv_timeout(quiet) {
                Ok(_) => continue,
                Err(_) => return,
            }
        }
    }

    /// Presses `key` and returns how long until the next frame ended, or `None` when another
    /// frame ended too (a tick or a reload crossed the press) or none did within a second.
    fn press(&mut self, key: &[u8]) -> anyhow::Result<Option<Duration>> {
        self.drain();
        let start = Instant::now();
        self.keys.write_all(key)?;
        let end = match self.frames.recv_timeout(Duration::from_secs(1)) {
            Ok(at) => at,
            Err(RecvTimeoutError::Timeout) => return Ok(None),
            Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the program under test ended"),
        };
        std::thread::sleep(SETTLE);
        let more = self.drain();
        Ok((more == 0).then(|| end.duration_since(start)))
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the terminal's output, noting when each frame ends and answering cursor queries.
fn watch(mut out: File, mut answers: File, frames: &std::sync::mpsc::Sender<Instant>) {
    let mut buf = vec![0u8; 1 << 16];
    // The tail of the previous read, so a mark split over two reads is still seen.
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = match out.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let at = Instant::now();
        carry.extend_from_slice(&buf[..n]);
        for _ in 0..count(&carry, FRAME_END) {
            if frames.send(at).is_err() {
                return;
            }
        }
        for _ in 0..count(&carry, CURSOR_QUERY) {
            let _ = answers.write_all(b"\x1b[1;1R");
        }
        let keep = carry.len().saturating_sub(FRAME_END.len() - 1);
        carry.drain(..keep);
    }
}

/// Non-overlapping occurrences of `mark` in `data`.
fn count(data: &[u8], mark: &[u8]) -> usize {
    data.windows(mark.len()).filter(|w| *w == mark).count()
}

/// What one program's presses measured.
#[derive(Default)]
struct Timing {
    samples: Vec<Duration>,
    set_aside: usize,
}

fn press_many(pty: &mut Pty, presses: usize) -> anyhow::Result<Timing> {
    let mut samples = Vec::with_capacity(presses);
    let mut set_aside = 0;
    for n in 0..presses {
        // Down then up: the selection moves between the first two rows and never pages.
        let key: &[u8] = if n % 2 == 0 { b"\x1b[B" } else { b"\x1b[A" };
        match pty.press(key)? {
            Some(d) => samples.push(d),
            None => set_aside += 1,
        }
    }
    samples.sort();
    Ok(Timing { samples, set_aside })
}

/// Runs the bench: `url` is the store the console opens, on `view`.
pub fn run(url: &str, view: &str, presses: usize, rounds: usize) -> anyhow::Result<()> {
    let log = log_path();
    let console_args = vec![
        "--database-url".to_string(),
        url.to_string(),
        "--view".to_string(),
        view.to_string(),
        "--log-file".to_string(),
        log.display().to_string(),
    ];
    let bare_args = vec!["bench".to_string(), "bare".to_string()];
    let mut console = Timing::default();
    let mut bare = Timing::default();
    // Rounds alternate the two programs so both meet the machine's same moods.
    for _ in 0..rounds {
        let _ = std::fs::remove_file(&log);
        let mut pty = Pty::spawn(&console_args)?;
        crate::cli::bench_suite::wait_for_first_frame(&log)?;
        pty.quiet(Duration::from_millis(300), Duration::from_secs(5));
        add(&mut console, press_many(&mut pty, presses)?);
        drop(pty);
        let mut pty = Pty::spawn(&bare_args)?;
        pty.quiet(Duration::from_millis(300), Duration::from_secs(5));
        add(&mut bare, press_many(&mut pty, presses)?);
    }
    let _ = std::fs::remove_file(&log);
    report(view, &console, &bare);
    Ok(())
}

fn add(into: &mut Timing, more: Timing) {
    into.samples.extend(more.samples);
    into.samples.sort();
    into.set_aside += more.set_aside;
}

fn report(view: &str, console: &Timing, bare: &Timing) {
    let line = |name: &str, t: &Timing| {
        crate::outln!(
            "{name:<22} p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms  ({} presses, {} set aside: another frame crossed them)",
            ms(quantile(&t.samples, 0.50)),
            ms(quantile(&t.samples, 0.99)),
            ms(t.samples.last().copied().unwrap_or_default()),
            t.samples.len(),
            t.set_aside
        );
    };
    crate::outln!("key → frame complete, 120×40 pseudo-terminal:");
    line(&format!("settle :{view}"), console);
    line("bare ratatui table", bare);
    let ratio = ms(quantile(&console.samples, 0.99)) / ms(quantile(&bare.samples, 0.99)).max(1e-9);
    crate::outln!("p99 ratio settle / bare: {ratio:.2}×");
}

/// Where the log of a console under test goes (kept out of the user's state directory).
fn log_path() -> PathBuf {
    std::env::temp_dir().join(format!("settle-keys-{}.log", std::process::id()))
}
