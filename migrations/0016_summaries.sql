-- Maintained summaries: the overview's figures without reading the whole book.
--
-- * open_summary: what is open today by (currency, due date, issue date): today's aging, on
--   either basis, is a sum over a few thousand rows instead of every open invoice.
-- * sales_summary: credit sales (invoices less credit notes) by (currency, issue date): the
--   KPIs' sales and the countback's months.
-- * receivables_close: the receivables open at the end of a past day (the KPIs' beginning
--   receivables), kept until a backdated change touches that day.
--
-- Every amount is converted document by document and then summed (DOMAIN.md's order): the
-- converted columns hold each document's own conversion at the rates in summary_rates, the
-- rates in force on the day of the last rebuild. A reader uses a summary only when those are
-- the rates it would convert at; otherwise it takes the full path, and the worker rebuilds.
--
-- Writers never queue on a hot row: statement triggers append delta rows (one per key a
-- statement touched), readers add the pending deltas to the summary, and fold_summaries()
-- (the worker, every few seconds) folds them in.

-- One document's amount in the reporting currency: amount × rate / 10^8, rounded half away
-- from zero; 64-bit while the product cannot overflow, numeric beyond. Inlined by the planner
-- wherever a query converts (store::converted_sql), so it cannot carry a search_path setting:
-- instead every operator and function in it is named with its schema, and it is no definer.
CREATE FUNCTION settle_convert(amount bigint, rate_e8 bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN (pg_catalog.abs(amount) OPERATOR(pg_catalog.<=)
                      (9000000000000000000::bigint OPERATOR(pg_catalog./) greatest(coalesce(rate_e8, 0::bigint), 1::bigint)))
                THEN (((amount OPERATOR(pg_catalog.*) coalesce(rate_e8, 0::bigint))
                       OPERATOR(pg_catalog.+) (CASE WHEN (amount OPERATOR(pg_catalog.>=) 0::bigint)
                                                    THEN 50000000::bigint ELSE -50000000::bigint END))
                      OPERATOR(pg_catalog./) 100000000::bigint)
                ELSE pg_catalog.round(((amount::numeric OPERATOR(pg_catalog.*) coalesce(rate_e8, 0::bigint)::numeric)
                                       OPERATOR(pg_catalog./) 100000000::numeric))::bigint END
$$;
GRANT EXECUTE ON FUNCTION settle_convert(bigint, bigint) TO PUBLIC;

-- The rates into the reporting currency in force on a day, the reporting currency at one.
CREATE FUNCTION settle_rates_at(p_day date) RETURNS TABLE (currency text, rate_e8 bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT c.code::text, r.rate_e8 FROM currencies c
     CROSS JOIN LATERAL (SELECT f.rate_e8 FROM fx_rates f WHERE f.currency = c.code AND f.rate_date <= p_day
                          ORDER BY f.rate_date DESC LIMIT 1) r
     WHERE c.code::text <> (SELECT value FROM settings WHERE key = 'reporting_currency')
    UNION ALL
    SELECT value, 100000000 FROM settings WHERE key = 'reporting_currency'
$$;
GRANT EXECUTE ON FUNCTION settle_rates_at(date) TO PUBLIC;

CREATE TABLE summary_rates (
    currency text PRIMARY KEY,
    rate_e8  bigint NOT NULL
);

CREATE TABLE open_summary (
    currency        text NOT NULL,
    due_date        date NOT NULL,
    issue_date      date NOT NULL,
    n               bigint NOT NULL,  -- invoices with something open
    open_minor      bigint NOT NULL,  -- in the invoice currency
    converted_minor bigint NOT NULL,  -- each invoice converted at summary_rates, then summed
    PRIMARY KEY (currency, due_date, issue_date)
);
CREATE TABLE open_deltas (LIKE open_summary);

CREATE TABLE sales_summary (
    currency        text NOT NULL,
    day             date NOT NULL,
    amount_minor    bigint NOT NULL,  -- invoices less credit notes issued that day
    converted_minor bigint NOT NULL,
    PRIMARY KEY (currency, day)
);
CREATE TABLE sales_deltas (LIKE sales_summary);

-- Delta tables are appended to and emptied all day: vacuum them early.
ALTER TABLE open_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                             autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 5000);
ALTER TABLE sales_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                              autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 5000);

-- What a statement changed, as the rows it took out (negated) and the rows it put in: open
-- amounts (invoices only, `p_open`) and credit sales by issue day.
CREATE FUNCTION summarise_rows(p_out jsonb, p_in jsonb, p_open boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    WITH rows AS (
        SELECT -1 AS sign, * FROM jsonb_to_recordset(coalesce(p_out, '[]'))
               AS o(currency text, due_date date, issue_date date, amount_minor bigint, open_minor bigint)
        UNION ALL
        SELECT 1, * FROM jsonb_to_recordset(coalesce(p_in, '[]'))
               AS n(currency text, due_date date, issue_date date, amount_minor bigint, open_minor bigint)
    ), open AS (
        INSERT INTO open_deltas
        SELECT x.currency, x.due_date, x.issue_date, sum(x.sign * (x.open_minor > 0)::int),
               sum(x.sign * x.open_minor), sum(x.sign * settle_convert(x.open_minor, r.rate_e8))
          FROM rows x LEFT JOIN summary_rates r ON r.currency = x.currency
         WHERE p_open
         GROUP BY 1, 2, 3
        HAVING sum(x.sign * (x.open_minor > 0)::int) <> 0 OR sum(x.sign * x.open_minor) <> 0
            OR sum(x.sign * settle_convert(x.open_minor, r.rate_e8)) <> 0
    )
    INSERT INTO sales_deltas
    SELECT x.currency, x.issue_date, sum(x.sign * x.amount_minor), sum(x.sign * settle_convert(x.amount_minor, r.rate_e8))
      FROM rows x LEFT JOIN summary_rates r ON r.currency = x.currency
     GROUP BY 1, 2
    HAVING sum(x.sign * x.amount_minor) <> 0 OR sum(x.sign * settle_convert(x.amount_minor, r.rate_e8)) <> 0;
END $$;
REVOKE ALL ON FUNCTION summarise_rows(jsonb, jsonb, boolean) FROM PUBLIC;

-- The statement trigger on invoices and credit notes. A credit note takes off the day's credit
-- sales: its rows go in with the sides swapped.
CREATE FUNCTION summarise_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    o jsonb;
    n jsonb;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT jsonb_agg(to_jsonb(x)) INTO o FROM old_rows x;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT jsonb_agg(to_jsonb(x)) INTO n FROM new_rows x;
    END IF;
    IF TG_TABLE_NAME = 'invoices' THEN
        PERFORM summarise_rows(o, n, true);
    ELSE
        PERFORM summarise_rows(n, o, false);
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION summarise_statement() FROM PUBLIC;

CREATE TRIGGER invoices_summarise_insert AFTER INSERT ON invoices
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION summarise_statement();
CREATE TRIGGER invoices_summarise_update AFTER UPDATE ON invoices
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION summarise_statement();
CREATE TRIGGER invoices_summarise_delete AFTER DELETE ON invoices
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION summarise_statement();
CREATE TRIGGER credit_notes_summarise_insert AFTER INSERT ON credit_notes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION summarise_statement();
CREATE TRIGGER credit_notes_summarise_update AFTER UPDATE ON credit_notes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION summarise_statement();
CREATE TRIGGER credit_notes_summarise_delete AFTER DELETE ON credit_notes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION summarise_statement();

-- Folds the pending deltas into the summaries. Each delta row is taken once (DELETE …
-- RETURNING), so two folds at once cannot count one twice.
CREATE FUNCTION fold_summaries() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    folded bigint;
    more bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('settle summaries'));
    WITH d AS (DELETE FROM open_deltas RETURNING *)
    INSERT INTO open_summary AS s
    SELECT currency, due_date, issue_date, sum(n), sum(open_minor), sum(converted_minor) FROM d GROUP BY 1, 2, 3
    ON CONFLICT (currency, due_date, issue_date) DO UPDATE
       SET n = s.n + EXCLUDED.n, open_minor = s.open_minor + EXCLUDED.open_minor,
           converted_minor = s.converted_minor + EXCLUDED.converted_minor;
    GET DIAGNOSTICS folded = ROW_COUNT;
    WITH d AS (DELETE FROM sales_deltas RETURNING *)
    INSERT INTO sales_summary AS s
    SELECT currency, day, sum(amount_minor), sum(converted_minor) FROM d GROUP BY 1, 2
    ON CONFLICT (currency, day) DO UPDATE
       SET amount_minor = s.amount_minor + EXCLUDED.amount_minor,
           converted_minor = s.converted_minor + EXCLUDED.converted_minor;
    GET DIAGNOSTICS more = ROW_COUNT;
    IF folded > 0 THEN
        DELETE FROM open_summary WHERE n = 0 AND open_minor = 0 AND converted_minor = 0;
    END IF;
    RETURN folded + more;
END $$;
REVOKE ALL ON FUNCTION fold_summaries() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fold_summaries() TO settle_worker, settle_lead;

-- Rebuilds both summaries at the rates in force on `p_today`. Writers of invoices and credit
-- notes wait for it (a share lock: it cannot miss a change in flight, and no delta is written
-- at the old rates after it); readers do not. Returns the number of summary rows.
CREATE FUNCTION rebuild_summaries(p_today date DEFAULT NULL) RETURNS bigint
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
    RETURN built + more;
END $$;
REVOKE ALL ON FUNCTION rebuild_summaries(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rebuild_summaries(date) TO settle_worker, settle_lead;

-- Receivables open at the end of past days, in the reporting currency.
CREATE TABLE receivables_close (
    day         date PRIMARY KEY,
    currency    text NOT NULL,
    total_minor bigint NOT NULL
);

-- The receivables open at the end of `p_day`, each invoice converted at that day's rates and
-- then summed: the open amount now plus what allocations applied after the day took off.
CREATE FUNCTION receivables_exact(p_day date) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    WITH rate AS (SELECT * FROM settle_rates_at(p_day)),
    later AS (SELECT a.invoice_id, sum(a.amount_minor)::bigint AS back FROM allocations a
               WHERE a.applied_on > p_day AND a.invoice_issue_date <= p_day GROUP BY 1)
    SELECT coalesce((SELECT sum(settle_convert(i.open_minor + coalesce(l.back, 0), r.rate_e8))
                       FROM invoices i LEFT JOIN later l ON l.invoice_id = i.id
                       LEFT JOIN rate r ON r.currency = i.currency
                      WHERE i.open_minor > 0 AND i.issue_date <= p_day), 0)::bigint
         + coalesce((SELECT sum(settle_convert(l.back, r.rate_e8))
                       FROM later l JOIN invoices i ON i.id = l.invoice_id
                       LEFT JOIN rate r ON r.currency = i.currency
                      WHERE i.open_minor = 0), 0)::bigint
$$;
GRANT EXECUTE ON FUNCTION receivables_exact(date) TO settle_viewer;

-- The same, remembered: what a console reads (the remembered total if there is one, the
-- full computation otherwise). Consoles never write; the worker remembers.
CREATE FUNCTION receivables_at(p_day date) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT coalesce((SELECT c.total_minor FROM receivables_close c
                      WHERE c.day = p_day AND c.currency = (SELECT value FROM settings WHERE key = 'reporting_currency')),
                    receivables_exact(p_day))
$$;
GRANT EXECUTE ON FUNCTION receivables_at(date) TO settle_viewer;

-- Remembers the receivables at the end of `p_day`, a day at least three days past (so no time
-- zone makes it still open). A backdated change (an allocation, invoice or rate dated on or
-- before yesterday) forgets the days it touches, holding a shared lock while in flight; a
-- total is remembered only under the exclusive lock, so it never misses such a change. Only
-- the worker (and leads) remember: a person's open transaction cannot hold writers back.
CREATE FUNCTION remember_receivables(p_day date) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    cur text := (SELECT value FROM settings WHERE key = 'reporting_currency');
    v bigint;
BEGIN
    SELECT total_minor INTO v FROM receivables_close WHERE day = p_day AND currency = cur;
    IF FOUND THEN
        RETURN v;
    END IF;
    IF p_day > current_date - 3 OR NOT pg_try_advisory_xact_lock(hashtext('settle receivables close')) THEN
        RETURN NULL;
    END IF;
    v := receivables_exact(p_day);
    INSERT INTO receivables_close VALUES (p_day, cur, v)
        ON CONFLICT (day) DO UPDATE SET currency = EXCLUDED.currency, total_minor = EXCLUDED.total_minor;
    RETURN v;
END $$;
REVOKE ALL ON FUNCTION remember_receivables(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION remember_receivables(date) TO settle_worker, settle_lead;

CREATE FUNCTION forget_receivables_close() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    since date;
BEGIN
    -- The trigger names the date column; OLD or NEW is null where the event has none.
    since := least((to_jsonb(OLD) ->> TG_ARGV[0])::date, (to_jsonb(NEW) ->> TG_ARGV[0])::date);
    PERFORM pg_advisory_xact_lock_shared(hashtext('settle receivables close'));
    DELETE FROM receivables_close WHERE day >= since;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION forget_receivables_close() FROM PUBLIC;

CREATE TRIGGER allocations_forget_close_insert AFTER INSERT ON allocations
    FOR EACH ROW WHEN (NEW.applied_on <= current_date - 1) EXECUTE FUNCTION forget_receivables_close('applied_on');
CREATE TRIGGER allocations_forget_close_delete AFTER DELETE ON allocations
    FOR EACH ROW WHEN (OLD.applied_on <= current_date - 1) EXECUTE FUNCTION forget_receivables_close('applied_on');
CREATE TRIGGER invoices_forget_close_insert AFTER INSERT ON invoices
    FOR EACH ROW WHEN (NEW.issue_date <= current_date - 1) EXECUTE FUNCTION forget_receivables_close('issue_date');
CREATE TRIGGER invoices_forget_close_delete AFTER DELETE ON invoices
    FOR EACH ROW WHEN (OLD.issue_date <= current_date - 1) EXECUTE FUNCTION forget_receivables_close('issue_date');
CREATE TRIGGER invoices_forget_close_update AFTER UPDATE OF amount_minor, issue_date, currency ON invoices
    FOR EACH ROW WHEN (least(OLD.issue_date, NEW.issue_date) <= current_date - 1
                       AND (OLD.amount_minor, OLD.issue_date, OLD.currency) IS DISTINCT FROM
                           (NEW.amount_minor, NEW.issue_date, NEW.currency))
    EXECUTE FUNCTION forget_receivables_close('issue_date');
CREATE TRIGGER fx_rates_forget_close AFTER INSERT OR UPDATE OR DELETE ON fx_rates
    FOR EACH ROW EXECUTE FUNCTION forget_receivables_close('rate_date');

GRANT SELECT ON summary_rates, open_summary, open_deltas, sales_summary, sales_deltas, receivables_close
    TO settle_viewer;

-- The time jobs rebuild the summaries when the day's rates are not the ones they hold, and
-- fold what is pending otherwise.
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
    ELSE
        PERFORM fold_summaries();
    END IF;
    -- The overview's 90-day period begins the day after this one.
    PERFORM remember_receivables(today - 90);
    RETURN jsonb_build_object('kept', r.kept, 'broken', r.broken, 'profiles_refreshed', profiled,
                              'summaries_rebuilt', rebuilt);
END $$;

-- The overview's alerts count from small partial indexes, not by reading every message,
-- promise and profile.
CREATE INDEX outreach_to_decide_idx ON outreach (status) WHERE status IN ('pending_approval', 'uncertain');
CREATE INDEX promises_broken_idx ON promises (closed_on) WHERE status = 'broken';
CREATE INDEX customer_profiles_slipping_idx ON customer_profiles (customer_id) WHERE slipping;
-- A customer's open invoices (their balance on a worklist task, their page) without reading
-- every open item in due-date order.
CREATE INDEX invoices_customer_open_idx ON invoices (customer_id) INCLUDE (currency, open_minor, due_date, issue_date)
    WHERE open_minor > 0;

-- Who has a case open is read by every view of a dispute, and a streaming replica cannot read
-- an unlogged table: presence is written to the WAL like everything else.
ALTER TABLE presence SET LOGGED;

SELECT rebuild_summaries();
