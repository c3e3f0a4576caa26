//! The audit log's hash chain: each row stores a SHA-256 over its own content and the previous
//! row's hash (`audit_digest()` in the migrations). Walking the chain finds rows that were
//! altered, removed or slipped in, whoever did it, as long as the newest hash is known.

use futures::TryStreamExt;
use sqlx::PgPool;

use super::StoreError;

/// What is wrong with the chain, at the first place it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The row's content no longer matches its hash.
    Altered { id: i64, seq: i64 },
    /// Rows with these sequence numbers are gone.
    Removed { from_seq: i64, to_seq: i64 },
    /// The row does not follow the one before it (inserted out of order or rewritten).
    OutOfOrder { id: i64, seq: i64 },
    /// The row was written without going through the chain (triggers off).
    Unchained { id: i64 },
    /// The chain's head says there are rows after the last one found.
    TailRemoved { last_seq: i64, head_seq: i64 },
    /// The chain's head does not match its last row.
    HeadRewritten { head_seq: i64 },
    /// A hash written down earlier (`--anchor seq:hash`) is no longer in the chain.
    AnchorMissing { seq: i64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Altered { id, seq } => {
                write!(
                    f,
                    "audit row {id} (chain position {seq}) was altered after it was written"
                )
            }
            Break::Removed { from_seq, to_seq } if from_seq == to_seq => {
                write!(f, "the audit row at chain position {from_seq} was removed")
            }
            Break::Removed { from_seq, to_seq } => {
                write!(
                    f,
                    "the audit rows at chain positions {from_seq}–{to_seq} were removed"
                )
            }
            Break::OutOfOrder { id, seq } => write!(
                f,
                "audit row {id} (chain position {seq}) does not follow the row before it: inserted out of order or rewritten"
            ),
            Break::Unchained { id } => write!(
                f,
                "audit row {id} was inserted outside the chain (with triggers off)"
            ),
            Break::TailRemoved { last_seq, head_seq } => write!(
                f,
                "the newest audit rows were removed: the chain ends at position {last_seq} but its head says {head_seq}"
            ),
            Break::HeadRewritten { head_seq } => write!(
                f,
                "the chain's head (position {head_seq}) does not match its last row: the head was rewritten"
            ),
            Break::AnchorMissing { seq } => write!(
                f,
                "the anchor at chain position {seq} no longer matches: the log was rewritten from there or earlier"
            ),
        }
    }
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub rows: u64,
    /// The last position and its hash (hex): write it down somewhere else to anchor the chain.
    pub head: Option<(i64, String)>,
    /// Every break found, first first.
    pub breaks: Vec<Break>,
}

/// A position and hash written down earlier, to check the chain still passes through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl std::str::FromStr for Anchor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("anchor `{s}` is not like 1234:9f86d081… (position:hash)");
        let (seq, hash) = s.split_once(':').ok_or_else(bad)?;
        let seq = seq.parse().map_err(|_| bad())?;
        let hash = hash.trim().to_ascii_lowercase();
        if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Anchor { seq, hash })
    }
}

