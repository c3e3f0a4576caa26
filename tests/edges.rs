//! The edges of the binary: which store a command goes to, passwords, the log file, a login
//! with no settle role, the importer role, and `audit verify`'s exit code.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use std::os::unix::fs::PermissionsExt;

use assert_cmd::Command;
use common::{fresh_db, seeded_db};

fn settle() -> Command {
    let mut cmd = Command::cargo_bin("settle").unwrap();
    cmd.env("SETTLE_NOW", "2026-11-20T15:30:00Z")
        .env_remove("DATABASE_URL");
    cmd
}

fn output(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A URL for a database that does not exist on the same server.
fn wrong_store(url: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    format!("{base}/no_such_store?{query}")
}

#[tokio::test]
async fn the_database_url_flag_wins_over_the_environment_for_every_subcommand() {
    let (db, _pool) = seeded_db(30, 42).await;
    let wrong = wrong_store(&db.url);
    for args in [
        vec!["report", "aging", "--format", "json"],
        vec!["report", "kpis", "--format", "json"],
        vec!["audit", "verify"],
    ] {
        // The flag before and after the subcommand: both win over DATABASE_URL.
        for flag_first in [true, false] {
            let mut cmd = settle();
            cmd.env("DATABASE_URL", &wrong)
                .args(["--log-file", "/dev/null"]);
            if flag_first {
                cmd.args(["--database-url", &db.url]).args(&args);
            } else {
                cmd.args(&args).args(["--database-url", &db.url]);
            }
            let (ok, _, err) = output(&mut cmd);
            assert!(ok, "{args:?} (flag first: {flag_first}): {err}");
        }
        // Without the flag, the environment is used (and here it is wrong).
        let (ok, _, err) = output(
            settle()
                .env("DATABASE_URL", &wrong)
                .args(["--log-file", "/dev/null"])
                .args(&args),
        );
        assert!(!ok);
        assert!(err.contains("no_such_store"), "{err}");
        assert!(!err.contains("at line"), "no server source lines: {err}");
    }
}

#[tokio::test]
async fn a_password_on_the_command_line_gets_one_warning_and_the_environment_none() {
    let (db, _pool) = seeded_db(30, 42).await;
    let with_password = db
        .url
        .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1);
    let (ok, _, err) = output(settle().args([
        "--log-file",
        "/dev/null",
        "report",
        "aging",
        "--database-url",
        &with_password,
    ]));
    assert!(ok, "{err}");
    assert_eq!(
        err.lines().filter(|l| l.contains("warning")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("PGPASSWORD"), "{err}");
    assert!(!err.contains("hunter2"), "the warning does not repeat it");
    let (ok, _, err) = output(settle().env("DATABASE_URL", &with_password).args([
        "--log-file",
        "/dev/null",
        "report",
        "aging",
    ]));
    assert!(ok, "{err}");
    assert!(!err.contains("warning"), "{err}");
}

#[tokio::test]
async fn a_login_without_a_settle_role_is_told_so_once() {
    let (db, admin) = seeded_db(30, 42).await;
    common::login_role(&admin, "outsider", None).await;
    let (ok, _, err) = output(settle().args([
        "--log-file",
        "/dev/null",
        "report",
        "aging",
        "--database-url",
        &db.url_as("outsider"),
    ]));
    assert!(!ok);
    assert_eq!(
        err.trim(),
        "settle: outsider has no settle role on this store; ask a lead to grant one (settle_viewer, settle_collector or settle_lead)"
    );
}

#[tokio::test]
async fn every_role_runs_the_headless_reports() {
    let (db, _admin) = seeded_db(60, 42).await;
    for role in ["vic", "ben", "ava"] {
        for report in ["aging", "kpis", "trust"] {
            let (ok, out, err) = output(settle().args([
                "--log-file",
                "/dev/null",
                "report",
                report,
                "--database-url",
                &db.url_as(role),
            ]));
            assert!(ok, "{role} {report}: {err}");
            assert!(!out.is_empty());
        }
    }
}

#[test]
fn the_log_file_and_its_directory_are_private() {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("state").join("settle").join("settle.log");
    // `config check` opens the log like every command.
    let (ok, _, err) = output(settle().env("SETTLE_CONFIG_DIR", home.path()).args([
        "--log-file",
        log.to_str().unwrap(),
        "config",
        "check",
    ]));
    assert!(ok, "{err}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(log.parent().unwrap()), 0o700);
    // A log file left readable by others is made private.
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    output(settle().env("SETTLE_CONFIG_DIR", home.path()).args([
        "--log-file",
        log.to_str().unwrap(),
        "config",
        "check",
    ]));
    assert_eq!(mode(&log), 0o600);
}

#[test]
fn config_check_checks_the_theme_file_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let theme = dir.path().join("broken.toml");
    std::fs::write(&theme, "[palette]\naccent = \"#12345\"\n").unwrap();
    let (ok, _, err) = output(settle().env("SETTLE_CONFIG_DIR", dir.path()).args([
        "--log-file",
        "/dev/null",
        "config",
        "check",
        "--theme",
        theme.to_str().unwrap(),
    ]));
    assert!(!ok, "a broken theme file fails the check");
    assert!(err.contains("broken.toml:2:"), "located: {err}");
}

#[tokio::test]
async fn an_importer_loads_an_export_without_being_a_superuser_and_audits_the_run() {
    let db = fresh_db().await;
    let admin = db.pool().await;
    common::login_role(&admin, "erp", Some("settle_importer")).await;
    let dir = tempfile::tempdir().unwrap();
    let invoices = dir.path().join("invoices.csv");
    std::fs::write(
        &invoices,
        "Cust,No,Issued,Due,Total\nACME,A-1,2026-10-01,2026-10-31,100.00\nACME,A-2,2026-10-05,2026-11-04,250.00\n",
    )
    .unwrap();
    let payments = dir.path().join("payments.csv");
    std::fs::write(
        &payments,
        "Cust,Ref,On,Amount,Inv\nACME,P-1,2026-11-01,100.00,A-1\n",
    )
    .unwrap();
    let url = db.url_as("erp");
    let run = |kind: &str, file: &std::path::Path, map: &str| {
        output(
            settle()
                .args([
                    "--log-file",
                    "/dev/null",
                    "import",
                    kind,
                    file.to_str().unwrap(),
                    "--database-url",
                    &url,
                ])
                .args(["--map"])
                .args(map.split(' ')),
        )
    };
    // A customer the store does not know is a bad row unless the importer says to create it.
    let (ok, _, err) = run(
        "invoices",
        &invoices,
        "customer=Cust,invoice_number=No,issue_date=Issued,due_date=Due,amount=Total",
    );
    assert!(!ok);
    assert!(err.contains("no customer with code `ACME`"), "{err}");
    let (ok, out, err) = run(
        "invoices",
        &invoices,
        "customer=Cust,invoice_number=No,issue_date=Issued,due_date=Due,amount=Total --create-customers",
    );
    assert!(ok, "{out}{err}");
    let (ok, out, err) = run(
        "payments",
        &payments,
        "customer=Cust,reference=Ref,received_date=On,amount=Amount,invoice_number=Inv",
    );
    assert!(ok, "{out}{err}");
    let open: i64 = sqlx::query_scalar("SELECT open_minor FROM invoices WHERE number = 'A-1'")
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(open, 0, "the payment was allocated through the triggers");
    let runs: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor, entity, details->>'sha256' FROM audit_log WHERE action = 'import' ORDER BY chain_seq",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    assert_eq!(runs.len(), 2, "one audit row per run");
    assert_eq!(
        (runs[0].0.as_str(), runs[0].1.as_str()),
        ("erp", "invoices")
    );
    assert_eq!(runs[0].2.len(), 64, "a SHA-256 of the file");
    // The importer writes no audit rows, disputes or holds of its own.
    let erp = settle::store::pool(&url, 1).await.unwrap();
    for sql in [
        "INSERT INTO audit_log (action, entity) VALUES ('import', 'x')",
        "UPDATE invoices SET open_minor = 0",
        "DELETE FROM payments",
        "SELECT release_hold(1, 'x')",
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&erp)
            .await
            .unwrap_err();
        assert_eq!(
            err.as_database_error().and_then(|d| d.code()).as_deref(),
            Some("42501"),
            "{sql}"
        );
    }
}

