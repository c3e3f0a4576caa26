//! The store: every SQL statement settle runs lives here or in `migrations/`.
//! Nothing in this module knows about the terminal.

/// SQL for `amount` (a bigint expression in the row's currency) converted at `r.rate_e8`,
/// rounding half away from zero exactly as `domain::money::convert`: in 64-bit integers when
/// the product cannot overflow (every real amount), in numeric otherwise.
pub(crate) fn converted_sql(amount: &str) -> String {
    // As bigint whatever the expression's type (a `sum` is numeric). `settle_convert`
    // (migration 0016) is one SQL expression the planner inlines.
    format!("settle_convert((({amount}))::bigint, r.rate_e8)")
}

pub mod account;
pub mod actions;
pub mod aging;
pub mod audit;
pub mod bench;
pub mod bucket_customers;
pub mod case;
pub mod clock_check;
pub mod dispute_queue;
pub mod disputes;
pub mod feed;
pub mod import;
mod import_changes;
mod import_credit;
pub mod inbox;
pub mod kept;
pub mod kpi;
pub mod ledger;
pub mod lists;
pub mod message;
pub mod outbox;
pub mod promises;
pub mod seed;
pub mod shared_overview;
pub mod slipping;
pub mod summary;
pub mod trust;
pub mod work;
pub mod work_invoices;
pub mod work_kept;
mod work_owners;
mod work_sources;

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use thiserror::Error;

/// The schema this binary was built with.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Errors the console and the commands match on.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot reach the store: {}", plain(.0))]
    Connect(sqlx::Error),
    #[error("the store has no settle schema yet: run `settle migrate`")]
    NotMigrated,
    #[error(
        "the store's schema (version {found}) is older than this settle (version {expected}): run `settle migrate`"
    )]
    SchemaTooOld { found: i64, expected: i64 },
    #[error(
        "the store's schema (version {found}) is newer than this settle knows (version {expected}): upgrade settle"
    )]
    SchemaTooNew { found: i64, expected: i64 },
    #[error(
        "{user} has no settle role on this store; ask a lead to grant one (settle_viewer, settle_collector or settle_lead)"
    )]
    NoRole { user: String },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Refused(String),
    #[error("{}", plain(.0))]
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Sql(e)
    }
}

/// What went wrong, as a person reads it: the server's message without the driver's wrapping
/// or the server's source line.
pub fn plain(e: &sqlx::Error) -> String {
    match e.as_database_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    }
}

/// The newest migration version this binary knows.
pub fn expected_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Connection options from a URL; a `host=/dir` query parameter means a Unix socket. Every
/// connection says which settle process it is (`settle/4242`), so a console can tell others.
pub fn options(url: &str) -> Result<PgConnectOptions, StoreError> {
    let opts = PgConnectOptions::from_str(url).map_err(StoreError::Connect)?;
    Ok(opts.application_name(&format!("settle/{}", std::process::id())))
}

/// Whether the connected role may read contacts' e-mail addresses and phone numbers (viewers
/// may not: their grant leaves those columns out).
pub async fn may_read_contacts(pool: &PgPool) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT has_column_privilege('contacts', 'email', 'SELECT')")
            .fetch_one(pool)
            .await?,
    )
}

/// How many other settle processes are connected to this database now (this one is
/// connected, by the pool that asks).
pub async fn other_settles(pool: &PgPool) -> Result<i64, StoreError> {
    Ok((settles_connected(pool).await? - 1).max(0))
}

/// How many settle processes (consoles, workers) are connected to this database now.
pub async fn settles_connected(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT count(DISTINCT application_name) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name LIKE 'settle/%'",
    )
    .fetch_one(pool)
    .await?)
}

/// A pool on `url` that names itself `app` to the server (`settle/…`), without any schema
/// check: the bench's in-process consoles each count as one settle.
pub async fn pool_named(url: &str, max: u32, app: &str) -> Result<PgPool, StoreError> {
    connect(options(url)?.application_name(app), max).await
}

/// A pool on `url`, without any schema check.
pub async fn pool(url: &str, max: u32) -> Result<PgPool, StoreError> {
    connect(options(url)?, max).await
}

async fn connect(opts: PgConnectOptions, max: u32) -> Result<PgPool, StoreError> {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(opts)
        .await
        .map_err(StoreError::Connect)
}

/// Applies pending migrations.
pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Refuses a store whose schema is older or newer than this binary knows.
pub async fn check_schema(pool: &PgPool) -> Result<(), StoreError> {
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")
            .fetch_one(pool)
            .await?;
    if !exists {
        return Err(StoreError::NotMigrated);
    }
    // Before reading anything a role needs grants for: a login with no settle role is told so.
    let who = sqlx::query_as("SELECT session_user::text, public.settle_role(session_user)")
        .fetch_one(pool)
        .await;
    let (user, role): (String, String) = match who {
        Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("42883") => {
            return Err(StoreError::NotMigrated);
        }
        other => other?,
    };
    if role == "none" {
        return Err(StoreError::NoRole { user });
    }
    let found: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?;
    let expected = expected_version();
    match found {
        None => Err(StoreError::NotMigrated),
        Some(v) if v < expected => Err(StoreError::SchemaTooOld { found: v, expected }),
        Some(v) if v > expected => Err(StoreError::SchemaTooNew { found: v, expected }),
        Some(_) => Ok(()),
    }
}

