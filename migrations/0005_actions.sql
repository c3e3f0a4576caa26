-- Actions: every change a person makes goes through one of these functions. Each is
-- SECURITY DEFINER (people have no write grants), checks the caller's settle role, locks the
-- row it changes, writes its audit row in the same transaction, and refuses a stale change
-- with SQLSTATE SE409 naming who got there first and when.

CREATE FUNCTION settle_agent() RETURNS int LANGUAGE sql STABLE AS
    $$ SELECT id FROM agents WHERE role_name = session_user $$;

CREATE FUNCTION settle_agent_name(agent int) RETURNS text LANGUAGE sql STABLE AS
    $$ SELECT coalesce((SELECT display_name FROM agents WHERE id = agent), 'someone') $$;

CREATE FUNCTION settle_require(role_needed text) RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'settle_' || role_needed, 'MEMBER') THEN
        RAISE EXCEPTION '% may not do this: it needs the % role', session_user, role_needed
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$;

CREATE FUNCTION settle_audit(action text, entity text, entity_id bigint, customer bigint, details jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO audit_log (actor, action, entity, entity_id, customer_id, details)
    VALUES (session_user, action, entity, entity_id, customer, details)
$$;

-- Tells the relationship owners of a customer.
CREATE FUNCTION settle_notify_owners(customer bigint, kind text, message text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO notifications (agent_id, customer_id, kind, message)
    SELECT agent_id, customer, kind, message FROM customer_owners
     WHERE customer_id = customer AND relation IN ('account_executive', 'customer_success')
$$;

-- Queues the "we received your payment; your order is on its way" message, once per hold.
CREATE FUNCTION settle_queue_release_confirmation(p_hold bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    h record;
    tpl outreach_templates%ROWTYPE;
BEGIN
    SELECT o.customer_id, o.number AS order_number,
           (SELECT string_agg(i.number, ', ' ORDER BY i.number) FROM hold_blockers b JOIN invoices i ON i.id = b.invoice_id
             WHERE b.hold_id = p_hold) AS invoices,
           (SELECT coalesce(array_agg(a.display_name ORDER BY a.display_name), '{}') FROM customer_owners co
              JOIN agents a ON a.id = co.agent_id WHERE co.customer_id = o.customer_id
               AND co.relation IN ('account_executive', 'customer_success')) AS copies
      INTO h FROM holds x JOIN orders o ON o.id = x.order_id WHERE x.id = p_hold;
    SELECT * INTO tpl FROM outreach_templates WHERE code = 'hold-release';
    INSERT INTO outreach (customer_id, hold_id, purpose, channel, tone, template_id, subject, body, copies, send_after, status, created_by)
    VALUES (h.customer_id, p_hold, 'hold_release', 'email', 'confirmation', tpl.id,
            replace(coalesce(tpl.subject, 'Your order {order} is on its way'), '{order}', h.order_number),
            replace(replace(replace(coalesce(tpl.body, 'We received your payment for invoice {invoice}; your order {order} is on its way.'),
                    '{order}', h.order_number), '{invoice}', coalesce(h.invoices, '')), '{contact}', 'there'),
            h.copies, now(), 'queued', settle_agent())
    ON CONFLICT (hold_id) WHERE hold_id IS NOT NULL AND status <> 'cancelled' DO NOTHING;
END $$;

-- Release a hold (leads). A reason is required.
CREATE FUNCTION release_hold(p_hold bigint, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    h holds%ROWTYPE;
    customer bigint;
BEGIN
    PERFORM settle_require('lead');
    IF coalesce(trim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'a reason is required to release a hold' USING ERRCODE = 'check_violation';
    END IF;
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

-- When an invoice is paid off, holds it blocked clear: released by policy, or left for a
-- person with the release-lag clock running. The confirmation is queued once.
CREATE FUNCTION invoice_paid_clears_holds() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    h record;
BEGIN
    FOR h IN
        SELECT x.id, x.order_id, p.auto_release, o.customer_id
          FROM hold_blockers b JOIN holds x ON x.id = b.hold_id JOIN hold_policies p ON p.reason = x.reason
          JOIN orders o ON o.id = x.order_id
         WHERE b.invoice_id = NEW.id AND x.status = 'held'
           AND NOT EXISTS (SELECT 1 FROM hold_blockers b2 JOIN invoices i ON i.id = b2.invoice_id
                            WHERE b2.hold_id = x.id AND i.open_minor > 0)
         FOR UPDATE OF x
    LOOP
        IF h.auto_release THEN
            UPDATE holds SET status = 'released', cleared_at = now(), released_at = now(),
                             release_note = 'released automatically: every blocking invoice is paid' WHERE id = h.id;
            UPDATE orders SET status = 'released' WHERE id = h.order_id;
            PERFORM settle_queue_release_confirmation(h.id);
            PERFORM settle_audit('auto_release_hold', 'hold', h.id, h.customer_id, '{}');
        ELSE
            UPDATE holds SET status = 'cleared', cleared_at = now() WHERE id = h.id;
            PERFORM settle_audit('hold_cleared', 'hold', h.id, h.customer_id, jsonb_build_object('invoice', NEW.number));
        END IF;
        PERFORM settle_notify_owners(h.customer_id, 'hold_cleared', format('Payment cleared the hold on order %s', h.order_id));
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER invoice_paid_clears_holds AFTER UPDATE OF open_minor ON invoices
    FOR EACH ROW WHEN (NEW.open_minor = 0 AND OLD.open_minor > 0) EXECUTE FUNCTION invoice_paid_clears_holds();

-- Assign a dispute: collectors take it for themselves, leads give it to anyone. The caller
-- says whom they saw assigned; if that changed meanwhile, someone got there first.
CREATE FUNCTION assign_dispute(p_dispute bigint, p_agent int, p_seen_assignee int) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    d disputes%ROWTYPE;
    last_at timestamptz;
BEGIN
    PERFORM settle_require('collector');
    IF p_agent IS DISTINCT FROM settle_agent() THEN
        PERFORM settle_require('lead');
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
    UPDATE disputes SET assignee_id = p_agent WHERE id = p_dispute;
    INSERT INTO dispute_events (dispute_id, at, agent_id, kind, note)
    VALUES (p_dispute, now(), settle_agent(), 'assigned', 'to ' || settle_agent_name(p_agent));
    PERFORM settle_audit('assign_dispute', 'dispute', p_dispute, d.customer_id, jsonb_build_object('to', p_agent));
END $$;

-- Respond to a dispute: the first response stops the first-response clock.
CREATE FUNCTION respond_dispute(p_dispute bigint, p_note text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    d disputes%ROWTYPE;
BEGIN
    PERFORM settle_require('collector');
    IF coalesce(trim(p_note), '') = '' THEN
        RAISE EXCEPTION 'a response needs a note' USING ERRCODE = 'check_violation';
    END IF;
    SELECT * INTO d FROM disputes WHERE id = p_dispute FOR UPDATE;
    IF d.state = 'resolved' THEN
        RAISE EXCEPTION '% was resolved at %', d.number, to_char(d.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')
            USING ERRCODE = 'SE409';
    END IF;
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
CREATE FUNCTION move_dispute(p_dispute bigint, p_seen_state text, p_to text, p_outcome text, p_credited bigint, p_note text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    d disputes%ROWTYPE;
    last_at timestamptz;
    last_by int;
BEGIN
    PERFORM settle_require('collector');
    SELECT * INTO d FROM disputes WHERE id = p_dispute FOR UPDATE;
    IF d.state IS DISTINCT FROM p_seen_state THEN
        SELECT at, agent_id INTO last_at, last_by FROM dispute_events
         WHERE dispute_id = p_dispute AND kind = 'state' ORDER BY at DESC, id DESC LIMIT 1;
        RAISE EXCEPTION '% was moved to % by % at %', d.number, replace(d.state, '_', ' '), settle_agent_name(last_by),
            coalesce(to_char(last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), 'an earlier time') USING ERRCODE = 'SE409';
    END IF;
    IF NOT ((d.state, p_to) IN (('open', 'investigating'), ('investigating', 'awaiting_customer'),
                                ('awaiting_customer', 'investigating'), ('investigating', 'resolved'), ('open', 'resolved'))) THEN
        RAISE EXCEPTION 'a dispute cannot move from % to %', d.state, p_to USING ERRCODE = 'check_violation';
    END IF;
    IF p_to = 'resolved' AND p_outcome IS NULL THEN
        RAISE EXCEPTION 'resolving needs an outcome: credited, rejected or partially_credited' USING ERRCODE = 'check_violation';
    END IF;
    UPDATE disputes SET state = p_to,
                        outcome = CASE WHEN p_to = 'resolved' THEN p_outcome END,
                        credited_minor = CASE WHEN p_to = 'resolved' THEN
                            CASE p_outcome WHEN 'credited' THEN amount_minor WHEN 'rejected' THEN 0 ELSE p_credited END END,
                        resolved_at = CASE WHEN p_to = 'resolved' THEN now() END
     WHERE id = p_dispute;
    INSERT INTO dispute_events (dispute_id, at, agent_id, kind, from_state, to_state, note)
    VALUES (p_dispute, now(), settle_agent(), 'state', d.state, p_to, coalesce(p_note, ''));
    PERFORM settle_audit('move_dispute', 'dispute', p_dispute, d.customer_id,
                         jsonb_build_object('from', d.state, 'to', p_to, 'outcome', p_outcome));
END $$;

CREATE FUNCTION escalate_dispute(p_dispute bigint, p_note text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    d disputes%ROWTYPE;
BEGIN
    PERFORM settle_require('collector');
    SELECT * INTO d FROM disputes WHERE id = p_dispute FOR UPDATE;
    IF d.escalated THEN
        RAISE EXCEPTION '% is already escalated', d.number USING ERRCODE = 'SE409';
    END IF;
    UPDATE disputes SET escalated = true WHERE id = p_dispute;
    INSERT INTO dispute_events (dispute_id, at, agent_id, kind, note) VALUES (p_dispute, now(), settle_agent(), 'escalated', coalesce(p_note, ''));
    PERFORM settle_audit('escalate_dispute', 'dispute', p_dispute, d.customer_id, '{}');
END $$;

-- Why an automatic reminder for an invoice may not go now, or NULL.
CREATE FUNCTION reminder_block(p_invoice bigint, today date) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN i.open_minor = 0 THEN 'the invoice is paid'
        WHEN EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.state <> 'resolved') THEN 'the invoice is under dispute'
        WHEN p.typical_days IS NOT NULL AND today < i.issue_date + p.typical_days + setting_int('reminder_grace_days')::int
            THEN format('usually pays on day %s; expected %s', p.typical_days, to_char(i.issue_date + p.typical_days, 'FMDD Mon'))
    END
      FROM invoices i LEFT JOIN customer_profiles p ON p.customer_id = i.customer_id WHERE i.id = p_invoice
$$;

-- Queue outreach about an invoice. Refused for disputed, paid or suppressed invoices unless
-- overridden with a reason (audited). Idempotent: one active message per invoice and purpose;
-- a second request returns the message already queued.
CREATE FUNCTION queue_outreach(p_invoice bigint, p_purpose text, p_channel text, p_tone text, p_subject text,
                               p_body text, p_send_after timestamptz, p_override text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    inv invoices%ROWTYPE;
    blocked text;
    msg bigint;
    copies text[];
BEGIN
    PERFORM settle_require('collector');
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
            p_send_after, 'queued', CASE WHEN blocked IS NOT NULL THEN p_override END, settle_agent())
    RETURNING id INTO msg;
    PERFORM settle_audit('queue_outreach', 'outreach', msg, inv.customer_id,
                         jsonb_build_object('invoice', inv.number, 'tone', p_tone, 'override', CASE WHEN blocked IS NOT NULL THEN p_override END,
                                            'blocked', blocked));
    RETURN msg;
END $$;

CREATE FUNCTION cancel_outreach(p_message bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    m outreach%ROWTYPE;
BEGIN
    PERFORM settle_require('collector');
    SELECT * INTO m FROM outreach WHERE id = p_message FOR UPDATE;
    IF m.status NOT IN ('draft', 'queued') THEN
        RAISE EXCEPTION 'message % is already % (%)', p_message, m.status,
            coalesce(to_char(m.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), 'no longer queued') USING ERRCODE = 'SE409';
    END IF;
    UPDATE outreach SET status = 'cancelled' WHERE id = p_message;
    PERFORM settle_audit('cancel_outreach', 'outreach', p_message, m.customer_id, '{}');
END $$;

CREATE FUNCTION record_promise(p_invoice bigint, p_amount bigint, p_promised_for date) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    inv invoices%ROWTYPE;
    new_id bigint;
BEGIN
    PERFORM settle_require('collector');
    SELECT * INTO inv FROM invoices WHERE invoices.id = p_invoice;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice % does not exist', p_invoice USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO promises (customer_id, invoice_id, amount_minor, currency, made_on, promised_for, status, recorded_by)
    VALUES (inv.customer_id, p_invoice, p_amount, inv.currency, current_date, p_promised_for, 'open', settle_agent())
    RETURNING promises.id INTO new_id;
    PERFORM settle_audit('record_promise', 'promise', new_id, inv.customer_id,
                         jsonb_build_object('invoice', inv.number, 'amount', p_amount, 'for', p_promised_for));
    RETURN new_id;
END $$;

-- Pin a customer's segment (leads); the override wins over the rules and says why.
CREATE FUNCTION set_segment_override(p_customer bigint, p_segment text, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM settle_require('lead');
    IF p_segment IS NOT NULL AND coalesce(trim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'an override needs a reason' USING ERRCODE = 'check_violation';
    END IF;
    UPDATE customers SET segment_override = p_segment, override_reason = CASE WHEN p_segment IS NOT NULL THEN p_reason END
     WHERE id = p_customer;
    UPDATE customer_profiles SET segment = coalesce(p_segment, segment),
                                 segment_reason = CASE WHEN p_segment IS NOT NULL THEN 'override: ' || p_reason ELSE segment_reason END
     WHERE customer_id = p_customer;
    PERFORM settle_audit('segment_override', 'customer', p_customer, p_customer,
                         jsonb_build_object('segment', p_segment, 'reason', p_reason));
END $$;

-- Senders claim due messages; SKIP LOCKED hands each to exactly one sender.
CREATE FUNCTION claim_outreach(p_sender text, p_limit int) RETURNS SETOF outreach
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    UPDATE outreach SET claimed_by = p_sender
     WHERE id IN (SELECT id FROM outreach WHERE status = 'queued' AND claimed_by IS NULL AND send_after <= now()
                   ORDER BY send_after, id FOR UPDATE SKIP LOCKED LIMIT p_limit)
    RETURNING *
$$;

CREATE FUNCTION mark_outreach_sent(p_message bigint, p_sender text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    UPDATE outreach SET status = 'sent', sent_at = now() WHERE id = p_message AND claimed_by = p_sender AND status = 'queued';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % is not claimed by %', p_message, p_sender USING ERRCODE = 'SE409';
    END IF;
    PERFORM settle_audit('outreach_sent', 'outreach', p_message, (SELECT customer_id FROM outreach WHERE id = p_message),
                         jsonb_build_object('sender', p_sender));
END $$;

DO $$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['release_hold(bigint,text)', 'assign_dispute(bigint,int,int)', 'respond_dispute(bigint,text)',
        'move_dispute(bigint,text,text,text,bigint,text)', 'escalate_dispute(bigint,text)',
        'queue_outreach(bigint,text,text,text,text,text,timestamptz,text)', 'cancel_outreach(bigint)',
        'record_promise(bigint,bigint,date)', 'set_segment_override(bigint,text,text)', 'claim_outreach(text,int)',
        'mark_outreach_sent(bigint,text)']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END $$;
GRANT EXECUTE ON FUNCTION assign_dispute(bigint,int,int), respond_dispute(bigint,text),
    move_dispute(bigint,text,text,text,bigint,text), escalate_dispute(bigint,text),
    queue_outreach(bigint,text,text,text,text,text,timestamptz,text), cancel_outreach(bigint),
    record_promise(bigint,bigint,date) TO settle_collector;
GRANT EXECUTE ON FUNCTION release_hold(bigint,text), set_segment_override(bigint,text,text) TO settle_lead;
-- The sender service logs in with a role granted settle_sender.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'settle_sender') THEN CREATE ROLE settle_sender NOLOGIN; END IF;
END $$;
GRANT EXECUTE ON FUNCTION claim_outreach(text,int), mark_outreach_sent(bigint,text) TO settle_sender;
GRANT USAGE ON SCHEMA public TO settle_sender;
