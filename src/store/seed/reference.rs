//! Reference data every demo store has: agents (and their login roles where we may create
//! them), business calendars with holidays, SLA policies, outreach templates, FX rates.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sqlx::PgConnection;

use super::names;
use crate::store::StoreError;

pub async fn insert(
    conn: &mut PgConnection,
    rng: &mut ChaCha8Rng,
    today: NaiveDate,
) -> Result<(), StoreError> {
    agents(conn).await?;
    calendars(conn, today).await?;
    sqlx::query(
        "INSERT INTO sla_policies (id, name, category, segment, calendar_id, first_response_minutes, resolution_minutes, priority) VALUES
         (1, 'Standard (business hours)', NULL, NULL, 1, 480, 2400, 0),
         (2, 'VIP (business hours)', NULL, 'vip', 1, 240, 1440, 20),
         (3, 'Billing errors (calendar hours)', 'pricing', NULL, NULL, 1440, 7200, 10),
         (4, 'Duplicate billing (calendar hours)', 'duplicate_billing', NULL, NULL, 1440, 7200, 10)",
    )
    .execute(&mut *conn)
    .await?;
    templates(conn).await?;
    fx_rates(conn, rng, today).await?;
    sqlx::query("SELECT setval(pg_get_serial_sequence(t, 'id'), (SELECT coalesce(max(id), 1) FROM sla_policies)) FROM (VALUES ('sla_policies')) v(t)")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn agents(conn: &mut PgConnection) -> Result<(), StoreError> {
    let may_create: bool = sqlx::query_scalar(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut *conn)
    .await?;
    for (i, (role, name, title)) in names::AGENTS.iter().enumerate() {
        let email = format!("{role}@settle.example");
        sqlx::query("INSERT INTO agents (id, role_name, display_name, email, title) VALUES ($1, $2, $3, $4, $5)")
            .bind(i as i32 + 1)
            .bind(role)
            .bind(name)
            .bind(email)
            .bind(title)
            .execute(&mut *conn)
            .await?;
        if may_create {
            let group = match *title {
                "lead" => "settle_lead",
                "collector" => "settle_collector",
                _ => "settle_viewer",
            };
            // Role names come from our own constant list, never from input.
            let sql = format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN \
                 CREATE ROLE {role} LOGIN IN ROLE {group}; END IF; \
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await?;
        }
    }
    if may_create {
        // The demo's worker (outreach, time-based jobs) logs in as `settle_demo_worker`.
        sqlx::query(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'settle_demo_worker') THEN \
             CREATE ROLE settle_demo_worker LOGIN IN ROLE settle_worker; END IF; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
        )
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("SELECT setval('agents_id_seq', (SELECT max(id) FROM agents))")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The n-th `weekday` of a month (n from 1), or the last one when n is 0.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> NaiveDate {
    if n == 0 {
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        };
        let mut d = next.expect("valid date") - Duration::days(1);
        while d.weekday() != weekday {
            d -= Duration::days(1);
        }
        return d;
    }
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8)
        .expect("valid weekday of month")
}

fn us_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("valid date");
    vec![
        (ymd(1, 1), "New Year's Day"),
        (
            nth_weekday(year, 1, Weekday::Mon, 3),
            "Martin Luther King Jr. Day",
        ),
        (nth_weekday(year, 5, Weekday::Mon, 0), "Memorial Day"),
        (ymd(7, 4), "Independence Day"),
        (nth_weekday(year, 9, Weekday::Mon, 1), "Labor Day"),
        (nth_weekday(year, 11, Weekday::Thu, 4), "Thanksgiving Day"),
        (ymd(12, 25), "Christmas Day"),
    ]
}

