//! Sorting is done where the rows come from: each column `s` reaches orders the rows the store
//! returns by what that column shows.
#![allow(clippy::unwrap_used, clippy::too_many_lines)] // tests may unwrap: a failure is a failed test

mod common;

use common::{fixed_now, seeded_db};
use settle::lists::{
    ActivityColumn, Column, DisputeColumn, HoldColumn, OutreachColumn, SortBy, sortable,
};
use settle::store::lists::ListQuery;

fn by<C: Column>(column: C, descending: bool) -> Option<SortBy> {
    Some(SortBy {
        column: C::ALL.iter().position(|c| *c == column).unwrap(),
        descending,
    })
}

fn query(sort: Option<SortBy>) -> ListQuery {
    ListQuery {
        sort,
        limit: 500,
        ..Default::default()
    }
}

fn is_sorted<T: PartialOrd + std::fmt::Debug>(v: &[T], descending: bool) -> bool {
    v.windows(2).all(|w| {
        if descending {
            w[0] >= w[1]
        } else {
            w[0] <= w[1]
        }
    })
}

#[tokio::test]
async fn every_sortable_column_orders_the_rows_it_shows() {
    let (_db, pool) = seeded_db(200, 42).await;
    let now = fixed_now();
    for desc in [false, true] {
        let holds = settle::store::lists::holds(&pool, &query(by(HoldColumn::Value, desc)))
            .await
            .unwrap();
        let values: Vec<i64> = holds.rows.iter().map(|h| h.amount).collect();
        assert!(values.len() > 3 && is_sorted(&values, desc), "{values:?}");
        let holds = settle::store::lists::holds(&pool, &query(by(HoldColumn::Customer, desc)))
            .await
            .unwrap();
        let names: Vec<String> = holds
            .rows
            .iter()
            .map(|h| h.customer.to_lowercase())
            .collect();
        assert!(is_sorted(&names, desc), "{names:?}");

        let disputes = |c| {
            let pool = pool.clone();
            async move {
                settle::store::disputes::open_disputes(&pool, &query(by(c, desc)), now)
                    .await
                    .unwrap()
            }
        };
        let amounts: Vec<i64> = disputes(DisputeColumn::Amount)
            .await
            .iter()
            .map(|d| d.amount)
            .collect();
        assert!(
            amounts.len() > 3 && is_sorted(&amounts, desc),
            "{amounts:?}"
        );
        let numbers: Vec<String> = disputes(DisputeColumn::Dispute)
            .await
            .into_iter()
            .map(|d| d.number)
            .collect();
        assert!(is_sorted(&numbers, desc), "{numbers:?}");
        let left: Vec<i64> = disputes(DisputeColumn::Resolve)
            .await
            .iter()
            .map(|d| d.resolution.remaining())
            .collect();
        assert!(is_sorted(&left, desc), "computed clocks sort too: {left:?}");

        let sends: Vec<_> =
            settle::store::lists::outreach(&pool, &query(by(OutreachColumn::SendAfter, desc)))
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|o| o.send_after)
                .collect();
        assert!(is_sorted(&sends, desc));
        let actors: Vec<String> =
            settle::store::ledger::activity(&pool, &query(by(ActivityColumn::Actor, desc)), None)
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|a| a.actor)
                .collect();
        assert!(is_sorted(&actors, desc), "{actors:?}");
    }
}

#[test]
fn each_list_sorts_only_by_columns_it_can_sort_by() {
    assert_eq!(
        sortable::<ActivityColumn>().len(),
        5,
        "Details is not sortable"
    );
    assert!(
        !sortable::<DisputeColumn>().contains(&10),
        "Watching is not"
    );
}

#[tokio::test]
async fn an_amount_filter_reads_each_rows_currency_in_its_own_decimal_places() {
    let (_db, pool) = seeded_db(60, 42).await;
    let id: i64 = sqlx::query_scalar(
        "WITH yen AS (INSERT INTO currencies VALUES ('JPY', 0, 'Yen'))
         UPDATE disputes SET currency = 'JPY', amount_minor = 5000
          WHERE id = (SELECT min(id) FROM disputes WHERE state <> 'resolved') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let matching = |filter: &str| {
        let pool = pool.clone();
        let q = ListQuery {
            filter: settle::filter::Filter::parse(filter),
            limit: 500,
            ..Default::default()
        };
        async move {
            settle::store::disputes::open_disputes(&pool, &q, fixed_now())
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.id)
                .collect::<Vec<_>>()
        }
    };
    assert!(
        matching("amount>4999").await.contains(&id),
        "¥5,000 is more than 4,999"
    );
    assert!(!matching("amount>5000").await.contains(&id));
    assert!(matching("amount=5000").await.contains(&id));
}

