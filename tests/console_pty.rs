//! End to end: the real binary in a pseudo-terminal (tmux), against a seeded private store.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(name: &str, cmd: &str, width: u16, height: u16) -> Tmux {
        let session = format!("settle-{name}-{}", std::process::id());
        // A tmux server of its own per test (-L): parallel tests never race for one server.
        let status = Command::new("tmux")
            .args([
                "-L",
                &session,
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .arg(format!("{cmd}; echo EXITED=$?; sleep 60"))
            .env_remove("TMUX")
            .status()
            .expect("tmux runs");
        assert!(status.success());
        Tmux { session }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.session,
                "capture-pane",
                "-p",
                "-t",
                &self.session,
            ])
            .output()
            .expect("capture");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        Command::new("tmux")
            .args(["-L", &self.session, "send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("send-keys");
    }

    fn wait_for(&self, text: &str, limit: Duration) -> String {
        self.wait_until(&format!("`{text}` appeared"), limit, |screen| {
            screen.contains(text)
        })
    }

    /// The screen once `ok` holds for it; fails saying `what` never happened.
    fn wait_until(&self, what: &str, limit: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(start.elapsed() < limit, "never: {what}; screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// A tmux command on this session (`resize-window`, `kill-session`, `pipe-pane`).
    fn tmux(&self, command: &str, args: &[&str]) {
        Command::new("tmux")
            .args(["-L", &self.session, command, "-t", &self.session])
            .args(args)
            .status()
            .expect(command);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.session, "kill-server"])
            .status();
    }
}

#[test]
fn the_demo_shows_aging_buckets_and_quits_cleanly() {
    let bin = env!("CARGO_BIN_EXE_settle");
    let log = std::env::temp_dir().join(format!("settle-pty-{}.log", std::process::id()));
    let cmd = format!(
        "SETTLE_NOW=2026-11-20T15:30:00Z SETTLE_VIEW=overview {bin} --log-file {} demo --scale 40",
        log.display()
    );
    let tmux = Tmux::start("demo", &cmd, 100, 30);
    let screen = tmux.wait_for("Total", Duration::from_secs(60));
    for label in [
        "Not due",
        "1-30",
        "31-60",
        "61-90",
        "91-120",
        "120+",
        "Unapplied",
        "basis: due date",
        "as of 2026-11-20",
        "● live",
    ] {
        assert!(screen.contains(label), "missing `{label}` in:\n{screen}");
    }
    tmux.keys(&["b"]);
    tmux.wait_for("basis: invoice date", Duration::from_secs(10));
    tmux.keys(&["["]);
    tmux.wait_for("as of 2026-10-31", Duration::from_secs(10));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED=", Duration::from_secs(20));
    assert!(screen.contains("EXITED=0"), "clean exit:\n{screen}");
    assert!(
        !screen.contains("Aging"),
        "the alternate screen was left:\n{screen}"
    );
    let _ = std::fs::remove_file(log);
}

#[test]
fn a_terminal_too_small_gets_a_message_not_a_panic() {
    let bin = env!("CARGO_BIN_EXE_settle");
    let cmd = format!(
        "SETTLE_NOW=2026-11-20T15:30:00Z SETTLE_VIEW=overview {bin} --log-file /dev/null demo --scale 5"
    );
    let tmux = Tmux::start("small", &cmd, 30, 5);
    tmux.wait_for("too small", Duration::from_secs(60));
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("EXITED=", Duration::from_secs(20));
    assert!(screen.contains("EXITED=0"), "{screen}");
}

