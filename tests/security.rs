//! The database is the boundary, tried as a hostile colleague would: temporary tables named
//! like ours, forged identities, bad input, a colleague's dispute, private rows, and a
//! superuser editing the audit log behind the triggers' back.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use common::{TestDb, as_role, one, seeded_db};
use settle::domain::states::{DisputeOutcome, DisputeState};
use settle::store::actions::{self, ActionError, NewMessage};
use settle::store::audit::{self, Break};
use sqlx::{Connection, PgConnection, PgPool};

/// The SQLSTATE of a database error, by reference.
fn code(e: &sqlx::Error) -> String {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.to_string())
        .unwrap_or_default()
}

const SAFE_PATH: &str = "search_path=pg_catalog, public, pg_temp";

#[tokio::test]
async fn every_function_of_the_schema_runs_on_the_safe_search_path() {
    let db = common::fresh_db().await;
    let admin = db.pool().await;
    let unsafe_functions: Vec<String> = sqlx::query_scalar(
        "SELECT p.oid::regprocedure::text FROM pg_proc p
          WHERE p.pronamespace = 'public'::regnamespace
            AND NOT coalesce($1 = ANY (p.proconfig), false)
            -- Inlined expressions cannot carry a setting; they name every operator's schema.
            AND NOT (p.oid::regprocedure::text = ANY ($2) AND NOT p.prosecdef)
          ORDER BY 1",
    )
    .bind(SAFE_PATH)
    .bind([
        "settle_convert(bigint,bigint)",
        "settle_counted_seconds(integer,text,timestamp with time zone)",
        "settle_reminder_hold(bigint,date)",
    ])
    .fetch_all(&admin)
    .await
    .unwrap();
    assert_eq!(unsafe_functions, Vec::<String>::new());
    let definers: i64 = one(
        &admin,
        "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prosecdef",
    )
    .await;
    assert!(definers >= 12, "the action functions are definers");
    let public_create: bool =
        sqlx::query_scalar("SELECT has_schema_privilege('settle_collector', 'public', 'CREATE')")
            .fetch_one(&admin)
            .await
            .unwrap();
    assert!(!public_create, "nobody else creates objects in the schema");
}

