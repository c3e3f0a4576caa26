//! Importing ERP exports: round trips, idempotence, and every kind of bad row.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use assert_cmd::Command;
use common::fresh_db;
use sqlx::PgPool;

const INVOICES: &str = "countryCode,customerID,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,SettledDate\r\n\
391,0379-NEVHP,611365,1/2/2013,2/1/2013,55.94,1/15/2013\r\n\
406,8976-AMJEO,7900770,1/26/2013,2/25/2013,61.74,3/3/2013\r\n\
391,0379-NEVHP,9231909,7/3/2013,8/2/2013,65.88,\r\n\
406,9322-YCTQO,9888306,2/10/2013,3/12/2013,\"1,105.92\",3/17/2013\r\n";

const MAP: &str = "customer=customerID,invoice_number=invoiceNumber,issue_date=InvoiceDate,due_date=DueDate,amount=InvoiceAmount,settled_date=SettledDate";

fn import(url: &str, kind: &str, csv: &str, extra: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(&path, csv).unwrap();
    let out = Command::cargo_bin("settle")
        .unwrap()
        .args([
            "import",
            kind,
            path.to_str().unwrap(),
            "--database-url",
            url,
            "--log-file",
            "/dev/null",
        ])
        .args(extra)
        // These exports name customers the store has never seen (as an ERP's first export
        // does); refusing unknown customers is tested in tests/edges.rs.
        .arg("--create-customers")
        .env("SETTLE_NOW", "2026-11-20T15:30:00Z")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn counts(pool: &PgPool) -> (i64, i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM invoices), (SELECT count(*) FROM payments),
                (SELECT count(*) FROM allocations), (SELECT coalesce(sum(open_minor), 0)::bigint FROM invoices)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_erp_export_round_trips_and_importing_twice_changes_nothing() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let (ok, out, err) = import(
        &db.url,
        "invoices",
        INVOICES,
        &["--map", MAP, "--date-format", "%m/%d/%Y"],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("4 created, 0 already present, 0 updated, 3 new customers, 3 payments"),
        "{out}"
    );
    assert_eq!(counts(&pool).await, (3, 4, 3, 3, 6588));
    let (amount, settled): (i64, Option<chrono::NaiveDate>) =
        sqlx::query_as("SELECT amount_minor, settled_on FROM invoices WHERE number = '9888306'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (amount, settled.map(|d| d.to_string())),
        (110592, Some("2013-03-17".into()))
    );
    // As of 2013-02-28 the March payments do not exist yet.
    let aging = settle::store::aging::aging_summary(
        &pool,
        "2013-02-28".parse().unwrap(),
        Default::default(),
        &Default::default(),
    )
    .await
    .unwrap();
    assert_eq!((aging.invoices(), aging.total()), (2, 6174 + 110592));
    let (ok, out, _) = import(
        &db.url,
        "invoices",
        INVOICES,
        &["--map", MAP, "--date-format", "%m/%d/%Y"],
    );
    assert!(ok);
    assert!(
        out.contains("0 created, 4 already present, 0 updated, 0 new customers, 0 payments"),
        "{out}"
    );
    assert_eq!(counts(&pool).await, (3, 4, 3, 3, 6588));
    let audit: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'import'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audit, 2, "each run leaves an audit row");
}

