//! The terminal's keys, read on the console's own thread: the console's runtime watches the
//! terminal for input beside the effects' replies and the clock, and crossterm reads and parses
//! what came. A key reaches `update` with one wake-up (the kernel's), as in the plainest
//! ratatui app, not two (a reader thread's, then a hand-over to the loop).

use std::fs::File;
use std::io::{self, IsTerminal};
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use crossterm::event::Event;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// The other end of `tty` has closed (the SSH session or the terminal window went away).
/// crossterm must not be asked to read then: it would retry the failing read for ever.
fn hung_up(tty: &OwnedFd) -> bool {
    let mut fds = [PollFd::new(tty.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) => fds[0].revents().is_some_and(|r| {
            r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL)
        }),
        Err(_) => false,
    }
}

/// The terminal's events, for a runtime on the thread that draws.
pub struct TerminalInput {
    /// The terminal crossterm reads from (standard input when it is one, else `/dev/tty`), a
    /// descriptor of our own on it, watched for input.
    tty: AsyncFd<OwnedFd>,
    /// The window changed size: crossterm has a resize event for us (it hears the signal
    /// through its own pipe, which this runtime does not watch).
    resized: Signal,
}

impl TerminalInput {
    /// Must be called inside the runtime that will await `next`.
    pub fn open() -> io::Result<Self> {
        let stdin = io::stdin();
        let tty: OwnedFd = if stdin.is_terminal() {
            stdin.as_fd().try_clone_to_owned()?
        } else {
            File::open("/dev/tty")?.into()
        };
        // tokio 1.54 deprecated this safe constructor (a general `T` could hand back a closed or
        // different descriptor) for an unsafe one, which this crate forbids; an `OwnedFd` keeps
        // its one descriptor open for the whole life of the `AsyncFd`, as that one requires.
        #[allow(deprecated)]
        let tty = AsyncFd::with_interest(tty, Interest::READABLE)?;
        Ok(TerminalInput {
            tty,
            resized: signal(SignalKind::window_change())?,
        })
    }

    /// The next event. Cancel-safe: an event is read only once it is there, without waiting.
    pub async fn next(&mut self) -> io::Result<Event> {
        loop {
            if hung_up(self.tty.get_ref()) {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the terminal hung up",
                ));
            }
            if crossterm::event::poll(Duration::ZERO)? {
                return crossterm::event::read();
            }
            tokio::select! {
                ready = self.tty.readable() => ready?.clear_ready(),
                _ = self.resized.recv() => {}
            }
        }
    }
}
