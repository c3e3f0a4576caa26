//! `:` commands: names, short aliases and `key=value` arguments, with completion.

use chrono::NaiveDate;

use crate::domain::aging::{Basis, BucketEdges};

/// A command a user can type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Overview,
    Aging {
        as_of: Option<NaiveDate>,
        basis: Option<Basis>,
        edges: Option<BucketEdges>,
    },
    Disputes {
        filter: String,
    },
    Holds {
        filter: String,
    },
    Outreach {
        filter: String,
    },
    Promises {
        filter: String,
    },
    Inbox {
        filter: String,
    },
    Work {
        filter: String,
    },
    Slipping {
        filter: String,
    },
    Customer {
        query: String,
    },
    Activity {
        filter: String,
    },
    Help,
    Quit,
}

/// (name, aliases, what it does) for completion and help.
pub const COMMANDS: &[(&str, &[&str], &str)] = &[
    (
        "work",
        &["w", "todo"],
        "what to do next, ranked; owner=me kind=dispute",
    ),
    (
        "overview",
        &["ov", "home"],
        "aging, KPIs, trust metrics and alerts",
    ),
    (
        "aging",
        &["ag"],
        "aging buckets; asof=YYYY-MM-DD basis=due|invoice buckets=30,60,90,120",
    ),
    (
        "disputes",
        &["dsp", "d"],
        "the dispute queue by SLA urgency; owner=me sla=breached …",
    ),
    ("holds", &["ho", "h"], "orders on hold waiting for payment"),
    ("outreach", &["out", "o"], "queued and sent messages"),
    (
        "inbox",
        &["in", "notes"],
        "your notifications, unread first; enter opens the account and marks it read",
    ),
    (
        "promises",
        &["pr", "ptp"],
        "promises to pay: open, due today, broken, kept; status=open owner=me",
    ),
    (
        "slipping",
        &["slip"],
        "accounts paying later than their usual rhythm, and why; owner=me",
    ),
    ("customer", &["cust", "c"], "one account: :cust acme"),
    ("activity", &["act", "audit"], "the audit log, newest first"),
    ("help", &["?"], "keys and commands"),
    ("quit", &["q", "q!"], "leave settle"),
];

fn canonical(word: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .find(|(name, aliases, _)| *name == word || aliases.contains(&word))
        .map(|(name, _, _)| *name)
}

/// Parses a command line (without the `:`).
pub fn parse(line: &str) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let Some(first) = words.next() else {
        return Err("type a command, e.g. :disputes".into());
    };
    let rest: Vec<&str> = words.collect();
    let name = canonical(first).ok_or_else(|| {
        let names: Vec<&str> = COMMANDS.iter().map(|c| c.0).collect();
        format!("unknown command `{first}` (commands: {})", names.join(", "))
    })?;
    // `key=value` arguments become filter predicates (`owner=me` → `owner:me`) for lists.
    let filter = rest.join(" ");
    Ok(match name {
        "overview" => Command::Overview,
        "aging" => {
            let (mut as_of, mut basis, mut edges) = (None, None, None);
            for arg in &rest {
                let (k, v) = arg
                    .split_once('=')
                    .ok_or_else(|| format!("`{arg}` is not key=value"))?;
                match k {
                    "asof" | "as_of" => {
                        as_of = Some(
                            v.parse()
                                .map_err(|_| format!("asof `{v}` is not a date (YYYY-MM-DD)"))?,
                        )
                    }
                    "basis" => basis = Some(v.parse()?),
                    "buckets" => {
                        edges = Some(
                            v.parse()
                                .map_err(|e: crate::domain::aging::EdgesError| e.to_string())?,
                        )
                    }
                    other => {
                        return Err(format!(
                            "aging takes asof=, basis= and buckets=, not `{other}`"
                        ));
                    }
                }
            }
            Command::Aging {
                as_of,
                basis,
                edges,
            }
        }
        "disputes" => Command::Disputes { filter },
        "holds" => Command::Holds { filter },
        "outreach" => Command::Outreach { filter },
        "promises" => Command::Promises { filter },
        "inbox" => Command::Inbox { filter },
        "work" => Command::Work { filter },
        "slipping" => Command::Slipping { filter },
        "customer" if filter.is_empty() => return Err("whose account? e.g. :cust acme".into()),
        "customer" => Command::Customer { query: filter },
        "activity" => Command::Activity { filter },
        "help" => Command::Help,
        "quit" => Command::Quit,
        // A name in COMMANDS with no arm here is a bug; it must never quit by accident.
        other => return Err(format!("`{other}` is not available yet")),
    })
}

/// Completes the first word of a command line: the one command it starts, or the common
/// prefix of several.
pub fn complete(line: &str) -> Option<String> {
    if line.contains(' ') {
        return None;
    }
    let matches: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.0)
        .filter(|n| n.starts_with(line))
        .collect();
    match matches.as_slice() {
        [] => None,
        [one] => Some(format!("{one} ")),
        many => {
            let first = many[0];
            let common = (line.len()..=first.len())
                .rev()
                .find(|&n| many.iter().all(|m| m.starts_with(&first[..n])))?;
            Some(first[..common].to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_aliases_and_arguments() {
        assert_eq!(
            parse("dsp owner=me"),
            Ok(Command::Disputes {
                filter: "owner=me".into()
            })
        );
        assert_eq!(
            parse("holds"),
            Ok(Command::Holds {
                filter: String::new()
            })
        );
        assert_eq!(
            parse("cust acme corp"),
            Ok(Command::Customer {
                query: "acme corp".into()
            })
        );
        assert_eq!(
            parse("aging asof=2026-10-31 basis=invoice"),
            Ok(Command::Aging {
                as_of: Some("2026-10-31".parse().unwrap()),
                basis: Some(Basis::Invoice),
                edges: None
            })
        );
        assert!(
            parse("aging asof=31/10")
                .unwrap_err()
                .contains("not a date")
        );
        assert!(
            parse("frobnicate")
                .unwrap_err()
                .contains("unknown command `frobnicate`")
        );
        assert!(parse("cust").is_err());
        assert_eq!(parse("q"), Ok(Command::Quit));
        // Only quit quits: every other listed command parses to something else.
        for (name, aliases, _) in COMMANDS {
            for word in std::iter::once(name).chain(aliases.iter()) {
                let parsed = parse(&format!("{word} x"));
                if *name == "quit" {
                    assert_eq!(parsed, Ok(Command::Quit));
                } else {
                    assert_ne!(parsed, Ok(Command::Quit), "{word}");
                }
            }
        }
    }

    #[test]
    fn completion_finishes_one_or_shares_a_prefix() {
        assert_eq!(complete("dis").as_deref(), Some("disputes "));
        assert_eq!(
            complete("o").as_deref(),
            Some("o"),
            "overview and outreach share only `o`"
        );
        assert_eq!(complete("ou").as_deref(), Some("outreach "));
        assert_eq!(complete("zz"), None);
    }
}