async fn calendars(conn: &mut PgConnection, today: NaiveDate) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO business_calendars (id, name, time_zone, work_days, day_start, day_end) VALUES
         (1, 'US business hours', 'America/New_York', '{1,2,3,4,5}', '09:00', '17:00'),
         (2, 'UK business hours', 'Europe/London', '{1,2,3,4,5}', '09:00', '17:30')",
    )
    .execute(&mut *conn)
    .await?;
    for year in today.year() - 2..=today.year() + 1 {
        for (day, name) in us_holidays(year) {
            sqlx::query(
                "INSERT INTO calendar_holidays (calendar_id, day, name) VALUES (1, $1, $2)",
            )
            .bind(day)
            .bind(name)
            .execute(&mut *conn)
            .await?;
        }
        for (m, d, name) in [
            (1, 1, "New Year's Day"),
            (12, 25, "Christmas Day"),
            (12, 26, "Boxing Day"),
        ] {
            sqlx::query(
                "INSERT INTO calendar_holidays (calendar_id, day, name) VALUES (2, $1, $2)",
            )
            .bind(NaiveDate::from_ymd_opt(year, m, d).expect("valid date"))
            .bind(name)
            .execute(&mut *conn)
            .await?;
        }
    }
    sqlx::query("SELECT setval('business_calendars_id_seq', 2)")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn templates(conn: &mut PgConnection) -> Result<(), StoreError> {
    let rows: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
        (
            "vip-personal",
            "vip",
            "reminder",
            "personal",
            "personal_note",
            "A quick note about invoice {invoice}",
            "Hi {contact},\n\nI hope all is well at {customer}. I noticed invoice {invoice} for {amount} (due {due}) is still open. If anything is holding it up, tell me and I'll sort it out personally.\n\nBest,\n{owner}",
        ),
        (
            "standard-friendly",
            "standard",
            "reminder",
            "friendly",
            "email",
            "Friendly reminder: invoice {invoice}",
            "Hello {contact},\n\nA friendly reminder that invoice {invoice} for {amount} was due on {due}. If you've already sent payment, thank you and please ignore this note.\n\nKind regards,\nAccounts Receivable",
        ),
        (
            "chronic-firm",
            "chronic_late",
            "reminder",
            "firm",
            "email",
            "Payment overdue: invoice {invoice}",
            "Hello {contact},\n\nInvoice {invoice} for {amount} was due on {due} and is now {days} days past due. {orders_line}Please arrange payment this week or reply with a date we can expect it.\n\nAccounts Receivable",
        ),
        (
            "highrisk-escalation",
            "high_risk",
            "reminder",
            "escalation",
            "email",
            "Action required: overdue balance on {customer}",
            "Hello {contact},\n\nInvoice {invoice} for {amount} was due on {due} and is now {days} days past due. {orders_line}{dispute_line}New orders may be held until the balance is settled. Please contact us within 5 business days.\n\n{owner}",
        ),
        (
            "hold-release",
            "any",
            "hold_release",
            "confirmation",
            "email",
            "We received your payment; order {order} is on its way",
            "Hello {contact},\n\nWe received your payment for invoice {invoice}; your order {order} has been released and is on its way.\n\nThank you,\nAccounts Receivable",
        ),
        (
            "promise-followup",
            "any",
            "promise_followup",
            "friendly",
            "email",
            "Following up on your payment for {invoice}",
            "Hello {contact},\n\nThank you for letting us know payment for {invoice} would arrive by {promised}. We have not seen it yet; could you confirm?\n\nAccounts Receivable",
        ),
    ];
    for (code, segment, purpose, tone, channel, subject, body) in rows {
        sqlx::query("INSERT INTO outreach_templates (code, segment, purpose, tone, channel, subject, body) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(code).bind(segment).bind(purpose).bind(tone).bind(channel).bind(subject).bind(body)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Daily rates for EUR and GBP into USD over the book's life: a small deterministic walk.
async fn fx_rates(
    conn: &mut PgConnection,
    rng: &mut ChaCha8Rng,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let mut dates = Vec::new();
    let mut currencies = Vec::new();
    let mut rates = Vec::new();
    for (currency, start) in [("EUR", 108_000_000i64), ("GBP", 127_000_000i64)] {
        let mut rate = start;
        let mut day = today - Duration::days(800);
        while day <= today + Duration::days(30) {
            rate = (rate + rng.random_range(-300_000..=300_000))
                .clamp(start * 9 / 10, start * 11 / 10);
            dates.push(day);
            currencies.push(currency.to_string());
            rates.push(rate);
            day += Duration::days(1);
        }
    }
    sqlx::query("INSERT INTO fx_rates (currency, rate_date, rate_e8) SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[])")
        .bind(currencies)
        .bind(dates)
        .bind(rates)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
