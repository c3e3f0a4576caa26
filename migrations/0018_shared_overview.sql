-- The overview, computed once for everyone: the worker computes today's overview (the
-- default basis and edges) whenever the change log moves, at most a few times a second, and
-- publishes it here with the change-log head and the moment it began from; a console on the
-- overview reads one row instead of computing it, when the row covers what that console must
-- show (the changes its feed saw, its own last action). Otherwise, or when no worker publishes,
-- the console computes the overview itself.

CREATE TABLE overview_snapshot (
    one       boolean PRIMARY KEY DEFAULT true CHECK (one),
    day       date NOT NULL,         -- the as-of day (the business day it was computed on)
    head_xid  bigint NOT NULL,       -- the change log's readable head it covers
    head_seq  bigint NOT NULL,
    polled_at timestamptz NOT NULL,  -- the store's clock when the head was read: every
                                     -- change committed before it is in the figures
    data      jsonb NOT NULL         -- the overview's figures (app::state::OverviewData)
);

-- Consoles read it; only the worker writes it, and only forwards: a slow computation that ends
-- after a newer one never replaces it.
CREATE FUNCTION publish_overview(p_day date, p_head_xid bigint, p_head_seq bigint,
                                 p_polled_at timestamptz, p_data jsonb) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    stored integer;
BEGIN
    IF NOT pg_has_role(session_user, 'settle_worker', 'MEMBER') THEN
        RAISE EXCEPTION 'only the worker publishes the overview' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO overview_snapshot AS s VALUES (true, p_day, p_head_xid, p_head_seq, p_polled_at, p_data)
    ON CONFLICT (one) DO UPDATE
       SET day = EXCLUDED.day, head_xid = EXCLUDED.head_xid, head_seq = EXCLUDED.head_seq,
           polled_at = EXCLUDED.polled_at, data = EXCLUDED.data
     WHERE s.polled_at <= EXCLUDED.polled_at;
    GET DIAGNOSTICS stored = ROW_COUNT;
    RETURN stored > 0;
END $$;
REVOKE ALL ON FUNCTION publish_overview(date, bigint, bigint, timestamptz, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION publish_overview(date, bigint, bigint, timestamptz, jsonb) TO settle_worker;

GRANT SELECT ON overview_snapshot TO settle_viewer;

-- The worker computes what every viewer reads.
GRANT settle_viewer TO settle_worker;
