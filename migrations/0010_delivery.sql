-- Outreach that really goes out, exactly once. A worker claims due messages with a lease,
-- re-checks the guards, marks a message `sending` (committed) before it talks to SMTP and
-- `sent` after the server accepted it. A `sending` message whose lease ran out may or may not
-- have gone: it becomes `uncertain`, is never resent by itself, and waits for a lead.

ALTER TABLE outreach DROP CONSTRAINT outreach_status_check;
ALTER TABLE outreach ADD CONSTRAINT outreach_status_check
    CHECK (status IN ('draft', 'pending_approval', 'queued', 'sending', 'uncertain', 'sent', 'failed', 'cancelled'));
ALTER TABLE outreach
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN attempts    int NOT NULL DEFAULT 0,
    ADD COLUMN sending_at  timestamptz,
    -- Why it is not (yet) sent: the SMTP server's reply, a guard that held it back.
    ADD COLUMN last_error  text;

-- One live message per invoice and purpose, whatever stage it is in.
DROP INDEX outreach_one_active;
CREATE UNIQUE INDEX outreach_one_active ON outreach (invoice_id, purpose)
    WHERE status IN ('draft', 'pending_approval', 'queued', 'sending', 'uncertain') AND invoice_id IS NOT NULL;
CREATE INDEX outreach_sending_idx ON outreach (lease_until) WHERE status = 'sending';

INSERT INTO settings (key, value) VALUES
    ('mail_from', 'Accounts Receivable <ar@settle.example>'),
    ('mail_reply_to', 'ar@settle.example')
ON CONFLICT (key) DO NOTHING;

-- When a held-back reminder for an invoice may go: after its customer's usual pay day plus
-- grace, and after any open promise's deadline; 09:00 in the business time zone of that day.
CREATE FUNCTION reminder_due_at(p_invoice bigint, today date) RETURNS timestamptz
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT (greatest(today,
                     i.issue_date + coalesce(p.typical_days, 0) + setting_int('reminder_grace_days')::int,
                     coalesce((SELECT max(promise_deadline(x)) + 1 FROM promises x
                                WHERE x.invoice_id = i.id AND x.status = 'open'), today))
            + time '09:00') AT TIME ZONE (SELECT value FROM settings WHERE key = 'business_time_zone')
      FROM invoices i LEFT JOIN customer_profiles p ON p.customer_id = i.customer_id
     WHERE i.id = p_invoice
$$;

-- Sending messages whose lease ran out become uncertain (audited once each).
CREATE FUNCTION settle_expire_sending() RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m record;
    n int := 0;
BEGIN
    FOR m IN UPDATE outreach SET status = 'uncertain', lease_until = NULL
              WHERE status = 'sending' AND lease_until < now()
             RETURNING id, customer_id, claimed_by, sending_at
    LOOP
        PERFORM settle_audit('outreach_uncertain', 'outreach', m.id, m.customer_id,
            jsonb_build_object('sender', m.claimed_by, 'sending_at', m.sending_at));
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- Claim up to p_limit due messages for p_lease_seconds (10 s to 1 h). A claim whose lease ran
-- out goes back to the pool; a message being sent is never claimed again.
CREATE FUNCTION claim_outreach(p_limit int, p_lease_seconds int) RETURNS SETOF outreach
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM settle_require('sender');
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 100 THEN
        RAISE EXCEPTION 'claim between 1 and 100 messages at a time, not %', coalesce(p_limit::text, 'all')
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_lease_seconds IS NULL OR p_lease_seconds < 10 OR p_lease_seconds > 3600 THEN
        RAISE EXCEPTION 'a lease is between 10 and 3600 seconds, not %', coalesce(p_lease_seconds::text, 'none')
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM settle_expire_sending();
    RETURN QUERY
    UPDATE outreach SET claimed_by = session_user, lease_until = now() + make_interval(secs => p_lease_seconds)
     WHERE id IN (SELECT id FROM outreach
                   WHERE status = 'queued' AND send_after <= now() AND (claimed_by IS NULL OR lease_until < now())
                   ORDER BY send_after, id FOR UPDATE SKIP LOCKED LIMIT p_limit)
    RETURNING *;
END $$;

-- The one-argument claim keeps working, with a five-minute lease.
CREATE OR REPLACE FUNCTION claim_outreach(p_limit int) RETURNS SETOF outreach
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT * FROM claim_outreach(p_limit, 300)
$$;

-- A worker still working on its claims keeps them.
CREATE FUNCTION renew_outreach_leases(p_lease_seconds int) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    n int;
BEGIN
    PERFORM settle_require('sender');
    UPDATE outreach SET lease_until = now() + make_interval(secs => least(greatest(p_lease_seconds, 10), 3600))
     WHERE claimed_by = session_user AND status IN ('queued', 'sending') AND lease_until >= now();
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- The guards, re-checked when a claimed message is about to go. NULL when it may go. Otherwise
-- an invoice paid or disputed since the message was queued cancels it; a customer's pay day or
-- an open promise moves it to when it may go. Either way the claim is released and the reason
-- is on the row and in the audit log. (A message queued with an override goes regardless.)
CREATE FUNCTION settle_outreach_guard(m outreach) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    today date := settle_today();
    blocked text;
    paid boolean;
    disputed boolean;
    later timestamptz;