#[tokio::test]
async fn an_unknown_filter_field_names_every_field_there_is_sla_included() {
    let (_db, pool) = seeded_db(60, 14).await;
    let q = ListQuery {
        filter: settle::filter::Filter::parse("colour:red"),
        ..query(None)
    };
    let err = settle::store::disputes::open_disputes(&pool, &q, fixed_now())
        .await
        .unwrap_err()
        .to_string();
    for field in ["sla", "customer", "state", "owner", "amount"] {
        assert!(err.contains(field), "{err}");
    }
    // Two sla words: the last one counts, and neither reaches the SQL.
    let q = ListQuery {
        filter: settle::filter::Filter::parse("sla:ok sla:breached"),
        ..query(None)
    };
    let rows = settle::store::disputes::open_disputes(&pool, &q, fixed_now())
        .await
        .unwrap();
    assert!(
        rows.iter()
            .all(|d| settle::store::disputes::worst(d).label() == "breached")
    );
}

#[tokio::test]
async fn the_alert_for_old_disputes_opens_exactly_the_disputes_it_counts() {
    let (_db, pool) = seeded_db(150, 15).await;
    let now = chrono::Utc::now();
    let trust = settle::store::trust::metrics(&pool, now, 30).await.unwrap();
    let alerts = settle::domain::alerts::alerts(&Default::default(), &trust);
    let line = alerts
        .iter()
        .find(|a| a.contains("unresolved for over 7 days"))
        .expect("the seeded book has old disputes");
    let command = settle::domain::alerts::command_of(line).unwrap();
    assert_eq!(command, "disputes age>7");
    let q = ListQuery {
        filter: settle::filter::Filter::parse("age>7"),
        ..query(None)
    };
    let rows = settle::store::disputes::open_disputes(&pool, &q, now)
        .await
        .unwrap();
    assert_eq!(rows.len(), trust.unresolved_over_7_days);
}

/// The console's dispute queue reads names only for the window on screen: every window, in
/// every clock order and by an SQL column, with and without `sla:` and other filters, is the
/// same slice of the whole queue.
#[tokio::test]
async fn a_window_of_the_dispute_queue_is_that_slice_of_the_whole_queue() {
    let (_db, pool) = seeded_db(200, 42).await;
    let now = fixed_now();
    let sorts = [
        None,
        by(DisputeColumn::Response, false),
        by(DisputeColumn::Resolve, true),
        by(DisputeColumn::Customer, false),
        by(DisputeColumn::Amount, true),
    ];
    let filters = [
        "",
        "sla:breached",
        "sla:at_risk",
        "sla:ok",
        "customer:a",
        "a",
        "state:investigating",
        "customer:a sla:breached",
    ];
    let mut compared = 0;
    for sort in sorts {
        for filter in filters {
            let whole = ListQuery {
                sort,
                limit: 100_000,
                filter: settle::filter::Filter::parse(filter),
                ..Default::default()
            };
            let all = settle::store::disputes::open_disputes(&pool, &whole, now)
                .await
                .unwrap();
            for offset in [0, 5, 40] {
                let q = ListQuery {
                    limit: 7,
                    offset,
                    ..whole.clone()
                };
                let page = settle::store::dispute_queue::open_disputes_page(&pool, &q, now)
                    .await
                    .unwrap();
                let slice: Vec<_> = all.iter().skip(offset as usize).take(7).cloned().collect();
                assert_eq!(page.total, all.len() as i64, "{filter} {sort:?}");
                assert_eq!(page.rows, slice, "{filter} {sort:?} from {offset}");
                compared += page.rows.len();
            }
        }
    }
    assert!(compared > 100, "only {compared} rows compared");
}

/// The worklist reads lines only for the disputes at risk or breached: exactly those of the
/// whole queue whose worse clock is not ok. A few (read matched by id) and many (read joined
/// from the ids' array: a month later, most open disputes of a larger book are late).
#[tokio::test]
async fn the_worklists_disputes_are_the_queues_not_ok_ones() {
    let (_db, pool) = seeded_db(200, 42).await;
    let few = worklist_disputes_match_the_queue(&pool, fixed_now()).await;
    assert!(few < 100, "{few} disputes at risk: not a few");
    let (_db, pool) = seeded_db(8000, 42).await;
    let many =
        worklist_disputes_match_the_queue(&pool, fixed_now() + chrono::Duration::days(30)).await;
    assert!(many > 100, "only {many} disputes at risk");
}

