-- Queuing outreach, as a collector would want it:
-- - a second reminder for an invoice that has one is refused naming the first (who, when,
--   tone); it replaces it only when asked to, naming which (audited);
-- - a reminder held back by the customer's pay day or an open promise may be queued to go when
--   it may (send_after at or after `reminder_due_at`) with no override;
-- - an escalation-tone message from a collector waits for a lead's approval.

CREATE FUNCTION queue_outreach(p_invoice bigint, p_purpose text, p_channel text, p_tone text, p_subject text,
                               p_body text, p_send_after timestamptz, p_override text, p_replace bigint)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    inv invoices%ROWTYPE;
    old outreach%ROWTYPE;
    blocked text;
    msg bigint;
    copies text[];
    today date := settle_today();
    send_at timestamptz := coalesce(p_send_after, now());
    new_status text := 'queued';
    scheduled boolean := false;
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
    SELECT * INTO old FROM outreach WHERE invoice_id = p_invoice AND purpose = p_purpose
       AND status IN ('draft', 'pending_approval', 'queued', 'sending', 'uncertain');
    IF FOUND AND old.id IS DISTINCT FROM p_replace THEN
        RAISE EXCEPTION 'a % for % is already %: MSG-% by %, %, tone %', replace(p_purpose, '_', ' '), inv.number,
            replace(old.status, '_', ' '), old.id, settle_agent_name(old.created_by),
            to_char(old.created_at AT TIME ZONE 'UTC', 'FMDD Mon HH24:MI "UTC"'), old.tone
            USING ERRCODE = 'SE409', HINT = 'replace it or leave it';
    END IF;
    IF FOUND THEN
        IF old.status NOT IN ('draft', 'pending_approval', 'queued') OR (old.claimed_by IS NOT NULL AND old.lease_until >= now()) THEN
            RAISE EXCEPTION 'MSG-% is being sent and can no longer be replaced', old.id USING ERRCODE = 'SE409';
        END IF;
        UPDATE outreach SET status = 'cancelled', claimed_by = NULL, lease_until = NULL WHERE id = old.id;
        PERFORM settle_audit('replace_outreach', 'outreach', old.id, inv.customer_id,
                             jsonb_build_object('invoice', inv.number, 'old_tone', old.tone, 'new_tone', p_tone));
    ELSIF p_replace IS NOT NULL THEN
        RAISE EXCEPTION 'MSG-% is no longer queued: there is nothing to replace', p_replace USING ERRCODE = 'SE409';
    END IF;
    blocked := reminder_block(p_invoice, today);
    -- Queued to go when the customer's pay day or the promise allows: nothing to override.
    IF blocked IS NOT NULL AND inv.open_minor > 0
       AND NOT EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = inv.id AND d.state <> 'resolved')
       AND send_at >= reminder_due_at(p_invoice, today) THEN
        scheduled := true;
        blocked := NULL;
    END IF;
    IF blocked IS NOT NULL AND coalesce(trim(p_override), '') = '' THEN
        RAISE EXCEPTION 'not queued: %', blocked USING ERRCODE = 'check_violation',
            HINT = 'queue it for when it may go, or give an override reason to send anyway';
    END IF;
    IF p_tone = 'escalation' AND NOT settle_is('lead') THEN
        new_status := 'pending_approval';
    END IF;
    SELECT coalesce(array_agg(a.display_name ORDER BY a.display_name), '{}') INTO copies FROM customer_owners co
      JOIN agents a ON a.id = co.agent_id WHERE co.customer_id = inv.customer_id AND co.relation = 'account_executive';
    INSERT INTO outreach (customer_id, invoice_id, invoice_ids, purpose, channel, tone, subject, body, copies, send_after, status,
                          override_reason, created_by)
    VALUES (inv.customer_id, p_invoice, ARRAY[p_invoice], p_purpose, p_channel, p_tone, p_subject, p_body, copies,
            send_at, new_status, CASE WHEN blocked IS NOT NULL THEN p_override END, settle_agent())
    RETURNING id INTO msg;
    PERFORM settle_audit('queue_outreach', 'outreach', msg, inv.customer_id,
                         jsonb_build_object('invoice', inv.number, 'tone', p_tone, 'override', CASE WHEN blocked IS NOT NULL THEN p_override END,
                                            'blocked', blocked, 'scheduled', scheduled, 'status', new_status,
                                            'replaces', CASE WHEN p_replace IS NOT NULL THEN p_replace END));
    RETURN msg;