#[tokio::test]
async fn a_bad_row_stops_the_import_and_nothing_is_written() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let bad = format!(
        "{INVOICES}406,X-1,1,2/30/2013,3/1/2013,5.00,\r\n406,X-2,2,2/1/2013,3/1/2013,-5.00,\r\n"
    );
    let (ok, _, err) = import(
        &db.url,
        "invoices",
        &bad,
        &["--map", MAP, "--date-format", "%m/%d/%Y"],
    );
    assert!(!ok);
    assert!(
        err.contains("line 6, column `InvoiceDate`: `2/30/2013` is not a date in %m/%d/%Y"),
        "{err}"
    );
    assert!(
        err.contains("line 7, column `InvoiceAmount`: `-5.00` is negative"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(counts(&pool).await, (0, 0, 0, 0, 0));
    let (ok, out, err) = import(
        &db.url,
        "invoices",
        &bad,
        &["--map", MAP, "--date-format", "%m/%d/%Y", "--skip-invalid"],
    );
    assert!(!ok, "skipping anything is not a clean run");
    assert!(
        err.contains("2 row(s) skipped; the rest were imported"),
        "{err}"
    );
    assert!(
        out.contains("4 created")
            && out.contains("skipped line 6")
            && out.contains("skipped line 7"),
        "{out}"
    );
    assert_eq!(counts(&pool).await.1, 4);
}

#[tokio::test]
async fn a_row_the_store_refuses_names_its_line_and_rolls_everything_back() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    // Settled before it was issued: the allocation trigger refuses it.
    let bad = format!("{INVOICES}406,X-1,77,5/1/2013,6/1/2013,5.00,4/1/2013\r\n");
    let (ok, _, err) = import(
        &db.url,
        "invoices",
        &bad,
        &["--map", MAP, "--date-format", "%m/%d/%Y"],
    );
    assert!(!ok);
    assert!(
        err.contains("line 6: allocation on 2013-04-01 precedes invoice 77"),
        "{err}"
    );
    assert_eq!(counts(&pool).await, (0, 0, 0, 0, 0));
}

#[tokio::test]
async fn payments_allocate_to_their_invoice_and_missing_columns_are_named() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    assert!(
        import(
            &db.url,
            "invoices",
            INVOICES,
            &["--map", MAP, "--date-format", "%m/%d/%Y"]
        )
        .0
    );
    let payments = "reference,customer,received_date,amount,invoice_number\nWIRE-1,0379-NEVHP,2013-08-10,40.00,9231909\n";
    let (ok, out, err) = import(&db.url, "payments", payments, &[]);
    assert!(ok, "{err}");
    assert!(out.contains("1 created"), "{out}");
    let open: i64 = sqlx::query_scalar("SELECT open_minor FROM invoices WHERE number = '9231909'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(open, 6588 - 4000);
    let (ok, _, err) = import(
        &db.url,
        "payments",
        "reference,customer,amount\nW,C,1.00\n",
        &[],
    );
    assert!(!ok);
    assert!(
        err.contains("line 1, column `received_date`: no such column"),
        "{err}"
    );
}

#[tokio::test]
async fn a_later_export_that_changes_what_the_store_has_is_reported_not_ignored() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let (ok, _, err) = import(
        &db.url,
        "invoices",
        INVOICES,
        &["--map", MAP, "--date-format", "%m/%d/%Y"],
    );
    assert!(ok, "{err}");
    let changed = INVOICES.replace(
        "9231909,7/3/2013,8/2/2013,65.88",
        "9231909,7/3/2013,8/9/2013,75.88",
    );
    let (ok, out, err) = import(
        &db.url,
        "invoices",
        &changed,
        &["--map", MAP, "--date-format", "%m/%d/%Y"],
    );
    assert!(!ok, "a changed row is not a clean run");
    assert!(
        out.contains("not applied: line 4: `9231909` differs from the store: amount 65.88 USD → 75.88 USD; due 2013-08-02 → 2013-08-09"),
        "{out}"
    );
    assert!(err.contains("1 changed, not applied"), "{err}");
    let amount: i64 =
        sqlx::query_scalar("SELECT amount_minor FROM invoices WHERE number = '9231909'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(amount, 6588, "the store keeps its value");
}

