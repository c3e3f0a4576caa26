//! Headless reports of the work queues: the open disputes exactly as the console orders them,
//! and promises to pay. One record per row; table, JSON or CSV from the same records.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::Format;
use crate::domain::money::format_grouped;
use crate::domain::promise::PromiseStanding;
use crate::domain::sla::{SlaClock, format_minutes};
use crate::model::{DisputeLine, PromiseLine};
use crate::ui::text::safe;

/// One row of a report: named fields in order; `in_table` ones show in the table.
pub struct Record(Vec<Field>);

struct Field {
    name: &'static str,
    value: Value,
    in_table: bool,
}

impl Record {
    fn new() -> Self {
        Record(Vec::new())
    }

    fn both(mut self, name: &'static str, value: Value) -> Self {
        self.0.push(Field {
            name,
            value,
            in_table: true,
        });
        self
    }

    fn data(mut self, name: &'static str, value: Value) -> Self {
        self.0.push(Field {
            name,
            value,
            in_table: false,
        });
        self
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => safe(s),
        other => other.to_string(),
    }
}

/// The records as a table, JSON (an array of objects) or CSV (every field).
pub fn render(records: &[Record], format: Format, empty: &str) -> String {
    match format {
        Format::Json => {
            let rows: Vec<Value> = records
                .iter()
                .map(|r| {
                    Value::Object(
                        r.0.iter()
                            .map(|f| (f.name.to_string(), f.value.clone()))
                            .collect(),
                    )
                })
                .collect();
            format!("{}\n", Value::Array(rows))
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            if let Some(first) = records.first() {
                let _ = w.write_record(first.0.iter().map(|f| f.name));
            }
            for r in records {
                let _ = w.write_record(r.0.iter().map(|f| text(&f.value)));
            }
            w.into_inner()
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default()
        }
        Format::Table if records.is_empty() => format!("{empty}\n"),
        Format::Table => table(records),
    }
}

fn table(records: &[Record]) -> String {
    let shown = |r: &Record| -> Vec<(String, String, bool)> {
        r.0.iter()
            .filter(|f| f.in_table)
            .map(|f| {
                (
                    f.name.replace('_', " "),
                    text(&f.value),
                    f.value.is_number(),
                )
            })
            .collect()
    };
    let rows: Vec<Vec<(String, String, bool)>> = records.iter().map(shown).collect();
    let width = |i: usize| {
        rows.iter()
            .map(|r| unicode_width::UnicodeWidthStr::width(r[i].1.as_str()))
            .chain(std::iter::once(rows[0][i].0.len()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..rows[0].len()).map(width).collect();
    let pad = |s: &str, w: usize, right: bool| {
        let fill = " ".repeat(w.saturating_sub(unicode_width::UnicodeWidthStr::width(s)));
        if right {
            format!("{fill}{s}")
        } else {
            format!("{s}{fill}")
        }
    };
    let mut out = String::new();
    let header: Vec<String> = rows[0]
        .iter()
        .zip(&widths)
        .map(|((name, _, number), w)| pad(name, *w, *number))
        .collect();
    out.push_str(header.join("  ").trim_end());
    out.push('\n');
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|((_, v, number), w)| pad(v, *w, *number))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A clock's figures: target, minutes left (negative: overdue), and its state in one word.
fn clock_fields(r: Record, names: [&'static str; 3], c: &SlaClock, off_hours: bool) -> Record {
    r.data(names[0], json!(c.target_minutes))
        .data(names[1], json!(c.remaining()))
        .both(names[2], json!(c.status_word(off_hours)))
}

/// The open disputes in the console's order, each clock measured at `now`.
pub fn disputes(
    rows: &[DisputeLine],
    now: DateTime<Utc>,
    exponent_of: impl Fn(&str) -> u32,
) -> Vec<Record> {
    rows.iter()
        .map(|d| {
            let exponent = exponent_of(&d.currency);
            let counted = d.clock.seconds_between(d.measured_at, now);
            let (fr, res) = (d.first_response.after(counted), d.resolution.after(counted));
            let off = d.clock.off_hours(now).is_some();
            let left = |c: &SlaClock| match c.late_by() {
                Some(late) => format!("late +{}", format_minutes(late)),
                None if c.stopped => "met".into(),
                None => format_minutes(c.remaining()),
            };
            let r = Record::new()
                .both("number", json!(d.number))
                .both("customer", json!(d.customer))
                .both("state", json!(d.state.as_str()))
                .both("assignee", json!(d.assignee))
                .data("amount_minor", json!(d.amount))
                .data("currency", json!(d.currency))
                .both(
                    "amount",
                    json!(format!(
                        "{} {}",
                        format_grouped(d.amount, exponent),
                        d.currency
                    )),
                )
                .both("response", json!(left(&fr)));
            let r = clock_fields(
                r,
                [
                    "response_target_minutes",
                    "response_remaining_minutes",
                    "response_state",
                ],
                &fr,
                off,
            )
            .both("resolve", json!(left(&res)));
            clock_fields(
                r,
                [
                    "resolution_target_minutes",
                    "resolution_remaining_minutes",
                    "resolution_state",
                ],
                &res,
                off,
            )
        })
        .collect()
}

/// Promises to pay, with where each stands on `today`.
pub fn promises(
    rows: &[PromiseLine],
    today: NaiveDate,
    exponent_of: impl Fn(&str) -> u32,
) -> Vec<Record> {
    rows.iter()
        .map(|p| {
            let e = exponent_of(&p.currency);
            let standing =
                PromiseStanding::of(p.status, p.promised_for, p.deadline, p.closed_on, today);
            Record::new()
                .both("status", json!(p.status.as_str()))
                .both("standing", json!(standing.label()))
                .both("customer", json!(p.customer))
                .both("invoice", json!(p.invoice))
                .data("amount_minor", json!(p.amount))
                .data("paid_minor", json!(p.paid))
                .data("currency", json!(p.currency))
                .both(
                    "amount",
                    json!(format!("{} {}", format_grouped(p.amount, e), p.currency)),
                )
                .both(
                    "paid",
                    json!(format!("{} {}", format_grouped(p.paid, e), p.currency)),
                )
                .both("promised_for", json!(p.promised_for.to_string()))
                .data("deadline", json!(p.deadline.to_string()))
                .data("closed_on", json!(p.closed_on.map(|d| d.to_string())))
                .data("made_on", json!(p.made_on.to_string()))
                .both("taken_by", json!(p.taken_by))
        })
        .collect()
}
