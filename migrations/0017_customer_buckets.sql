-- Customers in an aging bucket, kept: for each basis and each bucket of the default edges
-- (30, 60, 90, 120 days) as they stand on one day, each customer's open invoices and their
-- amount, each invoice converted at summary_rates and then summed (the aging rule). The
-- aging's customers list reads the largest of a bucket from an index instead of adding up
-- every open invoice of the bucket by customer.
--
-- Buckets age with the calendar: the rows hold for customer_buckets_state.day only, and the
-- worker's run_time_jobs() rebuilds them when the day turns (and whenever the summaries are
-- rebuilt at new rates). A reader uses them only for that day, those edges and those rates,
-- with no allocation dated later; otherwise it takes the full path. Writers keep them by the
-- summaries' statement trigger: one upsert per (basis, bucket, customer) a statement touched,
-- so only payments to the same customer wait on each other.

CREATE TABLE customer_buckets_state (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    day        date NOT NULL,       -- the day the buckets are aged at
    edges      integer[] NOT NULL,  -- upper bounds of the past-due buckets, as BucketEdges
    thresholds integer[] NOT NULL   -- width_bucket's lower bounds: 1, then each edge + 1
);

CREATE TABLE customer_buckets (
    basis           text NOT NULL CHECK (basis IN ('due', 'invoice')),
    bucket          smallint NOT NULL,  -- 0 Not due, then one per edge, then the open-ended one
    customer_id     bigint NOT NULL,
    n               bigint NOT NULL,    -- open invoices
    converted_minor bigint NOT NULL,    -- each converted at summary_rates, then summed
    PRIMARY KEY (basis, bucket, customer_id)
);
CREATE INDEX customer_buckets_largest_idx ON customer_buckets (basis, bucket, converted_minor DESC, customer_id)
    WHERE n > 0;
ALTER TABLE customer_buckets SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05);

GRANT SELECT ON customer_buckets, customer_buckets_state TO settle_viewer;

-- Rebuilds the customers' buckets as of `p_today` at summary_rates (rebuild_summaries calls
-- it after setting them). Writers of invoices wait for it; readers do not.
CREATE FUNCTION rebuild_customer_buckets(p_today date DEFAULT NULL, p_edges integer[] DEFAULT '{30,60,90,120}')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    today date := coalesce(p_today, settle_today());
    built bigint;
BEGIN
    IF coalesce(cardinality(p_edges), 0) = 0 OR p_edges[1] < 1
       OR EXISTS (SELECT 1 FROM unnest(p_edges) WITH ORDINALITY a(e, i)
                   WHERE i > 1 AND e <= p_edges[(i - 1)::integer]) THEN
        RAISE EXCEPTION 'bucket edges must be increasing days from 1: %', p_edges USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('settle summaries'));
    LOCK TABLE invoices IN SHARE MODE;
    DELETE FROM customer_buckets_state;
    INSERT INTO customer_buckets_state
    SELECT true, today, p_edges, array_prepend(1, array_agg(e + 1 ORDER BY e)) FROM unnest(p_edges) e;
    DELETE FROM customer_buckets;
    INSERT INTO customer_buckets
    SELECT k.basis, k.bucket, i.customer_id, count(*), sum(settle_convert(i.open_minor, r.rate_e8))
      FROM invoices i CROSS JOIN customer_buckets_state s LEFT JOIN summary_rates r ON r.currency = i.currency
     CROSS JOIN LATERAL (VALUES ('due', width_bucket(s.day - i.due_date, s.thresholds)::smallint),
                                ('invoice', width_bucket(s.day - i.issue_date, s.thresholds)::smallint)) k(basis, bucket)
     WHERE i.open_minor > 0 AND i.issue_date <= today
     GROUP BY 1, 2, 3;
    GET DIAGNOSTICS built = ROW_COUNT;
    RETURN built;