BEGIN
    IF m.purpose IN ('reminder', 'promise_followup') AND m.invoice_id IS NOT NULL AND m.override_reason IS NULL THEN
        blocked := reminder_block(m.invoice_id, today);
    END IF;
    IF blocked IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT i.open_minor = 0, EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.state <> 'resolved')
      INTO paid, disputed FROM invoices i WHERE i.id = m.invoice_id;
    IF paid OR disputed THEN
        UPDATE outreach SET status = 'cancelled', claimed_by = NULL, lease_until = NULL,
                            last_error = 'not sent: ' || blocked WHERE id = m.id;
        PERFORM settle_audit('outreach_cancelled_by_guard', 'outreach', m.id, m.customer_id, jsonb_build_object('reason', blocked));
        RETURN 'cancelled: ' || blocked;
    END IF;
    later := greatest(reminder_due_at(m.invoice_id, today), now() + interval '1 hour');
    UPDATE outreach SET send_after = later, claimed_by = NULL, lease_until = NULL,
                        last_error = 'held back: ' || blocked WHERE id = m.id;
    PERFORM settle_audit('outreach_held', 'outreach', m.id, m.customer_id,
                         jsonb_build_object('reason', blocked, 'send_after', later));
    RETURN format('held back until %s: %s', to_char(later AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), blocked);
END $$;

-- The claimed message this worker holds, locked; refused if it holds no live claim on it.
CREATE FUNCTION settle_claimed(p_message bigint) RETURNS outreach
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m outreach%ROWTYPE;
BEGIN
    SELECT * INTO m FROM outreach WHERE id = p_message FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', p_message USING ERRCODE = 'no_data_found';
    END IF;
    IF m.status <> 'queued' OR m.claimed_by IS DISTINCT FROM session_user OR m.lease_until < now() THEN
        RAISE EXCEPTION 'message % is not claimed by %: it is % %', p_message, session_user, m.status,
            coalesce('and claimed by ' || m.claimed_by, 'and unclaimed') USING ERRCODE = 'SE409';
    END IF;
    RETURN m;
END $$;

