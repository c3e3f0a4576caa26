//! Headless reports: the same figures the console shows, as table, JSON or CSV.

use serde_json::{Map, Value, json};

use crate::domain::aging::AgingSummary;
use crate::domain::money::{format_decimal, format_grouped};

/// Money in every JSON report: the exact figure in minor units and, beside it, the same
/// figure formatted (`"amount_minor": 271898255, "amount": "2,718,982.55"`); the currency is
/// named once in the document (`"currency": "USD"`). Parse `_minor`; show the other.
pub fn put_money(map: &mut Map<String, Value>, name: &str, minor: i64, exponent: u32) {
    map.insert(format!("{name}_minor"), Value::from(minor));
    map.insert(
        name.to_string(),
        Value::from(format_grouped(minor, exponent)),
    );
}

fn money_object(
    fields: &[(&str, Value)],
    money: &[(&str, i64)],
    exponent: u32,
) -> Map<String, Value> {
    let mut map: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    for (name, minor) in money {
        put_money(&mut map, name, *minor, exponent);
    }
    map
}

/// The aging report as JSON: every amount in minor units and formatted (`put_money`).
pub fn aging_json(s: &AgingSummary, exponent: u32) -> String {
    let buckets: Vec<Value> = s
        .lines
        .iter()
        .map(|l| {
            Value::Object(money_object(
                &[
                    ("label", json!(l.bucket.label)),
                    ("min_days", json!(l.bucket.min_days)),
                    ("max_days", json!(l.bucket.max_days)),
                    ("invoices", json!(l.invoices)),
                ],
                &[("amount", l.amount)],
                exponent,
            ))
        })
        .collect();
    let doc = money_object(
        &[
            ("as_of", json!(s.as_of.to_string())),
            ("basis", json!(s.basis)),
            ("currency", json!(s.currency)),
            ("buckets", Value::Array(buckets)),
        ],
        &[("unapplied", s.unapplied), ("total", s.total())],
        exponent,
    );
    serde_json::to_string_pretty(&doc).expect("aging serialises")
}

/// The aging report as CSV with a header row.
pub fn aging_csv(s: &AgingSummary, exponent: u32) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "bucket", "min_days", "max_days", "invoices", "amount", "currency",
    ]);
    let opt = |v: Option<i32>| v.map(|d| d.to_string()).unwrap_or_default();
    for l in &s.lines {
        let _ = w.write_record([
            l.bucket.label.clone(),
            opt(l.bucket.min_days),
            opt(l.bucket.max_days),
            l.invoices.to_string(),
            format_decimal(l.amount, exponent),
            s.currency.clone(),
        ]);
    }
    let _ = w.write_record([
        "Unapplied",
        "",
        "",
        "",
        &format_decimal(s.unapplied, exponent),
        &s.currency,
    ]);
    let _ = w.write_record([
        "Total",
        "",
        "",
        &s.invoices().to_string(),
        &format_decimal(s.total(), exponent),
        &s.currency,
    ]);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The aging report as an aligned text table for people.
pub fn aging_table(s: &AgingSummary, exponent: u32) -> String {
    let mut out = format!(
        "Aging as of {} · basis: {} · currency: {}\n",
        s.as_of, s.basis, s.currency
    );
    out.push_str(&format!(
        "{:<10} {:>9} {:>18}\n",
        "Bucket", "Invoices", "Amount"
    ));
    for l in &s.lines {
        out.push_str(&format!(
            "{:<10} {:>9} {:>18}\n",
            l.bucket.label,
            l.invoices,
            format_grouped(l.amount, exponent)
        ));
    }
    out.push_str(&format!(
        "{:<10} {:>9} {:>18}\n",
        "Unapplied",
        "",
        format_grouped(s.unapplied, exponent)
    ));
    out.push_str(&format!(
        "{:<10} {:>9} {:>18}\n",
        "Total",
        s.invoices(),
        format_grouped(s.total(), exponent)
    ));
    out
}

