//! `--read-url`: views read from a streaming replica (`pg_basebackup -R`, replaying 400 ms
//! behind on purpose), actions and the feed on the primary. A person's own action and a change
//! the feed saw both show on the next view, though the replica alone would not have them yet.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a failed test

mod common;

use chrono::Utc;
use settle::app::{Data, Effect, Msg};
use settle::demo::cluster::PrivateCluster;
use settle::runtime::effects;
use settle::runtime::stores::Stores;
use settle::store;
use sqlx::PgPool;

async fn case(stores: &Stores, id: i64) -> settle::model::Case {
    match effects::run(
        stores,
        Effect::LoadCase { generation: 1, id },
        Utc::now(),
        "ava",
    )
    .await
    {
        Some(Msg::Loaded {
            data: Data::Case(c),
            ..
        }) => *c,
        other => panic!("the case did not load: {other:?}"),
    }
}

async fn assignee_on(pool: &PgPool, id: i64) -> Option<String> {
    sqlx::query_scalar(
        "SELECT a.display_name FROM disputes d LEFT JOIN agents a ON a.id = d.assignee_id WHERE d.id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn views_on_a_replica_show_the_persons_own_action_and_what_the_feed_saw() {
    let primary = PrivateCluster::start().unwrap();
    let (_, admin) = primary.create_store("settle", 2).await.unwrap();
    store::seed::seed(
        &admin,
        store::seed::Scale::Customers(60),
        5,
        common::fixed_now(),
    )
    .await
    .unwrap();
    common::login_role(&admin, "ava", Some("settle_lead")).await;
    let replica = primary.start_replica(400).unwrap();
    let ava = store::pool(&primary.url_as("ava", "settle"), 2)
        .await
        .unwrap();
    let ava_replica = store::pool(&replica.url_as("ava", "settle"), 2)
        .await
        .unwrap();
    let stores = Stores::with_replica(ava.clone(), ava_replica.clone());
    let dispute = common::unassigned_dispute(&admin).await;
    // What the console knows was committed so far (its first feed poll would say the same).
    stores.after_action().await;
    assert_eq!(case(&stores, dispute).await.line.assignee, None);

    // Her own action: through the primary; the next view waits for the replica to replay it.
    common::assign_me(&stores, dispute, "ava").await;
    assert_eq!(
        assignee_on(&ava_replica, dispute).await,
        None,
        "the replica alone does not have it yet"
    );
    let shown = case(&stores, dispute).await;
    assert!(shown.line.assignee.is_some(), "{:?}", shown.line.assignee);

    // Someone else's change, as the feed sees it on the primary.
    sqlx::query("UPDATE disputes SET assignee_id = NULL WHERE id = $1")
        .bind(dispute)
        .execute(&admin)
        .await
        .unwrap();
    let polled = store::feed::poll(&ava).await.unwrap();
    stores.must_see(polled.wal);
    assert!(assignee_on(&ava_replica, dispute).await.is_some());
    assert_eq!(case(&stores, dispute).await.line.assignee, None);

    // Without a replica nothing waits: the primary answers.
    let direct = Stores::primary_only(ava.clone());
    assert_eq!(case(&direct, dispute).await.line.assignee, None);
    drop(replica);
}