/// A session that has shadowed every table of the schema with a temporary one of its own,
/// with a forged agents row naming Chloe (a collector) as this login.
async fn hijacked_session(db: &TestDb, role: &str) -> PgConnection {
    let mut conn = PgConnection::connect(&db.url_as(role)).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(tables.len() > 20, "{tables:?}");
    for t in &tables {
        // The same columns (read from the catalogue: a viewer may not read every column), and
        // the same rows where this role can read them, so a hijacked function would "work".
        let columns: String = sqlx::query_scalar(
            "SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
               FROM pg_attribute WHERE attrelid = ('public.' || quote_ident($1))::regclass AND attnum > 0 AND NOT attisdropped",
        )
        .bind(t)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        let sql = format!("CREATE TEMP TABLE \"{t}\" ({columns})");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
        let readable: bool = sqlx::query_scalar(
            "SELECT has_table_privilege(('public.' || quote_ident($1))::regclass, 'SELECT')",
        )
        .bind(t)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if readable && !["audit_log", "change_log", "agents"].contains(&t.as_str()) {
            let sql = format!("INSERT INTO pg_temp.\"{t}\" SELECT * FROM public.\"{t}\"");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
    sqlx::query(
        "INSERT INTO pg_temp.agents (id, role_name, display_name, email, title) VALUES (4, $1, 'Chloe Martin', 'x', 'lead')",
    )
    .bind(role)
    .execute(&mut conn)
    .await
    .unwrap();
    conn
}

#[tokio::test]
async fn temporary_tables_named_like_ours_never_reach_an_action() {
    let (db, admin) = seeded_db(200, 42).await;
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state = 'open' AND assignee_id IS NULL ORDER BY id LIMIT 1",
    )
    .await;
    let hold = one(
        &admin,
        "SELECT id FROM holds WHERE status <> 'released' ORDER BY id LIMIT 1",
    )
    .await;
    let disputed_invoice = one(
        &admin,
        "SELECT invoice_id FROM disputes WHERE state <> 'resolved' ORDER BY id LIMIT 1",
    )
    .await;
    let invoice = one(
        &admin,
        "SELECT i.id FROM invoices i WHERE open_minor > 0 AND NOT EXISTS
           (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id) ORDER BY id LIMIT 1",
    )
    .await;
    let message = one(
        &admin,
        "SELECT id FROM outreach WHERE status = 'queued' ORDER BY id LIMIT 1",
    )
    .await;
    let calls = [
        format!("SELECT assign_dispute({dispute}, 4, NULL)"),
        format!("SELECT assign_dispute({dispute}, settle_agent(), NULL)"),
        format!("SELECT respond_dispute({dispute}, 'looking')"),
        format!(
            "SELECT move_dispute({dispute}, 'investigating', 'resolved', 'credited', NULL, 'quietly')"
        ),
        format!("SELECT escalate_dispute({dispute}, 'boss')"),
        format!("SELECT release_hold({hold}, 'paid')"),
        format!(
            "SELECT queue_outreach({disputed_invoice}, 'reminder', 'email', 'firm', 's', 'b', NULL, NULL)"
        ),
        format!("SELECT record_promise({invoice}, 100, current_date + 7)"),
        format!("SELECT cancel_outreach({message})"),
        "SELECT set_segment_override(1, 'vip', 'partner')".to_string(),
    ];
    for role in ["vic", "ben", "ava"] {
        let mut conn = hijacked_session(&db, role).await;
        for sql in &calls {
            let audit_before = one(&admin, "SELECT count(*) FROM audit_log").await;
            let changes_before = one(&admin, "SELECT count(*) FROM change_log").await;
            let mut tx = conn.begin().await.unwrap();
            let result = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *tx)
                .await;
            if result.is_err() {
                // Refused: the transaction is undone, nothing anywhere.
                tx.rollback().await.unwrap();
                continue;
            }
            let temp_audit: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_temp.audit_log")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            assert_eq!(
                temp_audit, 0,
                "{role}: {sql} wrote to the temporary audit log"
            );
            tx.commit().await.unwrap();
            let (actor, chained): (String, bool) = sqlx::query_as(
                "SELECT actor, hash IS NOT NULL FROM audit_log ORDER BY chain_seq DESC LIMIT 1",
            )
            .fetch_one(&admin)
            .await
            .unwrap();
            assert_eq!(
                one(&admin, "SELECT count(*) FROM audit_log").await,
                audit_before + 1,
                "{role}: {sql} writes one real audit row"
            );
            assert_eq!(
                (actor.as_str(), chained),
                (role, true),
                "{role}: {sql} records the real person"
            );
            assert!(
                one(&admin, "SELECT count(*) FROM change_log").await > changes_before,
                "{role}: {sql} writes the real change log"
            );
        }
    }
    // What the collector did was recorded as the collector, never as the forged Chloe.
    let (assignee, events_by_chloe): (Option<i32>, i64) = sqlx::query_as(
        "SELECT (SELECT assignee_id FROM disputes WHERE id = $1),
                (SELECT count(*) FROM dispute_events WHERE dispute_id = $1 AND agent_id = 4)",
    )
    .bind(dispute)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_ne!(
        assignee,
        Some(4),
        "a collector cannot give a dispute to Chloe"
    );
    assert_eq!(events_by_chloe, 0, "no event is put in Chloe's name");
    let queued_on_disputed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outreach WHERE invoice_id = $1 AND status = 'queued' AND created_at > now() - interval '1 hour'",
    )
    .bind(disputed_invoice)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(queued_on_disputed, 0, "a disputed invoice gets no reminder");
    let resolved_by_hijack: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'move_dispute' AND entity_id = $1",
    )
    .bind(dispute)
    .fetch_one(&admin)
    .await
    .unwrap();
    let resolved: bool =
        sqlx::query_scalar("SELECT state = 'resolved' FROM disputes WHERE id = $1")
            .bind(dispute)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(
        resolved,
        resolved_by_hijack > 0,
        "a resolution is audited whenever it happens"
    );
}

async fn sender(db: &TestDb, admin: &PgPool, name: &str) -> PgPool {
    common::login_role(admin, name, Some("settle_sender")).await;
    as_role(db, name).await
}

