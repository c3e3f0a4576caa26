-- The outreach page without reading the whole outreach history. `:outreach` counted every
-- message ever queued (a scan of 280 k rows on the large book, 22 ms) and asked each queued
-- reminder on screen why it would be held back through reminder_block and reminder_due_at,
-- SQL functions the planner cannot inline (each call starts its own executor: 0.3 ms a
-- reminder, 22 ms a page).

-- ------------------------------------------------------------- why a reminder waits

-- Why a reminder for an invoice would be held back on `p_today` (NULL: it may go), and when
-- it may go first: the one definition of the rule (0008's reminder_block, 0011's
-- reminder_due_at, now wrappers of this). Inlined by the planner wherever it is joined, so
-- it cannot carry a search_path setting: every operator, function, type and table in it is
-- named with its schema, and it is no definer (as settle_convert, migration 0016). Pass
-- `p_today` as a column (not a call of settle_today()): inlined, every mention of it would
-- call it again.
CREATE FUNCTION settle_reminder_hold(p_invoice bigint, p_today date)
RETURNS TABLE (block text, due_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT CASE
               WHEN i.open_minor OPERATOR(pg_catalog.=) 0 THEN 'the invoice is paid'
               WHEN EXISTS (SELECT 1 FROM public.disputes d
                             WHERE d.invoice_id OPERATOR(pg_catalog.=) i.id
                               AND d.state OPERATOR(pg_catalog.<>) 'resolved')
                   THEN 'the invoice is under dispute'
               WHEN pr.id IS NOT NULL THEN pg_catalog.format(
                   'promised %s for %s; reminders wait until %s (the promised date plus %s days'' grace)',
                   public.settle_money(pr.amount_minor, pr.currency),
                   pg_catalog.to_char(pr.promised_for, 'FMDD Mon'),
                   pg_catalog.to_char((pr.deadline OPERATOR(pg_catalog.+) 1), 'FMDD Mon'),
                   s.promise_grace)
               WHEN p.typical_days IS NOT NULL
                AND p_today OPERATOR(pg_catalog.<)
                    ((i.issue_date OPERATOR(pg_catalog.+) p.typical_days) OPERATOR(pg_catalog.+) s.reminder_grace)
                   THEN pg_catalog.format('usually pays on day %s; expected %s', p.typical_days,
                            pg_catalog.to_char((i.issue_date OPERATOR(pg_catalog.+) p.typical_days), 'FMDD Mon'))
           END,
           ((w.d OPERATOR(pg_catalog.+)
                 CASE WHEN EXTRACT(isodow FROM w.d) OPERATOR(pg_catalog.=) 6 THEN 2
                      WHEN EXTRACT(isodow FROM w.d) OPERATOR(pg_catalog.=) 7 THEN 1 ELSE 0 END)
             OPERATOR(pg_catalog.+) time '09:00') AT TIME ZONE s.zone
      FROM public.invoices i
      CROSS JOIN (SELECT CAST(pg_catalog.max(x.value) FILTER (WHERE x.key OPERATOR(pg_catalog.=) 'reminder_grace_days')
                              AS pg_catalog.int4) AS reminder_grace,
                         CAST(pg_catalog.max(x.value) FILTER (WHERE x.key OPERATOR(pg_catalog.=) 'promise_grace_days')
                              AS pg_catalog.int4) AS promise_grace,
                         pg_catalog.max(x.value) FILTER (WHERE x.key OPERATOR(pg_catalog.=) 'business_time_zone') AS zone
                    FROM public.settings x) s
      LEFT JOIN public.customer_profiles p ON p.customer_id OPERATOR(pg_catalog.=) i.customer_id
      LEFT JOIN LATERAL (SELECT x.id, x.amount_minor, x.currency, x.promised_for,
                                x.promised_for OPERATOR(pg_catalog.+) s.promise_grace AS deadline
                           FROM public.promises x
                          WHERE x.invoice_id OPERATOR(pg_catalog.=) i.id AND x.status OPERATOR(pg_catalog.=) 'open'
                            AND (x.promised_for OPERATOR(pg_catalog.+) s.promise_grace) OPERATOR(pg_catalog.>=) p_today
                          ORDER BY x.promised_for DESC LIMIT 1) pr ON true
      CROSS JOIN LATERAL (SELECT GREATEST(
                 p_today,
                 (i.issue_date OPERATOR(pg_catalog.+) COALESCE(p.typical_days, 0)) OPERATOR(pg_catalog.+) s.reminder_grace,
                 COALESCE((SELECT pg_catalog.max(x.promised_for OPERATOR(pg_catalog.+) s.promise_grace) OPERATOR(pg_catalog.+) 1
                             FROM public.promises x
                            WHERE x.invoice_id OPERATOR(pg_catalog.=) i.id AND x.status OPERATOR(pg_catalog.=) 'open'),
                          p_today)) AS d) w
     WHERE i.id OPERATOR(pg_catalog.=) p_invoice
    OFFSET 0  -- a fence: a caller naming `block` twice computes it once
$$;

-- The rule's two questions as before, for the action functions and the worker that call them.
CREATE OR REPLACE FUNCTION reminder_block(p_invoice bigint, today date) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT block FROM settle_reminder_hold(p_invoice, today)
$$;

CREATE OR REPLACE FUNCTION reminder_due_at(p_invoice bigint, today date) RETURNS timestamptz
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT due_at FROM settle_reminder_hold(p_invoice, today)
$$;

-- ------------------------------------------------------------- messages by status

-- How many messages are in each status, kept as the overview's summaries are (migration
-- 0016): a statement trigger appends one delta row per status a statement moved messages in
-- or out of, readers add the pending deltas, and the worker folds them in, so writers never
-- queue on a hot row.
CREATE TABLE outreach_counts (
    status text PRIMARY KEY,
    n      bigint NOT NULL
);
CREATE TABLE outreach_count_deltas (
    status text NOT NULL,
    n      bigint NOT NULL
);

