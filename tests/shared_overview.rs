//! The overview computed once for everyone: a console on today's overview shows what the
//! worker published when it covers what that console must show (the feed's head, its own last
//! action), and computes the overview itself otherwise; only the worker may publish.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a failed test

mod common;

use chrono::Utc;
use settle::app::state::{AgingParams, OverviewData};
use settle::app::{Data, Effect, Msg};
use settle::domain::aging::{Basis, BucketEdges};
use settle::runtime::effects;
use settle::runtime::shared_overview;
use settle::runtime::stores::Stores;
use settle::store;
use sqlx::PgPool;

const MARK: &str = "published by the worker";

async fn load(stores: &Stores, params: &AgingParams) -> OverviewData {
    let effect = Effect::LoadOverview {
        generation: 1,
        params: params.clone(),
    };
    match effects::run(stores, effect, Utc::now(), "ava").await {
        Some(Msg::Loaded {
            data: Data::Overview(o),
            ..
        }) => *o,
        other => panic!("the overview did not load: {other:?}"),
    }
}

/// Marks the published overview, so a console showing it can be told from one computing it.
async fn mark(admin: &PgPool) {
    sqlx::query("UPDATE overview_snapshot SET data = jsonb_set(data, '{alerts}', to_jsonb(ARRAY[$1::text]))")
        .bind(MARK)
        .execute(admin)
        .await
        .unwrap();
}

