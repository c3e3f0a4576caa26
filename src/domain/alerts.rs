//! The overview's alerts: what needs a person now, with the thresholds and the wording in one
//! place. The runner only counts; this decides what is said.

use super::trust::TrustMetrics;

/// The counts the alerts are made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlertCounts {
    pub disputes_breached: usize,
    pub disputes_at_risk: usize,
    /// Orders whose blocking invoices are paid but which are still held.
    pub cleared_but_held: i64,
    /// Accounts paying later than their usual rhythm.
    pub slipping: i64,
    /// Promises to pay broken in the last 7 days.
    pub promises_broken: i64,
    /// Messages a lead must decide: awaiting approval, or uncertain whether they went.
    pub messages_waiting: i64,
}

/// The `:command` an alert names (the list it counts), which `enter` on it runs.
pub fn command_of(alert: &str) -> Option<&str> {
    let start = alert.rfind("(:")? + 2;
    let rest = &alert[start..];
    let end = rest.find([')', ','])?;
    Some(rest[..end].trim())
}

/// `1 dispute has` / `3 disputes have`: the count with the words that agree with it.
fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Each alert as a line, most urgent kinds first; none when all is well.
pub fn alerts(c: &AlertCounts, trust: &TrustMetrics) -> Vec<String> {
    // (how many, mark, the words for one, for several, the rest of the line with its command)
    let counted: [(i64, &str, &str, &str, &str); 7] = [
        (
            c.disputes_breached as i64,
            "✖",
            "dispute has",
            "disputes have",
            "breached an SLA clock  (:disputes sla=breached)",
        ),
        (
            c.disputes_at_risk as i64,
            "▲",
            "dispute is",
            "disputes are",
            "at risk  (:disputes sla=at_risk)",
        ),
        (
            trust.unresolved_over_7_days as i64,
            "▲",
            "dispute",
            "disputes",
            "unresolved for over 7 days  (:disputes age>7)",
        ),
        (
            c.cleared_but_held,
            "✖",
            "order",
            "orders",
            "cleared but still held: the customer paid and is waiting  (:holds status=cleared)",
        ),
        (
            c.slipping,
            "▲",
            "account slipping",
            "accounts slipping",
            "from the usual pay day  (:slipping)",
        ),
        (
            c.promises_broken,
            "✖",
            "promise",
            "promises",
            "to pay broken in the last 7 days  (:promises status=broken)",
        ),
        (
            c.messages_waiting,
            "▲",
            "message waits",
            "messages wait",
            "for a lead: approval or a send to decide  (:outreach, D)",
        ),
    ];
    let mut out: Vec<String> = counted
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, mark, one, many, rest)| format!("{mark} {} {rest}", count(*n, one, many)))
        .collect();
    if trust.breach_alert {
        out.push(format!(
            "✖ SLA breach rate {} % over 30 days is above 10 %",
            trust
                .breach_rate_percent
                .map_or("?".into(), |r| r.to_string())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_when_all_is_well_and_each_count_says_its_line() {
        let trust = TrustMetrics::default();
        assert!(alerts(&AlertCounts::default(), &trust).is_empty());
        let lines = alerts(
            &AlertCounts {
                disputes_breached: 2,
                cleared_but_held: 1,
                promises_broken: 3,
                ..Default::default()
            },
            &trust,
        );
        assert_eq!(lines.len(), 3);
        assert!(lines[2].starts_with("✖ 3 promises to pay broken"));
        assert_eq!(command_of(&lines[0]), Some("disputes sla=breached"));
        assert_eq!(command_of(&lines[2]), Some("promises status=broken"));
        assert_eq!(
            command_of("✖ SLA breach rate 12 % over 30 days is above 10 %"),
            None
        );
        assert_eq!(
            command_of(
                "▲ 2 messages wait for a lead: approval or a send to decide  (:outreach, D)"
            ),
            Some("outreach")
        );
        assert!(lines[0].starts_with("✖ 2 disputes have breached"));
        assert!(
            lines[1].contains("1 order cleared but still held"),
            "{lines:?}"
        );
        let one = alerts(
            &AlertCounts {
                disputes_at_risk: 1,
                slipping: 1,
                ..Default::default()
            },
            &trust,
        );
        assert_eq!(one[0], "▲ 1 dispute is at risk  (:disputes sla=at_risk)");
        assert_eq!(command_of(&one[1]), Some("slipping"));
    }
}
