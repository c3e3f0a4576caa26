//! Writing imported rows: one transaction, a savepoint per row, idempotent by natural keys
//! (customer code, invoice number, payment reference), one audit row for the run.

use sqlx::{Connection, PgConnection, PgPool};

use super::StoreError;
use crate::import::{Kind, Row, RowError};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u64,
    pub unchanged: u64,
    pub customers_created: u64,
    pub payments_created: u64,
    pub skipped: Vec<RowError>,
    /// Rows naming something the store already has, with different data: reported, not
    /// applied (the store keeps its values) unless the import was asked to `update`.
    pub changed: Vec<RowError>,
    /// Changes applied (`--update`), each audited: the row and what changed.
    pub updated: Vec<RowError>,
}

/// Why an import stopped without writing anything.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}; nothing was imported")]
    Row(RowError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Store(StoreError::Sql(e))
    }
}

/// The reason a database gave for refusing a row, without the driver's noise.
fn reason(e: &sqlx::Error) -> String {
    match e {
        // Our own refusals carry a sentence of their own.
        sqlx::Error::Protocol(why) => why.clone(),
        _ => e
            .as_database_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string()),
    }
}

/// The file an import reads: its name and SHA-256 go into the run's audit row.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub name: &'a str,
    pub content: &'a [u8],
    /// Create customers the rows name but the store does not know.
    pub create_customers: bool,
    /// Apply rows that change what the store has (audited), instead of reporting them.
    pub update: bool,
}

impl Source<'_> {
    pub fn checksum(&self) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(self.content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Writes `rows`. Without `skip_invalid`, the first refused row stops everything and nothing
/// is written; with it, refused rows are listed and the rest are loaded. Runs as an importer
/// (`settle_importer`): the run's audit row goes through `record_import()`.
pub async fn write(
    pool: &PgPool,
    kind: Kind,
    source: Source<'_>,
    rows: &[Row],
    skip_invalid: bool,
) -> Result<ImportReport, ImportError> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let mut report = ImportReport::default();
    for row in rows {
        let mut sp = tx.begin().await?;
        match write_row(&mut sp, kind, row, source, &mut report).await {
            Ok(()) => sp.commit().await?,
            Err(e) => {
                sp.rollback().await?;
                let err = RowError {
                    line: row.line,
                    column: None,
                    reason: reason(&e),
                };
                if !skip_invalid {
                    return Err(ImportError::Row(err));
                }
                report.skipped.push(err);
            }
        }
    }
    let details = serde_json::json!({
        "file": source.name, "sha256": source.checksum(), "rows": rows.len(),
        "created": report.created, "unchanged": report.unchanged,
        "customers_created": report.customers_created,
        "payments_created": report.payments_created, "skipped": report.skipped.len(),
        "updated": report.updated.len(), "changed_not_applied": report.changed.len(),
    });
    sqlx::query("SELECT record_import($1, $2)")
        .bind(kind.store_name())
        .bind(details)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(report)
}

async fn write_row(
    conn: &mut PgConnection,
    kind: Kind,
    row: &Row,
    source: Source<'_>,
    report: &mut ImportReport,
) -> Result<(), sqlx::Error> {
    let create = source.create_customers;
    let text = |f: &str| row.get(f).unwrap_or_default().to_string();
    match kind {
        Kind::Customers => customer_row(conn, row, source, report).await?,
        Kind::Invoices => invoice_row(conn, row, source, report).await?,
        Kind::Payments => {
            let customer = customer_id(
                conn,
                create,
                &text("customer"),
                &text("currency"),
                30,
                report,
            )
            .await?;
            let invoice = named_invoice(conn, row, None).await?;
            let new = pay(
                conn,
                customer,
                &text("reference"),
                row.dates["received_date"],
                row.amounts["amount"],
                &text("currency"),
                invoice,
                report,
            )
            .await?;
            count(report, new);
        }
        Kind::CreditNotes => super::import_credit::credit_note(conn, row, create, report).await?,
    }
    Ok(())
}