/// Aging split by customer, segment or region: one row per group, a column per bucket.
pub fn aging_groups(
    groups: &[crate::store::aging::GroupAging],
    exponent: u32,
    format: crate::cli::Format,
) -> String {
    use crate::cli::Format;
    let Some(first) = groups.first() else {
        return String::from("no open items\n");
    };
    let labels: Vec<&str> = first
        .summary
        .lines
        .iter()
        .map(|l| l.bucket.label.as_str())
        .collect();
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = groups
                .iter()
                .map(|g| {
                    let buckets: Vec<Value> = g
                        .summary
                        .lines
                        .iter()
                        .map(|l| {
                            Value::Object(money_object(
                                &[
                                    ("label", json!(l.bucket.label)),
                                    ("invoices", json!(l.invoices)),
                                ],
                                &[("amount", l.amount)],
                                exponent,
                            ))
                        })
                        .collect();
                    Value::Object(money_object(
                        &[
                            ("group", json!(g.key)),
                            ("currency", json!(g.summary.currency)),
                            ("buckets", Value::Array(buckets)),
                        ],
                        &[("total", g.summary.total())],
                        exponent,
                    ))
                })
                .collect();
            serde_json::to_string_pretty(&rows).expect("groups serialise") + "\n"
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut header = vec!["group"];
            header.extend(&labels);
            header.push("total");
            let _ = w.write_record(&header);
            for g in groups {
                let mut row = vec![g.key.clone()];
                row.extend(
                    g.summary
                        .lines
                        .iter()
                        .map(|l| format_decimal(l.amount, exponent)),
                );
                row.push(format_decimal(g.summary.total(), exponent));
                let _ = w.write_record(&row);
            }
            String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        Format::Table => {
            let mut out = format!("{:<32}", "Group");
            for l in &labels {
                out.push_str(&format!(" {l:>14}"));
            }
            out.push_str(&format!(" {:>16}\n", "Total"));
            for g in groups {
                out.push_str(&crate::ui::text::cell(&g.key, 32));
                for l in &g.summary.lines {
                    out.push_str(&format!(" {:>14}", format_grouped(l.amount, exponent)));
                }
                out.push_str(&format!(
                    " {:>16}\n",
                    format_grouped(g.summary.total(), exponent)
                ));
            }
            out
        }
    }
}

fn opt(v: Option<crate::domain::kpi::Hundredths>) -> String {
    v.map_or("n/a".to_string(), |h| h.to_string())
}

/// The KPIs as JSON, their inputs as money (`put_money`): the same in `report kpis` and
/// `report trust`.
fn kpis_value(
    k: &crate::domain::kpi::Kpis,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    currency: &str,
    exponent: u32,
) -> Value {
    let i = &k.inputs;
    let inputs = money_object(
        &[("days", json!(i.days)), ("months", json!(i.months))],
        &[
            ("beginning_receivables", i.beginning_receivables),
            ("credit_sales", i.credit_sales),
            ("ending_total_receivables", i.ending_total_receivables),
            ("ending_current_receivables", i.ending_current_receivables),
        ],
        exponent,
    );
    json!({
        "from": from.to_string(), "to": to.to_string(), "currency": currency,
        "dso": k.dso, "best_possible_dso": k.best_possible_dso, "add": k.add,
        "countback_dso": k.countback_dso, "cei": k.cei, "percent_current": k.percent_current,
        "inputs": inputs,
    })
}

/// KPIs with their formulas and inputs.
pub fn kpis(
    k: &crate::domain::kpi::Kpis,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    currency: &str,
    exponent: u32,
    format: crate::cli::Format,
) -> String {
    use crate::cli::Format;
    let i = &k.inputs;
    match format {
        Format::Csv => kpis_csv(k, exponent),
        Format::Json => {
            let doc = kpis_value(k, from, to, currency, exponent);
            serde_json::to_string_pretty(&doc).expect("kpis serialise") + "\n"
        }
        Format::Table => {
            let m = |v: i64| format_grouped(v, exponent);
            let mut out = format!(
                "KPIs for {from} to {to} (P = {} days, N = {} months)\n",
                i.days, i.months
            );
            for l in k.lines() {
                let name = if l.unit == "%" {
                    format!("{} %", l.name)
                } else {
                    l.name.to_string()
                };
                out.push_str(&format!(
                    "  {name:<17}{:>10}   = {}\n",
                    opt(l.value),
                    l.formula
                ));
            }
            out.push_str(&format!(
                "Inputs: BR {}  CS {}  ETR {}  ECR {}\n",
                m(i.beginning_receivables),
                m(i.credit_sales),
                m(i.ending_total_receivables),
                m(i.ending_current_receivables)
            ));
            out
        }
    }
}

fn minutes(v: Option<i64>) -> String {
    v.map_or("n/a".to_string(), crate::domain::sla::format_minutes)
}

