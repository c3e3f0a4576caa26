//! A person's inbox: their notifications (a hold released, a promise broken, an account
//! slipping, a dispute taken over or escalated to them, a task), unread first.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, QueryBuilder};

use super::StoreError;
use super::lists::{Field, FieldKind, ListQuery, ListView, page_and_count};
use crate::lists::InboxColumn;
use crate::model::{Notice, Page};

pub const INBOX_FIELDS: &[Field] = &[
    Field {
        name: "kind",
        sql: "n.kind",
        kind: FieldKind::Text,
    },
    Field {
        name: "customer",
        sql: "coalesce(c.name, '')",
        kind: FieldKind::Text,
    },
];

const INBOX_VIEW: ListView<InboxColumn> = ListView {
    fields: INBOX_FIELDS,
    text_sql: "n.message || ' ' || coalesce(c.name, '')",
    default_order: "(n.read_at IS NULL) DESC, n.created_at DESC, n.id DESC",
    tiebreak: "n.id DESC",
    columns: std::marker::PhantomData,
};

/// Only the connected person's own notifications (a lead may read everyone's, but the inbox
/// is theirs).
const FROM: &str = "FROM notifications n LEFT JOIN customers c ON c.id = n.customer_id
     WHERE n.agent_id = (SELECT id FROM agents WHERE role_name = session_user)";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    created_at: DateTime<Utc>,
    kind: String,
    customer_id: Option<i64>,
    customer: Option<String>,
    message: String,
    read: bool,
}

pub async fn inbox(pool: &PgPool, q: &ListQuery) -> Result<Page<Notice>, StoreError> {
    let qb = QueryBuilder::new(format!(
        "SELECT n.id, n.created_at, n.kind, n.customer_id, c.name AS customer, n.message,
                n.read_at IS NOT NULL AS read {FROM}"
    ));
    let count_sql = format!("SELECT count(*) {FROM}");
    let (rows, total): (Vec<Row>, i64) =
        page_and_count(pool, qb, &count_sql, q, &INBOX_VIEW).await?;
    Ok(Page {
        rows: rows
            .into_iter()
            .map(|r| Notice {
                id: r.id,
                at: r.created_at,
                kind: r.kind,
                customer_id: r.customer_id,
                customer: r.customer,
                message: r.message,
                read: r.read,
            })
            .collect(),
        total,
        offset: q.offset,
    })
}

/// Marks one of the person's notifications read; whether it was unread.
pub async fn read(pool: &PgPool, id: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar("SELECT read_notification($1)")
        .bind(id)
        .fetch_one(pool)
        .await?)
}