#[tokio::test]
async fn audit_verify_exits_non_zero_and_names_the_altered_row() {
    let (db, admin) = seeded_db(60, 42).await;
    let (ok, out, err) = output(settle().args([
        "--log-file",
        "/dev/null",
        "audit",
        "verify",
        "--database-url",
        &db.url_as("vic"),
    ]));
    assert!(ok, "a viewer verifies an intact chain: {err}");
    assert!(out.contains("audit chain intact"), "{out}");
    let mut tx = admin.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar(
        "UPDATE audit_log SET actor = 'nobody' WHERE chain_seq = 3 RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (ok, _, err) = output(settle().args([
        "--log-file",
        "/dev/null",
        "audit",
        "verify",
        "--database-url",
        &db.url,
    ]));
    assert!(!ok);
    assert!(
        err.contains(&format!("audit row {id} (chain position 3) was altered")),
        "{err}"
    );
}

#[tokio::test]
async fn a_report_piped_into_a_reader_that_leaves_ends_quietly() {
    let (db, _pool) = seeded_db(200, 42).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
        .args([
            "--log-file",
            "/dev/null",
            "report",
            "aging",
            "--by",
            "customer",
            "--format",
            "csv",
            "--database-url",
            &db.url,
        ])
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the report is written (as `| head` does after its lines).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn a_future_as_of_date_is_refused_by_the_report_as_by_the_console() {
    let (db, _pool) = seeded_db(30, 42).await;
    let (ok, _, err) = output(settle().args([
        "--log-file",
        "/dev/null",
        "report",
        "aging",
        "--as-of",
        "2030-01-31",
        "--database-url",
        &db.url,
    ]));
    assert!(!ok);
    assert!(err.contains("as of 2030-01-31 is in the future"), "{err}");
}

#[tokio::test]
async fn csv_is_csv_for_every_report_that_offers_it() {
    let (db, _pool) = seeded_db(60, 42).await;
    for report in ["kpis", "trust", "aging"] {
        let (ok, out, err) = output(settle().args([
            "--log-file",
            "/dev/null",
            "report",
            report,
            "--format",
            "csv",
            "--database-url",
            &db.url,
        ]));
        assert!(ok, "{report}: {err}");
        assert!(
            !out.trim_start().starts_with('{'),
            "{report} printed JSON:\n{out}"
        );
        let mut rows = csv::Reader::from_reader(out.as_bytes());
        let width = rows.headers().unwrap().len();
        let records: Vec<_> = rows.records().map(|r| r.unwrap()).collect();
        assert!(records.len() > 3 && width >= 2, "{report}:\n{out}");
        assert!(
            records.iter().all(|r| r.len() == width),
            "{report}: ragged rows"
        );
    }
}

#[test]
fn import_help_lists_the_fields_of_each_kind() {
    let (ok, out, _) = output(settle().args(["import", "--help"]));
    assert!(ok);
    assert!(
        out.contains("invoices   invoice_number*, customer*"),
        "{out}"
    );
    assert!(out.contains("payments   reference*"), "{out}");
}
