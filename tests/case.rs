//! A dispute's case: its timeline newest first, with assignments and escalations naming whom
//! they went to, and the escalation's target told.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a failed test

mod common;

use common::{as_role, one, seeded_db};
use settle::domain::states::DisputeEvent;
use settle::store::{actions, case};

#[tokio::test]
async fn the_case_shows_the_timeline_newest_first_with_whom_each_step_went_to() {
    let (db, admin) = seeded_db(150, 21).await;
    let ben = as_role(&db, "ben").await;
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state <> 'resolved' AND assignee_id IS NULL AND NOT escalated ORDER BY id LIMIT 1",
    )
    .await;
    actions::assign_dispute(&ben, dispute, None, None)
        .await
        .unwrap();
    actions::escalate_dispute(&ben, dispute, "Customer asks for the CFO")
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let c = case::case(&ben, dispute, now).await.unwrap();
    assert_eq!(c.line.id, dispute);
    assert!(c.line.escalated);
    assert_eq!(c.line.assignee.as_deref(), Some("Ben Okafor"));
    let kinds: Vec<DisputeEvent> = c.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds[0], DisputeEvent::Escalated, "{kinds:?}");
    assert_eq!(kinds[1], DisputeEvent::Assigned, "{kinds:?}");
    assert_eq!(*kinds.last().unwrap(), DisputeEvent::Opened, "{kinds:?}");
    assert!(
        c.events.windows(2).all(|w| w[0].at >= w[1].at),
        "newest first"
    );
    let escalation = &c.events[0];
    assert_eq!(escalation.note, "Customer asks for the CFO");
    let target = escalation
        .target
        .clone()
        .expect("an escalation goes to someone");
    assert_ne!(target, "Ben Okafor", "not back to the person escalating");
    assert_eq!(c.events[1].target.as_deref(), Some("Ben Okafor"));
    assert_eq!(c.events[1].note, "", "nobody had it before");
    let told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications n JOIN agents a ON a.id = n.agent_id
          WHERE n.kind = 'dispute_escalated' AND a.display_name = $1",
    )
    .bind(&target)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(told, 1, "the target is told");
    let audit: String = sqlx::query_scalar(
        "SELECT details->>'to' FROM audit_log WHERE action = 'escalate_dispute' AND entity_id = $1",
    )
    .bind(dispute)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(audit, target);
    assert!(matches!(
        case::case(&ben, 999_999, now).await,
        Err(settle::store::StoreError::Refused(m)) if m.contains("does not exist")
    ));
}
