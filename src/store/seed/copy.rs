//! Rows in PostgreSQL's COPY text format, built in memory and streamed with COPY FROM STDIN.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};

/// One value in a COPY row.
pub trait CopyField {
    fn write_to(&self, buf: &mut String);
}

impl CopyField for i64 {
    fn write_to(&self, buf: &mut String) {
        let _ = write!(buf, "{self}");
    }
}

impl CopyField for i32 {
    fn write_to(&self, buf: &mut String) {
        let _ = write!(buf, "{self}");
    }
}

impl CopyField for bool {
    fn write_to(&self, buf: &mut String) {
        buf.push(if *self { 't' } else { 'f' });
    }
}

impl CopyField for NaiveDate {
    fn write_to(&self, buf: &mut String) {
        let _ = write!(buf, "{}", self.format("%Y-%m-%d"));
    }
}

impl CopyField for DateTime<Utc> {
    fn write_to(&self, buf: &mut String) {
        let _ = write!(buf, "{}", self.format("%Y-%m-%d %H:%M:%S+00"));
    }
}

impl CopyField for &str {
    fn write_to(&self, buf: &mut String) {
        for ch in self.chars() {
            match ch {
                '\\' => buf.push_str("\\\\"),
                '\t' => buf.push_str("\\t"),
                '\n' => buf.push_str("\\n"),
                '\r' => buf.push_str("\\r"),
                c => buf.push(c),
            }
        }
    }
}

impl CopyField for String {
    fn write_to(&self, buf: &mut String) {
        self.as_str().write_to(buf);
    }
}

impl<T: CopyField> CopyField for Option<T> {
    fn write_to(&self, buf: &mut String) {
        match self {
            Some(v) => v.write_to(buf),
            None => buf.push_str("\\N"),
        }
    }
}

/// A table's rows waiting to be copied.
pub struct CopyTable {
    pub name: &'static str,
    pub columns: &'static str,
    pub buf: String,
    pub rows: u64,
}

impl CopyTable {
    pub fn new(name: &'static str, columns: &'static str) -> Self {
        CopyTable {
            name,
            columns,
            buf: String::new(),
            rows: 0,
        }
    }

    /// Appends one row; fields in the order of `columns`.
    pub fn row(&mut self, fields: &[&dyn CopyField]) {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.buf.push('\t');
            }
            f.write_to(&mut self.buf);
        }
        self.buf.push('\n');
        self.rows += 1;
    }

    pub fn statement(&self) -> String {
        format!("COPY {} ({}) FROM STDIN", self.name, self.columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_writes_nulls() {
        let mut t = CopyTable::new("t", "a, b, c");
        let name = "tab\there\\ and\nnewline";
        t.row(&[&1i64, &name, &None::<i64>]);
        assert_eq!(t.buf, "1\ttab\\there\\\\ and\\nnewline\t\\N\n");
        assert_eq!(t.rows, 1);
    }
}