/// Who is connected: the login role, the settle role it acts with, and its agent name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub user: String,
    #[sqlx(try_from = "String")]
    pub role: crate::domain::states::Role,
    pub agent: Option<String>,
    pub database: String,
    pub host: String,
}

pub async fn session(pool: &PgPool) -> Result<Session, StoreError> {
    Ok(sqlx::query_as(
        "SELECT session_user::text AS user, settle_role() AS role, \
                (SELECT display_name FROM agents WHERE role_name = session_user) AS agent, \
                current_database()::text AS database, \
                coalesce(host(inet_server_addr()), 'local socket') AS host",
    )
    .fetch_one(pool)
    .await?)
}

/// The store's settings (reporting currency, business time zone).
pub async fn setting(pool: &PgPool, key: &str) -> Result<String, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(pool)
            .await?,
    )
}

/// The store's business time zone.
pub async fn business_zone(pool: &PgPool) -> Result<chrono_tz::Tz, StoreError> {
    let zone = setting(pool, "business_time_zone").await?;
    zone.parse().map_err(|_| {
        StoreError::Refused(format!(
            "settings.business_time_zone `{zone}` is not a time zone"
        ))
    })
}

/// Today in the store's business time zone.
pub async fn business_today(
    pool: &PgPool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::NaiveDate, StoreError> {
    Ok(now.with_timezone(&business_zone(pool).await?).date_naive())
}

/// Decimal places of every currency the store knows.
pub async fn currency_exponents(
    pool: &PgPool,
) -> Result<std::collections::BTreeMap<String, u32>, StoreError> {
    let rows: Vec<(String, i16)> = sqlx::query_as("SELECT code::text, minor_units FROM currencies")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|(c, e)| (c, e as u32)).collect())
}

/// Decimal places of the reporting currency.
pub async fn currency_exponent(pool: &PgPool) -> Result<u32, StoreError> {
    let e: i16 = sqlx::query_scalar(
        "SELECT minor_units FROM currencies WHERE code = (SELECT value FROM settings WHERE key = 'reporting_currency')",
    )
    .fetch_one(pool)
    .await?;
    Ok(e as u32)
}

/// Recomputes every customer's payment rhythm and segment as of `today`.
pub async fn refresh_profiles(pool: &PgPool, today: chrono::NaiveDate) -> Result<(), StoreError> {
    sqlx::query("SELECT refresh_customer_profiles($1)")
        .bind(today)
        .execute(pool)
        .await?;
    Ok(())
}

/// Orders cleared but still held, accounts slipping, promises broken in the last 7 days, and
/// messages waiting for a lead (approval, or an uncertain send): the overview's alert counts
/// but the disputes', which come from their clocks.
pub async fn alert_counts(pool: &PgPool) -> Result<crate::domain::alerts::AlertCounts, StoreError> {
    let (cleared_but_held, slipping, promises_broken, messages_waiting) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM holds WHERE status = 'cleared'), (SELECT count(*) FROM customer_profiles WHERE slipping),
                (SELECT count(*) FROM promises WHERE status = 'broken' AND closed_on > (SELECT settle_today()) - 7),
                (SELECT count(*) FROM outreach WHERE status IN ('pending_approval', 'uncertain'))",
    )
    .fetch_one(pool)
    .await?;
    Ok(crate::domain::alerts::AlertCounts {
        cleared_but_held,
        slipping,
        promises_broken,
        messages_waiting,
        ..Default::default()
    })
}

/// A customer's segment (its override if any), `standard` if it has no profile yet.
pub async fn customer_segment(pool: &PgPool, customer: i64) -> Result<String, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT coalesce(c.segment_override, p.segment, 'standard') FROM customers c
           LEFT JOIN customer_profiles p ON p.customer_id = c.id WHERE c.id = $1",
    )
    .bind(customer)
    .fetch_one(pool)
    .await?)
}

/// The agent id for a display name (what a console saw as a dispute's assignee).
pub async fn agent_id_by_name(pool: &PgPool, name: &str) -> Result<Option<i32>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM agents WHERE display_name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await?,
    )
}

/// Agents a dispute can be given to (collectors and leads), by name.
pub async fn assignable_agents(pool: &PgPool) -> Result<Vec<(i32, String)>, StoreError> {
    Ok(sqlx::query_as("SELECT id, display_name FROM agents WHERE title IN ('collector', 'lead') ORDER BY display_name")
        .fetch_all(pool)
        .await?)
}

/// Creates an empty database `name` on the server `admin` is connected to, migrates it, and
/// returns a pool on it. `url` is that database's connection URL.
pub async fn create_store(
    admin: &PgPool,
    name: &str,
    url: &str,
    connections: u32,
) -> Result<PgPool, StoreError> {
    // The name is an identifier from our own code (demo, bench), quoted, never user input.
    let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', ""));
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(admin).await?;
    let store = pool(url, connections).await?;
    migrate(&store).await?;
    Ok(store)
}
