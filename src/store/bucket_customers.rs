//! The aging's customers in a bucket from the kept buckets (migration 0017): the largest of a
//! bucket read from an index, instead of adding up every open invoice of the bucket by
//! customer. They answer only for the day, edges and rates they were built for, with no
//! allocation dated later; anything else adds them up (`account::customers_in_bucket_exact`).

use chrono::NaiveDate;
use sqlx::{PgPool, QueryBuilder};

use super::StoreError;
use super::account::{
    CustomerRow, added_up, customer_page, fetch_customer_page, push_customer_filter,
};
use super::lists::ListQuery;
use crate::domain::aging::{Basis, BucketEdges};
use crate::lists::{Column, CustomerColumn, SortBy};
use crate::model::{CustomerAging, Page};

/// Customers with invoices in bucket `index` of `edges` as of `as_of`, largest first unless
/// sorted otherwise: from the kept buckets when they hold for that day, else added up.
pub async fn customers_in_bucket(
    pool: &PgPool,
    as_of: NaiveDate,
    basis: Basis,
    edges: &BucketEdges,
    index: usize,
    q: &ListQuery,
) -> Result<Page<CustomerAging>, StoreError> {
    let bucket = edges
        .buckets()
        .get(index)
        .cloned()
        .ok_or_else(|| StoreError::Refused("no such bucket".into()))?;
    let rates = super::aging::rate_arrays(pool, as_of).await?;
    let standing = super::summary::standing(pool, as_of).await?;
    if !standing.ranks_customers(as_of, edges.edges(), &rates) {
        return added_up(pool, (as_of, basis, &bucket), rates, q).await;
    }
    let index = i16::try_from(index).map_err(|_| StoreError::Refused("no such bucket".into()))?;
    if q.filter.is_empty() && largest_first(q.sort) {
        largest(pool, basis, index, q).await
    } else {
        kept(pool, basis, index, q).await
    }
}

/// Whether the list asks for its default order: the largest amount first.
fn largest_first(sort: Option<SortBy>) -> bool {
    sort.is_none_or(|s| {
        s.descending && CustomerColumn::at(s.column) == Some(CustomerColumn::Amount)
    })
}

/// The default order, unfiltered: one page of the index, then the names of that page only.
async fn largest(
    pool: &PgPool,
    basis: Basis,
    bucket: i16,
    q: &ListQuery,
) -> Result<Page<CustomerAging>, StoreError> {
    let rows: Vec<CustomerRow> = sqlx::query_as(
        "WITH top AS (
           SELECT customer_id, n, converted_minor FROM customer_buckets
            WHERE basis = $1 AND bucket = $2 AND n > 0
            ORDER BY converted_minor DESC, customer_id LIMIT $3 OFFSET $4)
         SELECT c.id, c.code, c.name, coalesce(c.segment_override, p.segment, 'standard') AS segment,
                top.n AS invoices, top.converted_minor AS amount,
                (SELECT count(*) FROM customer_buckets WHERE basis = $1 AND bucket = $2 AND n > 0) AS total
           FROM top JOIN customers c ON c.id = top.customer_id LEFT JOIN customer_profiles p ON p.customer_id = c.id
          ORDER BY top.converted_minor DESC, c.id",
    )
    .bind(basis.key())
    .bind(bucket)
    .bind(q.limit)
    .bind(q.offset)
    .fetch_all(pool)
    .await?;
    Ok(customer_page(rows, q.offset))
}

/// Filtered or sorted otherwise: the bucket's customers joined to their names, no adding up.
async fn kept(
    pool: &PgPool,
    basis: Basis,
    bucket: i16,
    q: &ListQuery,
) -> Result<Page<CustomerAging>, StoreError> {
    let mut qb = QueryBuilder::new(
        "WITH items AS (SELECT customer_id, n, converted_minor FROM customer_buckets WHERE basis = ",
    );
    qb.push_bind(basis.key())
        .push(" AND bucket = ")
        .push_bind(bucket)
        .push(
            " AND n > 0)
         SELECT c.id, c.code, c.name, coalesce(c.segment_override, p.segment, 'standard') AS segment,
                items.n AS invoices, items.converted_minor AS amount, count(*) OVER () AS total
           FROM items JOIN customers c ON c.id = items.customer_id LEFT JOIN customer_profiles p ON p.customer_id = c.id
          WHERE true",
        );
    push_customer_filter(&mut qb, q)?;
    fetch_customer_page(pool, qb, q).await
}
