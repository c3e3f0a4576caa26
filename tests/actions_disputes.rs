//! Disputes from many consoles: one winner per race with a message naming them, clocks that stop on the first response, presence.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use common::{as_role, audit_count, one, seeded_db};
use settle::domain::states::{DisputeOutcome, DisputeState};
use settle::store::actions::{self, ActionError};

#[tokio::test]
async fn two_collectors_racing_for_a_dispute_get_one_winner_and_a_message_naming_them() {
    let (db, admin) = seeded_db(200, 42).await;
    let dispute = one(&admin, "SELECT id FROM disputes WHERE assignee_id IS NULL AND state <> 'resolved' ORDER BY id LIMIT 1").await;
    let (ben, chloe) = (as_role(&db, "ben").await, as_role(&db, "chloe").await);
    let (rb, rc) = tokio::join!(
        actions::assign_dispute(&ben, dispute, None, None),
        actions::assign_dispute(&chloe, dispute, None, None)
    );
    let results = [rb, rc];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let winner: String = sqlx::query_scalar("SELECT a.display_name FROM disputes d JOIN agents a ON a.id = d.assignee_id WHERE d.id = $1")
        .bind(dispute)
        .fetch_one(&admin)
        .await
        .unwrap();
    match results.iter().find_map(|r| r.as_ref().err()).unwrap() {
        ActionError::Conflict(msg) => assert!(
            msg.contains(&format!("was assigned to {winner} at ")),
            "{msg}"
        ),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(audit_count(&admin, "assign_dispute", dispute).await, 1);
    // A collector may not hand a dispute to someone else; a lead may.
    let dev = one(
        &admin,
        "SELECT id::bigint FROM agents WHERE role_name = 'dev'",
    )
    .await as i32;
    let current = one(
        &admin,
        &format!("SELECT assignee_id::bigint FROM disputes WHERE id = {dispute}"),
    )
    .await as i32;
    assert!(matches!(
        actions::assign_dispute(&ben, dispute, Some(dev), Some(current)).await,
        Err(ActionError::Forbidden(_))
    ));
    actions::assign_dispute(
        &as_role(&db, "ava").await,
        dispute,
        Some(dev),
        Some(current),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn responding_stops_the_first_response_clock_and_moves_follow_the_states() {
    let (db, admin) = seeded_db(200, 42).await;
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state = 'open' ORDER BY id LIMIT 1",
    )
    .await;
    let ben = as_role(&db, "ben").await;
    actions::respond_dispute(&ben, dispute, "Looking into the pricing now.")
        .await
        .unwrap();
    let (state, first): (String, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("SELECT state, first_response_at FROM disputes WHERE id = $1")
            .bind(dispute)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(state, "investigating");
    let first = first.expect("first response recorded");
    actions::respond_dispute(&ben, dispute, "Second note.")
        .await
        .unwrap();
    let again: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT first_response_at FROM disputes WHERE id = $1")
            .bind(dispute)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(again, first, "only the first response stops the clock");
    assert!(matches!(
        actions::move_dispute(
            &ben,
            dispute,
            DisputeState::Investigating,
            DisputeState::Open,
            None,
            None,
            ""
        )
        .await,
        Err(ActionError::Refused(_))
    ));
    let stale = actions::move_dispute(
        &ben,
        dispute,
        DisputeState::Open,
        DisputeState::Investigating,
        None,
        None,
        "",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&stale, ActionError::Conflict(m) if m.contains("is investigating now, not open (moved by Ben Okafor")),
        "{stale:?}"
    );
    actions::move_dispute(
        &ben,
        dispute,
        DisputeState::Investigating,
        DisputeState::AwaitingCustomer,
        None,
        None,
        "asked for the PO",
    )
    .await
    .unwrap();
    actions::move_dispute(
        &ben,
        dispute,
        DisputeState::AwaitingCustomer,
        DisputeState::Investigating,
        None,
        None,
        "",
    )
    .await
    .unwrap();
    assert!(matches!(
        actions::move_dispute(
            &ben,
            dispute,
            DisputeState::Investigating,
            DisputeState::Resolved,
            None,
            None,
            ""
        )
        .await,
        Err(ActionError::Refused(_))
    ));
    actions::move_dispute(
        &ben,
        dispute,
        DisputeState::Investigating,
        DisputeState::Resolved,
        Some(DisputeOutcome::PartiallyCredited),
        Some(100),
        "half",
    )
    .await
    .unwrap();
    let (state, credited): (String, Option<i64>) =
        sqlx::query_as("SELECT state, credited_minor::bigint FROM disputes WHERE id = $1")
            .bind(dispute)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!((state.as_str(), credited), ("resolved", Some(100)));
    let vic = as_role(&db, "vic").await;
    assert!(matches!(
        actions::respond_dispute(&vic, dispute, "hi").await,
        Err(ActionError::Forbidden(_))
    ));
}

#[tokio::test]
async fn a_dispute_row_shows_who_else_is_working_it() {
    let (db, admin) = seeded_db(200, 42).await;
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state <> 'resolved' ORDER BY id LIMIT 1",
    )
    .await;
    let (ben, chloe) = (as_role(&db, "ben").await, as_role(&db, "chloe").await);
    actions::touch_presence(&chloe, "dispute", dispute)
        .await
        .unwrap();
    actions::touch_presence(&ben, "dispute", dispute)
        .await
        .unwrap();
    let q = settle::store::lists::ListQuery {
        limit: 1000,
        ..Default::default()
    };
    let rows = settle::store::disputes::open_disputes(&ben, &q, chrono::Utc::now())
        .await
        .unwrap();
    let row = rows.iter().find(|d| d.id == dispute).unwrap();
    assert_eq!(row.watchers, ["Chloe Martin"], "others, not me");
    let viewer = as_role(&db, "vic").await;
    assert!(matches!(
        actions::touch_presence(&viewer, "dispute", dispute).await,
        Err(ActionError::Forbidden(_))
    ));
}

#[tokio::test]
async fn a_late_first_response_stays_breached_in_the_queue_and_the_alerts() {
    let (db, admin) = seeded_db(200, 42).await;
    // An unassigned open dispute on calendar hours (24 h to respond, 5 days to resolve), raised
    // 51 hours ago: the response is 27 hours late, the resolution clock still has time.
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state <> 'resolved' AND assignee_id IS NULL ORDER BY id LIMIT 1",
    )
    .await;
    sqlx::query(
        "UPDATE disputes SET opened_at = now() - interval '51 hours', first_response_at = NULL, state = 'open',
                policy_id = (SELECT id FROM sla_policies WHERE calendar_id IS NULL ORDER BY id LIMIT 1)
          WHERE id = $1",
    )
    .bind(dispute)
    .execute(&admin)
    .await
    .unwrap();
    let ben = as_role(&db, "ben").await;
    actions::respond_dispute(&ben, dispute, "Sorry for the wait; looking now.")
        .await
        .unwrap();
    let q = settle::store::lists::ListQuery {
        limit: 500,
        ..Default::default()
    };
    let queue = settle::store::disputes::open_disputes(&admin, &q, chrono::Utc::now())
        .await
        .unwrap();
    let d = queue.iter().find(|d| d.id == dispute).unwrap();
    assert!(d.first_response.stopped);
    assert!(
        d.first_response
            .late_by()
            .is_some_and(|m| (26 * 60..28 * 60).contains(&m)),
        "{:?}",
        d.first_response
    );
    assert_ne!(
        d.resolution.state(),
        settle::domain::sla::SlaState::Breached,
        "only the response was late"
    );
    assert_eq!(
        settle::store::disputes::worst(d),
        settle::domain::sla::SlaState::Breached,
        "answering late does not clear the breach"
    );
}
