//! Importing credit notes: each once by its number, applied to the invoice it names.

use sqlx::PgConnection;

use super::import::{Credit, ImportReport, apply, count, customer_id, named_invoice};
use crate::import::Row;

/// A credit note (once per number), applied to the invoice it names up to what is open there.
/// One the store has with other data is reported (a credit note is not rewritten).
pub(super) async fn credit_note(
    conn: &mut PgConnection,
    row: &Row,
    create: bool,
    report: &mut ImportReport,
) -> Result<(), sqlx::Error> {
    let text = |f: &str| row.get(f).unwrap_or_default().to_string();
    let customer = customer_id(
        conn,
        create,
        &text("customer"),
        &text("currency"),
        30,
        report,
    )
    .await?;
    let code = text("customer");
    let invoice = named_invoice(conn, row, Some((customer, &code))).await?;
    let (issued, amount) = (row.dates["issue_date"], row.amounts["amount"]);
    if amount == 0 {
        return Err(sqlx::Error::Protocol(
            "a credit note of zero credits nothing".into(),
        ));
    }
    let created: Option<i64> = sqlx::query_scalar(
        "INSERT INTO credit_notes (customer_id, number, issue_date, amount_minor, currency, reason, unapplied_minor)
         VALUES ($1, $2, $3, $4, $5, coalesce($6, 'imported'), $4) ON CONFLICT (number) DO NOTHING RETURNING id",
    )
    .bind(customer)
    .bind(text("credit_note_number"))
    .bind(issued)
    .bind(amount)
    .bind(text("currency"))
    .bind(row.get("reason"))
    .fetch_optional(&mut *conn)
    .await?;
    count(report, created.is_some());
    match (created, invoice) {
        (Some(note), Some(invoice)) => {
            apply(conn, invoice, Credit::CreditNote(note), issued, amount).await?;
        }
        (None, _) => {
            let differs: Option<String> = sqlx::query_scalar(
                "SELECT nullif(concat_ws('; ',
                    CASE WHEN amount_minor <> $2 THEN format('amount %s → %s', settle_money(amount_minor, currency), settle_money($2, currency)) END,
                    CASE WHEN issue_date <> $3 THEN format('issued %s → %s', issue_date, $3) END,
                    CASE WHEN customer_id <> $4 THEN 'customer' END), '')
                   FROM credit_notes WHERE number = $1",
            )
            .bind(text("credit_note_number"))
            .bind(amount)
            .bind(issued)
            .bind(customer)
            .fetch_one(&mut *conn)
            .await?;
            super::import_changes::changed(report, row, &text("credit_note_number"), differs);
        }
        _ => {}
    }
    Ok(())
}
