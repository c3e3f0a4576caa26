-- The database is the boundary (see docs/SECURITY.md).
--  * Every function runs with search_path = pg_catalog, public, pg_temp, so a temporary table
--    named like one of ours is never read or written by a SECURITY DEFINER function.
--  * Actions take their actor from session_user only, validate what they are given and say
--    why in plain words, and a collector works only disputes that are theirs or unassigned.
--  * Notifications are private to their recipient (leads see all); contact details are not
--    readable by viewers.
--  * The audit log is a hash chain: each row hashes its content and the previous row's hash.
--  * An importer role loads ERP exports without being a superuser.

-- Nobody but the owner creates objects in our schema (PostgreSQL 15 already says so).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- ---------------------------------------------------------------- helpers

-- Is the caller a member of settle_<role>?
CREATE FUNCTION settle_is(role_needed text) RETURNS boolean LANGUAGE sql STABLE AS
    $$ SELECT pg_has_role(session_user, 'settle_' || role_needed, 'MEMBER') $$;

-- Refuses text longer than `max_chars`, naming what it was.
CREATE FUNCTION settle_check_length(what text, value text, max_chars int) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF length(value) > max_chars THEN
        RAISE EXCEPTION '% is too long: % characters, at most % allowed', what,
            to_char(length(value), 'FM999G999G999G999'), to_char(max_chars, 'FM999G999G999')
            USING ERRCODE = 'string_data_right_truncation';
    END IF;
END $$;