#[tokio::test]
async fn a_sender_acts_only_as_itself_and_claims_a_bounded_batch() {
    let (db, admin) = seeded_db(200, 42).await;
    sqlx::query(
        "UPDATE outreach SET send_after = now() - interval '1 minute' WHERE status = 'queued'",
    )
    .execute(&admin)
    .await
    .unwrap();
    let (a, b) = (
        sender(&db, &admin, "sender_a").await,
        sender(&db, &admin, "sender_b").await,
    );
    let claimed: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, claimed_by FROM claim_outreach(3)")
            .fetch_all(&a)
            .await
            .unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(
        claimed.iter().all(|(_, by)| by == "sender_a"),
        "{claimed:?}"
    );
    for limit in ["NULL", "0", "1000"] {
        let sql = format!("SELECT id FROM claim_outreach({limit})");
        let err = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&b)
            .await
            .unwrap_err();
        assert!(
            err.as_database_error()
                .unwrap()
                .message()
                .contains("between 1 and 100"),
            "{limit}: {err}"
        );
    }
    let forged = sqlx::query("SELECT mark_outreach_sent($1)")
        .bind(claimed[0].0)
        .execute(&b)
        .await
        .unwrap_err();
    assert_eq!(code(&forged), "SE409", "b cannot mark a's message sent");
    let old_forms = sqlx::query("SELECT claim_outreach('sender_b', 3)")
        .execute(&a)
        .await
        .unwrap_err();
    assert!(
        ["42883", "22P02"].contains(&code(&old_forms).as_str()),
        "no function takes a sender's name: {old_forms}"
    );
    let by_name = one(
        &a,
        "SELECT count(*) FROM pg_proc WHERE proname IN ('claim_outreach', 'mark_outreach_sent')
            AND 'text'::regtype = ANY (proargtypes)",
    )
    .await;
    assert_eq!(by_name, 0, "no sender function has a text argument");
    sqlx::query("SELECT mark_outreach_sent($1)")
        .bind(claimed[0].0)
        .execute(&a)
        .await
        .unwrap();
    let actor: String = sqlx::query_scalar(
        "SELECT actor FROM audit_log WHERE action = 'outreach_sent' AND entity_id = $1",
    )
    .bind(claimed[0].0)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(actor, "sender_a");
    // A collector cannot cancel what a sender holds.
    let ben = as_role(&db, "ben").await;
    let held = actions::cancel_outreach(&ben, claimed[1].0)
        .await
        .unwrap_err();
    assert!(
        matches!(&held, ActionError::Conflict(m) if m.contains("being sent by sender_a")),
        "{held:?}"
    );
    let collector_claims = sqlx::query("SELECT id FROM claim_outreach(1)")
        .execute(&ben)
        .await
        .unwrap_err();
    assert_eq!(code(&collector_claims), "42501");
}