END $$;
REVOKE ALL ON FUNCTION rebuild_customer_buckets(date, integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rebuild_customer_buckets(date, integer[]) TO settle_worker, settle_lead;

-- The summaries' trigger keeps the customers' buckets too (customer_id joins its records).
CREATE OR REPLACE FUNCTION summarise_rows(p_out jsonb, p_in jsonb, p_open boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    WITH rows AS (
        SELECT -1 AS sign, * FROM jsonb_to_recordset(coalesce(p_out, '[]'))
               AS o(customer_id bigint, currency text, due_date date, issue_date date, amount_minor bigint, open_minor bigint)
        UNION ALL
        SELECT 1, * FROM jsonb_to_recordset(coalesce(p_in, '[]'))
               AS n(customer_id bigint, currency text, due_date date, issue_date date, amount_minor bigint, open_minor bigint)
    ), open AS (
        INSERT INTO open_deltas
        SELECT x.currency, x.due_date, x.issue_date, sum(x.sign * (x.open_minor > 0)::int),
               sum(x.sign * x.open_minor), sum(x.sign * settle_convert(x.open_minor, r.rate_e8))
          FROM rows x LEFT JOIN summary_rates r ON r.currency = x.currency
         WHERE p_open
         GROUP BY 1, 2, 3
        HAVING sum(x.sign * (x.open_minor > 0)::int) <> 0 OR sum(x.sign * x.open_minor) <> 0
            OR sum(x.sign * settle_convert(x.open_minor, r.rate_e8)) <> 0
    ), customers AS (
        -- In key order, so two statements touching the same customers lock them alike.
        INSERT INTO customer_buckets AS c
        SELECT k.basis, k.bucket, x.customer_id, sum(x.sign), sum(x.sign * settle_convert(x.open_minor, r.rate_e8))
          FROM rows x CROSS JOIN customer_buckets_state s LEFT JOIN summary_rates r ON r.currency = x.currency
         CROSS JOIN LATERAL (VALUES ('due', width_bucket(s.day - x.due_date, s.thresholds)::smallint),
                                    ('invoice', width_bucket(s.day - x.issue_date, s.thresholds)::smallint)) k(basis, bucket)
         WHERE p_open AND x.open_minor > 0 AND x.issue_date <= s.day
         GROUP BY 1, 2, 3
        HAVING sum(x.sign) <> 0 OR sum(x.sign * settle_convert(x.open_minor, r.rate_e8)) <> 0
         ORDER BY 1, 2, 3
        ON CONFLICT (basis, bucket, customer_id) DO UPDATE
           SET n = c.n + EXCLUDED.n, converted_minor = c.converted_minor + EXCLUDED.converted_minor
    )
    INSERT INTO sales_deltas
    SELECT x.currency, x.issue_date, sum(x.sign * x.amount_minor), sum(x.sign * settle_convert(x.amount_minor, r.rate_e8))
      FROM rows x LEFT JOIN summary_rates r ON r.currency = x.currency
     GROUP BY 1, 2
    HAVING sum(x.sign * x.amount_minor) <> 0 OR sum(x.sign * settle_convert(x.amount_minor, r.rate_e8)) <> 0;
END $$;

-- Rebuilding the summaries rebuilds the customers' buckets at the same rates.
CREATE OR REPLACE FUNCTION rebuild_summaries(p_today date DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    today date := coalesce(p_today, settle_today());
    built bigint;
    more bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('settle summaries'));
    LOCK TABLE invoices, credit_notes IN SHARE MODE;
    DELETE FROM summary_rates;
    INSERT INTO summary_rates SELECT * FROM settle_rates_at(today);
    DELETE FROM open_deltas;
    DELETE FROM open_summary;
    INSERT INTO open_summary
    SELECT i.currency, i.due_date, i.issue_date, count(*), sum(i.open_minor), sum(settle_convert(i.open_minor, r.rate_e8))
      FROM invoices i LEFT JOIN summary_rates r ON r.currency = i.currency
     WHERE i.open_minor > 0 GROUP BY 1, 2, 3;
    GET DIAGNOSTICS built = ROW_COUNT;
    DELETE FROM sales_deltas;
    DELETE FROM sales_summary;
    INSERT INTO sales_summary
    SELECT s.currency, s.day, sum(s.amount), sum(settle_convert(s.amount, r.rate_e8)) FROM (
        SELECT currency::text, issue_date AS day, amount_minor AS amount FROM invoices
        UNION ALL
        SELECT currency::text, issue_date, -amount_minor FROM credit_notes) s
      LEFT JOIN summary_rates r ON r.currency = s.currency
     GROUP BY 1, 2;
    GET DIAGNOSTICS more = ROW_COUNT;
    RETURN built + more + rebuild_customer_buckets(today);
END $$;

-- The time jobs rebuild the customers' buckets when the day turns.
CREATE OR REPLACE FUNCTION run_time_jobs(p_today date DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    today date := coalesce(p_today, settle_today());
    r record;
    profiled boolean := false;
    rebuilt boolean := false;
BEGIN
    SELECT * INTO r FROM settle_promises(today, NULL);
    IF coalesce((SELECT value FROM settings WHERE key = 'profiles_refreshed_on'), '') <> today::text THEN
        PERFORM refresh_customer_profiles(today);
        INSERT INTO settings (key, value) VALUES ('profiles_refreshed_on', today::text)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
        profiled := true;
    END IF;
    IF EXISTS (SELECT currency, rate_e8 FROM settle_rates_at(today)
               EXCEPT SELECT currency, rate_e8 FROM summary_rates)
       OR EXISTS (SELECT currency, rate_e8 FROM summary_rates
                  EXCEPT SELECT currency, rate_e8 FROM settle_rates_at(today)) THEN
        PERFORM rebuild_summaries(today);
        rebuilt := true;
    ELSIF NOT EXISTS (SELECT 1 FROM customer_buckets_state WHERE day = today) THEN
        -- A new day: every invoice is a day older, and some change bucket.
        PERFORM rebuild_customer_buckets(today);
        PERFORM fold_summaries();
    ELSE
        PERFORM fold_summaries();
    END IF;
    -- The overview's 90-day period begins the day after this one.
    PERFORM remember_receivables(today - 90);
    RETURN jsonb_build_object('kept', r.kept, 'broken', r.broken, 'profiles_refreshed', profiled,
                              'summaries_rebuilt', rebuilt);
END $$;

SELECT rebuild_customer_buckets();
