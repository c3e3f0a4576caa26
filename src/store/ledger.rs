//! `:activity` and every audit trail read like a ledger: business numbers (DSP-00008,
//! SO-0000008, MSG-12), people by name, money as money, and the account and entity each line
//! opens.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgPool, QueryBuilder};

use super::StoreError;
use super::lists::{Field, FieldKind, ListQuery, ListView, page_and_count};
use crate::domain::money::format_grouped;
use crate::lists::ActivityColumn;
use crate::model::{AuditEntry, Page};

pub const AUDIT_FIELDS: &[Field] = &[
    Field {
        name: "actor",
        sql: "a.actor",
        kind: FieldKind::Agent,
    },
    Field {
        name: "action",
        sql: "a.action",
        kind: FieldKind::Text,
    },
    Field {
        name: "entity",
        sql: "a.entity",
        kind: FieldKind::Text,
    },
    Field {
        name: "customer",
        sql: "c.name",
        kind: FieldKind::Text,
    },
];

const AUDIT_VIEW: ListView<ActivityColumn> = ListView {
    fields: AUDIT_FIELDS,
    text_sql: "a.actor || ' ' || a.action || ' ' || a.details::text",
    default_order: "a.at DESC, a.id DESC",
    tiebreak: "a.id DESC",
    columns: std::marker::PhantomData,
};

/// A line of the log with what makes it readable: the actor's name, the entity's business
/// number and the currency its amounts are in.
const LINE: &str = "SELECT a.id, a.at, coalesce(ag.display_name, a.actor) AS actor, a.action, a.entity,
        a.entity_id, a.customer_id, c.name AS customer, a.details::text AS details,
        CASE a.entity
          WHEN 'dispute' THEN (SELECT d.number FROM disputes d WHERE d.id = a.entity_id)
          WHEN 'hold' THEN (SELECT o.number FROM holds h JOIN orders o ON o.id = h.order_id WHERE h.id = a.entity_id)
          WHEN 'outreach' THEN 'MSG-' || a.entity_id
          WHEN 'promise' THEN 'PTP-' || a.entity_id
          WHEN 'notification' THEN 'NOTE-' || a.entity_id
          WHEN 'customer' THEN c.code
          WHEN 'invoice' THEN (SELECT i.number FROM invoices i WHERE i.id = a.entity_id)
        END AS reference,
        CASE a.entity
          WHEN 'dispute' THEN (SELECT d.currency::text FROM disputes d WHERE d.id = a.entity_id)
          WHEN 'promise' THEN (SELECT p.currency::text FROM promises p WHERE p.id = a.entity_id)
          WHEN 'hold' THEN (SELECT o.currency::text FROM holds h JOIN orders o ON o.id = h.order_id WHERE h.id = a.entity_id)
          WHEN 'outreach' THEN (SELECT i.currency::text FROM outreach m JOIN invoices i ON i.id = m.invoice_id WHERE m.id = a.entity_id)
        END AS currency
   FROM audit_log a LEFT JOIN customers c ON c.id = a.customer_id LEFT JOIN agents ag ON ag.role_name = a.actor";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    entity: String,
    entity_id: Option<i64>,
    customer_id: Option<i64>,
    customer: Option<String>,
    details: String,
    reference: Option<String>,
    currency: Option<String>,
}

/// The audit log, newest first; `customer` narrows it to one account.
pub async fn activity(
    pool: &PgPool,
    q: &ListQuery,
    customer: Option<i64>,
) -> Result<Page<AuditEntry>, StoreError> {
    // An integer, formatted: nothing from input reaches the SQL text.
    let only = customer.map_or(String::new(), |id| format!(" AND a.customer_id = {id}"));
    let count_sql = format!(
        "SELECT count(*) FROM audit_log a LEFT JOIN customers c ON c.id = a.customer_id WHERE true{only}"
    );
    let qb = QueryBuilder::new(format!("{LINE} WHERE true{only}"));
    let (rows, total): (Vec<Row>, i64) =
        page_and_count(pool, qb, &count_sql, q, &AUDIT_VIEW).await?;
    Ok(Page {
        rows: entries(pool, rows).await?,
        total,
        offset: q.offset,
    })
}

/// One entity's trail, oldest first (a message's history).
pub async fn trail(pool: &PgPool, entity: &str, id: i64) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LINE} WHERE a.entity = $1 AND a.entity_id = $2 ORDER BY a.chain_seq LIMIT 100"
    )))
    .bind(entity)
    .bind(id)
    .fetch_all(pool)
    .await?;
    entries(pool, rows).await
}

async fn entries(pool: &PgPool, rows: Vec<Row>) -> Result<Vec<AuditEntry>, StoreError> {
    let agents: BTreeMap<i64, String> =
        sqlx::query_as::<_, (i32, String)>("SELECT id, display_name FROM agents")
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|(id, name)| (i64::from(id), name))
            .collect();
    let exponents = super::currency_exponents(pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let details = serde_json::from_str(&r.details).map_or(r.details.clone(), |v| {
                let money = r
                    .currency
                    .as_deref()
                    .map(|c| (c, exponents.get(c).copied().unwrap_or(2)));
                readable(&v, &agents, money)
            });
            AuditEntry {
                id: r.id,
                at: r.at,
                actor: r.actor,
                action: r.action,
                entity: r.entity,
                entity_id: r.entity_id,
                customer_id: r.customer_id,
                customer: r.customer,
                reference: r.reference,
                details,
            }
        })
        .collect())
}

/// `to: Chloe Martin · amount: 1,200.00 USD · reason: wire received`: a detail object in words.
/// Agent ids under `to`/`from`/`assignee`/`target` become names; whole numbers under money
/// keys become amounts in the entity's currency.
pub fn readable(
    details: &Value,
    agents: &BTreeMap<i64, String>,
    money: Option<(&str, u32)>,
) -> String {
    let Value::Object(map) = details else {
        return details.to_string();
    };
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let text = match (k.as_str(), v) {
                ("to" | "from" | "assignee" | "target", Value::Number(n)) => n
                    .as_i64()
                    .and_then(|id| agents.get(&id).cloned())
                    .unwrap_or_else(|| n.to_string()),
                ("amount" | "paid" | "credited" | "credit" | "disputed", Value::Number(n)) => {
                    match (n.as_i64(), money) {
                        (Some(minor), Some((code, e))) => {
                            format!("{} {code}", format_grouped(minor, e))
                        }
                        _ => n.to_string(),
                    }
                }
                // A state or code (`partially_credited`) reads as words; text stays as typed.
                (_, Value::String(s)) if s.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
                    s.replace('_', " ")
                }
                (_, Value::String(s)) => s.clone(),
                (_, Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
                (_, other) => other.to_string(),
            };
            format!("{}: {text}", k.replace('_', " "))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_words_names_and_money() {
        let agents = BTreeMap::from([(4, "Chloe Martin".to_string())]);
        let v: Value = serde_json::from_str(
            r#"{"to": 4, "amount": 120000, "reason": "wire received", "override": null, "first": true}"#,
        )
        .unwrap();
        assert_eq!(
            readable(&v, &agents, Some(("USD", 2))),
            "amount: 1,200.00 USD · first: yes · reason: wire received · to: Chloe Martin"
        );
        assert!(readable(&v, &BTreeMap::new(), None).contains("to: 4"));
    }
}
