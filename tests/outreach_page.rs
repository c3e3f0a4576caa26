//! `:outreach`'s counts come from what the store keeps by status (migration 0022): after
//! random inserts, status changes, deletes, rollbacks and folds, they equal a count of the
//! messages themselves, and every `status:` filter's total equals the messages it names.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a failed test

mod common;

use common::{as_role, one, seeded_db};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use settle::store::lists::{ListQuery, outreach};
use settle::store::summary;
use sqlx::PgPool;

const STATUSES: [&str; 5] = ["draft", "queued", "sent", "failed", "cancelled"];

/// Every status the kept counts or the messages name, where the two differ.
async fn differences(pool: &PgPool) -> Vec<(String, i64, i64)> {
    summary::outreach_counts(pool)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, kept, counted)| kept != counted)
        .collect()
}

/// Copies `n` seeded messages as new ones (no invoice, no hold) in `status`.
async fn insert(pool: &PgPool, n: i64, status: &str) {
    sqlx::query(
        "INSERT INTO outreach (customer_id, purpose, channel, tone, subject, body, send_after, status, sent_at)
         SELECT customer_id, purpose, channel, tone, subject, body, send_after, $2,
                CASE WHEN $2 = 'sent' THEN now() END
           FROM outreach ORDER BY id LIMIT $1",
    )
    .bind(n)
    .bind(status)
    .execute(pool)
    .await
    .unwrap();
}

/// Moves `n` of the test's own messages (after `first`) into random statuses, in one statement.
async fn shuffle(pool: &PgPool, rng: &mut StdRng, first: i64, n: i64) {
    let to: Vec<String> = (0..n)
        .map(|_| STATUSES[rng.random_range(0..STATUSES.len())].to_string())
        .collect();
    sqlx::query(
        "WITH pick AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM outreach
                        WHERE id > $1 ORDER BY id LIMIT cardinality($2::text[]))
         UPDATE outreach m SET status = ($2::text[])[pick.k],
                sent_at = CASE WHEN ($2::text[])[pick.k] = 'sent' THEN coalesce(m.sent_at, now()) END
           FROM pick WHERE pick.id = m.id",
    )
    .bind(first + rng.random_range(0..20))
    .bind(&to)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn kept_message_counts_follow_every_change_and_answer_status_filters() {
    let (db, admin) = seeded_db(150, 7).await;
    assert_eq!(differences(&admin).await, vec![], "as seeded");
    let first = one(&admin, "SELECT max(id) FROM outreach").await;
    let mut rng = StdRng::seed_from_u64(22);
    for round in 0..30 {
        match rng.random_range(0..5) {
            0 | 1 => insert(&admin, rng.random_range(1..8), STATUSES[round % 5]).await,
            2 => {
                let n = rng.random_range(1..12);
                shuffle(&admin, &mut rng, first, n).await;
            }
            3 => {
                sqlx::query(
                    "DELETE FROM outreach WHERE id IN (SELECT id FROM outreach WHERE id > $1 ORDER BY id DESC LIMIT $2)",
                )
                .bind(first)
                .bind(rng.random_range(1..4_i64))
                .execute(&admin)
                .await
                .unwrap();
            }
            _ => {
                let folded = summary::fold(&admin).await.unwrap();
                let pending = one(&admin, "SELECT count(*) FROM outreach_count_deltas").await;
                assert_eq!(pending, 0, "round {round}: folded {folded}, none pending");
            }
        }
        // A change rolled back leaves no delta behind.
        let mut tx = admin.begin().await.unwrap();
        sqlx::query("UPDATE outreach SET status = 'cancelled', sent_at = NULL WHERE id > $1")
            .bind(first)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(differences(&admin).await, vec![], "round {round}");
    }
    let moved: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outreach WHERE id > $1 AND status IN ('failed', 'cancelled')",
    )
    .bind(first)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!(moved > 0, "the rounds moved messages between statuses");

    // Every reader's totals, the kept counts' and the full count's paths alike.
    let ben = as_role(&db, "ben").await;
    for filter in [
        "",
        "status:queued",
        "status:SENT",
        "status:failed",
        "tone:friendly",
        "status:draft tone:firm",
    ] {
        let q = ListQuery {
            filter: settle::filter::Filter::parse(filter),
            limit: 5,
            ..ListQuery::default()
        };
        let total = outreach(&ben, &q).await.unwrap().total;
        let (status, tone) = match filter {
            "status:draft tone:firm" => ("draft", "firm"),
            "tone:friendly" => ("%", "friendly"),
            f => (f.strip_prefix("status:").unwrap_or("%"), "%"),
        };
        let counted: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outreach WHERE status ILIKE $1 AND tone ILIKE $2",
        )
        .bind(status)
        .bind(tone)
        .fetch_one(&admin)
        .await
        .unwrap();
        assert_eq!(total, counted, "`{filter}`");
    }

    // A kept count knocked out of step is found.
    sqlx::query("UPDATE outreach_counts SET n = n + 1 WHERE status = 'sent'")
        .execute(&admin)
        .await
        .unwrap();
    let off = differences(&admin).await;
    assert_eq!(off.len(), 1, "{off:?}");
    assert_eq!(off[0].1, off[0].2 + 1);
}