/// Checks the worklist's dispute lines at `now` against the whole queue's; how many are at risk.
async fn worklist_disputes_match_the_queue(
    pool: &sqlx::PgPool,
    now: chrono::DateTime<chrono::Utc>,
) -> usize {
    let pool = pool.clone();
    let whole = ListQuery {
        limit: 100_000,
        ..Default::default()
    };
    let all = settle::store::disputes::open_disputes(&pool, &whole, now)
        .await
        .unwrap();
    let mut want: Vec<_> = all
        .into_iter()
        .filter(|d| settle::store::disputes::worst(d) != settle::domain::sla::SlaState::Ok)
        .collect();
    use settle::store::dispute_queue::{DisputesFor, disputes_not_ok};
    let mut got = disputes_not_ok(&pool, now, DisputesFor::Everyone)
        .await
        .unwrap();
    want.sort_by_key(|d| d.id);
    got.sort_by_key(|d| d.id);
    assert!(!want.is_empty(), "the seeded book has no dispute at risk");
    assert_eq!(got, want);
    // A collector's: every one assigned to them, none assigned to anyone else.
    let ben = disputes_not_ok(&pool, now, DisputesFor::Collector("ben"))
        .await
        .unwrap();
    let bens = |d: &settle::model::DisputeLine| d.assignee.as_deref() == Some("Ben Okafor");
    assert_eq!(
        ben.iter().filter(|d| bens(d)).count(),
        want.iter().filter(|d| bens(d)).count()
    );
    assert!(ben.iter().all(|d| bens(d) || d.assignee.is_none()));
    assert!(
        ben.len() < want.len(),
        "a collector's are fewer than everyone's"
    );
    let assigned = disputes_not_ok(&pool, now, DisputesFor::AssignedTo("ben"))
        .await
        .unwrap();
    assert!(!assigned.is_empty() && assigned.iter().all(bens));
    want.len()
}

/// Walks every page of 50 of list `name` through `read` (rows on the page, total it claims):
/// every page claims the same total, it is the number of rows the pages hold, and an
/// unfiltered list is not empty.
async fn walk_pages<F, Fut>(name: &str, filter: &str, read: F)
where
    F: Fn(ListQuery) -> Fut,
    Fut: std::future::Future<Output = (usize, i64)>,
{
    let mut seen = 0;
    let mut totals = std::collections::BTreeSet::new();
    for offset in (0..).step_by(50) {
        let (rows, total) = read(ListQuery {
            filter: settle::filter::Filter::parse(filter),
            limit: 50,
            offset,
            ..Default::default()
        })
        .await;
        totals.insert(total);
        seen += rows as i64;
        if rows < 50 {
            break;
        }
    }
    assert_eq!(totals.len(), 1, "{name} `{filter}`: totals {totals:?}");
    assert_eq!(totals.first(), Some(&seen), "{name} `{filter}`");
    assert!(
        !filter.is_empty() || seen > 0,
        "the seeded book has no {name}"
    );
}

/// A list's total is how many rows its pages hold, with and without a filter, on every page
/// (`:outreach` and `:holds` count an unfiltered list without their joins, beside the page).
#[tokio::test]
async fn a_lists_total_is_what_its_pages_hold() {
    let (_db, pool) = seeded_db(200, 42).await;
    let pool = &pool;
    for filter in ["", "status:sent", "a", "channel:email e"] {
        walk_pages("messages", filter, |q| async move {
            let page = settle::store::lists::outreach(pool, &q).await.unwrap();
            (page.rows.len(), page.total)
        })
        .await;
    }
    for filter in ["", "status:cleared", "a", "reason:credit_limit"] {
        walk_pages("holds", filter, |q| async move {
            let page = settle::store::lists::holds(pool, &q).await.unwrap();
            (page.rows.len(), page.total)
        })
        .await;
    }
}

/// `:slipping` unfiltered in its default order picks the page by open money before joining
/// names: every page is the one the full query gives sorted by Open, largest first.
#[tokio::test]
async fn slipping_pages_are_the_full_querys_largest_first() {
    let (_db, pool) = seeded_db(300, 42).await;
    let mut compared = 0;
    for offset in [0, 3, 10, 40] {
        let default = ListQuery {
            limit: 7,
            offset,
            ..Default::default()
        };
        let sorted = ListQuery {
            sort: by(settle::lists::SlippingColumn::Open, true),
            ..default.clone()
        };
        let fast = settle::store::slipping::slipping(&pool, &default)
            .await
            .unwrap();
        let full = settle::store::slipping::slipping(&pool, &sorted)
            .await
            .unwrap();
        assert_eq!(fast.total, full.total, "from {offset}");
        assert_eq!(fast.rows, full.rows, "from {offset}");
        compared += fast.rows.len();
    }
    assert!(compared >= 7, "only {compared} slipping accounts compared");
}
