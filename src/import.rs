//! Reading ERP exports: CSV with a header row, columns mapped to settle's fields, dates in
//! a given strftime format, decimal amounts read exactly. Pure: no database here.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use crate::domain::money::parse_decimal;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Customers,
    Invoices,
    Payments,
    /// Credit notes, applied to the invoice they name (if open).
    CreditNotes,
}

impl Kind {
    /// (field, required) for each field this kind reads.
    pub fn fields(self) -> &'static [(&'static str, bool)] {
        match self {
            Kind::Customers => &[
                ("customer", true),
                ("name", false),
                ("region", false),
                ("terms_days", false),
                ("credit_limit", false),
                ("currency", false),
            ],
            Kind::Invoices => &[
                ("invoice_number", true),
                ("customer", true),
                ("issue_date", true),
                ("due_date", true),
                ("amount", true),
                ("currency", false),
                ("settled_date", false),
            ],
            Kind::Payments => &[
                ("reference", true),
                ("customer", true),
                ("received_date", true),
                ("amount", true),
                ("currency", false),
                ("invoice_number", false),
            ],
            Kind::CreditNotes => &[
                ("credit_note_number", true),
                ("customer", true),
                ("issue_date", true),
                ("amount", true),
                ("currency", false),
                ("reason", false),
                ("invoice_number", false),
            ],
        }
    }
}

impl Kind {
    /// The kind's name in the store's audit trail (`credit_notes`).
    pub fn store_name(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Invoices => "invoices",
            Kind::Payments => "payments",
            Kind::CreditNotes => "credit_notes",
        }
    }
}

/// What `settle import --help` says each kind reads (* required).
pub fn fields_help() -> String {
    use clap::ValueEnum;
    let mut out =
        String::from("Fields (map them to your columns with --map field=Column; * required):\n");
    for kind in Kind::value_variants() {
        let fields: Vec<String> = kind
            .fields()
            .iter()
            .map(|(f, required)| format!("{f}{}", if *required { "*" } else { "" }))
            .collect();
        let name = kind
            .to_possible_value()
            .map_or(String::new(), |v| v.get_name().to_string());
        out.push_str(&format!("  {name:<10} {}\n", fields.join(", ")));
    }
    out
}

/// One bad row (or a bad header): where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}, column `{c}`: {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone)]
pub struct Options {
    /// field → column header; fields not named here are read from a column of the same name.
    pub map: BTreeMap<String, String>,
    pub date_format: String,
    pub currency: String,
    /// Decimal places of each currency the store knows (JPY 0, USD 2, BHD 3); an amount is
    /// read in its row's currency. Empty: two places for all.
    pub exponents: BTreeMap<String, u32>,
}

impl Options {
    /// Decimal places of `currency`, or why it cannot be used.
    fn exponent(&self, currency: &str) -> Result<u32, String> {
        if self.exponents.is_empty() {
            return Ok(2);
        }
        self.exponents.get(currency).copied().ok_or_else(|| {
            let known: Vec<&str> = self.exponents.keys().map(String::as_str).collect();
            format!(
                "`{currency}` is not a currency this store knows ({})",
                known.join(", ")
            )
        })
    }
}

/// Parses `--map field=Column,field=Column`.
pub fn parse_map(kind: Kind, text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, column) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not field=Column"))?;
        if !kind.fields().iter().any(|(f, _)| *f == field.trim()) {
            let names: Vec<&str> = kind.fields().iter().map(|(f, _)| *f).collect();
            return Err(format!(
                "`{}` is not a field of {kind:?} (fields: {})",
                field.trim(),
                names.join(", ")
            ));
        }
        out.insert(field.trim().to_string(), column.trim().to_string());
    }
    Ok(out)
}

/// A parsed row: its line and its fields' values, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub text: BTreeMap<&'static str, String>,
    pub dates: BTreeMap<&'static str, NaiveDate>,
    pub amounts: BTreeMap<&'static str, i64>,
}