#[test]
fn a_window_made_larger_or_smaller_is_redrawn_at_once_without_a_key() {
    let bin = env!("CARGO_BIN_EXE_settle");
    let cmd = format!(
        "SETTLE_NOW=2026-11-20T15:30:00Z SETTLE_VIEW=overview {bin} --log-file /dev/null demo --scale 5"
    );
    let tmux = Tmux::start("resize", &cmd, 30, 5);
    tmux.wait_for("too small", Duration::from_secs(60));
    // The top border of the overview's first panel, as wide as the window it was drawn for.
    let border_width = |screen: &str| {
        screen
            .lines()
            .find(|l| l.trim_start().starts_with('┌'))
            .map(|l| l.trim_end().chars().count())
    };
    for (w, h) in [(100_u16, 30_u16), (72, 24), (130, 36)] {
        tmux.tmux(
            "resize-window",
            &["-x", &w.to_string(), "-y", &h.to_string()],
        );
        tmux.wait_until(
            &format!("redrawn at {w}×{h}"),
            Duration::from_secs(10),
            |screen| screen.contains("Total") && border_width(screen) == Some(usize::from(w)),
        );
    }
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED=", Duration::from_secs(20));
    assert!(screen.contains("EXITED=0"), "{screen}");
}

#[test]
fn a_terminal_that_closes_without_a_hang_up_ends_the_console() {
    use std::io::Read;
    use std::process::Stdio;
    // A terminal that is not the console's controlling one (no SIGHUP comes when it closes),
    // on the overview (nothing on it ticks, so no frame would find the terminal gone).
    let size = nix::pty::Winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = nix::pty::openpty(Some(&size), None).unwrap();
    // Descriptors of our own that no child inherits (std's clones close on exec; openpty's do
    // not): the console's own copy of the terminal's other end would keep it from closing.
    let (master, slave) = (
        pty.master.try_clone().unwrap(),
        pty.slave.try_clone().unwrap(),
    );
    drop(pty);
    let log = std::env::temp_dir().join(format!("settle-closed-{}.log", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_settle"))
        .args([
            "--log-file",
            &log.display().to_string(),
            "demo",
            "--scale",
            "5",
        ])
        .env("SETTLE_NOW", "2026-11-20T15:30:00Z")
        .env("SETTLE_VIEW", "overview")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    let mut master = std::fs::File::from(master);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("Total") {
        let n = master
            .read(&mut buf)
            .expect("the console writes its frames");
        assert!(
            n > 0,
            "the console ended early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    // The terminal window closes.
    drop(master);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the console kept running after its terminal closed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("the terminal went away") && !logged.contains("panicked"),
        "{status}; the log says why it ended:\n{logged}"
    );
    assert!(status.success(), "{status}:\n{logged}");
    let _ = std::fs::remove_file(log);
}

#[test]
fn a_closed_ssh_session_ends_the_console_cleanly() {
    // The session's terminal closes and the console gets its hang-up: nothing may be printed
    // to the terminal that has gone (a panic would leave the demo's store running).
    let bin = env!("CARGO_BIN_EXE_settle");
    let log = std::env::temp_dir().join(format!("settle-ssh-{}.log", std::process::id()));
    let cmd = format!(
        "SETTLE_NOW=2026-11-20T15:30:00Z SETTLE_VIEW=overview {bin} --log-file {} demo --scale 5",
        log.display()
    );
    let tmux = Tmux::start("ssh", &cmd, 100, 30);
    tmux.wait_for("Total", Duration::from_secs(60));
    tmux.tmux("kill-session", &[]);
    let start = Instant::now();
    let pattern = format!("^{bin} --log-file {}", log.display());
    while Command::new("pgrep")
        .args(["-f", &pattern])
        .status()
        .unwrap()
        .success()
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the console kept running after its session closed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(!logged.contains("panicked"), "{logged}");
    let _ = std::fs::remove_file(log);
}

#[test]
fn every_view_is_reachable_by_command_and_esc_goes_back() {
    let bin = env!("CARGO_BIN_EXE_settle");
    let cmd = format!(
        "SETTLE_NOW=2026-11-20T15:30:00Z SETTLE_VIEW=overview {bin} --log-file /dev/null demo --scale 60"
    );
    let tmux = Tmux::start("views", &cmd, 140, 40);
    tmux.wait_for("Alerts", Duration::from_secs(60));
    let go = |command: &str, expect: &str| {
        tmux.keys(&[":"]);
        tmux.keys(&["-l", command]);
        tmux.keys(&["Enter"]);
        tmux.wait_for(expect, Duration::from_secs(15))
    };
    go("aging", "Aging · as of 2026-11-20");
    // The bucket list itself (the overview has an aging panel too), its first row selected.
    tmux.wait_for("│▶ Not due", Duration::from_secs(15));
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for("Aging › 1-30", Duration::from_secs(15));
    tmux.wait_for("│▶ C0", Duration::from_secs(15));
    tmux.keys(&["Enter"]);
    tmux.wait_for("Invoice", Duration::from_secs(15));
    go("dsp", "Resolve");
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "sla:breached"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("filter: sla:breached", Duration::from_secs(15));
    // A case opens from the queue, and esc comes back to the same row of the same filtered list.
    let selected_on = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("│▶"))
            .and_then(|l| l.split_whitespace().find(|w| w.starts_with("DSP-")))
            .map(str::to_string)
    };
    let first = selected_on(&tmux.wait_for("│▶", Duration::from_secs(15)));
    tmux.keys(&["Down"]);
    // Read the selection once the key has moved it (a one-row list stays where it is).
    let start = Instant::now();
    let mut selected = first.clone();
    while start.elapsed() < Duration::from_secs(5) {
        selected = selected_on(&tmux.screen());
        if selected != first {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let selected = selected.expect("a dispute is selected");
    tmux.keys(&["Enter"]);
    let case = tmux.wait_for("Timeline", Duration::from_secs(15));
    assert!(
        case.contains(&format!("› {selected}")),
        "the breadcrumb names the case:\n{case}"
    );
    assert!(
        case.contains("SLA clocks") && case.contains("raised it"),
        "{case}"
    );
    tmux.keys(&["Escape"]);
    let back = tmux.wait_for("filter: sla:breached", Duration::from_secs(15));
    let row = back.lines().find(|l| l.contains("│▶")).unwrap_or_default();
    assert!(row.contains(&selected), "back on {selected}:\n{back}");
    go("promises", "Promised for");
    go("inbox", "Kind");
    go("holds", "Blocking invoices");
    go("outreach", "Send after");
    go("activity", " Activity · ");
    go("cust C000001", "Rhythm: usually pays");
    tmux.keys(&["Escape"]);
    tmux.wait_for(" Activity · ", Duration::from_secs(15));
    tmux.keys(&["?"]);
    tmux.wait_for("Commands (type : then a name", Duration::from_secs(15));
    tmux.keys(&["Escape"]);
    go("nonsense", "unknown command `nonsense`");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED=", Duration::from_secs(20));
    assert!(screen.contains("EXITED=0"), "{screen}");
}

/// A private store for several consoles: `settle demo --headless`, its URL, and the process.
fn shared_store() -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut demo = Command::new(env!("CARGO_BIN_EXE_settle"))
        .args([
            "--log-file",
            "/dev/null",
            "demo",
            "--headless",
            "--scale",
            "80",
        ])
        .env("SETTLE_NOW", "2026-11-20T15:30:00Z")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("demo starts");
    let mut url = String::new();
    std::io::BufReader::new(demo.stdout.take().unwrap())
        .read_line(&mut url)
        .expect("demo prints its URL");
    (demo, url.trim().to_string())
}

#[test]
fn a_lead_releases_a_paid_hold_and_another_console_sees_it_without_a_key_press() {
    let (mut demo, url) = shared_store();
    let bin = env!("CARGO_BIN_EXE_settle");
    let as_user =
        |user: &str| url.replacen("postgres://postgres@", &format!("postgres://{user}@"), 1);
    let lead = Tmux::start(
        "lead",
        &format!(
            "{bin} --log-file /dev/null --database-url '{}'",
            as_user("ava")
        ),
        140,
        30,
    );
    let watcher = Tmux::start(
        "watch",
        &format!(
            "{bin} --log-file /dev/null --database-url '{}'",
            as_user("marco")
        ),
        140,
        30,
    );
    for t in [&lead, &watcher] {
        // Leads open on their worklist.
        t.wait_for("Goes late", Duration::from_secs(30));
        t.keys(&[":"]);
        t.keys(&["-l", "holds status=cleared"]);
        t.keys(&["Enter"]);
    }
    let before = watcher.wait_for("│▶ ⚑ PAID", Duration::from_secs(15));
    let order = before
        .lines()
        .find(|l| l.contains("│▶"))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("SO-")))
        .unwrap()
        .to_string();
    lead.wait_for(&order, Duration::from_secs(15));
    lead.keys(&["R"]);
    lead.wait_for("Reason (required)", Duration::from_secs(5));
    lead.keys(&["-l", "Wire received this morning"]);
    lead.keys(&["C-s"]);
    lead.wait_for("[ Cancel ]", Duration::from_secs(5));
    lead.keys(&["y"]);
    lead.wait_for("hold released", Duration::from_secs(10));
    // The other console, untouched, drops the row by itself.
    let start = Instant::now();
    while watcher.screen().contains(&order) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the watcher never saw the release:\n{}",
            watcher.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    demo.kill().unwrap();
    demo.wait().unwrap();
}

