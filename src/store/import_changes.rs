//! What a later export changes in what the store has: reported (the store keeps its values),
//! or with `--update` applied by the store's audited functions and listed.

use sqlx::PgConnection;

use super::import::ImportReport;
use crate::import::{Row, RowError};

/// How a customers row differs from the customer the store has, if it does.
pub(super) async fn customer_changes(
    conn: &mut PgConnection,
    row: &Row,
) -> Result<Option<String>, sqlx::Error> {
    let differs: Option<String> = super::import::customer_fields(sqlx::query_scalar(
            "SELECT nullif(concat_ws('; ',
                CASE WHEN $2::text IS NOT NULL AND name <> $2 THEN format('name %s → %s', name, $2) END,
                CASE WHEN $3::text IS NOT NULL AND region <> $3 THEN format('region %s → %s', region, $3) END,
                CASE WHEN $4::int IS NOT NULL AND terms_days <> $4 THEN format('terms %s → %s days', terms_days, $4) END,
                CASE WHEN $5::bigint IS NOT NULL AND credit_limit_minor <> $5
                     THEN format('credit limit %s → %s', settle_money(credit_limit_minor, currency), settle_money($5, currency)) END), '')
               FROM customers WHERE code = $1",
        ), row)
        .fetch_one(&mut *conn)
        .await?;
    Ok(differs)
}

/// How an invoices row differs from the invoice the store has, if it does.
pub(super) async fn invoice_changes(
    conn: &mut PgConnection,
    row: &Row,
    customer: i64,
) -> Result<Option<String>, sqlx::Error> {
    let differs: Option<String> = super::import::invoice_fields(sqlx::query_scalar(
            "SELECT nullif(concat_ws('; ',
                CASE WHEN i.amount_minor <> $5 THEN format('amount %s → %s', settle_money(i.amount_minor, i.currency), settle_money($5, i.currency)) END,
                CASE WHEN i.currency <> $6 THEN format('currency %s → %s', i.currency, $6) END,
                CASE WHEN i.issue_date <> $3 THEN format('issued %s → %s', i.issue_date, $3) END,
                CASE WHEN i.due_date <> $4 THEN format('due %s → %s', i.due_date, $4) END,
                CASE WHEN i.customer_id <> $1 THEN 'customer' END), '')
               FROM invoices i WHERE i.number = $2",
        ), row, customer)
        .fetch_one(&mut *conn)
        .await?;
    Ok(differs)
}

/// Notes a row that names something the store has with different data.
pub(super) fn changed(report: &mut ImportReport, row: &Row, key: &str, differs: Option<String>) {
    if let Some(what) = differs {
        report.changed.push(RowError {
            line: row.line,
            column: None,
            reason: format!("`{key}` differs from the store: {what}"),
        });
    }
}

/// Notes a change applied with `--update` (the store wrote its audit row).
pub(super) fn updated(
    report: &mut ImportReport,
    row: &Row,
    key: &str,
    applied: Option<serde_json::Value>,
) {
    let Some(serde_json::Value::Object(changes)) = applied else {
        report.unchanged += 1;
        return;
    };
    let what: Vec<String> = changes
        .iter()
        .map(|(field, v)| match v.as_array().map(Vec::as_slice) {
            Some([before, after]) => format!("{field} {} → {}", plain(before), plain(after)),
            _ => field.clone(),
        })
        .collect();
    report.updated.push(RowError {
        line: row.line,
        column: None,
        reason: format!("`{key}` updated: {}", what.join("; ")),
    });
}

fn plain(v: &serde_json::Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}