impl Row {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.text
            .get(field)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// Reads every row of a CSV export. Rows that cannot be read are returned as errors beside
/// the good ones; a header that lacks a required column is one error for the whole file.
pub fn read(kind: Kind, data: &str, opts: &Options) -> Result<(Vec<Row>, Vec<RowError>), RowError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| RowError {
            line: 1,
            column: None,
            reason: e.to_string(),
        })?
        .clone();
    let mut columns: Vec<(&'static str, usize, String)> = Vec::new();
    for (field, required) in kind.fields() {
        let header = opts
            .map
            .get(*field)
            .cloned()
            .unwrap_or_else(|| field.to_string());
        match headers.iter().position(|h| h == header) {
            Some(i) => columns.push((field, i, header)),
            None if *required || opts.map.contains_key(*field) => {
                return Err(RowError {
                    line: 1,
                    column: Some(header.clone()),
                    reason: format!(
                        "no such column for `{field}` (columns: {})",
                        headers.iter().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            None => {}
        }
    }
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(data, p.byte()));
                errors.push(RowError {
                    line,
                    column: None,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(data, p.byte()));
        // Short rows are read with empty trailing fields; a row with more fields than the
        // header has is shifted or broken, and is refused rather than guessed at.
        if record.len() > headers.len() {
            errors.push(RowError {
                line,
                column: None,
                reason: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    headers.len()
                ),
            });
            continue;
        }
        match read_row(kind, &record, &columns, opts, line) {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(e),
        }
    }
    let (rows, conflicts) = one_row_per_key(kind, rows);
    errors.extend(conflicts);
    errors.sort_by_key(|e| e.line);
    Ok((rows, errors))
}

/// The field that names a row (a customer's code, an invoice's number, a payment's reference).
fn key_field(kind: Kind) -> &'static str {
    match kind {
        Kind::Customers => "customer",
        Kind::Invoices => "invoice_number",
        Kind::Payments => "reference",
        Kind::CreditNotes => "credit_note_number",
    }
}

/// Two rows naming the same thing: the same data twice is read once; different data is an
/// error naming both lines (which one is right is for a person to say).
fn one_row_per_key(kind: Kind, rows: Vec<Row>) -> (Vec<Row>, Vec<RowError>) {
    let field = key_field(kind);
    let mut first: BTreeMap<String, usize> = BTreeMap::new();
    let (mut kept, mut errors): (Vec<Row>, Vec<RowError>) = (Vec::new(), Vec::new());
    for row in rows {
        let key = row.get(field).unwrap_or_default().to_string();
        match first.get(&key) {
            None => {
                first.insert(key, kept.len());
                kept.push(row);
            }
            Some(&i) if same_data(&kept[i], &row) => {}
            Some(&i) => errors.push(RowError {
                line: row.line,
                column: None,
                reason: format!(
                    "`{key}` is also on line {} with different data; which is right?",
                    kept[i].line
                ),
            }),
        }
    }
    (kept, errors)
}

fn same_data(a: &Row, b: &Row) -> bool {
    a.text == b.text && a.dates == b.dates && a.amounts == b.amounts
}

/// The 1-based line a record starting at `byte` is on. After a CRLF the csv crate places a
/// record at the LF before it, so line breaks at the start are skipped first.
fn line_at(data: &str, byte: u64) -> u64 {
    let bytes = data.as_bytes();
    let mut start = (byte as usize).min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
        start += 1;
    }
    bytes[..start].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

fn read_row(
    kind: Kind,
    record: &csv::StringRecord,
    columns: &[(&'static str, usize, String)],
    opts: &Options,
    line: u64,
) -> Result<Row, RowError> {
    let mut amounts: Vec<(&'static str, String, String)> = Vec::new();
    let mut row = Row {
        line,
        text: BTreeMap::new(),
        dates: BTreeMap::new(),
        amounts: BTreeMap::new(),
    };
    for (field, index, header) in columns {
        let value = record.get(*index).unwrap_or("").to_string();
        let err = |reason: String| RowError {
            line,
            column: Some(header.clone()),
            reason,
        };
        let required = kind.fields().iter().any(|(f, r)| f == field && *r);
        if value.is_empty() {
            if required {
                return Err(err(format!("`{field}` is empty")));
            }
            continue;
        }
        if field.ends_with("_date") {
            let date = NaiveDate::parse_from_str(&value, &opts.date_format)
                .map_err(|_| err(format!("`{value}` is not a date in {}", opts.date_format)))?;
            row.dates.insert(field, date);
        } else if *field == "amount" || *field == "credit_limit" {
            // Read once the row's currency is known (below).
            amounts.push((*field, value, header.clone()));
            continue;
        } else if *field == "terms_days" {
            value
                .parse::<u16>()
                .map_err(|_| err(format!("`{value}` is not a number of days")))?;
        } else if *field == "currency"
            && !(value.len() == 3 && value.chars().all(|c| c.is_ascii_uppercase()))
        {
            return Err(err(format!("`{value}` is not an ISO currency code")));
        }
        row.text.insert(field, value);
    }
    if let (Some(issue), Some(due)) = (row.dates.get("issue_date"), row.dates.get("due_date"))
        && due < issue
    {
        return Err(RowError {
            line,
            column: None,
            reason: format!("due date {due} is before issue date {issue}"),
        });
    }
    if !row.text.contains_key("currency") {
        row.text.insert("currency", opts.currency.clone());
    }
    let currency = row.text.get("currency").cloned().unwrap_or_default();
    for (field, value, header) in amounts {
        let err = |reason: String| RowError {
            line,
            column: Some(header.clone()),
            reason,
        };
        let exponent = opts.exponent(&currency).map_err(&err)?;
        let minor = parse_decimal(&value, exponent).map_err(|e| err(e.to_string()))?;
        if minor < 0 {
            return Err(err(format!("`{value}` is negative")));
        }
        row.amounts.insert(field, minor);
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(map: &str) -> Options {
        Options {
            map: parse_map(Kind::Invoices, map).unwrap(),
            date_format: "%m/%d/%Y".into(),
            currency: "USD".into(),
            exponents: BTreeMap::new(),
        }
    }

    #[test]
    fn the_same_key_twice_with_different_data_names_both_lines() {
        let o = opts("invoice_number=No,customer=C,issue_date=I,due_date=D,amount=A");
        let csv = "No,C,I,D,A\n1,X,01/01/2026,01/31/2026,10.00\n1,X,01/01/2026,01/31/2026,10.00\n1,X,01/01/2026,01/31/2026,12.00\n";
        let (rows, bad) = read(Kind::Invoices, csv, &o).unwrap();
        assert_eq!(rows.len(), 1, "the same row twice is read once");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 4);
        assert!(
            bad[0].reason.contains("also on line 2 with different data"),
            "{bad:?}"
        );
    }

    #[test]
    fn a_row_with_more_fields_than_the_header_is_refused() {
        let o = opts("invoice_number=No,customer=C,issue_date=I,due_date=D,amount=A");
        let csv = "No,C,I,D,A\n1,X,01/01/2026,01/31/2026,1,250.00\n";
        let (rows, bad) = read(Kind::Invoices, csv, &o).unwrap();
        assert!(rows.is_empty());
        assert_eq!(bad[0].reason, "6 fields where the header has 5");
    }

    #[test]
    fn amounts_are_read_in_their_rows_currency() {
        let mut o = opts("invoice_number=No,customer=C,issue_date=I,due_date=D,amount=A");
        o.exponents = [("USD", 2), ("JPY", 0), ("BHD", 3)]
            .into_iter()
            .map(|(c, e)| (c.to_string(), e))
            .collect();
        let csv = "No,C,I,D,A,currency\n1,X,01/01/2026,01/31/2026,1250,JPY\n2,X,01/01/2026,01/31/2026,1.250,BHD\n3,X,01/01/2026,01/31/2026,12.50,USD\n4,X,01/01/2026,01/31/2026,1.5,XYZ\n";
        let (rows, bad) = read(Kind::Invoices, csv, &o).unwrap();
        let amounts: Vec<i64> = rows.iter().map(|r| r.amounts["amount"]).collect();
        assert_eq!(amounts, [1250, 1250, 1250]);
        assert_eq!(bad.len(), 1);
        assert!(
            bad[0]
                .reason
                .contains("`XYZ` is not a currency this store knows"),
            "{bad:?}"
        );
    }

    const ERP: &str = "cust,InvoiceNo,InvoiceDate,DueDate,InvoiceAmount,SettledDate\r\n\
                       0379-NEV,611365,1/2/2013,2/1/2013,55.94,1/15/2013\r\n\
                       8976-AMJ,7900770,1/26/2013,2/25/2013,61.7,\r\n";

    const MAP: &str = "customer=cust,invoice_number=InvoiceNo,issue_date=InvoiceDate,due_date=DueDate,amount=InvoiceAmount,settled_date=SettledDate";

    #[test]
    fn reads_an_erp_export_exactly() {
        let (rows, errors) = read(Kind::Invoices, ERP, &opts(MAP)).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].amounts["amount"], 5594);
        assert_eq!(rows[1].amounts["amount"], 6170);
        assert_eq!(rows[0].dates["issue_date"].to_string(), "2013-01-02");
        assert_eq!(rows[0].dates["settled_date"].to_string(), "2013-01-15");
        assert!(!rows[1].dates.contains_key("settled_date"));
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
        assert_eq!(rows[1].get("currency"), Some("USD"));
    }

    #[test]
    fn every_bad_row_says_where_and_why() {
        let cases = [
            (
                "0379,1,13/45/2013,2/1/2013,5.00,",
                "line 2, column `InvoiceDate`: `13/45/2013` is not a date in %m/%d/%Y",
            ),
            (
                "0379,1,1/2/2013,2/1/2013,-5.00,",
                "line 2, column `InvoiceAmount`: `-5.00` is negative",
            ),
            (
                "0379,1,1/2/2013,2/1/2013,abc,",
                "line 2, column `InvoiceAmount`: `abc` is not a decimal amount",
            ),
            (
                "0379,1,1/2/2013,2/1/2013,5.001,",
                "line 2, column `InvoiceAmount`: `5.001` has more than 2 decimal places",
            ),
            (
                ",1,1/2/2013,2/1/2013,5.00,",
                "line 2, column `cust`: `customer` is empty",
            ),
            (
                "0379,1,3/2/2013,2/1/2013,5.00,",
                "line 2: due date 2013-02-01 is before issue date 2013-03-02",
            ),
            (
                "0379,1,1/2/2013",
                "line 2, column `DueDate`: `due_date` is empty",
            ),
        ];
        for (line, want) in cases {
            let data =
                format!("cust,InvoiceNo,InvoiceDate,DueDate,InvoiceAmount,SettledDate\n{line}\n");
            let (rows, errors) = read(Kind::Invoices, &data, &opts(MAP)).unwrap();
            assert!(rows.is_empty(), "{line}");
            assert_eq!(
                errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                [want]
            );
        }
    }

    #[test]
    fn a_missing_column_or_bad_map_is_refused_up_front() {
        let err = read(Kind::Invoices, "cust,InvoiceNo\n1,2\n", &opts(MAP)).unwrap_err();
        assert_eq!(err.line, 1);
        assert_eq!(err.column.as_deref(), Some("InvoiceDate"));
        assert!(
            parse_map(Kind::Invoices, "amont=X")
                .unwrap_err()
                .contains("`amont` is not a field")
        );
        assert!(
            parse_map(Kind::Invoices, "amount")
                .unwrap_err()
                .contains("not field=Column")
        );
    }
}
