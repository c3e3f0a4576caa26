-- A message's history names every step: queued, claimed (by which worker, until when), sending,
-- sent / failed / uncertain. Claiming now writes its audit row in the same transaction.

CREATE OR REPLACE FUNCTION claim_outreach(p_limit int, p_lease_seconds int) RETURNS SETOF outreach
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    m outreach%ROWTYPE;
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
    FOR m IN
        UPDATE outreach SET claimed_by = session_user, lease_until = now() + make_interval(secs => p_lease_seconds)
         WHERE id IN (SELECT id FROM outreach
                       WHERE status = 'queued' AND send_after <= now() AND (claimed_by IS NULL OR lease_until < now())
                       ORDER BY send_after, id FOR UPDATE SKIP LOCKED LIMIT p_limit)
        RETURNING *
    LOOP
        PERFORM settle_audit('outreach_claimed', 'outreach', m.id, m.customer_id,
                             jsonb_build_object('lease_until', to_char(m.lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')));
        RETURN NEXT m;
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION claim_outreach(int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_outreach(int, int) TO settle_sender;