CREATE FUNCTION settle_count_outreach() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO outreach_count_deltas SELECT status, count(*) FROM new_rows GROUP BY 1;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO outreach_count_deltas SELECT status, -count(*) FROM old_rows GROUP BY 1;
    ELSE
        INSERT INTO outreach_count_deltas
        SELECT status, sum(n) FROM (SELECT status, 1 AS n FROM new_rows
                                    UNION ALL SELECT status, -1 FROM old_rows) x
         GROUP BY 1 HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION settle_count_outreach() FROM PUBLIC;

CREATE TRIGGER outreach_count_insert AFTER INSERT ON outreach
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION settle_count_outreach();
CREATE TRIGGER outreach_count_update AFTER UPDATE ON outreach
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION settle_count_outreach();
CREATE TRIGGER outreach_count_delete AFTER DELETE ON outreach
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION settle_count_outreach();

-- Folds the pending deltas in; each delta row is taken once (DELETE … RETURNING).
CREATE FUNCTION fold_outreach_counts() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    folded bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('settle outreach counts'));
    WITH d AS (DELETE FROM outreach_count_deltas RETURNING *)
    INSERT INTO outreach_counts AS c SELECT status, sum(n) FROM d GROUP BY 1
    ON CONFLICT (status) DO UPDATE SET n = c.n + EXCLUDED.n;
    GET DIAGNOSTICS folded = ROW_COUNT;
    RETURN folded;
END $$;
REVOKE ALL ON FUNCTION fold_outreach_counts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fold_outreach_counts() TO settle_worker, settle_lead;

-- Counts every message again: after a load with the triggers off (the demo seed), or to mend
-- a store `settle doctor` found out of step. Writers of messages wait for it.
CREATE FUNCTION rebuild_outreach_counts() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    statuses bigint;
BEGIN
    LOCK TABLE outreach IN SHARE MODE;
    PERFORM pg_advisory_xact_lock(hashtext('settle outreach counts'));
    DELETE FROM outreach_count_deltas;
    DELETE FROM outreach_counts;
    INSERT INTO outreach_counts SELECT status, count(*) FROM outreach GROUP BY 1;
    GET DIAGNOSTICS statuses = ROW_COUNT;
    RETURN statuses;
END $$;
REVOKE ALL ON FUNCTION rebuild_outreach_counts() FROM PUBLIC;

SELECT rebuild_outreach_counts();

GRANT SELECT ON outreach_counts, outreach_count_deltas TO settle_viewer;
