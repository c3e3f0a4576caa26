//! The `/` filter: free text plus field predicates (`amount>10000`, `bucket:90+`,
//! `owner:me`, `sla:breached`). Parsed here; turned into SQL by the store.

use std::fmt;

/// How a predicate compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gt,
    Lt,
    Ge,
    Le,
}

impl Op {
    pub fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
        }
    }
}

/// `field op value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predicate {
    pub field: String,
    pub op: Op,
    pub value: String,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub words: Vec<String>,
    pub predicates: Vec<Predicate>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.predicates.is_empty()
    }

    /// Reads `acme amount>10000 owner:me`. `field:value` and `field=value` mean equality.
    pub fn parse(text: &str) -> Filter {
        let mut f = Filter::default();
        for token in text.split_whitespace() {
            let split = [
                (">=", Op::Ge),
                ("<=", Op::Le),
                (">", Op::Gt),
                ("<", Op::Lt),
                (":", Op::Eq),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(sym, op)| token.split_once(sym).map(|(a, b)| (a, *op, b)));
            match split {
                Some((field, op, value)) if !field.is_empty() && !value.is_empty() => {
                    f.predicates.push(Predicate {
                        field: field.to_lowercase(),
                        op,
                        value: value.to_string(),
                    })
                }
                _ => f.words.push(token.to_string()),
            }
        }
        f
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self.words.clone();
        parts.extend(self.predicates.iter().map(|p| {
            let sym = match p.op {
                Op::Eq => ":",
                Op::Gt => ">",
                Op::Lt => "<",
                Op::Ge => ">=",
                Op::Le => "<=",
            };
            format!("{}{sym}{}", p.field, p.value)
        }));
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_predicates() {
        let f = Filter::parse("acme  amount>10000 bucket:90+ Owner=me due<=2026-10-31");
        assert_eq!(f.words, ["acme"]);
        assert_eq!(f.predicates.len(), 4);
        assert_eq!(
            f.predicates[0],
            Predicate {
                field: "amount".into(),
                op: Op::Gt,
                value: "10000".into()
            }
        );
        assert_eq!(f.predicates[1].value, "90+");
        assert_eq!(f.predicates[2].field, "owner");
        assert_eq!(f.predicates[3].op, Op::Le);
        assert_eq!(
            f.to_string(),
            "acme amount>10000 bucket:90+ owner:me due<=2026-10-31"
        );
        assert!(Filter::parse("  ").is_empty());
        assert_eq!(Filter::parse(":x").words, [":x"], "no field: free text");
    }
}
