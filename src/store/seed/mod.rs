//! `settle seed`: a deterministic, realistic demo AR book, loaded with COPY.

mod book;
mod copy;
mod names;
mod reference;
mod work;

use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::{Connection, PgConnection, PgPool};

use super::StoreError;
use book::Ledger;
use copy::CopyTable;
use work::Work;

/// How big a demo book to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Small,
    Medium,
    Large,
    Customers(usize),
}

impl Scale {
    pub fn customers(self) -> usize {
        match self {
            Scale::Small => 200,
            Scale::Medium => 5_000,
            Scale::Large => 50_000,
            Scale::Customers(n) => n,
        }
    }
}

impl FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "small" => Ok(Scale::Small),
            "medium" => Ok(Scale::Medium),
            "large" => Ok(Scale::Large),
            n => match n.parse::<usize>() {
                Ok(c) if (1..=1_000_000).contains(&c) => Ok(Scale::Customers(c)),
                _ => Err(format!(
                    "scale `{n}` is not small, medium, large or a number of customers (1 to 1000000)"
                )),
            },
        }
    }
}

/// What a seed run loaded and how long it took.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub rows: Vec<(&'static str, u64)>,
    pub generate: Duration,
    pub load: Duration,
    pub finish: Duration,
}

impl SeedReport {
    pub fn count(&self, table: &str) -> u64 {
        self.rows
            .iter()
            .filter(|(t, _)| *t == table)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn total(&self) -> Duration {
        self.generate + self.load + self.finish
    }
}

/// Seeds an empty, migrated store. `now` anchors every date, so the demo is always current
/// and a fixed `now` with a fixed seed gives the same book.
pub async fn seed(
    pool: &PgPool,
    scale: Scale,
    seed: u64,
    now: DateTime<Utc>,
) -> Result<SeedReport, StoreError> {
    let mut conn = pool.acquire().await?;
    let (superuser, customers): (bool, i64) =
        sqlx::query_as("SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), (SELECT count(*) FROM customers)")
            .fetch_one(&mut *conn)
            .await?;
    if !superuser {
        return Err(StoreError::Refused(
            "settle seed loads with triggers off and needs a superuser connection; use `settle demo` for a private store".into(),
        ));
    }
    if customers > 0 {
        return Err(StoreError::Refused(format!(
            "the store already holds {customers} customers; seed only an empty store"
        )));
    }
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let today = super::business_today(pool, now).await?;
    let mut ledger = Ledger::default();
    let mut work = Work::new(scale.customers());
    for index in 0..scale.customers() {
        let customer = ledger.customer(&mut rng, index);
        let invoices = ledger.invoices(&mut rng, &customer, today);
        if rng.random_range(0..100) < 2 {
            ledger.loose_credit(&mut rng, &customer, today);
        }
        work.customer(&mut rng, &customer, &invoices, now);
    }
    let generate = started.elapsed();

    let started = Instant::now();
    let mut tx = conn.begin().await?;
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await?;
    reference::insert(&mut tx, &mut rng, today).await?;
    let mut rows = Vec::new();
    for table in ledger.tables().into_iter().chain(work.tables()) {
        if table.name == "audit_log" {
            // The audit trail goes in through its chain trigger, so every row is hashed.
            sqlx::query("SET LOCAL session_replication_role = origin")
                .execute(&mut *tx)
                .await?;
        }
        copy_table(&mut tx, table).await?;
        rows.push((table.name, table.rows));
    }
    sqlx::query(
        "DO $$ DECLARE t text; BEGIN \
           FOREACH t IN ARRAY ARRAY['customers','contacts','invoices','payments','credit_notes','allocations', \
                                    'orders','holds','disputes','dispute_events','promises','outreach'] LOOP \
             EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), greatest(1, (SELECT max(id) FROM %I)))', t, t); \
           END LOOP; END $$",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let load = started.elapsed();

    let started = Instant::now();
    // The calendars, disputes and messages went in with triggers off: the clocks and the
    // message counts the store keeps.
    sqlx::query("SELECT settle_measure_all(), rebuild_outreach_counts()")
        .execute(&mut *conn)
        .await?;
    // VACUUM sets the visibility map, so aging reads open items from the index alone. It can
    // mark a page all-visible only once the inserting commit is flushed; with asynchronous
    // commit (the private cluster's setting) the per-table commits of VACUUM (ANALYZE) itself
    // keep the commit-LSN group unflushed, so this session commits synchronously.
    for step in [
        "SET synchronous_commit = on",
        "CHECKPOINT",
        "VACUUM (ANALYZE)",
    ] {
        sqlx::raw_sql(step).execute(&mut *conn).await?;
    }
    drop(conn);
    super::refresh_profiles(pool, today).await?;
    // The book went in with triggers off: build the overview's summaries from it.
    super::summary::rebuild(pool, Some(today)).await?;
    super::summary::remember(
        pool,
        crate::domain::kpi::Period::overview(today).opening_day(),
    )
    .await?;
    // The summaries went in after the VACUUM above: set their visibility maps too, so the
    // customers of a bucket are counted from the index alone from the first look.
    let mut conn = pool.acquire().await?;
    for step in [
        "SET synchronous_commit = on",
        "VACUUM (ANALYZE) open_summary, sales_summary, customer_buckets, customer_profiles",
    ] {
        sqlx::raw_sql(step).execute(&mut *conn).await?;
    }
    drop(conn);
    // Profiles are fresh as of today: the worker's daily refresh need not run again at once.
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('profiles_refreshed_on', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
    )
    .bind(today.to_string())
    .execute(pool)
    .await?;
    Ok(SeedReport {
        rows,
        generate,
        load,
        finish: started.elapsed(),
    })
}

async fn copy_table(conn: &mut PgConnection, table: &mut CopyTable) -> Result<(), StoreError> {
    let mut copy = conn.copy_in_raw(&table.statement()).await?;
    for chunk in table.buf.as_bytes().chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    copy.finish().await?;
    table.buf = String::new();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_parse() {
        assert_eq!("small".parse::<Scale>(), Ok(Scale::Small));
        assert_eq!("1234".parse::<Scale>(), Ok(Scale::Customers(1234)));
        assert!("huge".parse::<Scale>().is_err());
        assert!("0".parse::<Scale>().is_err());
        assert_eq!(Scale::Large.customers(), 50_000);
    }
}
