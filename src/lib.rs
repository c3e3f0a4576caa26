//! settle: a keyboard-driven terminal console for accounts-receivable teams.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod filter;
pub mod import;
pub mod lists;
pub mod model;
pub mod runtime;
pub mod store;
pub mod ui;
pub mod worker;

/// An error and its causes on one line, each said once: a cause whose text its parent already
/// carries is left out, and so is the server's source position.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        let part = part.trim();
        if part.is_empty() || text.contains(part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(part);
    }
    text
}

/// When this process started (as near as `main` can say): the first complete frame is
/// measured from here.
pub fn launched() -> std::time::Instant {
    static LAUNCHED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *LAUNCHED.get_or_init(std::time::Instant::now)
}

/// Two TLS crypto back ends are linked (lettre's ring, and aws-lc through the embedded SMTP
/// server `settle bench send` uses), so rustls cannot pick one by itself: settle says ring,
/// once, before any TLS. Safe to call more than once.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_error_chain_says_each_cause_once() {
        let e = anyhow::anyhow!("permission denied for table x")
            .context("cannot reach the store: permission denied for table x")
            .context("starting the console");
        assert_eq!(
            super::error_text(&e),
            "starting the console: cannot reach the store: permission denied for table x"
        );
    }
}
