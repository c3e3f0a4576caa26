//! Headless reports: the JSON shapes scripts rely on, and KPI inputs that follow the rules.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use assert_cmd::Command;
use common::{fixed_now, seeded_db};
use settle::domain::aging::{Basis, BucketEdges};
use settle::domain::kpi::Period;
use settle::store::aging::aging_summary;

fn settle(url: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("settle")
        .unwrap()
        .args(args)
        .args([
            "--database-url",
            url,
            "--format",
            "json",
            "--log-file",
            "/dev/null",
        ])
        .env("SETTLE_NOW", "2026-11-20T15:30:00Z")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// One money form: `<name>_minor` to compute with, `<name>` formatted beside it (checked).
fn cents(v: &serde_json::Value, name: &str) -> i64 {
    let minor = v[format!("{name}_minor")].as_i64().unwrap();
    assert_eq!(
        v[name].as_str().unwrap(),
        settle::domain::money::format_grouped(minor, 2)
    );
    minor
}

#[tokio::test]
async fn aging_json_has_the_documented_shape_and_adds_up() {
    let (db, _pool) = seeded_db(80, 4).await;
    let v = settle(&db.url, &["report", "aging", "--as-of", "2026-10-31"]);
    assert_eq!(v["as_of"], "2026-10-31");
    assert_eq!(v["basis"], "due");
    assert_eq!(v["currency"], "USD");
    let labels: Vec<&str> = v["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["Not due", "1-30", "31-60", "61-90", "91-120", "120+"]
    );
    assert_eq!(v["buckets"][1]["min_days"], 1);
    assert_eq!(v["buckets"][1]["max_days"], 30);
    assert!(v["buckets"][5]["max_days"].is_null());
    let sum: i64 = v["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| cents(b, "amount"))
        .sum::<i64>()
        + cents(&v, "unapplied");
    assert_eq!(sum, cents(&v, "total"));
    assert!(cents(&v, "unapplied") <= 0, "unapplied is a negative line");
    let custom = settle(
        &db.url,
        &[
            "report",
            "aging",
            "--buckets",
            "15,45",
            "--basis",
            "invoice",
        ],
    );
    let labels: Vec<&str> = custom["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Not due", "1-15", "16-45", "45+"]);
    assert_eq!(custom["basis"], "invoice");
}

#[tokio::test]
async fn kpis_json_has_the_documented_keys_and_follows_the_formulas() {
    let (db, pool) = seeded_db(80, 4).await;
    let v = settle(
        &db.url,
        &[
            "report",
            "kpis",
            "--from",
            "2026-08-01",
            "--to",
            "2026-10-31",
        ],
    );
    for key in [
        "dso",
        "best_possible_dso",
        "add",
        "countback_dso",
        "cei",
        "percent_current",
    ] {
        assert!(v[key].is_number(), "{key} in {v}");
    }
    let inputs = &v["inputs"];
    assert_eq!(
        (inputs["days"].as_i64(), inputs["months"].as_i64()),
        (Some(92), Some(3))
    );
    // The inputs are the aging totals of the day before and the last day.
    let edges = BucketEdges::default();
    let before = aging_summary(&pool, "2026-07-31".parse().unwrap(), Basis::Due, &edges)
        .await
        .unwrap();
    let end = aging_summary(&pool, "2026-10-31".parse().unwrap(), Basis::Due, &edges)
        .await
        .unwrap();
    let open =
        |s: &settle::domain::aging::AgingSummary| s.lines.iter().map(|l| l.amount).sum::<i64>();
    assert_eq!(cents(inputs, "beginning_receivables"), open(&before));
    assert_eq!(cents(inputs, "ending_total_receivables"), open(&end));
    assert_eq!(
        cents(inputs, "ending_current_receivables"),
        end.lines[0].amount
    );
    let etr = cents(inputs, "ending_total_receivables") as f64;
    let cs = cents(inputs, "credit_sales") as f64;
    let dso = v["dso"].as_f64().unwrap();
    assert!(
        (dso - etr / cs * 92.0).abs() < 0.006,
        "DSO {dso} = ETR / CS × P"
    );
    let add = v["add"].as_f64().unwrap();
    assert!((add - (dso - v["best_possible_dso"].as_f64().unwrap())).abs() < 0.006);
    let k = settle::store::kpi::period_kpis(
        &pool,
        Period {
            from: "2026-08-01".parse().unwrap(),
            to: "2026-10-31".parse().unwrap(),
        },
    )
    .await
    .unwrap();
    assert_eq!(k.dso.map(|d| d.as_f64()), Some(dso));
    // The overview hands over the aging it already has; the figures must not change, and an
    // aging with other buckets is not taken for the KPIs' own.
    let period = Period {
        from: "2026-08-01".parse().unwrap(),
        to: "2026-10-31".parse().unwrap(),
    };
    let end = aging_summary(&pool, period.to, Basis::Due, &BucketEdges::default())
        .await
        .unwrap();
    let reused = settle::store::kpi::period_kpis_ending(&pool, period, Some(&end))
        .await
        .unwrap();
    assert_eq!(reused, k);
    let other: BucketEdges = "15,45".parse().unwrap();
    let odd = aging_summary(&pool, period.to, Basis::Due, &other)
        .await
        .unwrap();
    let not_reused = settle::store::kpi::period_kpis_ending(&pool, period, Some(&odd))
        .await
        .unwrap();
    assert_eq!(not_reused, k);
}

#[tokio::test]
async fn trust_report_has_every_metric_with_its_inputs() {
    let (db, _pool) = seeded_db(150, 9).await;
    let v = settle(&db.url, &["report", "trust", "--window", "30d"]);
    let t = &v["trust"];
    assert_eq!(t["window_days"], 30);
    for key in ["first_response", "resolution"] {
        assert!(t[key]["count"].as_u64().unwrap() > 0, "{key}: {t}");
        assert!(
            t[key]["median_minutes"].as_i64().unwrap() <= t[key]["p90_minutes"].as_i64().unwrap()
        );
    }
    let opened = t["disputes_opened"].as_u64().unwrap();
    assert!(opened >= t["disputes_breached"].as_u64().unwrap());
    assert!(t["holds_measured"].as_u64().unwrap() >= t["holds_within_sla"].as_u64().unwrap());
    assert!(v["kpis"]["dso"].is_number());
    let _ = fixed_now();
}

#[test]
fn a_bad_window_or_date_is_a_clear_error() {
    let out = Command::cargo_bin("settle")
        .unwrap()
        .args([
            "report",
            "trust",
            "--window",
            "30x",
            "--database-url",
            "postgres://nobody@localhost/x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("window `30x` is not like 30d or 8w"));
    let out = Command::cargo_bin("settle")
        .unwrap()
        .args([
            "report",
            "aging",
            "--buckets",
            "60,30",
            "--database-url",
            "postgres://nobody@localhost/x",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("strictly increasing"));
}

#[tokio::test]
async fn the_dispute_report_lists_the_queue_in_the_consoles_order_with_each_clock() {
    let (db, pool) = seeded_db(120, 5).await;
    let v = settle(&db.url, &["report", "disputes"]);
    let rows = v.as_array().unwrap();
    let q = settle::store::lists::ListQuery {
        limit: 100_000,
        ..Default::default()
    };
    let queue = settle::store::disputes::open_disputes(&pool, &q, fixed_now())
        .await
        .unwrap();
    let numbers: Vec<&str> = rows.iter().map(|r| r["number"].as_str().unwrap()).collect();
    let expected: Vec<&str> = queue.iter().map(|d| d.number.as_str()).collect();
    assert!(!numbers.is_empty());
    assert_eq!(numbers, expected, "the console's order");
    let words = [
        "ok",
        "at_risk",
        "breached",
        "met",
        "late",
        "paused",
        "off_hours",
    ];
    for r in rows {
        for clock in ["response", "resolution"] {
            let state = r[format!("{clock}_state")].as_str().unwrap();
            assert!(words.contains(&state), "{state}");
            let left = r[format!("{clock}_remaining_minutes")].as_i64().unwrap();
            let target = r[format!("{clock}_target_minutes")].as_i64().unwrap();
            assert!(target > 0);
            if state == "breached" {
                assert!(left < 0, "{r}");
            }
        }
        assert!(r["amount_minor"].is_i64() && r["currency"].is_string());
    }
    let breached = settle(&db.url, &["report", "disputes", "--filter", "sla:breached"]);
    assert!(
        breached
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["response_state"] == "breached"
                || r["resolution_state"] == "breached"
                || r["response_state"] == "late")
    );
}

#[tokio::test]
async fn the_promise_report_says_where_each_promise_stands() {
    let (db, _pool) = seeded_db(120, 6).await;
    let v = settle(
        &db.url,
        &["report", "promises", "--filter", "status:broken"],
    );
    let rows = v.as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        assert_eq!(r["status"], "broken");
        assert!(r["standing"].as_str().unwrap().starts_with("broken "));
        assert!(r["invoice"].is_string() && r["closed_on"].is_string());
    }
    let csv = Command::cargo_bin("settle")
        .unwrap()
        .args(["--database-url", &db.url, "--log-file", "/dev/null"])
        .args(["report", "promises", "--format", "csv"])
        .output()
        .unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(
        text.starts_with("status,standing,customer,invoice,amount_minor,"),
        "{text}"
    );
}
