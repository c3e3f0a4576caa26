//! Keymaps and themes: the shipped ones load; broken files give exact, located messages;
//! `settle config check` exits non-zero on any error.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

use assert_cmd::Command;
use settle::app::Action;
use settle::config::keymap::{Keymap, VIM};

fn errors(file: &str, text: &str) -> Vec<String> {
    Keymap::load(&[(file, text)])
        .unwrap_err()
        .iter()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn shipped_keymaps_load_and_bind_every_action_they_name() {
    let default = Keymap::load(&[]).expect("default keymap");
    let vim = Keymap::load(&[("vim", VIM)]).expect("vim keymap");
    let key = |c| {
        crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        )
    };
    assert_eq!(default.action_for(&key('q')), Some(Action::Quit));
    assert_eq!(
        default.action_for(&key('j')),
        Some(Action::Down),
        "j/k as k9s and lazygit"
    );
    assert_eq!(default.action_for(&key('G')), None);
    assert_eq!(vim.action_for(&key('j')), Some(Action::Down));
    assert_eq!(vim.action_for(&key('G')), Some(Action::Bottom));
}

#[test]
fn broken_keymaps_say_file_line_column_and_what_was_meant() {
    assert_eq!(
        errors("k.toml", "[list]\nup = [\"up\"]\nqiut = [\"x\"]\n"),
        ["k.toml:3:1: unknown action `qiut` (did you mean `quit`?)"]
    );
    assert_eq!(
        errors("k.toml", "[lsit]\nup = [\"k\"]\n"),
        ["k.toml:1:2: unknown context `lsit` (did you mean `list`?)"]
    );
    assert_eq!(
        errors("k.toml", "[list]\nup = [\"ctrl-\", \"hyper-x\"]\n"),
        [
            "k.toml:2:8: `ctrl-` is not a key (keys look like `q`, `G`, `ctrl-r`, `enter`, `f5`)",
            "k.toml:2:17: `hyper-x` is not a key (keys look like `q`, `G`, `ctrl-r`, `enter`, `f5`)"
        ]
    );
    let syntax = errors("k.toml", "[list]\nup = [\"k\"\n");
    assert!(syntax[0].starts_with("k.toml:2:"), "{syntax:?}");
}

#[test]
fn a_conflicting_key_is_an_error_at_load() {
    let e = errors("mine.toml", "[list]\ndown = [\"q\"]\n");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("mine.toml:2:8: key `q` for `down` is already bound to `quit`"),
        "{e:?}"
    );
    // Unbinding the other action resolves it.
    assert!(
        Keymap::load(&[("mine.toml", "[global]\nquit = []\n[list]\ndown = [\"q\"]\n")]).is_ok()
    );
}

#[test]
fn config_check_reports_every_error_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let ok = Command::cargo_bin("settle")
        .unwrap()
        .args(["config", "check"])
        .env("SETTLE_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    std::fs::write(
        dir.path().join("keymap.toml"),
        "[global]\nhelpp = [\"h\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("theme.toml"),
        "[tokens]\n\"row.selected\" = { modifiers = [\"blink\"] }\n",
    )
    .unwrap();
    let out = Command::cargo_bin("settle")
        .unwrap()
        .args(["config", "check"])
        .env("SETTLE_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("keymap.toml:2:1: unknown action `helpp` (did you mean `help`?)"),
        "{err}"
    );
    assert!(
        err.contains("theme.toml:2:33: unknown modifier `blink`"),
        "{err}"
    );
}