/// A customers row: created, or (when it differs) updated with `--update` or reported.
async fn customer_row(
    conn: &mut PgConnection,
    row: &Row,
    source: Source<'_>,
    report: &mut ImportReport,
) -> Result<(), sqlx::Error> {
    let text = |f: &str| row.get(f).unwrap_or_default().to_string();
    let created: Option<i64> = customer_fields(
        sqlx::query_scalar(
            "INSERT INTO customers (code, name, region, terms_days, credit_limit_minor, currency, reporting_currency)
             VALUES ($1, coalesce($2, $1), coalesce($3, 'Unknown'), coalesce($4::int, 30), coalesce($5::bigint, 0), $6,
                     (SELECT value FROM settings WHERE key = 'reporting_currency'))
             ON CONFLICT (code) DO NOTHING RETURNING id",
        ),
        row,
    )
    .bind(text("currency"))
    .fetch_optional(&mut *conn)
    .await?;
    count(report, created.is_some());
    if created.is_none() && source.update {
        let applied: Option<serde_json::Value> = customer_fields(
            sqlx::query_scalar("SELECT import_update_customer($1, $2, $3, $4, $5)"),
            row,
        )
        .fetch_one(&mut *conn)
        .await?;
        super::import_changes::updated(report, row, &text("customer"), applied);
    } else if created.is_none() {
        let differs = super::import_changes::customer_changes(conn, row).await?;
        super::import_changes::changed(report, row, &text("customer"), differs);
    }
    Ok(())
}

/// An invoices row: created (paid at once if the export says it was settled), or (when it
/// differs) updated with `--update` or reported.
async fn invoice_row(
    conn: &mut PgConnection,
    row: &Row,
    source: Source<'_>,
    report: &mut ImportReport,
) -> Result<(), sqlx::Error> {
    let text = |f: &str| row.get(f).unwrap_or_default().to_string();
    let create = source.create_customers;
    let issue = row.dates["issue_date"];
    let due = row.dates["due_date"];
    let customer = customer_id(
        conn,
        create,
        &text("customer"),
        &text("currency"),
        (due - issue).num_days() as i32,
        report,
    )
    .await?;
    let amount = row.amounts["amount"];
    let created: Option<i64> = invoice_fields(
        sqlx::query_scalar(
            "INSERT INTO invoices (customer_id, number, issue_date, due_date, amount_minor, currency, open_minor, settled_on)
             VALUES ($1, $2, $3, $4, $5, $6, $5, CASE WHEN $5 = 0 THEN $3 END) ON CONFLICT (number) DO NOTHING RETURNING id",
        ),
        row,
        customer,
    )
    .fetch_optional(&mut *conn)
    .await?;
    count(report, created.is_some());
    if created.is_none() && source.update {
        let applied: Option<serde_json::Value> = invoice_fields(
            sqlx::query_scalar("SELECT import_update_invoice($2, $1, $3, $4, $5, $6)"),
            row,
            customer,
        )
        .fetch_one(&mut *conn)
        .await?;
        super::import_changes::updated(report, row, &text("invoice_number"), applied);
    } else if created.is_none() {
        let differs = super::import_changes::invoice_changes(conn, row, customer).await?;
        super::import_changes::changed(report, row, &text("invoice_number"), differs);
    }
    if let (Some(invoice), Some(settled)) = (created, row.dates.get("settled_date"))
        && amount > 0
    {
        let reference = format!("SETTLED-{}", text("invoice_number"));
        pay(
            conn,
            customer,
            &reference,
            *settled,
            amount,
            &text("currency"),
            Some(invoice),
            report,
        )
        .await?;
    }
    Ok(())
}

/// A query taking one row's fields as parameters.
pub(super) type RowQuery<'q, O> =
    sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>;

/// A customers row's fields as $1..$5: code, name, region, terms in days, credit limit (the
/// ones the row leaves out as NULL). Creating, updating and comparing all take them so.
pub(super) fn customer_fields<'q, O>(q: RowQuery<'q, O>, row: &'q Row) -> RowQuery<'q, O> {
    q.bind(row.get("customer").unwrap_or_default())
        .bind(row.get("name"))
        .bind(row.get("region"))
        .bind(row.get("terms_days").and_then(|t| t.parse::<i32>().ok()))
        .bind(row.amounts.get("credit_limit").copied())
}

/// An invoices row's fields as $1..$6: customer id, number, issue date, due date, amount,
/// currency. Creating, updating and comparing all take them so.
pub(super) fn invoice_fields<'q, O>(
    q: RowQuery<'q, O>,
    row: &'q Row,
    customer: i64,
) -> RowQuery<'q, O> {
    q.bind(customer)
        .bind(row.get("invoice_number").unwrap_or_default())
        .bind(row.dates["issue_date"])
        .bind(row.dates["due_date"])
        .bind(row.amounts["amount"])
        .bind(row.get("currency").unwrap_or_default())
}

