//! The few statements the benchmarks need beyond what the console uses.

use sqlx::PgPool;

use super::StoreError;

/// An open invoice a benchmark can post against: (invoice, customer, currency).
pub type Target = (i64, i64, String);

/// Up to `limit` open invoices with more than a cent left.
pub async fn open_targets(pool: &PgPool, limit: i64) -> Result<Vec<Target>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, currency::text FROM invoices WHERE open_minor > 100 ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// What an ERP posting a payment does: a one-cent payment and its allocation, one transaction.
pub async fn post_cent(pool: &PgPool, target: &Target, reference: &str) -> Result<(), StoreError> {
    let (invoice, customer, currency) = target;
    sqlx::query(
        "WITH p AS (INSERT INTO payments (customer_id, reference, received_on, amount_minor, currency, unapplied_minor)
                    VALUES ($1, $2, settle_today(), 1, $3, 1) RETURNING id)
         INSERT INTO allocations (invoice_id, payment_id, applied_on, amount_minor) SELECT $4, id, settle_today(), 1 FROM p",
    )
    .bind(customer)
    .bind(reference)
    .bind(currency)
    .bind(invoice)
    .execute(pool)
    .await?;
    Ok(())
}

/// How many invoices are open now.
pub async fn open_invoice_count(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM invoices WHERE open_minor > 0")
            .fetch_one(pool)
            .await?,
    )
}

/// A customer with something open (for timing the account view).
pub async fn customer_with_open_items(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT customer_id FROM invoices WHERE open_minor > 0 LIMIT 1")
            .fetch_one(pool)
            .await?,
    )
}

/// `n` due e-mail reminders about no invoice (so no guard holds them), spread over the
/// customers that have a contact, with every contact reachable: the send benchmark's queue.
pub async fn queue_bench_messages(pool: &PgPool, n: i64) -> Result<(), StoreError> {
    for sql in [
        "UPDATE outreach SET status = 'cancelled' WHERE status IN ('draft', 'queued')",
        "UPDATE contacts SET email = 'ap' || customer_id || '@customer.test'",
    ] {
        sqlx::query(sql).execute(pool).await?;
    }
    sqlx::query(
        "INSERT INTO outreach (customer_id, purpose, channel, tone, subject, body, send_after, status, override_reason)
         SELECT c.ids[1 + g % array_length(c.ids, 1)], 'reminder', 'email', 'friendly', 'Bench ' || g,
                'Hello,\nA benchmark message.\n', now() - interval '1 minute', 'queued', 'bench'
           FROM generate_series(1, $1) g, (SELECT array_agg(DISTINCT customer_id) AS ids FROM contacts) c",
    )
    .bind(n)
    .execute(pool)
    .await?;
    Ok(())
}

/// For `settle bench suite`: the questions a person would type into psql (run by psql itself,
/// as the baseline), beside the console view that answers them (a view may have more than one).
pub const PSQL_QUESTIONS: [(&str, &str, &str); 6] = [
    (
        "aging today (buckets)",
        "overview",
        "SELECT CASE WHEN due_date >= current_date THEN 'not due' WHEN current_date - due_date <= 30 THEN '1-30'
                     WHEN current_date - due_date <= 60 THEN '31-60' WHEN current_date - due_date <= 90 THEN '61-90'
                     WHEN current_date - due_date <= 120 THEN '91-120' ELSE '120+' END, count(*), sum(open_minor)
           FROM invoices WHERE open_minor > 0 GROUP BY 1",
    ),
    (
        "customers in Not due",
        "aging customers not due",
        "SELECT c.name, count(*), sum(i.open_minor) FROM invoices i JOIN customers c ON c.id = i.customer_id
          WHERE i.open_minor > 0 AND i.due_date >= current_date GROUP BY c.name ORDER BY 3 DESC LIMIT 70",
    ),
    (
        "customers in 1-30",
        "aging customers 1-30",
        "SELECT c.name, count(*), sum(i.open_minor) FROM invoices i JOIN customers c ON c.id = i.customer_id
          WHERE i.open_minor > 0 AND i.due_date BETWEEN current_date - 30 AND current_date - 1
          GROUP BY c.name ORDER BY 3 DESC LIMIT 70",
    ),
    (
        "open disputes, oldest first",
        "disputes",
        "SELECT d.number, c.name, d.state, d.amount_minor, d.opened_at FROM disputes d
           JOIN customers c ON c.id = d.customer_id WHERE d.state <> 'resolved' ORDER BY d.opened_at LIMIT 70",
    ),
    // Issue 14's "psql's plain query" for the queue (10 ms on the large store then; 10.5–11 ms
    // typed into psql on it now): every open dispute, where the page above stops at 70.
    (
        "every open dispute, oldest first",
        "disputes",
        "SELECT d.number, c.name, d.state, d.amount_minor, d.opened_at FROM disputes d
           JOIN customers c ON c.id = d.customer_id WHERE d.state <> 'resolved' ORDER BY d.opened_at",
    ),
    (
        "orders on hold",
        "holds",
        "SELECT o.number, c.name, h.reason, h.placed_at FROM holds h JOIN orders o ON o.id = h.order_id
           JOIN customers c ON c.id = o.customer_id WHERE h.status IN ('active', 'cleared') ORDER BY h.placed_at LIMIT 70",
    ),
];

/// How many invoices the store holds (the size of the book a benchmark ran on).
pub async fn invoice_count(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM invoices")
        .fetch_one(pool)
        .await?)
}
