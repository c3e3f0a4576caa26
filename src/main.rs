//! The binary's edge: parse the command line, set up logging, run a command.
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use settle::cli::Cli;
use settle::cli::commands::run;

fn main() -> ExitCode {
    settle::launched();
    settle::install_tls_provider();
    let matches = Cli::command()
        .mut_subcommand("import", |c| c.after_help(settle::import::fields_help()))
        .get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if given_on_command_line(&matches, "database_url")
        && cli.database_url.as_deref().is_some_and(url_has_password)
    {
        eprintln!(
            "settle: warning: the password in --database-url is visible to every user of this machine (ps); use PGPASSWORD, PGPASSFILE or ~/.pgpass"
        );
    }
    if matches
        .subcommand_matches("worker")
        .and_then(|w| w.get_one::<String>("smtp_url"))
        .is_some_and(|u| url_has_password(u))
        && given_on_command_line(&matches, "smtp_url")
    {
        eprintln!(
            "settle: warning: the password in --smtp-url is visible to every user of this machine (ps); use SETTLE_SMTP_URL"
        );
    }
    let (_log, log_problem) = match init_logging(&cli) {
        Ok(guard) => (guard, None),
        Err(why) => (None, Some(why)),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("settle: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, log_problem)) {
        Ok(code) => code,
        Err(e) => {
            let text = settle::error_text(&e);
            tracing::error!("{text}");
            // Not `eprintln!`, which panics when the terminal has gone (the log has it).
            let _ = writeln!(std::io::stderr(), "settle: {text}");
            ExitCode::FAILURE
        }
    }
}

/// Whether an argument was typed on the command line (at any subcommand level), not taken
/// from the environment or a default.
fn given_on_command_line(matches: &clap::ArgMatches, id: &str) -> bool {
    let here =
        matches.try_get_raw(id).ok().flatten().is_some_and(|_| {
            matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
        });
    here || matches
        .subcommand()
        .is_some_and(|(_, sub)| given_on_command_line(sub, id))
}

/// `postgres://user:secret@host/db` carries a password; `postgres://user@host/db` does not.
fn url_has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(user, _)| user.contains(':'))
}

/// Logs go to a file, never to the screen. The directory is made 0700 and the file 0600: logs
/// name customers and people. If the log cannot be written, says why (the console shows it
/// once on its status line).
fn init_logging(cli: &Cli) -> Result<Option<tracing_appender::non_blocking::WorkerGuard>, String> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let Some(path) = cli
        .log_file
        .clone()
        .or_else(|| settle::config::state_dir().map(|d| d.join("settle.log")))
    else {
        return Ok(None);
    };
    let unwritable = |e: std::io::Error| format!("no log: cannot write {}: {e}", path.display());
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(unwritable)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .map_err(unwritable)?;
    // A file made by an older settle, or by hand, is made private too.
    let private = std::fs::Permissions::from_mode(0o600);
    // (Only a plain file: `--log-file /dev/null` must leave the device alone.)
    if file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o077 != 0)
    {
        file.set_permissions(private).map_err(unwritable)?;
    }
    let (writer, guard) = tracing_appender::non_blocking(file);
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SETTLE_LOG_LEVEL")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    Ok(Some(guard))
}