/// Trust metrics, each with the inputs it was computed from.
pub fn trust(
    t: &crate::domain::trust::TrustMetrics,
    k: &crate::domain::kpi::Kpis,
    period: crate::domain::kpi::Period,
    currency: &str,
    exponent: u32,
    format: crate::cli::Format,
) -> String {
    use crate::cli::Format;
    match format {
        Format::Csv => trust_csv(t, k, exponent),
        Format::Json => {
            let doc = json!({
                "trust": t,
                "kpis": kpis_value(k, period.from, period.to, currency, exponent),
            });
            serde_json::to_string_pretty(&doc).expect("trust serialises") + "\n"
        }
        Format::Table => {
            let mut out = format!("Trust over the last {} days\n", t.window_days);
            out.push_str(&format!(
                "  First response      median {:>8}  p90 {:>8}  ({} responses, SLA clock time)\n",
                minutes(t.first_response.median_minutes),
                minutes(t.first_response.p90_minutes),
                t.first_response.count
            ));
            out.push_str(&format!(
                "  Resolution          median {:>8}  p90 {:>8}  ({} resolved)\n",
                minutes(t.resolution.median_minutes),
                minutes(t.resolution.p90_minutes),
                t.resolution.count
            ));
            out.push_str(&format!(
                "  Disputes breaching  {:>6} %  = {} breached / {} opened{}\n",
                opt(t.breach_rate_percent),
                t.disputes_breached,
                t.disputes_opened,
                if t.breach_alert {
                    "   ALERT: above 10 %"
                } else {
                    ""
                }
            ));
            out.push_str(&format!(
                "  Unresolved > 7 days {:>6}\n",
                t.unresolved_over_7_days
            ));
            out.push_str(&format!(
                "  Holds within SLA    {:>6} %  = {} released in time / {} cleared and settled\n",
                opt(t.holds_within_sla_percent),
                t.holds_within_sla,
                t.holds_measured
            ));
            out.push_str(&format!(
                "  Median release lag  {:>8}  after clearing\n",
                minutes(t.median_release_lag_minutes)
            ));
            out.push_str(&kpis(
                k,
                period.from,
                period.to,
                currency,
                exponent,
                Format::Table,
            ));
            out
        }
    }
}

/// Rows of `figure,value,unit,definition` as CSV.
fn csv_rows(rows: &[[String; 4]]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["figure", "value", "unit", "definition"]);
    for r in rows {
        let _ = w.write_record(r);
    }
    w.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

fn kpi_rows(k: &crate::domain::kpi::Kpis, exponent: u32) -> Vec<[String; 4]> {
    let i = &k.inputs;
    let money = |name: &str, v: i64, what: &str| {
        [
            name.to_string(),
            format_decimal(v, exponent),
            "reporting currency".to_string(),
            what.to_string(),
        ]
    };
    let mut rows: Vec<[String; 4]> = k
        .lines()
        .iter()
        .map(|l| {
            [
                l.name.to_string(),
                l.value.map(|v| v.to_string()).unwrap_or_default(),
                l.unit.to_string(),
                l.formula.to_string(),
            ]
        })
        .collect();
    rows.push(money(
        "BR",
        i.beginning_receivables,
        "open the day before the period",
    ));
    rows.push(money(
        "CS",
        i.credit_sales,
        "invoices less credit notes issued in the period",
    ));
    rows.push(money("ETR", i.ending_total_receivables, "open at the end"));
    rows.push(money(
        "ECR",
        i.ending_current_receivables,
        "not yet due at the end",
    ));
    rows.push([
        "P".into(),
        i.days.to_string(),
        "days".into(),
        "days in the period".into(),
    ]);
    rows.push([
        "N".into(),
        i.months.to_string(),
        "months".into(),
        "calendar months in the period".into(),
    ]);
    rows
}

fn kpis_csv(k: &crate::domain::kpi::Kpis, exponent: u32) -> String {
    csv_rows(&kpi_rows(k, exponent))
}

fn trust_csv(
    t: &crate::domain::trust::TrustMetrics,
    k: &crate::domain::kpi::Kpis,
    exponent: u32,
) -> String {
    let n = |v: Option<i64>| v.map(|m| m.to_string()).unwrap_or_default();
    let mut rows: Vec<[String; 4]> = vec![
        [
            "First response median".into(),
            n(t.first_response.median_minutes),
            "minutes".into(),
            format!("{} responses, SLA clock time", t.first_response.count),
        ],
        [
            "First response p90".into(),
            n(t.first_response.p90_minutes),
            "minutes".into(),
            String::new(),
        ],
        [
            "Resolution median".into(),
            n(t.resolution.median_minutes),
            "minutes".into(),
            format!("{} resolved", t.resolution.count),
        ],
        [
            "Resolution p90".into(),
            n(t.resolution.p90_minutes),
            "minutes".into(),
            String::new(),
        ],
        [
            "Disputes breaching".into(),
            t.breach_rate_percent
                .map(|v| v.to_string())
                .unwrap_or_default(),
            "%".into(),
            format!(
                "{} breached / {} opened",
                t.disputes_breached, t.disputes_opened
            ),
        ],
        [
            "Unresolved over 7 days".into(),
            t.unresolved_over_7_days.to_string(),
            "disputes".into(),
            String::new(),
        ],
        [
            "Holds within SLA".into(),
            t.holds_within_sla_percent
                .map(|v| v.to_string())
                .unwrap_or_default(),
            "%".into(),
            format!(
                "{} released in time / {} cleared and settled",
                t.holds_within_sla, t.holds_measured
            ),
        ],
        [
            "Median release lag".into(),
            n(t.median_release_lag_minutes),
            "minutes".into(),
            "after clearing".into(),
        ],
    ];
    rows.extend(kpi_rows(k, exponent));
    csv_rows(&rows)
}