#[test]
fn a_viewer_sees_read_only_and_no_actions() {
    let (mut demo, url) = shared_store();
    let bin = env!("CARGO_BIN_EXE_settle");
    let viewer = url.replacen("postgres://postgres@", "postgres://vic@", 1);
    let t = Tmux::start(
        "viewer",
        &format!("{bin} --log-file /dev/null --database-url '{viewer}'"),
        140,
        30,
    );
    let screen = t.wait_for("Alerts", Duration::from_secs(30));
    assert!(
        screen.lines().next().unwrap().contains("READ-ONLY"),
        "{screen}"
    );
    t.keys(&[":"]);
    t.keys(&["-l", "holds"]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("Blocking invoices", Duration::from_secs(15));
    assert!(
        !screen.contains("R release"),
        "no release hint for a viewer:\n{screen}"
    );
    t.keys(&["R"]);
    t.wait_for("read-only", Duration::from_secs(5));
    demo.kill().unwrap();
    demo.wait().unwrap();
}

#[test]
fn sigterm_and_sighup_restore_the_terminal_and_leave_nothing_running() {
    let bin = env!("CARGO_BIN_EXE_settle");
    for signal in ["TERM", "HUP"] {
        let marker = format!("/tmp/settle-signal-{}-{signal}.log", std::process::id());
        let cmd = format!(
            "SETTLE_NOW=2026-11-20T15:30:00Z SETTLE_VIEW=overview {bin} --log-file {marker} demo --scale 20"
        );
        let tmux = Tmux::start(&format!("sig{signal}"), &cmd, 100, 30);
        tmux.wait_for("Alerts", Duration::from_secs(60));
        let killed = Command::new("pkill")
            .args([
                &format!("-{signal}"),
                "-f",
                &format!("^{bin} --log-file {marker}"),
            ])
            .status()
            .unwrap();
        assert!(killed.success(), "the console was running");
        let screen = tmux.wait_for("EXITED=", Duration::from_secs(20));
        assert!(screen.contains("EXITED=0"), "{signal}: {screen}");
        assert!(
            !screen.contains("Aging ·"),
            "{signal}: the console's screen was left behind:\n{screen}"
        );
        assert!(
            screen.contains("seeding a 20 customer demo book"),
            "{signal}: the shell's screen is back:\n{screen}"
        );
        let _ = std::fs::remove_file(&marker);
    }
}

#[test]
fn text_in_an_editor_survives_a_hang_up_and_comes_back_next_time() {
    use std::os::unix::fs::PermissionsExt;
    let bin = env!("CARGO_BIN_EXE_settle");
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().display().to_string();
    let marker = format!("/tmp/settle-draft-{}.log", std::process::id());
    let cmd = format!(
        "SETTLE_STATE_DIR={dir} SETTLE_NOW=2026-11-20T15:30:00Z SETTLE_VIEW=overview {bin} --log-file {marker} demo --scale 60 --as ava"
    );
    let tmux = Tmux::start("draft", &cmd, 120, 30);
    tmux.wait_for("Alerts", Duration::from_secs(60));
    tmux.keys(&[":holds", "Enter"]);
    // The rows, not just the header: R acts on the selected row.
    tmux.wait_for("SO-0000", Duration::from_secs(10));
    tmux.keys(&["R"]);
    tmux.wait_for("Reason (required)", Duration::from_secs(5));
    tmux.keys(&["-l", "Wire received, CFO approved"]);
    tmux.wait_for("Wire received, CFO approved", Duration::from_secs(5));
    // The SSH link drops.
    let hung = Command::new("pkill")
        .args(["-HUP", "-f", &format!("^{bin} --log-file {marker}")])
        .status()
        .unwrap();
    assert!(hung.success());
    tmux.wait_for("EXITED=0", Duration::from_secs(20));
    let drafts = state.path().join("drafts").join("ava");
    let files: Vec<_> = std::fs::read_dir(&drafts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        std::fs::read_to_string(&files[0]).unwrap(),
        "Wire received, CFO approved"
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&files[0]), mode(&drafts)), (0o600, 0o700), "private");
    drop(tmux);
    // Next time, the same action on the same row offers it back.
    let tmux = Tmux::start("draft2", &cmd, 120, 30);
    tmux.wait_for("Alerts", Duration::from_secs(60));
    tmux.keys(&[":holds", "Enter"]);
    // The rows, not just the header: R acts on the selected row.
    tmux.wait_for("SO-0000", Duration::from_secs(10));
    tmux.keys(&["R"]);
    let screen = tmux.wait_for("Wire received, CFO approved", Duration::from_secs(5));
    assert!(screen.contains("unsent text from last time"), "{screen}");
    let _ = std::fs::remove_file(&marker);
}

