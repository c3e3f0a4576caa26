//! Drafts: what a person was typing in a dialog when the link dropped (SIGHUP), the console was
//! stopped (SIGTERM) or it failed, kept privately (0700 directory, 0600 files) in the state
//! directory and offered back the next time that person opens the same action on the same row.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;

/// Where one person's drafts live: `<state dir>/settle/drafts/<login>/`.
fn dir(user: &str) -> Option<PathBuf> {
    let safe: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(crate::config::state_dir()?.join("drafts").join(safe))
}

/// Every draft this person left, by key.
pub fn load(user: &str) -> BTreeMap<String, String> {
    let Some(dir) = dir(user) else {
        return BTreeMap::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return BTreeMap::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let key = e.file_name().to_str()?.strip_suffix(".txt")?.to_string();
            let text = std::fs::read_to_string(e.path()).ok()?;
            Some((key, text))
        })
        .collect()
}

/// Keeps `text` as the draft for `key`, readable by this user only.
pub fn save(user: &str, key: &str, text: &str) -> std::io::Result<PathBuf> {
    let dir = dir(user).ok_or_else(|| std::io::Error::other("no state directory"))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)?;
    let path = dir.join(format!("{key}.txt"));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(path)
}

/// The draft for `key` was used or thrown away.
pub fn forget(user: &str, key: &str) {
    if let Some(dir) = dir(user) {
        let _ = std::fs::remove_file(dir.join(format!("{key}.txt")));
    }
}
