//! The store's schema: migrations, constraints, roles and the change log.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use common::fresh_db;
use sqlx::PgPool;

async fn customer(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO customers (code, name, region, terms_days, credit_limit_minor, currency, reporting_currency) \
         VALUES ('C1', 'Acme', 'NA-East', 30, 100000, 'USD', 'USD') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn invoice(pool: &PgPool, customer: i64, number: &str, amount: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor) \
         VALUES ($1, $2, '2026-10-01', '2026-10-31', $3, 'USD', $3) RETURNING id",
    )
    .bind(customer)
    .bind(number)
    .bind(amount)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn payment(pool: &PgPool, customer: i64, reference: &str, amount: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO payments (customer_id, reference, received_on, amount_minor, currency, unapplied_minor) \
         VALUES ($1, $2, '2026-10-20', $3, 'USD', $3) RETURNING id",
    )
    .bind(customer)
    .bind(reference)
    .bind(amount)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn violation(err: sqlx::Error) -> String {
    err.as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.to_string())
        .unwrap_or_else(|| err.to_string())
}

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_match_this_binary() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    settle::store::check_schema(&pool)
        .await
        .expect("schema is current");
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        tables >= 25,
        "expected every entity's table, found {tables}"
    );
    // Running migrate again is a no-op.
    settle::store::migrate(&pool)
        .await
        .expect("idempotent migrate");
}

#[tokio::test]
async fn a_store_newer_or_older_than_the_binary_is_refused() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    sqlx::query("UPDATE _sqlx_migrations SET version = version + 1000 WHERE version = (SELECT max(version) FROM _sqlx_migrations)")
        .execute(&pool)
        .await
        .unwrap();
    let err = settle::store::check_schema(&pool).await.unwrap_err();
    assert!(err.to_string().contains("newer than this settle"), "{err}");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version > 1000")
        .execute(&pool)
        .await
        .unwrap();
    let err = settle::store::check_schema(&pool).await.unwrap_err();
    assert!(err.to_string().contains("older than this settle"), "{err}");
}

#[tokio::test]
async fn constraints_reject_bad_rows() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let c = customer(&pool).await;
    let bad: &[(&str, &str)] = &[
        (
            "negative amount",
            "INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor) VALUES ($1, 'X1', '2026-10-01', '2026-10-31', -5, 'USD', 0)",
        ),
        (
            "bad currency",
            "INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor) VALUES ($1, 'X2', '2026-10-01', '2026-10-31', 5, 'usd', 5)",
        ),
        (
            "due before issue",
            "INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor) VALUES ($1, 'X3', '2026-10-01', '2026-09-30', 5, 'USD', 5)",
        ),
        (
            "unknown customer",
            "INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor) VALUES ($1 + 999, 'X4', '2026-10-01', '2026-10-31', 5, 'USD', 5)",
        ),
        (
            "dispute state",
            "INSERT INTO disputes (number, invoice_id, customer_id, amount_minor, currency, category, state, policy_id, opened_at) VALUES ('D', 1, $1, 5, 'USD', 'pricing', 'lost', 1, now())",
        ),
        (
            "outreach status",
            "INSERT INTO outreach (customer_id, purpose, channel, tone, subject, body, send_after, status) VALUES ($1, 'reminder', 'email', 'friendly', 's', 'b', now(), 'maybe')",
        ),
        (
            "hold reason",
            "INSERT INTO hold_policies VALUES ('because', true, 10)",
        ),
    ];
    for (what, sql) in bad {
        let err = sqlx::query(*sql)
            .bind(c)
            .execute(&pool)
            .await
            .expect_err(what);
        let code = violation(err);
        assert!(
            ["23514", "23503", "23502"].contains(&code.as_str()),
            "{what}: unexpected {code}"
        );
    }
}