/// The feed's head once it has passed `beyond`: another test's transaction open in the same
/// cluster holds every database's readable head back for a moment, as it would a console's.
async fn head_past(pool: &PgPool, beyond: store::feed::Cursor) -> store::feed::Cursor {
    let started = std::time::Instant::now();
    loop {
        let head = store::feed::tail(pool).await.unwrap();
        if head > beyond {
            return head;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the change log's head stays at {head:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn look(pool: &PgPool) -> store::shared_overview::Look {
    store::shared_overview::look(pool).await.unwrap()
}

/// A lead's (`ava`) pool on `db`, and today's overview as the worker publishes it.
async fn lead_on_today(db: &common::TestDb, admin: &PgPool) -> (PgPool, AgingParams) {
    common::login_role(admin, "ava", Some("settle_lead")).await;
    let ava = store::pool(&db.url_as("ava"), 2).await.unwrap();
    let today = store::business_today(admin, Utc::now()).await.unwrap();
    let params = AgingParams {
        as_of: today,
        basis: Basis::Due,
        edges: BucketEdges::default(),
    };
    (ava, params)
}

fn marked(o: &OverviewData) -> bool {
    o.alerts == [MARK.to_string()]
}

#[tokio::test]
async fn a_console_shows_the_published_overview_only_when_it_covers_what_it_must_show() {
    let (db, admin) = common::seeded_db(40, 3).await;
    let (ava, params) = lead_on_today(&db, &admin).await;
    let stores = Stores::primary_only(ava.clone());

    // No worker has published: the console computes it.
    let computed = load(&stores, &params).await;
    assert!(!marked(&computed));

    // Published: the same figures, read from one row.
    assert!(shared_overview::publish(&admin).await.unwrap());
    let published: OverviewData = serde_json::from_value(
        store::shared_overview::read(&ava)
            .await
            .unwrap()
            .unwrap()
            .data,
    )
    .unwrap();
    assert_eq!(published, computed);
    mark(&admin).await;
    assert!(marked(&load(&stores, &params).await));

    // Another as-of date or basis is not what the worker publishes.
    let invoice_basis = AgingParams {
        basis: Basis::Invoice,
        ..params.clone()
    };
    assert!(!marked(&load(&stores, &invoice_basis).await));

    // The feed saw a change the published overview does not cover: not shown (no worker
    // catches up here, so the console computes it after its wait).
    let dispute = common::unassigned_dispute(&admin).await;
    let published = store::shared_overview::read(&ava).await.unwrap().unwrap();
    stores.saw_head(head_past(&ava, published.head).await);
    assert!(!marked(&load(&stores, &params).await));
    assert!(shared_overview::publish(&admin).await.unwrap());
    mark(&admin).await;
    assert!(marked(&load(&stores, &params).await));

    // Her own action: an overview published before it is not shown, one after it is.
    common::assign_me(&stores, dispute, "ava").await;
    assert!(!marked(&load(&stores, &params).await));
    assert!(shared_overview::publish(&admin).await.unwrap());
    mark(&admin).await;
    assert!(marked(&load(&stores, &params).await));

    // A published overview nobody has refreshed for a minute means no worker: computed here.
    sqlx::query("UPDATE overview_snapshot SET polled_at = polled_at - interval '1 minute'")
        .execute(&admin)
        .await
        .unwrap();
    assert!(!marked(&load(&stores, &params).await));
}

#[tokio::test]
async fn only_the_worker_publishes_and_never_backwards() {
    let (db, admin) = common::seeded_db(10, 4).await;
    common::login_role(&admin, "cole", Some("settle_collector")).await;
    common::login_role(&admin, "lena", Some("settle_lead")).await;
    common::login_role(&admin, "wes", Some("settle_worker")).await;
    for person in ["cole", "lena"] {
        let pool = store::pool(&db.url_as(person), 1).await.unwrap();
        let refused = shared_overview::publish(&pool).await.unwrap_err();
        assert!(
            store::plain(&refused_sql(refused)).contains("permission denied"),
            "{person}"
        );
        let write = sqlx::query("DELETE FROM overview_snapshot")
            .execute(&pool)
            .await;
        assert!(write.is_err(), "{person} wrote the snapshot");
    }
    let worker = store::pool(&db.url_as("wes"), 1).await.unwrap();
    assert!(shared_overview::publish(&worker).await.unwrap());
    // An older computation finishing late does not replace a newer one.
    let newest = store::shared_overview::read(&admin).await.unwrap().unwrap();
    let older = store::shared_overview::Published {
        polled_at: newest.polled_at - chrono::Duration::seconds(5),
        data: serde_json::json!({"stale": true}),
        ..newest.clone()
    };
    assert!(
        !store::shared_overview::publish(&worker, &older)
            .await
            .unwrap()
    );
    assert_eq!(
        store::shared_overview::read(&admin)
            .await
            .unwrap()
            .unwrap()
            .data,
        newest.data
    );
}

fn refused_sql(e: store::StoreError) -> sqlx::Error {
    match e {
        store::StoreError::Sql(e) => e,
        other => panic!("not a refusal from the store: {other:?}"),
    }
}

/// A change refreshes only the figures it touches: after a payment the publisher computes the
/// aging and KPIs again and keeps the trust metrics and alerts; after a dispute moves, the
/// other way round.
#[tokio::test]
async fn the_publisher_computes_again_only_the_figures_a_change_touches() {
    let (_db, admin) = common::seeded_db(40, 5).await;
    let mut last = shared_overview::publish_after(&admin, look(&admin).await, None)
        .await
        .unwrap();
    // Marks on what was published, to see which part is computed again.
    last.data.alerts = vec![MARK.to_string()];
    last.data.aging.unapplied += 1;
    let marked_aging = last.data.aging.clone();

    let target = store::bench::open_targets(&admin, 1).await.unwrap();
    store::bench::post_cent(&admin, &target[0], "TOUCH-1")
        .await
        .unwrap();
    head_past(&admin, last.head).await;
    let after_payment = shared_overview::publish_after(&admin, look(&admin).await, Some(&last))
        .await
        .unwrap();
    assert!(
        marked(&after_payment.data),
        "the alerts were computed again"
    );
    assert_ne!(after_payment.data.aging, marked_aging, "the aging was not");
    assert!(after_payment.head > last.head);

    let mut last = after_payment;
    last.data.aging.unapplied += 1;
    let marked_aging = last.data.aging.clone();
    sqlx::query(
        "UPDATE disputes SET assignee_id = NULL
          WHERE id = (SELECT id FROM disputes WHERE state <> 'resolved' ORDER BY id LIMIT 1)",
    )
    .execute(&admin)
    .await
    .unwrap();
    head_past(&admin, last.head).await;
    let after_dispute = shared_overview::publish_after(&admin, look(&admin).await, Some(&last))
        .await
        .unwrap();
    assert!(
        !marked(&after_dispute.data),
        "the alerts were not computed again"
    );
    assert_eq!(after_dispute.data.aging, marked_aging, "the aging was");
    // What was published is what the publisher holds.
    let published: OverviewData = serde_json::from_value(
        store::shared_overview::read(&admin)
            .await
            .unwrap()
            .unwrap()
            .data,
    )
    .unwrap();
    assert_eq!(published, after_dispute.data);
}

/// The number an alert starts with (`✖ 7 orders cleared …` → 7), for the alert that says `what`.
fn alert_count(alerts: &[String], what: &str) -> Option<i64> {
    let line = alerts.iter().find(|a| a.contains(what))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The overview a console computes says the store's own counts in its alerts, each in its own
/// line: orders cleared but held, slipping accounts, messages waiting for a lead.
#[tokio::test]
async fn the_computed_overviews_alerts_say_the_stores_counts() {
    let (db, admin) = common::seeded_db(200, 42).await;
    let (ava, params) = lead_on_today(&db, &admin).await;
    // Three messages waiting for a lead (the seeded book has none).
    sqlx::query(
        "UPDATE outreach SET status = 'pending_approval'
          WHERE id IN (SELECT id FROM outreach WHERE status = 'queued' ORDER BY id LIMIT 3)",
    )
    .execute(&admin)
    .await
    .unwrap();
    let o = load(&Stores::primary_only(ava.clone()), &params).await;
    assert!(!marked(&o));
    let count = |sql: &'static str| {
        let admin = admin.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&admin)
                .await
                .unwrap()
        }
    };
    let held = count("SELECT count(*) FROM holds WHERE status = 'cleared'").await;
    let slipping = count("SELECT count(*) FROM customer_profiles WHERE slipping").await;
    let waiting =
        count("SELECT count(*) FROM outreach WHERE status IN ('pending_approval', 'uncertain')")
            .await;
    assert!(
        held > 0 && slipping > 0 && waiting > 0,
        "{held} {slipping} {waiting}"
    );
    // Different counts, so a line carrying another's number is seen.
    assert!(held != slipping && slipping != waiting && held != waiting);
    for (what, want) in [
        ("cleared but still held", held),
        ("slipping", slipping),
        ("for a lead", waiting),
    ] {
        assert_eq!(
            alert_count(&o.alerts, what),
            Some(want),
            "{what}: {:?}",
            o.alerts
        );
    }
}