-- The message is about to be handed to SMTP: NULL when it may go (it is now `sending`,
-- committed with the caller's transaction), or why it may not (`settle_outreach_guard`).
CREATE FUNCTION begin_sending(p_message bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m outreach%ROWTYPE;
    held text;
BEGIN
    PERFORM settle_require('sender');
    m := settle_claimed(p_message);
    held := settle_outreach_guard(m);
    IF held IS NOT NULL THEN
        RETURN held;
    END IF;
    UPDATE outreach SET status = 'sending', sending_at = now(), attempts = attempts + 1, last_error = NULL
     WHERE id = p_message;
    PERFORM settle_audit('outreach_sending', 'outreach', p_message, m.customer_id, jsonb_build_object('attempt', m.attempts + 1));
    RETURN NULL;
END $$;

-- What SMTP said. `sent`: accepted. `retry`: a temporary failure (4xx, no connection); the
-- message goes back to the queue after a backoff that doubles per attempt (1 minute to 6 hours).
-- `failed`: refused for good (5xx), with the server's reply. A late `sent` from the worker that
-- held the claim still counts when the lease ran out meanwhile (the message was uncertain).
CREATE FUNCTION finish_sending(p_message bigint, p_outcome text, p_reply text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m outreach%ROWTYPE;
    backoff interval;
BEGIN
    PERFORM settle_require('sender');
    PERFORM settle_check_length('the reply', p_reply, settle_limit('note'));
    SELECT * INTO m FROM outreach WHERE id = p_message FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', p_message USING ERRCODE = 'no_data_found';
    END IF;
    IF m.status NOT IN ('sending', 'uncertain') OR m.claimed_by IS DISTINCT FROM session_user THEN
        RAISE EXCEPTION 'message % is not being sent by %: it is %', p_message, session_user, m.status USING ERRCODE = 'SE409';
    END IF;
    IF p_outcome = 'sent' THEN
        UPDATE outreach SET status = 'sent', sent_at = now(), lease_until = NULL, last_error = NULL WHERE id = p_message;
    ELSIF p_outcome = 'retry' AND m.status = 'sending' THEN
        backoff := least(interval '1 minute' * power(2, greatest(m.attempts - 1, 0)), interval '6 hours');
        UPDATE outreach SET status = 'queued', claimed_by = NULL, lease_until = NULL, send_after = now() + backoff,
                            last_error = p_reply WHERE id = p_message;
    ELSIF p_outcome = 'failed' AND m.status = 'sending' THEN
        UPDATE outreach SET status = 'failed', lease_until = NULL, last_error = p_reply WHERE id = p_message;
    ELSE
        RAISE EXCEPTION '"%" is not an outcome for a message that is % (sent, retry, failed)', coalesce(p_outcome, ''), m.status
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM settle_audit('outreach_' || p_outcome, 'outreach', p_message, m.customer_id,
                         jsonb_build_object('reply', p_reply, 'attempt', m.attempts));
END $$;

-- A lead decides an uncertain message: it went (`sent`, dated when it was handed over) or it
-- goes again (`resend`).
CREATE FUNCTION decide_uncertain(p_message bigint, p_decision text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m outreach%ROWTYPE;
BEGIN
    PERFORM settle_require('lead');
    SELECT * INTO m FROM outreach WHERE id = p_message FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', p_message USING ERRCODE = 'no_data_found';
    END IF;
    IF m.status <> 'uncertain' THEN
        RAISE EXCEPTION 'message % is % and not uncertain: there is nothing to decide', p_message, m.status
            USING ERRCODE = 'SE409';
    END IF;
    IF p_decision = 'sent' THEN
        UPDATE outreach SET status = 'sent', sent_at = coalesce(m.sending_at, now()), claimed_by = NULL WHERE id = p_message;
    ELSIF p_decision = 'resend' THEN
        UPDATE outreach SET status = 'queued', claimed_by = NULL, lease_until = NULL, send_after = now() WHERE id = p_message;
    ELSE
        RAISE EXCEPTION '"%" is not a decision (sent, resend)', coalesce(p_decision, '') USING ERRCODE = 'check_violation';
    END IF;
    PERFORM settle_audit('outreach_decided', 'outreach', p_message, m.customer_id, jsonb_build_object('decision', p_decision));
END $$;

-- Channels that are not e-mail become a task for a person: the customer's account executive
-- (the VIP's account manager), else its collector. The message counts as delivered to them.
CREATE FUNCTION hand_to_person(p_message bigint, OUT handed_to text, OUT held text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m outreach%ROWTYPE;
    who int;
BEGIN
    PERFORM settle_require('sender');
    m := settle_claimed(p_message);
    held := settle_outreach_guard(m);
    IF held IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT co.agent_id INTO who FROM customer_owners co
     WHERE co.customer_id = m.customer_id ORDER BY (co.relation = 'account_executive') DESC, (co.relation = 'collector') DESC,
           co.agent_id LIMIT 1;
    IF who IS NULL THEN
        SELECT a.id INTO who FROM agents a WHERE a.title = 'lead' ORDER BY a.id LIMIT 1;
    END IF;
    INSERT INTO notifications (agent_id, customer_id, kind, message)
    VALUES (who, m.customer_id, 'outreach_task',
            format('%s for %s: %s', replace(m.channel, '_', ' '), (SELECT name FROM customers WHERE id = m.customer_id), m.subject));
    UPDATE outreach SET status = 'sent', sent_at = now(), lease_until = NULL, last_error = NULL WHERE id = p_message;
    handed_to := settle_agent_name(who);
    PERFORM settle_audit('outreach_task', 'outreach', p_message, m.customer_id, jsonb_build_object('to', handed_to));
END $$;

-- A worker stopping gives back what it claimed and had not started.
CREATE FUNCTION release_outreach_claims() RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    n int;
BEGIN
    PERFORM settle_require('sender');
    UPDATE outreach SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = session_user AND status = 'queued';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

REVOKE ALL ON FUNCTION settle_expire_sending(), settle_outreach_guard(outreach), settle_claimed(bigint), claim_outreach(int, int), renew_outreach_leases(int), begin_sending(bigint),
    finish_sending(bigint, text, text), decide_uncertain(bigint, text), hand_to_person(bigint),
    release_outreach_claims() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_outreach(int, int), renew_outreach_leases(int), begin_sending(bigint),
    finish_sending(bigint, text, text), hand_to_person(bigint), release_outreach_claims() TO settle_sender;
GRANT EXECUTE ON FUNCTION decide_uncertain(bigint, text) TO settle_lead;

-- A queued message can be cancelled; one being sent or uncertain cannot be taken from under a
-- worker (leads decide uncertain ones).
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
    IF m.status NOT IN ('draft', 'pending_approval', 'queued') THEN
        RAISE EXCEPTION 'message % is already % (%)', p_message, replace(m.status, '_', ' '),
            coalesce(to_char(m.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), 'no longer queued') USING ERRCODE = 'SE409';
    END IF;
    IF m.claimed_by IS NOT NULL AND m.lease_until >= now() THEN
        RAISE EXCEPTION 'message % is being sent by % and can no longer be cancelled', p_message, m.claimed_by
            USING ERRCODE = 'SE409';
    END IF;
    UPDATE outreach SET status = 'cancelled', claimed_by = NULL, lease_until = NULL WHERE id = p_message;
    PERFORM settle_audit('cancel_outreach', 'outreach', p_message, m.customer_id, '{}');
END $$;
