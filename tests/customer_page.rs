//! The customer page's store side: search that ignores case and accents, contacts for those
//! who may read them, promises with their invoices, and a lead's segment override.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a failed test

mod common;

use common::{as_role, audit_count, code, one, seeded_db};
use settle::domain::segment::Segment;
use settle::store::{account, actions};

#[tokio::test]
async fn cust_ignores_accents_and_case_and_offers_every_match() {
    let (_db, admin) = seeded_db(200, 31).await;
    sqlx::query(
        "UPDATE customers SET name = CASE id WHEN 1 THEN 'Søndergaard Foods plc' WHEN 2 THEN 'Łódź Textiles AG'
                                             WHEN 3 THEN 'Łódź Logistics AG' ELSE name END WHERE id IN (1, 2, 3)",
    )
    .execute(&admin)
    .await
    .unwrap();
    let names = |found: Vec<(i64, String, String)>| -> Vec<String> {
        found.into_iter().map(|(_, _, n)| n).collect()
    };
    let found = names(
        account::find_customers(&admin, "sondergaard")
            .await
            .unwrap(),
    );
    assert!(
        found.contains(&"Søndergaard Foods plc".to_string()),
        "{found:?}"
    );
    let found = names(account::find_customers(&admin, "LODZ").await.unwrap());
    assert!(
        found.contains(&"Łódź Textiles AG".to_string())
            && found.contains(&"Łódź Logistics AG".to_string()),
        "{found:?}"
    );
    let code: String = sqlx::query_scalar("SELECT code FROM customers WHERE id = 2")
        .fetch_one(&admin)
        .await
        .unwrap();
    let exact = account::find_customers(&admin, &code.to_lowercase())
        .await
        .unwrap();
    assert_eq!(exact.len(), 1, "an exact code is the one customer");
    assert_eq!(exact[0].0, 2);
    assert!(
        account::find_customers(&admin, "%")
            .await
            .unwrap()
            .is_empty(),
        "% is a character, not a wildcard"
    );
}

#[tokio::test]
async fn contacts_show_to_collectors_not_viewers_and_promises_name_their_invoices() {
    let (db, admin) = seeded_db(200, 32).await;
    let customer = one(
        &admin,
        "SELECT c.customer_id FROM contacts c JOIN promises p ON p.customer_id = c.customer_id ORDER BY 1 LIMIT 1",
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let (ben, vic) = (as_role(&db, "ben").await, as_role(&db, "vic").await);
    let seen = account::account(&ben, customer, today).await.unwrap();
    assert!(!seen.contacts.is_empty());
    assert!(seen.contacts.iter().any(|c| c.email.is_some()));
    assert!(!seen.promises.is_empty());
    assert!(seen.promises.iter().all(|p| p.invoice.is_some()));
    let viewer = account::account(&vic, customer, today).await.unwrap();
    assert!(viewer.contacts.is_empty(), "viewers may not read contacts");
    assert_eq!(viewer.promises.len(), seen.promises.len());
}

#[tokio::test]
async fn only_a_lead_overrides_a_segment_and_it_is_audited() {
    let (db, admin) = seeded_db(120, 33).await;
    let customer = one(&admin, "SELECT id FROM customers ORDER BY id LIMIT 1").await;
    let (ava, ben) = (as_role(&db, "ava").await, as_role(&db, "ben").await);
    let err = actions::set_segment_override(&ben, customer, Some(Segment::Vip), "because")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
    let raw = sqlx::query("SELECT set_segment_override($1, 'vip', 'because')")
        .bind(customer)
        .execute(&ben)
        .await
        .unwrap_err();
    assert_eq!(code(raw), "42501");
    actions::set_segment_override(&ava, customer, Some(Segment::Vip), "Strategic partner")
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let a = account::account(&ava, customer, today).await.unwrap();
    assert_eq!(a.segment, "vip");
    assert_eq!(a.segment_reason, "override: Strategic partner");
    assert_eq!(audit_count(&admin, "segment_override", customer).await, 1);
    actions::set_segment_override(&ava, customer, None, "")
        .await
        .unwrap();
    assert_eq!(audit_count(&admin, "segment_override", customer).await, 2);
}
