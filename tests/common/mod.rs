//! Shared test support: one private cluster per test process, a fresh database per test
//! cloned from a migrated template, or `DATABASE_URL` when it is set.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};
use settle::demo::cluster::PrivateCluster;
use sqlx::PgPool;

static CLUSTER: OnceLock<Base> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// Where test databases are made: our private cluster or the server in DATABASE_URL.
struct Base {
    _cluster: Option<PrivateCluster>,
    admin_url: String,
}

impl Base {
    fn url_for(&self, db: &str) -> String {
        let (before, after) = self
            .admin_url
            .split_once('?')
            .map_or((self.admin_url.as_str(), None), |(b, a)| (b, Some(a)));
        let base = before.rsplit_once('/').map_or(before, |(b, _)| b);
        match after {
            Some(q) => format!("{base}/{db}?{q}"),
            None => format!("{base}/{db}"),
        }
    }
}

fn base() -> &'static Base {
    CLUSTER.get_or_init(|| {
        let (cluster, admin_url) = match std::env::var("DATABASE_URL") {
            Ok(url) => (None, url),
            Err(_) => {
                let c = PrivateCluster::start().expect("private cluster starts");
                let url = c.url("postgres");
                (Some(c), url)
            }
        };
        let base = Base {
            _cluster: cluster,
            admin_url,
        };
        // A migrated template, made once per process on its own runtime.
        let template_url = base.url_for("settle_template");
        let admin = base.admin_url.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async move {
                    let pool = settle::store::pool(&admin, 1)
                        .await
                        .expect("admin connection");
                    let _ = sqlx::query("DROP DATABASE IF EXISTS settle_template")
                        .execute(&pool)
                        .await;
                    sqlx::query("CREATE DATABASE settle_template")
                        .execute(&pool)
                        .await
                        .expect("template created");
                    let tpl = settle::store::pool(&template_url, 1)
                        .await
                        .expect("template connection");
                    settle::store::migrate(&tpl)
                        .await
                        .expect("migrations apply");
                    tpl.close().await;
                })
        })
        .join()
        .expect("template thread");
        base
    })
}

/// A fresh, migrated, empty database for one test.
pub struct TestDb {
    pub url: String,
    pub name: String,
}

impl TestDb {
    pub async fn pool(&self) -> PgPool {
        settle::store::pool(&self.url, 8)
            .await
            .expect("test database connection")
    }

    /// A URL for this database as another login role.
    pub fn url_as(&self, user: &str) -> String {
        self.url
            .replacen("postgres://postgres@", &format!("postgres://{user}@"), 1)
    }
}

pub async fn fresh_db() -> TestDb {
    let base = base();
    let name = format!(
        "t{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::SeqCst)
    );
    let admin = settle::store::pool(&base.admin_url, 1)
        .await
        .expect("admin connection");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE settle_template"
    )))
    .execute(&admin)
    .await
    .expect("test database created");
    admin.close().await;
    TestDb {
        url: base.url_for(&name),
        name,
    }
}

/// The fixed "now" every seeded test uses, so figures are reproducible.
pub fn fixed_now() -> DateTime<Utc> {
    "2026-11-20T15:30:00Z".parse().unwrap()
}

/// An overview with nothing in it (no invoices, no disputes) as of `now`, in USD: for tests
/// of what the console does around an overview rather than of its figures.
pub fn empty_overview(now: DateTime<Utc>) -> settle::app::state::OverviewData {
    let aging = settle::domain::aging::AgingSummary {
        as_of: now.date_naive(),
        basis: Default::default(),
        currency: "USD".into(),
        lines: vec![],
        unapplied: 0,
    };
    let inputs = settle::domain::kpi::KpiInputs {
        beginning_receivables: 0,
        credit_sales: 0,
        ending_total_receivables: 0,
        ending_current_receivables: 0,
        days: 1,
        months: 1,
    };
    settle::app::state::OverviewData {
        aging,
        kpis: settle::domain::kpi::kpis(inputs, &[]),
        trust: settle::domain::trust::trust_metrics(now, 30, &[], &[]),
        alerts: vec![],
    }
}