-- The most a note, reason, subject or message body may hold.
CREATE FUNCTION settle_limit(what text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE what WHEN 'subject' THEN 200 WHEN 'body' THEN 20000 ELSE 4000 END
$$;

-- An amount as a person reads it: 1,357.48 USD (the currency's own decimal places).
CREATE FUNCTION settle_money(minor bigint, currency text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(minor::numeric / 10 ^ e, 'FM999G999G999G999G990' || CASE WHEN e > 0 THEN 'D' || repeat('0', e) ELSE '' END)
           || ' ' || currency
      FROM (SELECT coalesce((SELECT minor_units FROM currencies WHERE code = currency), 2)::int AS e) x
$$;

-- A dispute the caller may work: theirs or unassigned; leads any.
CREATE FUNCTION settle_require_dispute_owner(d disputes) RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF d.assignee_id IS NOT NULL AND d.assignee_id IS DISTINCT FROM settle_agent() AND NOT settle_is('lead') THEN
        RAISE EXCEPTION '% is assigned to %: take it over first (a), or ask a lead', d.number,
            settle_agent_name(d.assignee_id) USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$;

-- The dispute, locked, or a plain refusal when there is none or it is resolved.
CREATE FUNCTION settle_open_dispute(p_dispute bigint, doing text) RETURNS disputes LANGUAGE plpgsql AS $$
DECLARE
    d disputes%ROWTYPE;
BEGIN
    SELECT * INTO d FROM disputes WHERE id = p_dispute FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dispute % does not exist', p_dispute USING ERRCODE = 'no_data_found';
    END IF;
    IF d.state = 'resolved' THEN
        RAISE EXCEPTION 'cannot %: % was resolved (%) at %', doing, d.number, replace(d.outcome, '_', ' '),
            to_char(d.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') USING ERRCODE = 'SE409';
    END IF;
    RETURN d;
END $$;

-- ---------------------------------------------------------------- holds

CREATE OR REPLACE FUNCTION release_hold(p_hold bigint, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    h holds%ROWTYPE;
    customer bigint;
BEGIN
    PERFORM settle_require('lead');
    IF coalesce(trim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'a reason is required to release a hold' USING ERRCODE = 'check_violation';
    END IF;
    PERFORM settle_check_length('the reason', p_reason, settle_limit('note'));
    SELECT * INTO h FROM holds WHERE id = p_hold FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'hold % does not exist', p_hold USING ERRCODE = 'no_data_found';
    END IF;
    IF h.status = 'released' THEN
        RAISE EXCEPTION 'already released by % at %', settle_agent_name(h.released_by),
            to_char(h.released_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') USING ERRCODE = 'SE409';
    END IF;
    UPDATE holds SET status = 'released', released_at = now(), released_by = settle_agent(), release_note = p_reason,
                     cleared_at = coalesce(cleared_at, CASE WHEN status = 'cleared' THEN now() END)
     WHERE id = p_hold;
    UPDATE orders SET status = 'released' WHERE id = h.order_id RETURNING customer_id INTO customer;
    IF h.status = 'cleared' THEN
        PERFORM settle_queue_release_confirmation(p_hold);
    END IF;
    PERFORM settle_notify_owners(customer, 'hold_released', format('Order hold %s released: %s', p_hold, p_reason));
    PERFORM settle_audit('release_hold', 'hold', p_hold, customer,
                         jsonb_build_object('reason', p_reason, 'was', h.status));
END $$;

-- ---------------------------------------------------------------- disputes

-- Assign a dispute: collectors take it for themselves (taking over a colleague's dispute tells
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
        RAISE EXCEPTION '% was assigned to % at %', d.number, settle_agent_name(d.assignee_id),
            coalesce(to_char(last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), 'an earlier time') USING ERRCODE = 'SE409';
    END IF;
    IF d.state = 'resolved' THEN
        RAISE EXCEPTION '% is resolved', d.number USING ERRCODE = 'SE409';
    END IF;
    IF d.assignee_id IS NOT DISTINCT FROM p_agent THEN
        RAISE EXCEPTION '% is already assigned to %', d.number, settle_agent_name(p_agent) USING ERRCODE = 'SE409';
    END IF;
    UPDATE disputes SET assignee_id = p_agent WHERE id = p_dispute;
    INSERT INTO dispute_events (dispute_id, at, agent_id, kind, note)
    VALUES (p_dispute, now(), me, 'assigned',
            'to ' || settle_agent_name(p_agent) || coalesce(' (was ' || settle_agent_name(d.assignee_id) || ')', ''));
    IF d.assignee_id IS NOT NULL AND d.assignee_id <> me THEN
        INSERT INTO notifications (agent_id, customer_id, kind, message)
        VALUES (d.assignee_id, d.customer_id, 'dispute_taken_over',
                format('%s took over %s from you (now with %s)', settle_agent_name(me), d.number, settle_agent_name(p_agent)));
    END IF;
    PERFORM settle_audit('assign_dispute', 'dispute', p_dispute, d.customer_id,
                         jsonb_build_object('to', p_agent, 'from', d.assignee_id));
END $$;

CREATE OR REPLACE FUNCTION respond_dispute(p_dispute bigint, p_note text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    d disputes%ROWTYPE;
BEGIN
    PERFORM settle_require('collector');
    IF coalesce(trim(p_note), '') = '' THEN
        RAISE EXCEPTION 'a response needs a note' USING ERRCODE = 'check_violation';
    END IF;
    PERFORM settle_check_length('the note', p_note, settle_limit('note'));
    d := settle_open_dispute(p_dispute, 'respond');
    PERFORM settle_require_dispute_owner(d);
    INSERT INTO dispute_events (dispute_id, at, agent_id, kind, note) VALUES (p_dispute, now(), settle_agent(), 'response', p_note);
    UPDATE disputes SET first_response_at = coalesce(first_response_at, now()),
                        state = CASE WHEN state = 'open' THEN 'investigating' ELSE state END
     WHERE id = p_dispute;
    IF d.state = 'open' THEN
        INSERT INTO dispute_events (dispute_id, at, agent_id, kind, from_state, to_state)
        VALUES (p_dispute, now(), settle_agent(), 'state', 'open', 'investigating');
    END IF;
    PERFORM settle_audit('respond_dispute', 'dispute', p_dispute, d.customer_id,
                         jsonb_build_object('first', d.first_response_at IS NULL));
END $$;

-- Move a dispute along open → investigating → awaiting_customer ↔ investigating → resolved.
CREATE OR REPLACE FUNCTION move_dispute(p_dispute bigint, p_seen_state text, p_to text, p_outcome text,
                                        p_credited bigint, p_note text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    d disputes%ROWTYPE;
    last_at timestamptz;
    last_by int;
    credited bigint;
    states constant text[] := ARRAY['open', 'investigating', 'awaiting_customer', 'resolved'];
BEGIN
    PERFORM settle_require('collector');
    IF p_seen_state IS NULL OR NOT p_seen_state = ANY (states) THEN
        RAISE EXCEPTION '"%" is not a dispute state (open, investigating, awaiting customer, resolved)',
            coalesce(p_seen_state, '') USING ERRCODE = 'check_violation';
    END IF;
    IF p_to IS NULL OR NOT p_to = ANY (states) THEN
        RAISE EXCEPTION '"%" is not a dispute state (open, investigating, awaiting customer, resolved)',
            coalesce(p_to, '') USING ERRCODE = 'check_violation';
    END IF;
    PERFORM settle_check_length('the note', p_note, settle_limit('note'));
    SELECT * INTO d FROM disputes WHERE id = p_dispute FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dispute % does not exist', p_dispute USING ERRCODE = 'no_data_found';
    END IF;
    IF d.state IS DISTINCT FROM p_seen_state THEN
        SELECT at, agent_id INTO last_at, last_by FROM dispute_events
         WHERE dispute_id = p_dispute AND kind = 'state' ORDER BY at DESC, id DESC LIMIT 1;
        RAISE EXCEPTION '% is % now, not % (moved by % at %)', d.number, replace(d.state, '_', ' '),
            replace(p_seen_state, '_', ' '), settle_agent_name(last_by),
            coalesce(to_char(last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), 'an earlier time') USING ERRCODE = 'SE409';
    END IF;
    PERFORM settle_require_dispute_owner(d);
    IF NOT ((d.state, p_to) IN (('open', 'investigating'), ('investigating', 'awaiting_customer'),
                                ('awaiting_customer', 'investigating'), ('investigating', 'resolved'), ('open', 'resolved'))) THEN
        RAISE EXCEPTION 'a dispute cannot move from % to %', replace(d.state, '_', ' '), replace(p_to, '_', ' ')
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_to = 'resolved' THEN
        IF p_outcome IS NULL OR p_outcome NOT IN ('credited', 'rejected', 'partially_credited') THEN
            RAISE EXCEPTION 'resolving needs an outcome: credited, rejected or partially credited' USING ERRCODE = 'check_violation';
        END IF;
        credited := CASE p_outcome WHEN 'credited' THEN d.amount_minor WHEN 'rejected' THEN 0 ELSE p_credited END;
        IF p_outcome = 'partially_credited' AND (p_credited IS NULL OR p_credited <= 0) THEN
            RAISE EXCEPTION 'a partial credit needs the amount credited' USING ERRCODE = 'check_violation';
        END IF;
        IF p_outcome = 'partially_credited' AND p_credited >= d.amount_minor THEN
            RAISE EXCEPTION 'a partial credit must be less than the disputed % (credit it in full instead)',
                settle_money(d.amount_minor, d.currency) USING ERRCODE = 'check_violation';
        END IF;
    ELSIF p_outcome IS NOT NULL OR p_credited IS NOT NULL THEN
        RAISE EXCEPTION 'an outcome or credit is given only when resolving' USING ERRCODE = 'check_violation';
    END IF;
    UPDATE disputes SET state = p_to,
                        outcome = CASE WHEN p_to = 'resolved' THEN p_outcome END,
                        credited_minor = credited,
                        resolved_at = CASE WHEN p_to = 'resolved' THEN now() END
     WHERE id = p_dispute;
    INSERT INTO dispute_events (dispute_id, at, agent_id, kind, from_state, to_state, note)
    VALUES (p_dispute, now(), settle_agent(), 'state', d.state, p_to, coalesce(p_note, ''));
    PERFORM settle_audit('move_dispute', 'dispute', p_dispute, d.customer_id,
                         jsonb_build_object('from', d.state, 'to', p_to, 'outcome', p_outcome, 'credited', credited));
END $$;

CREATE OR REPLACE FUNCTION escalate_dispute(p_dispute bigint, p_note text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    d disputes%ROWTYPE;
BEGIN
    PERFORM settle_require('collector');
    PERFORM settle_check_length('the note', p_note, settle_limit('note'));
    d := settle_open_dispute(p_dispute, 'escalate');
    PERFORM settle_require_dispute_owner(d);
    IF d.escalated THEN
        RAISE EXCEPTION '% is already escalated', d.number USING ERRCODE = 'SE409';
    END IF;
    UPDATE disputes SET escalated = true WHERE id = p_dispute;
    INSERT INTO dispute_events (dispute_id, at, agent_id, kind, note) VALUES (p_dispute, now(), settle_agent(), 'escalated', coalesce(p_note, ''));
    PERFORM settle_audit('escalate_dispute', 'dispute', p_dispute, d.customer_id, jsonb_build_object('note', coalesce(p_note, '')));
END $$;

-- ---------------------------------------------------------------- outreach

-- Queue outreach about an invoice. People queue reminders and promise follow-ups; the hold
-- release confirmation comes only from the store's own release path. Refused for disputed,
-- paid or suppressed invoices unless overridden with a reason (audited). Idempotent: one
-- active message per invoice and purpose. A NULL send_after means now.
CREATE OR REPLACE FUNCTION queue_outreach(p_invoice bigint, p_purpose text, p_channel text, p_tone text, p_subject text,
                                          p_body text, p_send_after timestamptz, p_override text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    inv invoices%ROWTYPE;
    blocked text;
    msg bigint;
    copies text[];
    send_at timestamptz := coalesce(p_send_after, now());
BEGIN
    PERFORM settle_require('collector');
    IF p_purpose IS NULL OR p_purpose NOT IN ('reminder', 'promise_followup') THEN
        RAISE EXCEPTION 'people queue reminders and promise follow-ups, not "%": confirmations come from releasing a hold',
            coalesce(p_purpose, '') USING ERRCODE = 'check_violation';
    END IF;
    IF p_channel IS NULL OR p_channel NOT IN ('email', 'phone_task', 'portal', 'personal_note') THEN
        RAISE EXCEPTION '"%" is not a channel (email, phone task, portal, personal note)', coalesce(p_channel, '')
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_tone IS NULL OR p_tone NOT IN ('personal', 'friendly', 'firm', 'escalation') THEN
        RAISE EXCEPTION '"%" is not a tone for a reminder (personal, friendly, firm, escalation)', coalesce(p_tone, '')
            USING ERRCODE = 'check_violation';
    END IF;
    IF coalesce(trim(p_subject), '') = '' OR coalesce(trim(p_body), '') = '' THEN
        RAISE EXCEPTION 'a message needs a subject and a body' USING ERRCODE = 'check_violation';
    END IF;
    PERFORM settle_check_length('the subject', p_subject, settle_limit('subject'));
    PERFORM settle_check_length('the message', p_body, settle_limit('body'));
    PERFORM settle_check_length('the override reason', p_override, settle_limit('note'));
    IF send_at < now() - interval '5 minutes' THEN
        RAISE EXCEPTION 'a message cannot be dated in the past (%)', to_char(send_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')
            USING ERRCODE = 'check_violation';
    END IF;
    send_at := greatest(send_at, now());
    SELECT * INTO inv FROM invoices WHERE id = p_invoice FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', p_invoice USING ERRCODE = 'no_data_found';
    END IF;
    SELECT id INTO msg FROM outreach WHERE invoice_id = p_invoice AND purpose = p_purpose AND status IN ('draft', 'queued');
    IF FOUND THEN
        RETURN msg;
    END IF;
    blocked := reminder_block(p_invoice, (now() AT TIME ZONE (SELECT value FROM settings WHERE key = 'business_time_zone'))::date);
    IF blocked IS NOT NULL AND coalesce(trim(p_override), '') = '' THEN
        RAISE EXCEPTION 'not queued: %', blocked USING ERRCODE = 'check_violation', HINT = 'give an override reason to send anyway';
    END IF;
    SELECT coalesce(array_agg(a.display_name ORDER BY a.display_name), '{}') INTO copies FROM customer_owners co
      JOIN agents a ON a.id = co.agent_id WHERE co.customer_id = inv.customer_id AND co.relation = 'account_executive';
    INSERT INTO outreach (customer_id, invoice_id, invoice_ids, purpose, channel, tone, subject, body, copies, send_after, status,
                          override_reason, created_by)
    VALUES (inv.customer_id, p_invoice, ARRAY[p_invoice], p_purpose, p_channel, p_tone, p_subject, p_body, copies,
            send_at, 'queued', CASE WHEN blocked IS NOT NULL THEN p_override END, settle_agent())
    RETURNING id INTO msg;
    PERFORM settle_audit('queue_outreach', 'outreach', msg, inv.customer_id,
                         jsonb_build_object('invoice', inv.number, 'tone', p_tone, 'override', CASE WHEN blocked IS NOT NULL THEN p_override END,
                                            'blocked', blocked));
    RETURN msg;
END $$;

CREATE OR REPLACE FUNCTION cancel_outreach(p_message bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m outreach%ROWTYPE;
BEGIN
    PERFORM settle_require('collector');
    SELECT * INTO m FROM outreach WHERE id = p_message FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', p_message USING ERRCODE = 'no_data_found';
    END IF;
    IF m.status NOT IN ('draft', 'queued') THEN
        RAISE EXCEPTION 'message % is already % (%)', p_message, m.status,
            coalesce(to_char(m.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), 'no longer queued') USING ERRCODE = 'SE409';
    END IF;
    IF m.claimed_by IS NOT NULL THEN
        RAISE EXCEPTION 'message % is being sent by % and can no longer be cancelled', p_message, m.claimed_by
            USING ERRCODE = 'SE409';
    END IF;
    UPDATE outreach SET status = 'cancelled' WHERE id = p_message;
    PERFORM settle_audit('cancel_outreach', 'outreach', p_message, m.customer_id, '{}');
END $$;

-- ---------------------------------------------------------------- promises

CREATE OR REPLACE FUNCTION record_promise(p_invoice bigint, p_amount bigint, p_promised_for date) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    inv invoices%ROWTYPE;
    new_id bigint;
    today date := (now() AT TIME ZONE (SELECT value FROM settings WHERE key = 'business_time_zone'))::date;
BEGIN
    PERFORM settle_require('collector');
    SELECT * INTO inv FROM invoices WHERE invoices.id = p_invoice FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', p_invoice USING ERRCODE = 'no_data_found';
    END IF;
    IF inv.open_minor = 0 THEN
        RAISE EXCEPTION 'invoice % is paid: there is nothing left to promise', inv.number USING ERRCODE = 'check_violation';
    END IF;
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'a promise needs an amount above zero' USING ERRCODE = 'check_violation';
    END IF;
    IF p_amount > inv.open_minor THEN
        RAISE EXCEPTION 'a promise of % is more than the % still open on invoice %', settle_money(p_amount, inv.currency),
            settle_money(inv.open_minor, inv.currency), inv.number USING ERRCODE = 'check_violation';
    END IF;
    IF p_promised_for IS NULL OR p_promised_for < today THEN
        RAISE EXCEPTION 'a promise cannot be dated in the past (% is before today, %)', coalesce(p_promised_for::text, 'no date'), today
            USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO promises (customer_id, invoice_id, amount_minor, currency, made_on, promised_for, status, recorded_by)
    VALUES (inv.customer_id, p_invoice, p_amount, inv.currency, today, p_promised_for, 'open', settle_agent())
    RETURNING promises.id INTO new_id;
    PERFORM settle_audit('record_promise', 'promise', new_id, inv.customer_id,
                         jsonb_build_object('invoice', inv.number, 'amount', p_amount, 'for', p_promised_for));
    RETURN new_id;
END $$;

-- ---------------------------------------------------------------- segments

CREATE OR REPLACE FUNCTION set_segment_override(p_customer bigint, p_segment text, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM settle_require('lead');
    IF p_segment IS NOT NULL AND p_segment NOT IN ('vip', 'chronic_late', 'high_risk', 'standard') THEN
        RAISE EXCEPTION '"%" is not a segment (vip, chronic late, high risk, standard)', p_segment USING ERRCODE = 'check_violation';
    END IF;
    IF p_segment IS NOT NULL AND coalesce(trim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'an override needs a reason' USING ERRCODE = 'check_violation';
    END IF;
    PERFORM settle_check_length('the reason', p_reason, settle_limit('note'));
    PERFORM 1 FROM customers WHERE id = p_customer FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % does not exist', p_customer USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE customers SET segment_override = p_segment, override_reason = CASE WHEN p_segment IS NOT NULL THEN p_reason END
     WHERE id = p_customer;
    UPDATE customer_profiles SET segment = coalesce(p_segment, segment),
                                 segment_reason = CASE WHEN p_segment IS NOT NULL THEN 'override: ' || p_reason ELSE segment_reason END
     WHERE customer_id = p_customer;
    PERFORM settle_audit('segment_override', 'customer', p_customer, p_customer,
                         jsonb_build_object('segment', p_segment, 'reason', p_reason));
END $$;

-- ---------------------------------------------------------------- senders

-- The sender is session_user, never a parameter. A claim takes at most 100 messages.
DROP FUNCTION claim_outreach(text, int);
DROP FUNCTION mark_outreach_sent(bigint, text);

CREATE FUNCTION claim_outreach(p_limit int) RETURNS SETOF outreach
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM settle_require('sender');
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 100 THEN
        RAISE EXCEPTION 'claim between 1 and 100 messages at a time, not %', coalesce(p_limit::text, 'all')
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN QUERY
    UPDATE outreach SET claimed_by = session_user
     WHERE id IN (SELECT id FROM outreach WHERE status = 'queued' AND claimed_by IS NULL AND send_after <= now()
                   ORDER BY send_after, id FOR UPDATE SKIP LOCKED LIMIT p_limit)
    RETURNING *;
END $$;

CREATE FUNCTION mark_outreach_sent(p_message bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m outreach%ROWTYPE;
BEGIN
    PERFORM settle_require('sender');
    SELECT * INTO m FROM outreach WHERE id = p_message FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', p_message USING ERRCODE = 'no_data_found';
    END IF;
    IF m.status <> 'queued' OR m.claimed_by IS DISTINCT FROM session_user THEN
        RAISE EXCEPTION 'message % is not claimed by %: it is % %', p_message, session_user, m.status,
            coalesce('and claimed by ' || m.claimed_by, 'and unclaimed') USING ERRCODE = 'SE409';
    END IF;
    UPDATE outreach SET status = 'sent', sent_at = now() WHERE id = p_message;
    PERFORM settle_audit('outreach_sent', 'outreach', p_message, m.customer_id, '{}');
END $$;
REVOKE ALL ON FUNCTION claim_outreach(int), mark_outreach_sent(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_outreach(int), mark_outreach_sent(bigint) TO settle_sender;
GRANT SELECT ON outreach, customers, contacts, invoices, agents, customer_owners, settings TO settle_sender;

-- ---------------------------------------------------------------- triggers run as the owner

-- The store's own bookkeeping runs with the owner's rights, so an importer needs no write
-- grants on the tables the triggers maintain.
ALTER FUNCTION allocation_before_insert() SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION allocation_before_delete() SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION invoice_paid_clears_holds() SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION log_change() SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION refresh_customer_profiles(date) SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp;
REVOKE ALL ON FUNCTION refresh_customer_profiles(date) FROM PUBLIC;

-- ---------------------------------------------------------------- private data

-- Notifications: each person reads their own; leads read all. FORCEd, so the owner's
-- connections obey it too. Rows are written only by the store's functions.
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY notifications_read ON notifications FOR SELECT
    USING (agent_id = (SELECT a.id FROM public.agents a WHERE a.role_name = session_user)
           OR (SELECT pg_has_role(session_user, 'settle_lead', 'MEMBER')));
CREATE POLICY notifications_write ON notifications FOR INSERT WITH CHECK (true);
CREATE POLICY notifications_mark_read ON notifications FOR UPDATE
    USING (agent_id = (SELECT a.id FROM public.agents a WHERE a.role_name = session_user))
    WITH CHECK (agent_id = (SELECT a.id FROM public.agents a WHERE a.role_name = session_user));

-- Contacts: viewers see who and how, not the e-mail address or phone number.
REVOKE SELECT ON contacts FROM settle_viewer;
GRANT SELECT (id, customer_id, name, channel, is_primary) ON contacts TO settle_viewer;
GRANT SELECT ON contacts TO settle_collector;

-- ---------------------------------------------------------------- the audit chain

ALTER TABLE audit_log ADD COLUMN chain_seq bigint UNIQUE, ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

-- The end of the chain as of the last statement that wrote to it, so removing the newest rows
-- shows. Writers are put in order by a transaction-level advisory lock; each row reads the
-- chain's tail from the chain_seq index, so a bulk insert costs the same per row as a single one.
CREATE TABLE audit_chain_head (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq  bigint NOT NULL,
    hash bytea
);
INSERT INTO audit_chain_head VALUES (true, 0, NULL);
GRANT SELECT ON audit_chain_head TO settle_viewer;

-- What a row's hash covers: its place in the chain, its content, and the previous hash.
CREATE FUNCTION audit_digest(a audit_log) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT sha256(coalesce(a.prev_hash, '\x'::bytea) || convert_to(
        jsonb_build_array(a.chain_seq, a.id, (extract(epoch FROM a.at) * 1000000)::bigint, a.actor, a.action,
                          a.entity, a.entity_id, a.customer_id, a.details)::text, 'UTF8'))
$$;

-- The advisory lock key that orders audit writers (any constant; this one spells "settle").
CREATE FUNCTION audit_chain_lock() RETURNS void LANGUAGE sql AS
    $$ SELECT pg_advisory_xact_lock(7310289713398642021) $$;

CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    last_seq bigint;
    last_hash bytea;
BEGIN
    PERFORM audit_chain_lock();
    SELECT chain_seq, hash INTO last_seq, last_hash FROM audit_log
     WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := last_hash;
    NEW.hash := audit_digest(NEW);
    RETURN NEW;
END $$;

CREATE FUNCTION audit_chain_advance_head() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    UPDATE audit_chain_head h SET seq = t.chain_seq, hash = t.hash
      FROM (SELECT chain_seq, hash FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1) t;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION audit_chain(), audit_chain_advance_head(), audit_chain_lock() FROM PUBLIC;

-- Chain what is already there, oldest first.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
DO $$
DECLARE
    r audit_log%ROWTYPE;
    n bigint := 0;
    prev bytea;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        n := n + 1;
        r.chain_seq := n;
        r.prev_hash := prev;
        r.hash := audit_digest(r);
        UPDATE audit_log SET chain_seq = r.chain_seq, prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
        prev := r.hash;
    END LOOP;
    UPDATE audit_chain_head SET seq = n, hash = prev;
END $$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_chain();
CREATE TRIGGER audit_log_chain_head AFTER INSERT ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_advance_head();

-- ---------------------------------------------------------------- the importer

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'settle_importer') THEN
        CREATE ROLE settle_importer NOLOGIN IN ROLE settle_viewer;
    END IF;
END $$;
GRANT INSERT ON customers, invoices, payments, allocations TO settle_importer;
GRANT USAGE ON SEQUENCE customers_id_seq, invoices_id_seq, payments_id_seq, allocations_id_seq TO settle_importer;
GRANT EXECUTE ON FUNCTION refresh_customer_profiles(date) TO settle_importer;

-- One audit row per import run, in the import's transaction.
CREATE FUNCTION record_import(p_kind text, p_details jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM settle_require('importer');
    IF p_kind IS NULL OR p_kind NOT IN ('customers', 'invoices', 'payments') THEN
        RAISE EXCEPTION '"%" is not something settle imports', coalesce(p_kind, '') USING ERRCODE = 'check_violation';
    END IF;
    PERFORM settle_audit('import', p_kind, NULL, NULL, p_details);
END $$;
REVOKE ALL ON FUNCTION record_import(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_import(text, jsonb) TO settle_importer;

-- ---------------------------------------------------------------- every function, one search path

DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, public, pg_temp', f);
    END LOOP;
END $$;
