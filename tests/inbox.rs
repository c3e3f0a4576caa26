//! The relationship owners' inbox: slipping written once per episode, read by its recipient
//! only, unread first.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a failed test

mod common;

use common::{as_role, one, seeded_db};
use settle::store::{inbox, lists::ListQuery};

#[tokio::test]
async fn slipping_is_told_once_per_episode_and_only_the_recipient_reads_it() {
    let (db, admin) = seeded_db(150, 61).await;
    let count = || {
        one(
            &admin,
            "SELECT count(*) FROM notifications WHERE kind = 'slipping'",
        )
    };
    let before = count().await;
    assert!(before > 0, "the seeded book has slipping accounts");
    // Refreshing again while they stay slipping writes nothing more.
    settle::store::refresh_profiles(&admin, common::fixed_now().date_naive())
        .await
        .unwrap();
    assert_eq!(count().await, before);
    // A new episode: an account stops slipping, then starts again.
    let customer = one(
        &admin,
        "SELECT customer_id FROM customer_profiles WHERE slipping ORDER BY 1 LIMIT 1",
    )
    .await;
    for on in [false, true] {
        sqlx::query("UPDATE customer_profiles SET slipping = $2 WHERE customer_id = $1")
            .bind(customer)
            .bind(on)
            .execute(&admin)
            .await
            .unwrap();
    }
    assert!(count().await > before);

    let (owner, id): (String, i64) = sqlx::query_as(
        "SELECT a.role_name, n.id FROM notifications n JOIN agents a ON a.id = n.agent_id
          WHERE n.kind = 'slipping' ORDER BY n.id LIMIT 1",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    let mine = as_role(&db, &owner).await;
    let q = ListQuery {
        limit: 100,
        ..Default::default()
    };
    let page = inbox::inbox(&mine, &q).await.unwrap();
    assert!(page.rows.iter().any(|n| n.id == id && !n.read));
    // Someone else cannot mark it read.
    let ben = as_role(&db, "ben").await;
    assert!(!inbox::read(&ben, id).await.unwrap());
    assert!(
        inbox::inbox(&ben, &q)
            .await
            .unwrap()
            .rows
            .iter()
            .all(|n| n.id != id)
    );
    assert!(inbox::read(&mine, id).await.unwrap());
    assert!(!inbox::read(&mine, id).await.unwrap(), "read once");
    let page = inbox::inbox(&mine, &q).await.unwrap();
    let reads: Vec<bool> = page.rows.iter().map(|n| n.read).collect();
    assert!(
        reads.windows(2).all(|w| !w[0] || w[1]),
        "unread first: {reads:?}"
    );
    assert!(page.rows.iter().any(|n| n.id == id && n.read));
}