/// The console drawn from `state` on a `w`×`h` test terminal.
pub fn draw(
    state: &settle::app::state::State,
    theme: &settle::ui::Theme,
    w: u16,
    h: u16,
) -> ratatui::buffer::Buffer {
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    term.draw(|f| settle::ui::render(f, state, theme)).unwrap();
    term.backend().buffer().clone()
}

/// A fresh database seeded with `customers` demo customers.
pub async fn seeded_db(customers: usize, seed: u64) -> (TestDb, PgPool) {
    let db = fresh_db().await;
    let pool = db.pool().await;
    settle::store::seed::seed(
        &pool,
        settle::store::seed::Scale::Customers(customers),
        seed,
        fixed_now(),
    )
    .await
    .expect("seed loads");
    (db, pool)
}

/// A fresh database with no schema at all, for tests of the migrations themselves.
pub async fn empty_db() -> TestDb {
    let base = base();
    let name = format!(
        "e{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::SeqCst)
    );
    let admin = settle::store::pool(&base.admin_url, 1)
        .await
        .expect("admin connection");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("empty database created");
    admin.close().await;
    TestDb {
        url: base.url_for(&name),
        name,
    }
}

/// A pool logged in as `role` on this database.
pub async fn as_role(db: &TestDb, role: &str) -> PgPool {
    settle::store::pool(&db.url_as(role), 2).await.unwrap()
}

/// The SQLSTATE of a database error ("" for any other error).
pub fn code(e: sqlx::Error) -> String {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.to_string())
        .unwrap_or_default()
}

/// Audit rows for one action on one entity.
pub async fn audit_count(pool: &PgPool, action: &str, entity_id: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1 AND entity_id = $2")
        .bind(action)
        .bind(entity_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The single bigint a query returns.
pub async fn one(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A login role in `group` (roles are cluster-wide: made once, kept across tests and runs).
pub async fn login_role(admin: &PgPool, name: &str, group: Option<&str>) {
    let member = group.map_or(String::new(), |g| format!(" IN ROLE {g}"));
    // Names from the tests' own constants, never input.
    let sql = format!(
        "DO $$ BEGIN CREATE ROLE {name} LOGIN{member}; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(admin)
        .await
        .unwrap();
}

/// The one USD customer the property tests' random books belong to.
pub async fn property_customer(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO customers (code, name, region, terms_days, credit_limit_minor, currency, reporting_currency)
         VALUES ('P', 'Prop', 'X', 30, 0, 'USD', 'USD') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The first open dispute, made unassigned: its id.
#[allow(dead_code)] // not every test binary takes a dispute
pub async fn unassigned_dispute(admin: &PgPool) -> i64 {
    sqlx::query_scalar(
        "UPDATE disputes SET assignee_id = NULL
          WHERE id = (SELECT id FROM disputes WHERE state <> 'resolved' ORDER BY id LIMIT 1) RETURNING id",
    )
    .fetch_one(admin)
    .await
    .unwrap()
}

/// `user` takes `dispute` from a console (the effect a confirmed `a` runs); fails the test if
/// the store refuses.
#[allow(dead_code)] // not every test binary acts
pub async fn assign_me(stores: &settle::runtime::stores::Stores, dispute: i64, user: &str) {
    let acted = settle::runtime::effects::run(
        stores,
        settle::app::Effect::Act(settle::app::dialog::Request::AssignMe {
            dispute,
            seen: None,
        }),
        Utc::now(),
        user,
    )
    .await;
    assert!(
        matches!(acted, Some(settle::app::Msg::Acted(Ok(_)))),
        "{acted:?}"
    );
}

/// An open dispute on wall-clock hours, opened and measured at `now`, as the queue lists it.
pub fn open_dispute(id: i64, now: DateTime<Utc>) -> settle::model::DisputeLine {
    settle::model::DisputeLine {
        id,
        customer_id: 1,
        number: format!("DSP-{id:05}"),
        customer: "Acme".into(),
        segment: "standard".into(),
        invoice: "INV-1".into(),
        category: "tax".into(),
        state: "open".parse().unwrap(),
        amount: 100,
        currency: "USD".into(),
        assignee: None,
        escalated: false,
        opened_at: now,
        policy: "Standard (business hours)".into(),
        first_response: Default::default(),
        resolution: Default::default(),
        measured_at: now,
        clock: settle::domain::sla::Clock::Wall,
        watchers: vec![],
    }
}