END $$;

-- The eight-argument form: the same, never replacing.
CREATE OR REPLACE FUNCTION queue_outreach(p_invoice bigint, p_purpose text, p_channel text, p_tone text, p_subject text,
                                          p_body text, p_send_after timestamptz, p_override text)
RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT queue_outreach(p_invoice, p_purpose, p_channel, p_tone, p_subject, p_body, p_send_after, p_override, NULL::bigint)
$$;

-- A lead approves an escalation-tone message (it is queued) or rejects it with a reason.
CREATE FUNCTION approve_outreach(p_message bigint, p_approve boolean, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m outreach%ROWTYPE;
BEGIN
    PERFORM settle_require('lead');
    PERFORM settle_check_length('the reason', p_reason, settle_limit('note'));
    SELECT * INTO m FROM outreach WHERE id = p_message FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', p_message USING ERRCODE = 'no_data_found';
    END IF;
    IF m.status <> 'pending_approval' THEN
        RAISE EXCEPTION 'MSG-% is % and not awaiting approval', p_message, replace(m.status, '_', ' ') USING ERRCODE = 'SE409';
    END IF;
    IF NOT p_approve AND coalesce(trim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'a rejection needs a reason' USING ERRCODE = 'check_violation';
    END IF;
    UPDATE outreach SET status = CASE WHEN p_approve THEN 'queued' ELSE 'cancelled' END,
                        send_after = greatest(send_after, now()),
                        last_error = CASE WHEN p_approve THEN NULL ELSE 'rejected: ' || p_reason END
     WHERE id = p_message;
    PERFORM settle_audit(CASE WHEN p_approve THEN 'approve_outreach' ELSE 'reject_outreach' END, 'outreach', p_message,
                         m.customer_id, jsonb_build_object('reason', p_reason));
    IF m.created_by IS NOT NULL THEN
        INSERT INTO notifications (agent_id, customer_id, kind, message)
        VALUES (m.created_by, m.customer_id, CASE WHEN p_approve THEN 'outreach_approved' ELSE 'outreach_rejected' END,
                format('%s %s MSG-%s%s', settle_agent_name(settle_agent()),
                       CASE WHEN p_approve THEN 'approved' ELSE 'rejected' END, p_message,
                       CASE WHEN p_approve THEN '' ELSE ': ' || p_reason END));
    END IF;
END $$;

REVOKE ALL ON FUNCTION queue_outreach(bigint, text, text, text, text, text, timestamptz, text, bigint),
    approve_outreach(bigint, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION queue_outreach(bigint, text, text, text, text, text, timestamptz, text, bigint) TO settle_collector;
GRANT EXECUTE ON FUNCTION approve_outreach(bigint, boolean, text) TO settle_lead;

-- A held-back reminder goes on a working day: one that would fall on a Saturday or Sunday
-- goes the Monday after.
CREATE OR REPLACE FUNCTION reminder_due_at(p_invoice bigint, today date) RETURNS timestamptz
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT (d + CASE extract(isodow FROM d) WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END + time '09:00')
             AT TIME ZONE (SELECT value FROM settings WHERE key = 'business_time_zone')
      FROM (SELECT greatest(today,
                            i.issue_date + coalesce(p.typical_days, 0) + setting_int('reminder_grace_days')::int,
                            coalesce((SELECT max(promise_deadline(x)) + 1 FROM promises x
                                       WHERE x.invoice_id = i.id AND x.status = 'open'), today)) AS d
              FROM invoices i LEFT JOIN customer_profiles p ON p.customer_id = i.customer_id
             WHERE i.id = p_invoice) s
$$;