#[test]
fn color_16_writes_only_basic_colour_codes() {
    let bin = env!("CARGO_BIN_EXE_settle");
    let raw = std::env::temp_dir().join(format!("settle-raw16-{}.out", std::process::id()));
    let cmd = format!(
        "sleep 1; SETTLE_NOW=2026-11-20T15:30:00Z SETTLE_VIEW=overview {bin} --log-file /dev/null --color 16 demo --scale 30"
    );
    let tmux = Tmux::start("color16", &cmd, 100, 30);
    // The program's raw output, as the terminal receives it.
    tmux.tmux("pipe-pane", &["-o", &format!("cat >> {}", raw.display())]);
    tmux.wait_for("Total", Duration::from_secs(60));
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED=", Duration::from_secs(20));
    let bytes = std::fs::read(&raw).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let mut colours = 0;
    for sgr in text.split("\u{1b}[").skip(1) {
        let Some(params) = sgr.split('m').next() else {
            continue;
        };
        if !params.chars().all(|c| c.is_ascii_digit() || c == ';') {
            continue;
        }
        let p: Vec<&str> = params.split(';').collect();
        for w in p.windows(3) {
            if (w[0] == "38" || w[0] == "48") && w[1] == "5" {
                panic!("a 256-colour code in --color 16 output: {params}");
            }
        }
        colours += p
            .iter()
            .filter(|x| {
                x.parse::<u8>()
                    .is_ok_and(|n| (30..=37).contains(&n) || (90..=97).contains(&n))
            })
            .count();
    }
    assert!(colours > 0, "basic colours were written");
    let _ = std::fs::remove_file(raw);
}