/// The refusal's text, which must read as a sentence, never as a constraint's name.
fn refused(r: Result<impl std::fmt::Debug, ActionError>) -> String {
    match r {
        Err(ActionError::Refused(m)) | Err(ActionError::Conflict(m)) => {
            assert!(!m.contains("_check"), "raw constraint name: {m}");
            assert!(!m.contains("violates"), "raw constraint message: {m}");
            m
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn actions_refuse_bad_input_in_plain_words_and_write_nothing() {
    let (db, admin) = seeded_db(200, 42).await;
    let ben = as_role(&db, "ben").await;
    let ava = as_role(&db, "ava").await;
    let audit_before = one(&admin, "SELECT count(*) FROM audit_log").await;
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state = 'investigating' AND assignee_id = 3 ORDER BY id LIMIT 1",
    )
    .await;
    let resolved = one(
        &admin,
        "SELECT id FROM disputes WHERE state = 'resolved' ORDER BY id LIMIT 1",
    )
    .await;
    let partial = |credited| {
        actions::move_dispute(
            &ben,
            dispute,
            DisputeState::Investigating,
            DisputeState::Resolved,
            Some(DisputeOutcome::PartiallyCredited),
            credited,
            "",
        )
    };
    assert!(refused(partial(None).await).contains("needs the amount"));
    assert!(refused(partial(Some(i64::MAX / 2)).await).contains("less than the disputed"));
    assert!(refused(actions::escalate_dispute(&ben, resolved, "x").await).contains("resolved"));
    assert!(refused(actions::respond_dispute(&ava, resolved, "x").await).contains("resolved"));
    assert!(
        refused(
            actions::move_dispute(
                &ben,
                dispute,
                DisputeState::AwaitingCustomer,
                DisputeState::Investigating,
                None,
                None,
                ""
            )
            .await
        )
        .contains("investigating now, not awaiting customer")
    );
    assert!(
        sqlx::query("SELECT move_dispute($1, 'limbo', 'resolved', NULL, NULL, '')")
            .bind(dispute)
            .execute(&ben)
            .await
            .unwrap_err()
            .as_database_error()
            .unwrap()
            .message()
            .contains("\"limbo\" is not a dispute state")
    );
    assert!(refused(actions::cancel_outreach(&ben, 99_999_999).await).contains("does not exist"));
    let invoice = one(
        &admin,
        "SELECT i.id FROM invoices i WHERE open_minor > 0 AND NOT EXISTS
           (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id) ORDER BY id LIMIT 1",
    )
    .await;
    let open = one(
        &admin,
        &format!("SELECT open_minor FROM invoices WHERE id = {invoice}"),
    )
    .await;
    let message = |purpose: &str, send_after| NewMessage {
        invoice,
        purpose: purpose.parse().unwrap(),
        channel: "email".parse().unwrap(),
        tone: "firm".parse().unwrap(),
        subject: "Invoice overdue".into(),
        body: "Please pay.".into(),
        send_after,
        override_reason: Some("reviewed".into()),
        replace: None,
    };
    assert!(
        refused(actions::queue_outreach(&ben, &message("hold_release", None)).await)
            .contains("confirmations come from releasing a hold")
    );
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    assert!(
        refused(actions::queue_outreach(&ben, &message("reminder", Some(yesterday))).await)
            .contains("in the past")
    );
    let mut huge = message("reminder", None);
    huge.body = "x".repeat(50 * 1024 * 1024);
    assert!(refused(actions::queue_outreach(&ben, &huge).await).contains("too long"));
    let next_week = chrono::Utc::now().date_naive() + chrono::Duration::days(7);
    assert!(
        refused(actions::record_promise(&ben, invoice, open + 1, next_week).await)
            .contains("more than the")
    );
    assert!(
        refused(
            actions::record_promise(&ben, invoice, 100, next_week - chrono::Duration::days(30))
                .await
        )
        .contains("in the past")
    );
    let note = "y".repeat(4001);
    assert!(
        refused(actions::respond_dispute(&ben, dispute, &note).await).contains("at most 4,000")
    );
    assert!(refused(actions::release_hold(&ava, 1, &note).await).contains("too long"));
    assert_eq!(
        one(&admin, "SELECT count(*) FROM audit_log").await,
        audit_before,
        "nothing refused leaves an audit row"
    );
    // Within the limits each is accepted.
    actions::record_promise(&ben, invoice, open, next_week)
        .await
        .unwrap();
    actions::move_dispute(
        &ben,
        dispute,
        DisputeState::Investigating,
        DisputeState::Resolved,
        Some(DisputeOutcome::PartiallyCredited),
        Some(1),
        "half",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_collector_works_a_colleagues_dispute_only_after_taking_it_over() {
    let (db, admin) = seeded_db(200, 42).await;
    // Dev (agent 5) holds it; Ben (agent 3) is a collector; Ava a lead.
    let dispute = one(
        &admin,
        "SELECT id FROM disputes WHERE state = 'investigating' AND assignee_id = 5 ORDER BY id LIMIT 1",
    )
    .await;
    let ben = as_role(&db, "ben").await;
    for attempt in [
        actions::respond_dispute(&ben, dispute, "on it").await,
        actions::escalate_dispute(&ben, dispute, "late").await,
        actions::move_dispute(
            &ben,
            dispute,
            DisputeState::Investigating,
            DisputeState::Resolved,
            Some(DisputeOutcome::Credited),
            None,
            "",
        )
        .await,
    ] {
        assert!(
            matches!(&attempt, Err(ActionError::Forbidden(m)) if m.contains("take it over first")),
            "{attempt:?}"
        );
    }
    actions::assign_dispute(&ben, dispute, None, Some(5))
        .await
        .unwrap();
    actions::respond_dispute(&ben, dispute, "on it")
        .await
        .unwrap();
    let told: Vec<String> = sqlx::query_scalar(
        "SELECT message FROM notifications WHERE agent_id = 5 AND kind = 'dispute_taken_over'",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    assert_eq!(told.len(), 1, "the previous assignee is told once");
    assert!(told[0].contains("Ben Okafor took over"), "{told:?}");
    let from: Option<i64> = sqlx::query_scalar(
        "SELECT (details->>'from')::bigint FROM audit_log WHERE action = 'assign_dispute' AND entity_id = $1",
    )
    .bind(dispute)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(
        from,
        Some(5),
        "the takeover is audited with whom it was taken from"
    );
    // A lead may act on anyone's dispute.
    let other = one(
        &admin,
        "SELECT id FROM disputes WHERE state = 'investigating' AND assignee_id = 4 ORDER BY id LIMIT 1",
    )
    .await;
    let ava = as_role(&db, "ava").await;
    actions::respond_dispute(&ava, other, "lead here")
        .await
        .unwrap();
}

#[tokio::test]
async fn notifications_are_private_and_viewers_see_no_contact_details() {
    let (db, admin) = seeded_db(200, 42).await;
    let hold = one(
        &admin,
        "SELECT id FROM holds WHERE status = 'held' ORDER BY id LIMIT 1",
    )
    .await;
    let ava = as_role(&db, "ava").await;
    actions::release_hold(&ava, hold, "cleared by phone")
        .await
        .unwrap();
    let total = one(&admin, "SELECT count(*) FROM notifications").await;
    assert!(total > 0);
    let owner_role: String = sqlx::query_scalar(
        "SELECT a.role_name FROM notifications n JOIN agents a ON a.id = n.agent_id LIMIT 1",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    let owner = as_role(&db, &owner_role).await;
    let (mine, others): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE agent_id = settle_agent()), count(*) FILTER (WHERE agent_id <> settle_agent()) FROM notifications",
    )
    .fetch_one(&owner)
    .await
    .unwrap();
    assert!(mine > 0, "{owner_role} reads their own");
    assert_eq!(others, 0, "{owner_role} reads nobody else's");
    for (role, expected) in [("vic", 0), ("ben", 0), ("ava", total)] {
        let pool = as_role(&db, role).await;
        assert_eq!(
            one(&pool, "SELECT count(*) FROM notifications").await,
            expected,
            "{role}"
        );
    }
    let forced: bool = sqlx::query_scalar(
        "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'notifications'::regclass",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!(forced, "the table's owner obeys the policy too");
    let vic = as_role(&db, "vic").await;
    for column in ["email", "phone", "*"] {
        let sql = format!("SELECT {column} FROM contacts LIMIT 1");
        let err = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&vic)
            .await
            .unwrap_err();
        assert_eq!(
            code(&err),
            "42501",
            "viewers may not read contacts.{column}"
        );
    }
    one(&vic, "SELECT count(name) FROM contacts").await;
    let ben = as_role(&db, "ben").await;
    assert!(one(&ben, "SELECT count(email) FROM contacts").await > 0);
}

/// Runs SQL as the superuser with every trigger off, as a tamperer would.
async fn behind_the_triggers(admin: &PgPool, sql: &str) {
    let mut tx = admin.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn first_break(admin: &PgPool) -> Option<Break> {
    audit::verify(admin, None)
        .await
        .unwrap()
        .breaks
        .into_iter()
        .next()
}

#[tokio::test]
async fn audit_verify_finds_every_kind_of_tampering_by_a_superuser() {
    let (_db, admin) = seeded_db(200, 42).await;
    let intact = audit::verify(&admin, None).await.unwrap();
    assert_eq!(intact.breaks, vec![]);
    assert!(intact.rows > 20);
    let (head_seq, head_hash) = intact.head.clone().unwrap();
    let anchor = audit::Anchor {
        seq: head_seq,
        hash: head_hash,
    };
    let row = |seq: i64| {
        let admin = admin.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM audit_log WHERE chain_seq = $1")
                .bind(seq)
                .fetch_one(&admin)
                .await
                .unwrap()
        }
    };
    // Edited.
    let edited = row(5).await;
    behind_the_triggers(
        &admin,
        &format!("UPDATE audit_log SET details = '{{\"quiet\": true}}' WHERE id = {edited}"),
    )
    .await;
    assert_eq!(
        first_break(&admin).await,
        Some(Break::Altered { id: edited, seq: 5 })
    );
    // Put the row's hash right again by recomputing it (as a careless tamperer would): the next
    // row's link still breaks, because its own hash covers the old one.
    behind_the_triggers(
        &admin,
        &format!("UPDATE audit_log a SET hash = audit_digest(a) WHERE id = {edited}"),
    )
    .await;
    assert_eq!(
        first_break(&admin).await,
        Some(Break::OutOfOrder {
            id: row(6).await,
            seq: 6
        })
    );
    // A thorough tamperer rewrites the whole chain from there on, head included: the chain is
    // consistent again, and only a head kept elsewhere shows it was rewritten.
    behind_the_triggers(
        &admin,
        "DO $$ DECLARE r audit_log; prev bytea; BEGIN
           SELECT hash INTO prev FROM audit_log WHERE chain_seq = 5;
           FOR r IN SELECT * FROM audit_log WHERE chain_seq > 5 ORDER BY chain_seq LOOP
             r.prev_hash := prev; r.hash := audit_digest(r);
             UPDATE audit_log SET prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
             prev := r.hash;
           END LOOP;
           UPDATE audit_chain_head SET hash = prev;
         END $$",
    )
    .await;
    assert_eq!(
        first_break(&admin).await,
        None,
        "a full rewrite is self-consistent"
    );
    let anchored = audit::verify(&admin, Some(&anchor)).await.unwrap();
    assert_eq!(
        anchored.breaks,
        vec![Break::AnchorMissing { seq: head_seq }],
        "the kept head exposes it"
    );
}

#[tokio::test]
async fn audit_verify_finds_removed_and_slipped_in_rows() {
    let (_db, admin) = seeded_db(200, 42).await;
    let last = audit::verify(&admin, None).await.unwrap().head.unwrap().0;
    behind_the_triggers(&admin, "DELETE FROM audit_log WHERE chain_seq IN (7, 8)").await;
    assert_eq!(
        first_break(&admin).await,
        Some(Break::Removed {
            from_seq: 7,
            to_seq: 8
        })
    );
    let (_db, admin) = seeded_db(200, 42).await;
    behind_the_triggers(
        &admin,
        &format!("DELETE FROM audit_log WHERE chain_seq > {}", last - 2),
    )
    .await;
    assert_eq!(
        first_break(&admin).await,
        Some(Break::TailRemoved {
            last_seq: last - 2,
            head_seq: last
        })
    );
    let (_db, admin) = seeded_db(200, 42).await;
    behind_the_triggers(
        &admin,
        "INSERT INTO audit_log (actor, action, entity) VALUES ('ava', 'release_hold', 'hold')",
    )
    .await;
    let slipped = one(&admin, "SELECT max(id) FROM audit_log").await;
    assert_eq!(
        first_break(&admin).await,
        Some(Break::Unchained { id: slipped })
    );
}

#[tokio::test]
async fn a_store_with_history_gets_its_audit_log_chained_by_the_migration() {
    let db = common::empty_db().await;
    let pool = db.pool().await;
    settle::store::MIGRATOR.run_to(6, &pool).await.unwrap();
    sqlx::query(
        "INSERT INTO audit_log (actor, action, entity, entity_id, details)
         SELECT 'ava', 'release_hold', 'hold', g, jsonb_build_object('reason', 'paid ' || g) FROM generate_series(1, 50) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    settle::store::migrate(&pool).await.unwrap();
    let v = audit::verify(&pool, None).await.unwrap();
    assert_eq!((v.rows, v.breaks.clone()), (50, vec![]));
    assert_eq!(v.head.as_ref().map(|h| h.0), Some(50));
    // New rows carry on from there, one statement of many rows or many statements alike.
    sqlx::query(
        "INSERT INTO audit_log (action, entity) SELECT 'bulk', 'x' FROM generate_series(1, 20)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO audit_log (action, entity) VALUES ('one', 'x')")
        .execute(&pool)
        .await
        .unwrap();
    let v = audit::verify(&pool, None).await.unwrap();
    assert_eq!(
        (v.rows, v.breaks, v.head.map(|h| h.0)),
        (71, vec![], Some(71))
    );
}

#[tokio::test]
async fn concurrent_writers_leave_one_unbroken_chain() {
    let db = common::fresh_db().await;
    let pool = settle::store::pool(&db.url, 8).await.unwrap();
    let writers = (0..8).map(|w| {
        let pool = pool.clone();
        tokio::spawn(async move {
            for i in 0..25 {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query(
                    "INSERT INTO audit_log (action, entity, entity_id) VALUES ('w', 'x', $1)",
                )
                .bind(w * 100 + i)
                .execute(&mut *tx)
                .await
                .unwrap();
                tokio::task::yield_now().await;
                tx.commit().await.unwrap();
            }
        })
    });
    for w in writers.collect::<Vec<_>>() {
        w.await.unwrap();
    }
    let v = audit::verify(&pool, None).await.unwrap();
    assert_eq!(
        (v.rows, v.breaks, v.head.map(|h| h.0)),
        (200, vec![], Some(200))
    );
}

#[tokio::test]
async fn a_sender_and_an_importer_with_shadow_tables_still_act_on_the_real_ones() {
    let (db, admin) = seeded_db(200, 42).await;
    sqlx::query(
        "UPDATE outreach SET send_after = now() - interval '1 minute' WHERE status = 'queued'",
    )
    .execute(&admin)
    .await
    .unwrap();
    common::login_role(&admin, "shadow_sender", Some("settle_sender")).await;
    common::login_role(&admin, "shadow_importer", Some("settle_importer")).await;
    let mut conn = hijacked_session(&db, "shadow_sender").await;
    let claimed: i64 = sqlx::query_scalar("SELECT id FROM claim_outreach(1)")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    sqlx::query("SELECT mark_outreach_sent($1)")
        .bind(claimed)
        .execute(&mut conn)
        .await
        .unwrap();
    let (status, claimed_by): (String, Option<String>) =
        sqlx::query_as("SELECT status, claimed_by FROM outreach WHERE id = $1")
            .bind(claimed)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), claimed_by.as_deref()),
        ("sent", Some("shadow_sender"))
    );
    let mut conn = hijacked_session(&db, "shadow_importer").await;
    sqlx::query("SELECT record_import('invoices', '{\"file\": \"x.csv\"}')")
        .execute(&mut conn)
        .await
        .unwrap();
    let actors: Vec<String> = sqlx::query_scalar(
        "SELECT actor FROM audit_log WHERE action IN ('outreach_sent', 'import') ORDER BY chain_seq",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    assert_eq!(actors, ["shadow_sender", "shadow_importer"]);
    assert!(audit::verify(&admin, None).await.unwrap().breaks.is_empty());
}

/// The import's update functions and credit notes are the importer's: a collector trying them
/// in psql is refused, and even an importer cannot move an invoice to another customer.
#[tokio::test]
async fn a_collector_cannot_rewrite_invoices_or_customers_through_the_import_functions() {
    let (db, admin) = seeded_db(30, 77).await;
    let ben = as_role(&db, "ben").await;
    let (number, customer, currency): (String, i64, String) = sqlx::query_as(
        "SELECT number, customer_id, currency::text FROM invoices WHERE open_minor > 0 ORDER BY id LIMIT 1",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    for sql in [
        "SELECT import_update_invoice($1, $2, current_date, current_date, 1, $3)",
        "SELECT import_update_customer($1, 'Renamed', NULL, NULL, NULL)",
        "INSERT INTO credit_notes (customer_id, number, issue_date, amount_minor, currency, reason, unapplied_minor)
         SELECT $2, $1 || '-CN', current_date, 100, $3, 'x', 100",
    ] {
        let e = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&number)
            .bind(customer)
            .bind(&currency)
            .execute(&ben)
            .await
            .unwrap_err();
        assert_eq!(code(&e), "42501", "{sql}: {e}");
    }
    common::login_role(&admin, "erp_update", Some("settle_importer")).await;
    let erp = as_role(&db, "erp_update").await;
    let e = sqlx::query("SELECT import_update_invoice($1, $2, current_date, current_date, 1, $3)")
        .bind(&number)
        .bind(customer + 1)
        .bind(&currency)
        .execute(&erp)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("does not move"), "{e}");
}