#[derive(sqlx::FromRow)]
struct ChainRow {
    id: i64,
    chain_seq: Option<i64>,
    prev_hash: Option<Vec<u8>>,
    hash: Option<Vec<u8>>,
    digest: Option<Vec<u8>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The walk itself, row by row in chain order; pure, so it is tested without a store.
#[derive(Default)]
struct Walk {
    rows: u64,
    expected_seq: i64,
    last_hash: Option<Vec<u8>>,
    breaks: Vec<Break>,
}

impl Walk {
    fn step(&mut self, row: ChainRow) {
        self.rows += 1;
        let Some(seq) = row.chain_seq else {
            self.breaks.push(Break::Unchained { id: row.id });
            return;
        };
        let next = self.expected_seq + 1;
        if seq > next {
            self.breaks.push(Break::Removed {
                from_seq: next,
                to_seq: seq - 1,
            });
        } else if seq < next || row.prev_hash != self.last_hash {
            self.breaks.push(Break::OutOfOrder { id: row.id, seq });
        }
        if row.hash.is_none() || row.hash != row.digest {
            self.breaks.push(Break::Altered { id: row.id, seq });
        }
        self.expected_seq = seq;
        self.last_hash = row.hash;
    }
}

/// Walks the whole chain in order of position.
pub async fn verify(pool: &PgPool, anchor: Option<&Anchor>) -> Result<Verification, StoreError> {
    let mut walk = Walk::default();
    let mut anchor_seen = false;
    {
        let mut rows = sqlx::query_as::<_, ChainRow>(
            "SELECT id, chain_seq, prev_hash, hash, audit_digest(a) AS digest
               FROM audit_log a ORDER BY chain_seq NULLS LAST, id",
        )
        .fetch(pool);
        while let Some(row) = rows.try_next().await? {
            if let (Some(a), Some(seq), Some(hash)) = (anchor, row.chain_seq, row.hash.as_ref())
                && a.seq == seq
            {
                anchor_seen = hex(hash) == a.hash && row.hash == row.digest;
            }
            walk.step(row);
        }
    }
    let (head_seq, head_hash): (i64, Option<Vec<u8>>) =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_head")
            .fetch_one(pool)
            .await?;
    if head_seq > walk.expected_seq {
        walk.breaks.push(Break::TailRemoved {
            last_seq: walk.expected_seq,
            head_seq,
        });
    } else if head_seq != walk.expected_seq || head_hash != walk.last_hash {
        walk.breaks.push(Break::HeadRewritten { head_seq });
    }
    if let Some(a) = anchor
        && !anchor_seen
    {
        walk.breaks.push(Break::AnchorMissing { seq: a.seq });
    }
    Ok(Verification {
        rows: walk.rows,
        head: head_hash.map(|h| (head_seq, hex(&h))),
        breaks: walk.breaks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, seq: i64, prev: Option<u8>, hash: u8, digest: u8) -> ChainRow {
        ChainRow {
            id,
            chain_seq: Some(seq),
            prev_hash: prev.map(|p| vec![p]),
            hash: Some(vec![hash]),
            digest: Some(vec![digest]),
        }
    }

    fn walk(rows: Vec<ChainRow>) -> Vec<Break> {
        let mut w = Walk::default();
        rows.into_iter().for_each(|r| w.step(r));
        w.breaks
    }

    #[test]
    fn an_intact_chain_has_no_breaks() {
        assert_eq!(
            walk(vec![row(1, 1, None, 10, 10), row(2, 2, Some(10), 20, 20)]),
            vec![]
        );
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        assert_eq!(
            walk(vec![row(1, 1, None, 10, 99)]),
            vec![Break::Altered { id: 1, seq: 1 }]
        );
        assert_eq!(
            walk(vec![row(1, 1, None, 10, 10), row(4, 4, Some(30), 40, 40)]),
            vec![Break::Removed {
                from_seq: 2,
                to_seq: 3
            }]
        );
        assert_eq!(
            walk(vec![row(1, 1, None, 10, 10), row(2, 2, Some(77), 20, 20)]),
            vec![Break::OutOfOrder { id: 2, seq: 2 }]
        );
        let mut loose = row(9, 0, None, 1, 1);
        loose.chain_seq = None;
        assert_eq!(walk(vec![loose]), vec![Break::Unchained { id: 9 }]);
    }

    #[test]
    fn anchors_parse_or_say_what_they_should_look_like() {
        let a: Anchor = format!("12:{}", "A".repeat(64)).parse().unwrap();
        assert_eq!((a.seq, a.hash.len()), (12, 64));
        assert!("12".parse::<Anchor>().is_err());
        assert!("x:abcd".parse::<Anchor>().is_err());
    }
}
