//! Through PgBouncer in transaction pooling (`.ci/install-pgbouncer` puts a 1.21+ on the
//! machine): every view loads, an action acts as the person who took it, and the live feed
//! sees it, while many client connections share two server connections.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a failed test

mod common;

use chrono::Utc;
use settle::demo::cluster::PrivateCluster;
use settle::demo::pooler::Pooler;
use settle::runtime::stores::Stores;
use settle::store;

/// How many server connections each person's pool gets.
const SERVER_CONNECTIONS: u32 = 2;

#[tokio::test]
async fn views_actions_and_the_feed_work_through_pgbouncer_in_transaction_pooling() {
    let cluster = PrivateCluster::start().unwrap();
    let (_, admin) = cluster.create_store("settle", 2).await.unwrap();
    store::seed::seed(
        &admin,
        store::seed::Scale::Customers(60),
        5,
        common::fixed_now(),
    )
    .await
    .unwrap();
    common::login_role(&admin, "ava", Some("settle_lead")).await;
    let pooler = Pooler::start(&cluster, SERVER_CONNECTIONS).unwrap();
    let ava = store::pool(&pooler.url_as("ava", "settle"), 8)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", pooler.log()));

    // The person is still the person: the pool logs in to the server as ava.
    store::check_schema(&ava).await.unwrap();
    let session = store::session(&ava).await.unwrap();
    assert_eq!(session.user, "ava");

    // Every view, twice (the second time on statements prepared before, on whichever server
    // connection PgBouncer hands out), from eight client connections at once: all eight held
    // open together first, so the pool has them however the loads below interleave.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(ava.acquire().await.unwrap());
    }
    drop(held);
    let now = Utc::now();
    let loads = (0..8).map(|_| {
        let ava = ava.clone();
        tokio::spawn(async move { settle::cli::bench::view_samples(&ava, now, 2, "").await })
    });
    for load in loads {
        let views = load.await.unwrap().unwrap_or_else(|e| panic!("{e}"));
        assert!(views.len() >= 10, "{views:?}");
    }
    assert!(
        ava.size() > SERVER_CONNECTIONS,
        "the clients opened {} connections",
        ava.size()
    );
    let servers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE usename = 'ava' AND datname = 'settle'",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!(
        (1..=i64::from(SERVER_CONNECTIONS)).contains(&servers),
        "{servers} server connections for ava"
    );

    // An action: done as ava, audited as ava, and the feed (through the pooler) sees it.
    let start = store::feed::tail(&ava).await.unwrap();
    let dispute = common::unassigned_dispute(&admin).await;
    let after_admin = store::feed::tail(&ava).await.unwrap();
    let stores = Stores::primary_only(ava.clone());
    common::assign_me(&stores, dispute, "ava").await;
    let actor: String = sqlx::query_scalar(
        "SELECT actor FROM audit_log WHERE entity = 'dispute' AND entity_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(dispute)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(actor, "ava");
    let (changes, _) = store::feed::read_after(&ava, after_admin, 100)
        .await
        .unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c.table == "disputes" && c.key == dispute),
        "{changes:?}"
    );
    let (before, _) = store::feed::read_after(&ava, start, 100).await.unwrap();
    assert!(
        before.len() > changes.len(),
        "the admin's change came first"
    );
}
