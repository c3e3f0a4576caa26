-- Promises to pay keep or break by themselves; escalations name who they went to; the store's
-- time-based jobs run from one function a worker (or pg_cron) calls.

INSERT INTO settings (key, value) VALUES ('promise_grace_days', '2') ON CONFLICT (key) DO NOTHING;

-- closed_on: the day the payments reached the promise (kept), or the first day after the
-- deadline (broken). paid_minor: what was paid towards it inside its window.
ALTER TABLE promises ADD COLUMN closed_on date,
                     ADD COLUMN paid_minor bigint NOT NULL DEFAULT 0 CHECK (paid_minor >= 0);
ALTER TABLE promises ADD CHECK ((status = 'open') = (closed_on IS NULL));
CREATE INDEX promises_open_invoice_idx ON promises (invoice_id) WHERE status = 'open';
CREATE INDEX promises_status_idx ON promises (status, promised_for);

ALTER TABLE dispute_events ADD COLUMN target_id int REFERENCES agents;

-- The worker logs in with a role granted settle_worker: it sends outreach and runs the jobs.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'settle_worker') THEN
        CREATE ROLE settle_worker NOLOGIN IN ROLE settle_sender;
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO settle_worker;

-- The last day a promise may be paid and still be kept: promised date plus grace.
CREATE FUNCTION promise_deadline(p promises) RETURNS date LANGUAGE sql STABLE
SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT p.promised_for + setting_int('promise_grace_days')::int
$$;

