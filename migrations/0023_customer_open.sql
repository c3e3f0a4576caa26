-- Each customer's open money in the reporting currency, kept. `:slipping` lists the accounts
-- paying later than their rhythm, most money open first, and added up every open invoice of
-- every slipping customer on each load to pick the 70 on screen (5,817 customers, 32 ms on the
-- large book). Kept like the customers' buckets (migration 0017): the summaries' statement
-- trigger upserts one row per customer a statement touched, each invoice converted at
-- summary_rates and then summed, so only payments to the same customer wait on each other;
-- rebuilt when the summaries take new rates (the day's turn does not change it). A reader
-- uses it only when summary_rates are the rates it would convert at. Unlike the buckets it counts every open invoice, whatever
-- its dates, as the slipping list always has.

CREATE TABLE customer_open (
    customer_id     bigint PRIMARY KEY,
    n               bigint NOT NULL,   -- open invoices
    converted_minor bigint NOT NULL    -- each converted at summary_rates, then summed
);
-- The slipping list walks the customers with money open, largest first.
CREATE INDEX customer_open_largest_idx ON customer_open (converted_minor DESC, customer_id)
    WHERE converted_minor > 0;
GRANT SELECT ON customer_open TO settle_viewer;

-- Every customer's open money again, at summary_rates.
CREATE FUNCTION rebuild_customer_open() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    built bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('settle summaries'));
    LOCK TABLE invoices IN SHARE MODE;
    DELETE FROM customer_open;
    INSERT INTO customer_open
    SELECT i.customer_id, count(*), coalesce(sum(settle_convert(i.open_minor, r.rate_e8)), 0)
      FROM invoices i LEFT JOIN summary_rates r ON r.currency = i.currency
     WHERE i.open_minor > 0
     GROUP BY 1;
    GET DIAGNOSTICS built = ROW_COUNT;
    RETURN built;
END $$;
REVOKE ALL ON FUNCTION rebuild_customer_open() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rebuild_customer_open() TO settle_worker, settle_lead;

-- The summaries' trigger keeps each customer's open money too (0017's, with `opened`).
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
    ), opened AS (
        -- Each customer's open money whatever the invoices' dates (migration 0023).
        INSERT INTO customer_open AS c
        SELECT x.customer_id, sum(x.sign), coalesce(sum(x.sign * settle_convert(x.open_minor, r.rate_e8)), 0)
          FROM rows x LEFT JOIN summary_rates r ON r.currency = x.currency
         WHERE p_open AND x.open_minor > 0
         GROUP BY 1
        HAVING sum(x.sign) <> 0 OR coalesce(sum(x.sign * settle_convert(x.open_minor, r.rate_e8)), 0) <> 0
         ORDER BY 1
        ON CONFLICT (customer_id) DO UPDATE
           SET n = c.n + EXCLUDED.n, converted_minor = c.converted_minor + EXCLUDED.converted_minor
    )
    INSERT INTO sales_deltas
    SELECT x.currency, x.issue_date, sum(x.sign * x.amount_minor), sum(x.sign * settle_convert(x.amount_minor, r.rate_e8))
      FROM rows x LEFT JOIN summary_rates r ON r.currency = x.currency
     GROUP BY 1, 2
    HAVING sum(x.sign * x.amount_minor) <> 0 OR sum(x.sign * settle_convert(x.amount_minor, r.rate_e8)) <> 0;
END $$;

-- New rates in the summaries (rebuild_summaries sets them in one statement, holding writers
-- of invoices): every customer's open money again, at those rates.
CREATE FUNCTION settle_summary_rates_set() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM rebuild_customer_open();
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION settle_summary_rates_set() FROM PUBLIC;

CREATE TRIGGER summary_rates_customer_open AFTER INSERT ON summary_rates
    FOR EACH STATEMENT EXECUTE FUNCTION settle_summary_rates_set();

SELECT rebuild_customer_open();