#[tokio::test]
async fn update_applies_a_later_exports_changes_each_audited_and_refuses_the_impossible() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let args = ["--map", MAP, "--date-format", "%m/%d/%Y"];
    assert!(import(&db.url, "invoices", INVOICES, &args).0);
    // 9231909 is open (nothing paid): its amount and due date may change. 611365 is paid in
    // full: a smaller amount would be less than what was paid.
    let changed = INVOICES
        .replace(
            "9231909,7/3/2013,8/2/2013,65.88",
            "9231909,7/3/2013,8/9/2013,75.88",
        )
        .replace(
            "611365,1/2/2013,2/1/2013,55.94",
            "611365,1/2/2013,2/1/2013,50.00",
        );
    let update = [
        "--map",
        MAP,
        "--date-format",
        "%m/%d/%Y",
        "--update",
        "--skip-invalid",
    ];
    let (ok, out, err) = import(&db.url, "invoices", &changed, &update);
    assert!(!ok, "a refused row is not a clean run: {out}{err}");
    assert!(
        out.contains(
            "`9231909` updated: amount 65.88 USD → 75.88 USD; due 2013-08-02 → 2013-08-09"
        ),
        "{out}"
    );
    assert!(out.contains("1 updated"), "{out}");
    assert!(
        out.contains(
            "skipped line 2: 611365 has 55.94 USD paid against it: the new amount 50.00 USD is less"
        ),
        "{out}"
    );
    let (amount, open, due): (i64, i64, chrono::NaiveDate) = sqlx::query_as(
        "SELECT amount_minor, open_minor, due_date FROM invoices WHERE number = '9231909'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (amount, open),
        (7588, 7588),
        "what is open follows the amount"
    );
    assert_eq!(due.to_string(), "2013-08-09");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'import_update' AND entity = 'invoice'
            AND details ? 'amount' AND details ? 'due'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1, "one audit row for the one change");
    // Running the same export again changes nothing more.
    let (_, out, _) = import(&db.url, "invoices", &changed, &update);
    assert!(out.contains("0 updated"), "{out}");

    // A customer renamed in the ERP: reported without --update, applied with it.
    let customers = "customer,name,region\n0379-NEVHP,Nevada Hospitality,NA-West\n";
    let (ok, out, err) = import(&db.url, "customers", customers, &["--update"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("`0379-NEVHP` updated: name 0379-NEVHP → Nevada Hospitality"),
        "{out}"
    );
    let renamed = "customer,name,region\n0379-NEVHP,Nevada Hospitality Group,NA-West\n";
    let (ok, out, _) = import(&db.url, "customers", renamed, &[]);
    assert!(!ok && out.contains("not applied"), "{out}");
    let (ok, out, err) = import(&db.url, "customers", renamed, &["--update"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("`0379-NEVHP` updated: name Nevada Hospitality → Nevada Hospitality Group"),
        "{out}"
    );
}

#[tokio::test]
async fn credit_notes_import_and_apply_to_the_invoice_they_name() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let args = ["--map", MAP, "--date-format", "%m/%d/%Y"];
    assert!(import(&db.url, "invoices", INVOICES, &args).0);
    let notes = "credit_note_number,customer,issue_date,amount,reason,invoice_number\n\
                 CN-1,0379-NEVHP,2013-07-10,15.88,pricing error,9231909\n\
                 CN-2,0379-NEVHP,2013-07-11,5.00,,\n";
    let (ok, out, err) = import(&db.url, "credit-notes", notes, &[]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("2 created"), "{out}");
    let open: i64 = sqlx::query_scalar("SELECT open_minor FROM invoices WHERE number = '9231909'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        open,
        6588 - 1588,
        "the credit note took its amount off the invoice"
    );
    let unapplied: Vec<i64> =
        sqlx::query_scalar("SELECT unapplied_minor FROM credit_notes ORDER BY number")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        unapplied,
        [0, 500],
        "CN-2 names no invoice: its credit waits"
    );
    // Again: nothing new; a credit note changed in the ERP is reported, not rewritten.
    let (ok, out, _) = import(&db.url, "credit-notes", notes, &[]);
    assert!(ok && out.contains("0 created, 2 already present"), "{out}");
    let changed = notes.replace(
        "CN-2,0379-NEVHP,2013-07-11,5.00",
        "CN-2,0379-NEVHP,2013-07-11,6.00",
    );
    let (ok, out, _) = import(&db.url, "credit-notes", &changed, &[]);
    assert!(
        !ok && out.contains("`CN-2` differs from the store: amount 5.00 USD → 6.00 USD"),
        "{out}"
    );
    // A note naming another customer's invoice is a bad row naming its line.
    let wrong = "credit_note_number,customer,issue_date,amount,invoice_number\n\
                 CN-3,8976-AMJEO,2013-07-12,1.00,9231909\n";
    let (ok, _, err) = import(&db.url, "credit-notes", wrong, &[]);
    assert!(
        !ok && err.contains("line 2") && err.contains("no invoice numbered `9231909`"),
        "{err}"
    );
}