-- The business day today (the settings' time zone).
CREATE FUNCTION settle_today() RETURNS date LANGUAGE sql STABLE
SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT (now() AT TIME ZONE (SELECT value FROM settings WHERE key = 'business_time_zone'))::date
$$;

-- Settles open promises as of `p_today` (NULL: the business day today), all of them or those
-- on one invoice. Kept when allocations on the invoice made from the day of the promise to its
-- deadline reach the promised amount; broken once `p_today` is past the deadline without it.
-- Each transition writes its audit row; a broken promise also tells the relationship owners.
-- Returns how many were kept and broken.
CREATE FUNCTION settle_promises(p_today date DEFAULT NULL, p_invoice bigint DEFAULT NULL,
                                OUT kept int, OUT broken int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    today date := coalesce(p_today, settle_today());
    p record;
    deadline date;
    paid bigint;
    reached date;
BEGIN
    kept := 0;
    broken := 0;
    FOR p IN SELECT pr.*, i.number AS invoice_number FROM promises pr LEFT JOIN invoices i ON i.id = pr.invoice_id
              WHERE pr.status = 'open' AND (p_invoice IS NULL OR pr.invoice_id = p_invoice)
              ORDER BY pr.id FOR UPDATE OF pr
    LOOP
        deadline := p.promised_for + setting_int('promise_grace_days')::int;
        -- The day the running total of payments in the window reached the promise, if it did.
        SELECT min(day), max(total) INTO reached, paid FROM (
            SELECT a.applied_on AS day,
                   sum(a.amount_minor) OVER (ORDER BY a.applied_on, a.id) AS total
              FROM allocations a
             WHERE a.invoice_id = p.invoice_id AND a.applied_on BETWEEN p.made_on AND deadline
        ) s WHERE s.total >= p.amount_minor;
        IF reached IS NOT NULL THEN
            UPDATE promises SET status = 'kept', closed_on = reached, paid_minor = paid WHERE id = p.id;
            PERFORM settle_audit('promise_kept', 'promise', p.id, p.customer_id,
                jsonb_build_object('invoice', p.invoice_number, 'amount', p.amount_minor, 'for', p.promised_for, 'paid_on', reached));
            kept := kept + 1;
        ELSIF today > deadline THEN
            SELECT coalesce(sum(a.amount_minor), 0) INTO paid FROM allocations a
             WHERE a.invoice_id = p.invoice_id AND a.applied_on BETWEEN p.made_on AND deadline;
            UPDATE promises SET status = 'broken', closed_on = deadline + 1, paid_minor = paid WHERE id = p.id;
            PERFORM settle_audit('promise_broken', 'promise', p.id, p.customer_id,
                jsonb_build_object('invoice', p.invoice_number, 'amount', p.amount_minor, 'for', p.promised_for,
                                   'deadline', deadline, 'paid', paid));
            PERFORM settle_notify_owners(p.customer_id, 'promise_broken',
                format('promise of %s for %s on %s was broken (%s paid by %s)',
                       settle_money(p.amount_minor, p.currency), to_char(p.promised_for, 'FMDD Mon YYYY'),
                       coalesce(p.invoice_number, 'the account'), settle_money(paid, p.currency),
                       to_char(deadline, 'FMDD Mon')));
            broken := broken + 1;
        END IF;
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION settle_promises(date, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION settle_promises(date, bigint) TO settle_worker, settle_lead;

-- A payment that completes a promise keeps it at once, in the payment's transaction.
CREATE FUNCTION allocation_keeps_promises() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM promises WHERE invoice_id = NEW.invoice_id AND status = 'open') THEN
        PERFORM settle_promises(NULL, NEW.invoice_id);
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION allocation_keeps_promises() FROM PUBLIC;
CREATE TRIGGER allocations_keep_promises AFTER INSERT ON allocations
    FOR EACH ROW EXECUTE FUNCTION allocation_keeps_promises();

-- Everything time moves on: promises past their deadline, and once a day the customer profiles
-- (rhythm, segments, slipping). The worker calls it each minute; pg_cron may instead.
CREATE FUNCTION run_time_jobs(p_today date DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    today date := coalesce(p_today, settle_today());
    r record;
    profiled boolean := false;
BEGIN
    SELECT * INTO r FROM settle_promises(today, NULL);
    IF coalesce((SELECT value FROM settings WHERE key = 'profiles_refreshed_on'), '') <> today::text THEN
        PERFORM refresh_customer_profiles(today);
        INSERT INTO settings (key, value) VALUES ('profiles_refreshed_on', today::text)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
        profiled := true;
    END IF;
    RETURN jsonb_build_object('kept', r.kept, 'broken', r.broken, 'profiles_refreshed', profiled);
END $$;
REVOKE ALL ON FUNCTION run_time_jobs(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION run_time_jobs(date) TO settle_worker, settle_lead;

-- An open promise holds reminders for its invoice back until its deadline has passed.
CREATE OR REPLACE FUNCTION reminder_block(p_invoice bigint, today date) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT CASE
        WHEN i.open_minor = 0 THEN 'the invoice is paid'
        WHEN EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.state <> 'resolved') THEN 'the invoice is under dispute'
        WHEN pr.id IS NOT NULL
            THEN format('promised %s for %s; reminders wait until %s (the promised date plus %s days'' grace)',
                        settle_money(pr.amount_minor, pr.currency), to_char(pr.promised_for, 'FMDD Mon'),
                        to_char(promise_deadline(pr) + 1, 'FMDD Mon'), setting_int('promise_grace_days'))
        WHEN p.typical_days IS NOT NULL AND today < i.issue_date + p.typical_days + setting_int('reminder_grace_days')::int
            THEN format('usually pays on day %s; expected %s', p.typical_days, to_char(i.issue_date + p.typical_days, 'FMDD Mon'))
    END
      FROM invoices i
      LEFT JOIN customer_profiles p ON p.customer_id = i.customer_id
      LEFT JOIN LATERAL (SELECT * FROM promises x WHERE x.invoice_id = i.id AND x.status = 'open'
                          AND promise_deadline(x) >= today ORDER BY x.promised_for DESC LIMIT 1) pr ON true
     WHERE i.id = p_invoice
$$;

-- An escalation goes to someone: the customer's account executive, else the first lead (not
-- the person escalating). Recorded with its note and target, and the target is told.
CREATE OR REPLACE FUNCTION escalate_dispute(p_dispute bigint, p_note text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    d disputes%ROWTYPE;
    target int;
BEGIN
    PERFORM settle_require('collector');
    PERFORM settle_check_length('the note', p_note, settle_limit('note'));
    d := settle_open_dispute(p_dispute, 'escalate');
    PERFORM settle_require_dispute_owner(d);
    IF d.escalated THEN
        RAISE EXCEPTION '% is already escalated', d.number USING ERRCODE = 'SE409';
    END IF;
    SELECT co.agent_id INTO target FROM customer_owners co
     WHERE co.customer_id = d.customer_id AND co.relation = 'account_executive'
       AND co.agent_id IS DISTINCT FROM settle_agent() ORDER BY co.agent_id LIMIT 1;
    IF target IS NULL THEN
        SELECT a.id INTO target FROM agents a
         WHERE a.title = 'lead' AND a.id IS DISTINCT FROM settle_agent() ORDER BY a.id LIMIT 1;
    END IF;
    UPDATE disputes SET escalated = true WHERE id = p_dispute;
    INSERT INTO dispute_events (dispute_id, at, agent_id, kind, note, target_id)
    VALUES (p_dispute, now(), settle_agent(), 'escalated', coalesce(p_note, ''), target);
    IF target IS NOT NULL THEN
        INSERT INTO notifications (agent_id, customer_id, kind, message)
        VALUES (target, d.customer_id, 'dispute_escalated',
                format('%s escalated %s to you: %s', settle_agent_name(settle_agent()), d.number, coalesce(p_note, '')));
    END IF;
    PERFORM settle_audit('escalate_dispute', 'dispute', p_dispute, d.customer_id,
                         jsonb_build_object('note', coalesce(p_note, ''), 'to', settle_agent_name(target)));
END $$;

-- Assign a dispute (as in 0007; the timeline now names the new assignee as the event's target,
-- and an unassigned dispute reads "nobody", not "someone"): collectors take it for themselves (taking over a colleague's dispute tells
-- that colleague), leads give it to any collector or lead.
CREATE OR REPLACE FUNCTION assign_dispute(p_dispute bigint, p_agent int, p_seen_assignee int) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    d disputes%ROWTYPE;
    last_at timestamptz;
    me int := settle_agent();
BEGIN
    PERFORM settle_require('collector');
    IF me IS NULL THEN
        RAISE EXCEPTION '% has no agents row: ask a lead to add one', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_agent IS NULL THEN
        RAISE EXCEPTION 'say whom to assign the dispute to' USING ERRCODE = 'check_violation';
    END IF;
    IF p_agent IS DISTINCT FROM me THEN
        PERFORM settle_require('lead');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM agents WHERE id = p_agent AND title IN ('collector', 'lead')) THEN
        RAISE EXCEPTION 'agent % is not a collector or lead', p_agent USING ERRCODE = 'check_violation';
    END IF;
    SELECT * INTO d FROM disputes WHERE id = p_dispute FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dispute % does not exist', p_dispute USING ERRCODE = 'no_data_found';
    END IF;
    IF d.assignee_id IS DISTINCT FROM p_seen_assignee THEN
        SELECT max(at) INTO last_at FROM dispute_events WHERE dispute_id = p_dispute AND kind = 'assigned';
        RAISE EXCEPTION '% was assigned to % at %', d.number,
            CASE WHEN d.assignee_id IS NULL THEN 'nobody' ELSE settle_agent_name(d.assignee_id) END,
            coalesce(to_char(last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), 'an earlier time') USING ERRCODE = 'SE409';
    END IF;
    IF d.state = 'resolved' THEN
        RAISE EXCEPTION '% is resolved', d.number USING ERRCODE = 'SE409';
    END IF;
    IF d.assignee_id IS NOT DISTINCT FROM p_agent THEN
        RAISE EXCEPTION '% is already assigned to %', d.number, settle_agent_name(p_agent) USING ERRCODE = 'SE409';
    END IF;
    UPDATE disputes SET assignee_id = p_agent WHERE id = p_dispute;
    INSERT INTO dispute_events (dispute_id, at, agent_id, kind, note, target_id)
    VALUES (p_dispute, now(), me, 'assigned',
            CASE WHEN d.assignee_id IS NULL THEN '' ELSE 'was with ' || settle_agent_name(d.assignee_id) END, p_agent);
    IF d.assignee_id IS NOT NULL AND d.assignee_id <> me THEN
        INSERT INTO notifications (agent_id, customer_id, kind, message)
        VALUES (d.assignee_id, d.customer_id, 'dispute_taken_over',
                format('%s took over %s from you (now with %s)', settle_agent_name(me), d.number, settle_agent_name(p_agent)));
    END IF;
    PERFORM settle_audit('assign_dispute', 'dispute', p_dispute, d.customer_id,
                         jsonb_build_object('to', p_agent, 'from', d.assignee_id));
END $$;

-- A segment's reason shows money as money (`87,355.29 USD above the 10,000.00 USD threshold`),
-- not minor units. The one line is replaced in the function as 0004 defined it; the migration
-- fails loudly if that line is not there.
DO $$
DECLARE
    def text := pg_get_functiondef('refresh_customer_profiles(date)'::regprocedure);
    old text := $q$format('over 90 days past due: %s above the %s threshold', o.over_90, setting_int('high_risk_90_minor'))$q$;
    new text := $q$format('over 90 days past due: %s above the %s threshold',
                 settle_money(o.over_90::bigint, (SELECT value FROM settings WHERE key = 'reporting_currency')),
                 settle_money(setting_int('high_risk_90_minor'), (SELECT value FROM settings WHERE key = 'reporting_currency')))$q$;
BEGIN
    IF position(old IN def) = 0 THEN
        RAISE EXCEPTION 'refresh_customer_profiles is not as 0004 left it: the segment reason was not changed';
    END IF;
    EXECUTE replace(def, old, new);
END $$;

-- The worker's reads (new columns of existing tables are covered by their table grants).
GRANT SELECT ON settings, promises, allocations, invoices, customers, outreach, contacts, agents, customer_owners
    TO settle_worker;
