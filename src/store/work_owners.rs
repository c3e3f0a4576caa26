//! Whose each worklist item is: a dispute its assignee's, a task or slipping note its
//! recipient's, the rest the customer's collector's — read for the items' customers only, not
//! the whole book, and kept with the worklist's other sources (`work_kept`).

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::PgPool;

use super::StoreError;
use super::work_kept::Listed;
use crate::domain::states::WorkKind;
use crate::model::WorkItem;

/// Each customer's collector (role name, display name), None when nobody collects for them.
pub(super) type Collectors = HashMap<i64, Option<(String, String)>>;

/// Gives each item its owner: the customer's collector, read for customers `collectors` does
/// not know yet. An item whose owner is already right stays shared (not copied).
pub(super) async fn assign(
    pool: &PgPool,
    lists: &mut [Listed],
    collectors: &mut Collectors,
) -> Result<(), StoreError> {
    let mut customers: Vec<i64> = (lists.iter())
        .flat_map(|l| l.items.iter().map(|i| i.customer_id))
        .filter(|c| !collectors.contains_key(c))
        .collect();
    customers.sort_unstable();
    customers.dedup();
    if !customers.is_empty() {
        read_collectors(pool, &customers, collectors).await?;
    }
    for item in lists.iter_mut().flat_map(|l| l.items.iter_mut()) {
        if matches!(
            item.kind,
            WorkKind::Dispute | WorkKind::Task | WorkKind::Slipping
        ) {
            continue;
        }
        let owner = collectors.get(&item.customer_id).cloned().flatten();
        if item.owner != owner {
            Arc::make_mut(item).owner = owner;
        }
    }
    Ok(())
}

/// Whether `me` sees an item at all: a lead everything; a collector every item but another
/// collector's customers' unassigned disputes (an unassigned dispute is in its customer's
/// collector's queue: a collector keeps those of their own customers and of customers nobody
/// collects).
pub(super) fn shown(item: &WorkItem, me: &str, lead: bool, collectors: &Collectors) -> bool {
    lead || item.kind != WorkKind::Dispute
        || item.owner.is_some()
        || collectors
            .get(&item.customer_id)
            .and_then(Option::as_ref)
            .is_none_or(|(role, _)| role == me)
}

/// The collectors of `customers` (each noted, None when nobody collects for them).
async fn read_collectors(
    pool: &PgPool,
    customers: &[i64],
    collectors: &mut Collectors,
) -> Result<(), StoreError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        // Joined from `unnest`: `= ANY($1)` has the planner weigh each of a lead's thousands of
        // customers apart.
        "SELECT co.customer_id, a.role_name, a.display_name
           FROM unnest($1::bigint[]) AS want(id)
           JOIN customer_owners co ON co.customer_id = want.id AND co.relation = 'collector'
           JOIN agents a ON a.id = co.agent_id",
    )
    .bind(customers)
    .fetch_all(pool)
    .await?;
    for c in customers {
        collectors.insert(*c, None);
    }
    for (c, role, name) in rows {
        collectors.insert(c, Some((role, name)));
    }
    Ok(())
}
