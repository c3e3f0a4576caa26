-- Payment rhythm and segments per customer (DOMAIN.md "Segments and tone", "Payment rhythm").
-- The same rules live in src/domain/{rhythm,segment}.rs; a test proves both agree.

INSERT INTO settings (key, value) VALUES
    ('high_risk_90_minor', '1000000'),   -- over-90 balance above this (reporting minor units) is high risk
    ('drift_days', '7'),                 -- recent median later than the long-run one by more than this: slipping
    ('vip_top_percent', '1'),            -- top revenue share that counts as VIP
    ('reminder_grace_days', '3');        -- no automatic reminder before expected pay date + grace

CREATE FUNCTION setting_int(k text) RETURNS bigint LANGUAGE sql STABLE AS
    $$ SELECT value::bigint FROM settings WHERE key = k $$;

CREATE FUNCTION refresh_customer_profiles(today date) RETURNS bigint LANGUAGE sql AS $$
WITH paid AS (
    SELECT customer_id, issue_date, due_date, settled_on, settled_on - issue_date AS days_to_pay,
           greatest(settled_on - due_date, 0) AS days_late,
           row_number() OVER (PARTITION BY customer_id ORDER BY settled_on DESC, id DESC) AS recency
      FROM invoices WHERE open_minor = 0 AND settled_on IS NOT NULL AND settled_on <= today AND amount_minor > 0
), rhythm AS (
    SELECT customer_id,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY days_to_pay) AS typical,
           percentile_disc(0.75) WITHIN GROUP (ORDER BY days_to_pay)
             - percentile_disc(0.25) WITHIN GROUP (ORDER BY days_to_pay) AS spread,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY days_to_pay) FILTER (WHERE settled_on > today - 90) AS recent,
           count(*) FILTER (WHERE settled_on > today - 90) AS recent_n
      FROM paid GROUP BY customer_id
), lateness AS (
    SELECT customer_id, count(*) AS n, count(*) FILTER (WHERE days_late > 0) AS late, sum(days_late) AS days_late
      FROM paid WHERE recency <= 12 GROUP BY customer_id
), rate AS (
    SELECT DISTINCT ON (currency) currency, rate_e8 FROM fx_rates WHERE rate_date <= today ORDER BY currency, rate_date DESC
), open_items AS (
    SELECT i.customer_id,
           sum(i.open_minor) AS open_total,
           sum(round(i.open_minor::numeric
                     * CASE WHEN i.currency = (SELECT value FROM settings WHERE key = 'reporting_currency') THEN 100000000
                            ELSE coalesce(r.rate_e8, 0) END / 100000000)) FILTER (WHERE today - i.due_date > 90) AS over_90,
           bool_or(true) AS any_open
      FROM invoices i LEFT JOIN rate r ON r.currency = i.currency
     WHERE i.open_minor > 0 AND i.issue_date <= today GROUP BY i.customer_id
), revenue AS (
    SELECT i.customer_id,
           rank() OVER (ORDER BY sum(round(i.amount_minor::numeric
                     * CASE WHEN i.currency = (SELECT value FROM settings WHERE key = 'reporting_currency') THEN 100000000
                            ELSE coalesce(r.rate_e8, 0) END / 100000000)) DESC) AS place
      FROM invoices i LEFT JOIN rate r ON r.currency = i.currency
     WHERE i.issue_date > today - 365 AND i.issue_date <= today GROUP BY i.customer_id
), broken AS (
    SELECT customer_id, count(*) AS n FROM promises WHERE status = 'broken' GROUP BY customer_id
), late_open AS (
    SELECT i.customer_id, bool_or(today > i.issue_date + rh.typical + greatest(rh.spread, 3)) AS overdue_vs_rhythm
      FROM invoices i JOIN rhythm rh ON rh.customer_id = i.customer_id
     WHERE i.open_minor > 0 AND i.issue_date <= today GROUP BY i.customer_id
), judged AS (
    SELECT c.id AS customer_id, rh.typical, rh.spread, rh.recent,
           coalesce(rh.recent_n >= 3 AND rh.recent - rh.typical > setting_int('drift_days'), false)
             OR coalesce(lo.overdue_vs_rhythm, false) AS slipping,
           CASE
             WHEN c.segment_override IS NOT NULL THEN c.segment_override
             WHEN c.strategic OR rv.place <= greatest(1, (SELECT count(*) FROM customers) * setting_int('vip_top_percent') / 100) THEN 'vip'
             WHEN coalesce(o.over_90, 0) > setting_int('high_risk_90_minor') OR coalesce(b.n, 0) >= 2
                  OR coalesce(o.open_total, 0) > c.credit_limit_minor THEN 'high_risk'
             WHEN l.n >= 3 AND (l.late * 2 >= l.n OR l.days_late > 10 * l.n) THEN 'chronic_late'
             ELSE 'standard'
           END AS segment,
           CASE
             WHEN c.segment_override IS NOT NULL THEN 'override: ' || c.override_reason
             WHEN c.strategic THEN 'strategic account'
             WHEN rv.place <= greatest(1, (SELECT count(*) FROM customers) * setting_int('vip_top_percent') / 100)
               THEN format('top revenue: rank %s over the last 365 days', rv.place)
             WHEN coalesce(o.over_90, 0) > setting_int('high_risk_90_minor')
               THEN format('over 90 days past due: %s above the %s threshold', o.over_90, setting_int('high_risk_90_minor'))
             WHEN coalesce(b.n, 0) >= 2 THEN format('%s broken promises to pay', b.n)
             WHEN coalesce(o.open_total, 0) > c.credit_limit_minor THEN 'open balance over the credit limit'
             WHEN l.n >= 3 AND (l.late * 2 >= l.n OR l.days_late > 10 * l.n)
               THEN format('late on %s of the last %s paid invoices; %s days late on average',
                           l.late, l.n, to_char(l.days_late::numeric / l.n, 'FM9990.0'))
             ELSE format('late on %s of the last %s paid invoices', coalesce(l.late, 0), coalesce(l.n, 0))
           END AS reason
      FROM customers c
      LEFT JOIN rhythm rh ON rh.customer_id = c.id
      LEFT JOIN lateness l ON l.customer_id = c.id
      LEFT JOIN open_items o ON o.customer_id = c.id
      LEFT JOIN revenue rv ON rv.customer_id = c.id
      LEFT JOIN broken b ON b.customer_id = c.id
      LEFT JOIN late_open lo ON lo.customer_id = c.id
), written AS (
    INSERT INTO customer_profiles AS p (customer_id, segment, segment_reason, typical_days, spread_days, recent_days, slipping, refreshed_at)
    SELECT customer_id, segment, reason, typical, spread, recent, slipping, now() FROM judged
    ON CONFLICT (customer_id) DO UPDATE SET segment = EXCLUDED.segment, segment_reason = EXCLUDED.segment_reason,
        typical_days = EXCLUDED.typical_days, spread_days = EXCLUDED.spread_days, recent_days = EXCLUDED.recent_days,
        slipping = EXCLUDED.slipping, refreshed_at = EXCLUDED.refreshed_at
    RETURNING 1
)
SELECT count(*) FROM written
$$;