#[tokio::test]
async fn an_allocation_can_never_take_an_invoice_below_zero() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let c = customer(&pool).await;
    let inv = invoice(&pool, c, "INV-1", 10_000).await;
    let pay = payment(&pool, c, "P-1", 50_000).await;
    let alloc = "INSERT INTO allocations (invoice_id, payment_id, applied_on, amount_minor) VALUES ($1, $2, '2026-10-20', $3)";
    sqlx::query(alloc)
        .bind(inv)
        .bind(pay)
        .bind(6_000i64)
        .execute(&pool)
        .await
        .unwrap();
    let err = sqlx::query(alloc)
        .bind(inv)
        .bind(pay)
        .bind(4_001i64)
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(violation(err), "23514");
    sqlx::query(alloc)
        .bind(inv)
        .bind(pay)
        .bind(4_000i64)
        .execute(&pool)
        .await
        .unwrap();
    let (open, settled, unapplied): (i64, Option<chrono::NaiveDate>, i64) = sqlx::query_as(
        "SELECT i.open_minor, i.settled_on, p.unapplied_minor FROM invoices i, payments p WHERE i.id = $1 AND p.id = $2",
    )
    .bind(inv)
    .bind(pay)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (open, settled.map(|d| d.to_string()), unapplied),
        (0, Some("2026-10-20".into()), 40_000)
    );
}

#[tokio::test]
async fn an_allocation_cannot_spend_more_than_its_payment() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let c = customer(&pool).await;
    let inv = invoice(&pool, c, "INV-1", 10_000).await;
    let pay = payment(&pool, c, "P-1", 3_000).await;
    let err = sqlx::query("INSERT INTO allocations (invoice_id, payment_id, applied_on, amount_minor) VALUES ($1, $2, '2026-10-20', 5000)")
        .bind(inv)
        .bind(pay)
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(violation(err), "23514");
}

#[tokio::test]
async fn the_audit_log_is_append_only_even_for_its_owner() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    sqlx::query("INSERT INTO audit_log (action, entity) VALUES ('test', 'nothing')")
        .execute(&pool)
        .await
        .unwrap();
    for sql in [
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.expect_err(sql);
        assert_eq!(violation(err), "42501", "{sql}");
    }
}

#[tokio::test]
async fn every_change_writes_a_change_log_row_in_its_transaction() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    let c = customer(&pool).await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM change_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor) VALUES ($1, 'I', '2026-10-01', '2026-10-31', 5, 'USD', 5)")
        .bind(c)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let after_rollback: i64 = sqlx::query_scalar("SELECT count(*) FROM change_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        after_rollback, before,
        "a rolled-back change leaves no feed row"
    );
    let inv = invoice(&pool, c, "INV-9", 500).await;
    let row: (String, i64, String) =
        sqlx::query_as("SELECT tbl, key, op::text FROM change_log ORDER BY seq DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(row, ("invoices".to_string(), inv, "I".to_string()));
}

#[tokio::test]
async fn viewers_read_and_change_nothing() {
    let db = fresh_db().await;
    let pool = db.pool().await;
    sqlx::query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'test_viewer') THEN CREATE ROLE test_viewer LOGIN IN ROLE settle_viewer; END IF; END $$")
        .execute(&pool)
        .await
        .unwrap();
    customer(&pool).await;
    let viewer = settle::store::pool(&db.url_as("test_viewer"), 1)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM customers")
        .fetch_one(&viewer)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let role: String = sqlx::query_scalar("SELECT settle_role()")
        .fetch_one(&viewer)
        .await
        .unwrap();
    assert_eq!(role, "viewer");
    for sql in [
        "UPDATE customers SET name = 'x'",
        "DELETE FROM invoices",
        "INSERT INTO audit_log (action, entity) VALUES ('a', 'b')",
    ] {
        let err = sqlx::query(sql).execute(&viewer).await.expect_err(sql);
        assert_eq!(violation(err), "42501", "{sql}");
    }
}

#[tokio::test]
async fn the_hot_tables_are_vacuumed_early() {
    let db = common::fresh_db().await;
    let pool = db.pool().await;
    for table in ["invoices", "payments", "allocations"] {
        let options: Vec<String> = sqlx::query_scalar(
            "SELECT coalesce(reloptions, '{}') FROM pg_class WHERE relname = $1 AND relnamespace = 'public'::regnamespace",
        )
        .bind(table)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(
            options
                .iter()
                .any(|o| o.starts_with("autovacuum_vacuum_insert_scale_factor=0.01")),
            "{table}: {options:?}"
        );
    }
}