/// The rows of a list on screen, in order (the lines under the column header).
fn list_rows(screen: &str, header: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.contains(header))
        .skip(1)
        .take_while(|l| l.starts_with('│'))
        .filter(|l| {
            !l.trim_matches(|c: char| c == '│' || c.is_whitespace())
                .is_empty()
        })
        .map(str::to_string)
        .collect()
}

/// Moves the cursor down to row `to` (from the top) and waits until it is there.
fn select_row(tmux: &Tmux, header: &str, to: usize) -> String {
    for _ in 0..to {
        tmux.keys(&["Down"]);
    }
    let start = Instant::now();
    loop {
        let screen = tmux.screen();
        let rows = list_rows(&screen, header);
        if rows.get(to).is_some_and(|r| r.starts_with("│▶")) {
            return rows[to].clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "row {to} never selected:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_collectors_morning_on_the_worklist() {
    let bin = env!("CARGO_BIN_EXE_settle");
    let cmd = format!("{bin} --log-file /dev/null demo --scale 200 --as ben");
    let tmux = Tmux::start("morning", &cmd, 180, 45);
    // A collector opens on :work.
    let screen = tmux.wait_for(" Work · 1/", Duration::from_secs(60));
    let rows = list_rows(&screen, "Goes late");
    // The most urgent dispute: respond to it from the list.
    let at = rows
        .iter()
        .position(|r| r.contains(" dispute "))
        .unwrap_or_else(|| panic!("a dispute to respond to:\n{screen}"));
    let row = select_row(&tmux, "Goes late", at);
    let dispute = row
        .split_whitespace()
        .find(|w| w.starts_with("DSP-"))
        .unwrap()
        .to_string();
    tmux.keys(&["r"]);
    tmux.wait_for("Respond", Duration::from_secs(10));
    tmux.keys(&["-l", "Called their AP team; credit note on its way"]);
    tmux.keys(&["C-s"]);
    tmux.wait_for("y confirm", Duration::from_secs(10));
    tmux.keys(&["y"]);
    tmux.wait_for("response recorded", Duration::from_secs(15));
    // The response is on the dispute's case.
    tmux.keys(&["Enter"]);
    tmux.wait_for("Called their AP team", Duration::from_secs(10));
    tmux.keys(&["Escape"]);
    tmux.wait_for(" Work · ", Duration::from_secs(10));
    // The title can be on screen a moment before the rows: wait for the cursor's row.
    let back = tmux.wait_for("│▶", Duration::from_secs(10));
    let row = list_rows(&back, "Goes late")
        .into_iter()
        .find(|r| r.starts_with("│▶"))
        .unwrap_or_default();
    assert!(row.contains(&dispute), "back on {dispute}:\n{back}");
    tmux.keys(&["Home"]);
    // The next reminder that may go: queue it; the list closes up and the cursor stays put.
    let screen = tmux.wait_for("│▶", Duration::from_secs(5));
    let rows = list_rows(&screen, "Goes late");
    let at = rows
        .iter()
        .position(|r| r.contains("n remind"))
        .unwrap_or_else(|| panic!("a reminder that may go:\n{screen}"));
    let row = select_row(&tmux, "Goes late", at);
    let invoice = row
        .split_whitespace()
        .find(|w| w.starts_with("INV-"))
        .unwrap()
        .to_string();
    let next = rows.get(at + 1).cloned().unwrap_or_default();
    tmux.keys(&["n"]);
    tmux.wait_for("Queue reminder", Duration::from_secs(10));
    tmux.keys(&["C-s"]);
    tmux.wait_for("y confirm", Duration::from_secs(10));
    tmux.keys(&["y"]);
    tmux.wait_for("reminder queued", Duration::from_secs(15));
    let start = Instant::now();
    let screen = loop {
        let screen = tmux.screen();
        if !screen.contains(&invoice) || start.elapsed() > Duration::from_secs(10) {
            break screen;
        }
        std::thread::sleep(Duration::from_millis(150));
    };
    assert!(!screen.contains(&invoice), "{invoice} is done:\n{screen}");
    let selected = list_rows(&screen, "Goes late")
        .get(at)
        .cloned()
        .unwrap_or_default();
    assert!(
        selected.starts_with("│▶"),
        "the cursor stayed at row {at}:\n{screen}"
    );
    let next_ref = next
        .split_whitespace()
        .find(|w| {
            ["INV-", "DSP-", "PTP-", "SO-", "MSG-", "NOTE-"]
                .iter()
                .any(|p| w.starts_with(p))
        })
        .unwrap_or_default()
        .to_string();
    assert!(
        !next_ref.is_empty(),
        "a next item under {invoice}:\n{screen}"
    );
    assert!(
        selected.contains(&next_ref),
        "the next item moved up under the cursor ({next_ref}):\n{screen}"
    );
    // enter opens the item's account; esc comes back to the same row.
    tmux.keys(&["Enter"]);
    tmux.wait_for("Open invoices", Duration::from_secs(10));
    tmux.keys(&["Escape"]);
    let back = tmux.wait_for("Goes late", Duration::from_secs(10));
    let row = list_rows(&back, "Goes late")
        .get(at)
        .cloned()
        .unwrap_or_default();
    assert!(row.starts_with("│▶") && row.contains(&next_ref), "{back}");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED=", Duration::from_secs(20));
    assert!(screen.contains("EXITED=0"), "{screen}");
}