pub(super) fn count(report: &mut ImportReport, created: bool) {
    if created {
        report.created += 1;
    } else {
        report.unchanged += 1;
    }
}

/// The customer with this code, created (and counted) if it is new.
pub(super) async fn customer_id(
    conn: &mut PgConnection,
    create: bool,
    code: &str,
    currency: &str,
    terms: i32,
    report: &mut ImportReport,
) -> Result<i64, sqlx::Error> {
    if let Some(id) = sqlx::query_scalar("SELECT id FROM customers WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?
    {
        return Ok(id);
    }
    if !create {
        return Err(sqlx::Error::Protocol(format!(
            "no customer with code `{code}` (import customers first, or pass --create-customers)"
        )));
    }
    let id = sqlx::query_scalar(
        "INSERT INTO customers (code, name, region, terms_days, credit_limit_minor, currency, reporting_currency)
         VALUES ($1, $1, 'Unknown', $2, 0, $3, (SELECT value FROM settings WHERE key = 'reporting_currency')) RETURNING id",
    )
    .bind(code)
    .bind(terms.clamp(0, 365))
    .bind(currency)
    .fetch_one(&mut *conn)
    .await?;
    report.customers_created += 1;
    Ok(id)
}

/// The invoice a row names in `invoice_number` (of `customer`, when given: its id and code),
/// `None` if it names none; naming one the store does not have is a bad row.
pub(super) async fn named_invoice(
    conn: &mut PgConnection,
    row: &Row,
    customer: Option<(i64, &str)>,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(number) = row.get("invoice_number") else {
        return Ok(None);
    };
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM invoices WHERE number = $1 AND ($2::bigint IS NULL OR customer_id = $2)",
    )
    .bind(number)
    .bind(customer.map(|(id, _)| id))
    .fetch_optional(&mut *conn)
    .await?;
    match (id, customer) {
        (Some(id), _) => Ok(Some(id)),
        (None, Some((_, code))) => Err(sqlx::Error::Protocol(format!(
            "no invoice numbered `{number}` for customer `{code}`"
        ))),
        (None, None) => Err(sqlx::Error::Protocol(format!(
            "no invoice numbered `{number}`"
        ))),
    }
}

/// A payment (once per reference), allocated to `invoice` up to what is open on it.
#[allow(clippy::too_many_arguments)]
async fn pay(
    conn: &mut PgConnection,
    customer: i64,
    reference: &str,
    on: chrono::NaiveDate,
    amount: i64,
    currency: &str,
    invoice: Option<i64>,
    report: &mut ImportReport,
) -> Result<bool, sqlx::Error> {
    let payment: Option<i64> = sqlx::query_scalar(
        "INSERT INTO payments (customer_id, reference, received_on, amount_minor, currency, unapplied_minor)
         VALUES ($1, $2, $3, $4, $5, $4) ON CONFLICT (reference) DO NOTHING RETURNING id",
    )
    .bind(customer)
    .bind(reference)
    .bind(on)
    .bind(amount)
    .bind(currency)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(payment) = payment else {
        return Ok(false);
    };
    report.payments_created += 1;
    if let Some(invoice) = invoice {
        apply(conn, invoice, Credit::Payment(payment), on, amount).await?;
    }
    Ok(true)
}

/// Where an allocation's money comes from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Credit {
    Payment(i64),
    CreditNote(i64),
}

/// Applies a payment or credit note to an invoice, up to what is open there (nothing if it is
/// paid already).
pub(super) async fn apply(
    conn: &mut PgConnection,
    invoice: i64,
    credit: Credit,
    on: chrono::NaiveDate,
    amount: i64,
) -> Result<(), sqlx::Error> {
    let (payment, note) = match credit {
        Credit::Payment(id) => (Some(id), None),
        Credit::CreditNote(id) => (None, Some(id)),
    };
    sqlx::query(
        "INSERT INTO allocations (invoice_id, payment_id, credit_note_id, applied_on, amount_minor)
         SELECT id, $2, $3, $4, least(open_minor, $5) FROM invoices WHERE id = $1 AND open_minor > 0",
    )
    .bind(invoice)
    .bind(payment)
    .bind(note)
    .bind(on)
    .bind(amount)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
