-- Dispute clocks kept by the store. The queue (and the worklist) order every open dispute by
-- its clocks; measuring them meant reading every open dispute's state changes and walking its
-- calendar on each load. Now a load reads what is kept here, one row per open dispute, and
-- each calendar's count of seconds now (index 0019 still serves the case timelines and the
-- trust metrics).
--
-- A clock's elapsed minutes (domain::sla::dispute_clocks, DOMAIN.md "Disputes and SLA
-- clocks") are the seconds that count on its calendar from opening to now (or to its stop),
-- less the paused ones, over 60. Counting seconds on a calendar is additive, so with E(t) the
-- seconds that count on the calendar up to t (from any fixed start), every clock is one of:
--   stopped (responded, resolved): its counted seconds, fixed;
--   paused (awaiting the customer now): its counted seconds, fixed until it resumes;
--   running: E(now) - base, where base = E(opened) + the paused seconds so far.
-- Those three values change only when the dispute, its state changes, its policy or its
-- calendar change, and triggers recompute them in the same transaction. A reader adds E(now),
-- one lookup per calendar.
--
-- tests/dispute_clocks.rs proves the store's clocks equal domain::sla's on random disputes,
-- pauses and calendars; `settle doctor` compares them on a live store.

-- Each local day of a business calendar from 2000 to 2060: when it opens (epoch seconds),
-- how many seconds it works, and how many its earlier days worked in all. E(t) is then
-- before_s + the part of t's own local day worked by t.
CREATE TABLE calendar_days (
    calendar_id int NOT NULL REFERENCES business_calendars ON DELETE CASCADE,
    day         date NOT NULL,
    opens_s     bigint NOT NULL,
    length_s    bigint NOT NULL,
    before_s    bigint NOT NULL,
    PRIMARY KEY (calendar_id, day)
);

-- A calendar's days again. Local times resolve as domain::calendar resolves them: when the
-- clocks go back, the earlier of the two instants (PostgreSQL alone takes the later); when they
-- go forward, the hour after.
CREATE FUNCTION settle_build_calendar_days(p_calendar int) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    b business_calendars%ROWTYPE;
    off date[];
BEGIN
    DELETE FROM calendar_days WHERE calendar_id = p_calendar;
    SELECT * INTO b FROM business_calendars WHERE id = p_calendar;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    off := ARRAY(SELECT day FROM calendar_holidays WHERE calendar_id = p_calendar);
    INSERT INTO calendar_days (calendar_id, day, opens_s, length_s, before_s)
    SELECT p_calendar, w.day, w.opens_s, w.length_s,
           coalesce(sum(w.length_s) OVER (ORDER BY w.day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
      FROM (SELECT l.day, r.opens_s,
                   CASE WHEN extract(isodow FROM l.day)::smallint = ANY (b.work_days) AND l.day <> ALL (off)
                        THEN greatest(0, r.closes_s - r.opens_s) ELSE 0 END AS length_s
              FROM (SELECT g::date AS day, g::date + b.day_start AS open_local, g::date + b.day_end AS close_local,
                           (g::date + b.day_start) AT TIME ZONE b.time_zone AS open_at,
                           (g::date + b.day_end) AT TIME ZONE b.time_zone AS close_at
                      FROM generate_series(date '2000-01-01', date '2060-12-31', interval '1 day') g) l
             CROSS JOIN LATERAL (SELECT
                 floor(extract(epoch FROM CASE WHEN (l.open_at - interval '1 hour') AT TIME ZONE b.time_zone = l.open_local
                                               THEN l.open_at - interval '1 hour' ELSE l.open_at END))::bigint AS opens_s,
                 floor(extract(epoch FROM CASE WHEN (l.close_at - interval '1 hour') AT TIME ZONE b.time_zone = l.close_local
                                               THEN l.close_at - interval '1 hour' ELSE l.close_at END))::bigint AS closes_s) r) w;
END $$;
REVOKE ALL ON FUNCTION settle_build_calendar_days(int) FROM PUBLIC;

-- E(t): the seconds that count on a calendar (in its zone) up to t; calendar hours (no
-- calendar): every second. No row for a day the calendar does not hold. Inlined by the
-- planner wherever it is joined (measuring a dispute calls it five times), so it cannot carry
-- a search_path setting: instead every operator, function, type and table in it is named with
-- its schema, and it is no definer (as settle_convert, migration 0016).
CREATE FUNCTION settle_counted_seconds(p_calendar int, p_zone text, p_at timestamptz) RETURNS TABLE (e bigint)
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.floor(EXTRACT(epoch FROM p_at))::bigint WHERE p_calendar IS NULL
    UNION ALL
    SELECT d.before_s OPERATOR(pg_catalog.+)
           least(d.length_s, greatest(0::bigint, pg_catalog.floor(EXTRACT(epoch FROM p_at))::bigint OPERATOR(pg_catalog.-) d.opens_s))
      FROM public.calendar_days d
     WHERE p_calendar IS NOT NULL AND d.calendar_id OPERATOR(pg_catalog.=) p_calendar
       AND d.day OPERATOR(pg_catalog.=) (p_at AT TIME ZONE p_zone)::pg_catalog.date
$$;

-- A dispute's clocks, with whether it is open and its policy (the dispute's own, kept here so
-- the queue reads its open disputes' clocks from this table alone).
CREATE TABLE dispute_clocks (
    dispute_id         bigint PRIMARY KEY REFERENCES disputes ON DELETE CASCADE,
    open               boolean NOT NULL,
    policy_id          int NOT NULL REFERENCES sla_policies,
    response_stopped   boolean NOT NULL,
    response_paused    boolean NOT NULL,
    response_s         bigint NOT NULL,   -- running: base; stopped or paused: counted seconds
    resolution_stopped boolean NOT NULL,
    resolution_paused  boolean NOT NULL,
    resolution_s       bigint NOT NULL
);
CREATE INDEX dispute_clocks_open_idx ON dispute_clocks (dispute_id) WHERE open;

-- Recomputes the clocks of the disputes p_ids from their times, state changes and policy, all
-- at once. As domain::sla: a pause starts at a change to awaiting the customer and ends at the
-- next change to anything else; one still open ends when the dispute was resolved, if it was;
-- pauses count only inside each clock's own span. E is monotonic, so a pause clipped to a
-- clock's span is clipped in E: greatest(E(a), E(opened)) to least(E(b), E(stop)).
CREATE FUNCTION settle_measure_disputes(p_ids bigint[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    outside text;
BEGIN
    SELECT x.number INTO outside FROM disputes x JOIN sla_policies p ON p.id = x.policy_id
     WHERE x.id = ANY (p_ids) AND p.calendar_id IS NOT NULL
       AND (x.opened_at < '2000-01-02' OR x.first_response_at >= '2060-12-31' OR x.resolved_at >= '2060-12-31')
     LIMIT 1;
    IF outside IS NOT NULL THEN
        RAISE EXCEPTION 'dispute % is dated outside 2000 to 2060, the years business calendars count SLA time in',
            outside USING ERRCODE = 'data_exception';
    END IF;
    DELETE FROM dispute_clocks WHERE dispute_id = ANY (p_ids);
    INSERT INTO dispute_clocks (dispute_id, open, policy_id, response_stopped, response_paused, response_s,
                                resolution_stopped, resolution_paused, resolution_s)
    WITH d AS (
        SELECT x.id, x.policy_id, x.first_response_at IS NOT NULL AS responded, x.resolved_at IS NOT NULL AS resolved,
               p.calendar_id AS cal, b.time_zone AS zone, eo.e AS eo, ef.e AS ef, er.e AS er
          FROM disputes x JOIN sla_policies p ON p.id = x.policy_id
          LEFT JOIN business_calendars b ON b.id = p.calendar_id
          LEFT JOIN LATERAL settle_counted_seconds(p.calendar_id, b.time_zone, x.opened_at) eo ON true
          LEFT JOIN LATERAL settle_counted_seconds(p.calendar_id, b.time_zone, x.first_response_at) ef ON true
          LEFT JOIN LATERAL settle_counted_seconds(p.calendar_id, b.time_zone, x.resolved_at) er ON true
         WHERE x.id = ANY (p_ids)),
    marks AS (
        SELECT e.dispute_id, e.at, e.id, e.to_state = 'awaiting_customer' AS awaiting,
               coalesce(lag(e.to_state = 'awaiting_customer') OVER w, false) AS was_awaiting
          FROM dispute_events e
         WHERE e.dispute_id = ANY (p_ids) AND e.kind = 'state' AND e.to_state IS NOT NULL
        WINDOW w AS (PARTITION BY e.dispute_id ORDER BY e.at, e.id)),
    starts AS (
        SELECT dispute_id, at, row_number() OVER (PARTITION BY dispute_id ORDER BY at, id) AS k
          FROM marks WHERE awaiting AND NOT was_awaiting),
    ends AS (
        SELECT dispute_id, at, row_number() OVER (PARTITION BY dispute_id ORDER BY at, id) AS k
          FROM marks WHERE was_awaiting AND NOT awaiting),
    pauses AS (  -- eb NULL: still awaiting the customer
        SELECT d.id, ea.e AS ea, eb.e AS eb, e.at IS NULL AS open
          FROM starts s JOIN d ON d.id = s.dispute_id
          LEFT JOIN ends e ON e.dispute_id = s.dispute_id AND e.k = s.k
          LEFT JOIN LATERAL settle_counted_seconds(d.cal, d.zone, s.at) ea ON true
          LEFT JOIN LATERAL settle_counted_seconds(d.cal, d.zone, e.at) eb ON true),
    held AS (  -- paused seconds inside each clock's span; an open pause on a clock still running is not
        SELECT p.id,
               sum(greatest(0, least(coalesce(p.eb, d.er, d.ef), d.ef) - greatest(p.ea, d.eo)))
                   FILTER (WHERE NOT p.open OR d.responded OR d.resolved) AS response,
               sum(greatest(0, least(coalesce(p.eb, d.er), d.er) - greatest(p.ea, d.eo)))
                   FILTER (WHERE NOT p.open OR d.resolved) AS resolution,
               max(p.ea) FILTER (WHERE p.open AND NOT d.resolved) AS since
          FROM pauses p JOIN d ON d.id = p.id GROUP BY p.id)
    SELECT d.id, NOT d.resolved, d.policy_id,
           d.responded, NOT d.responded AND h.since IS NOT NULL,
           CASE WHEN d.responded THEN greatest(0, greatest(0, d.ef - d.eo) - coalesce(h.response, 0))
                WHEN h.since IS NOT NULL THEN greatest(0, greatest(h.since, d.eo) - d.eo - coalesce(h.response, 0))
                ELSE d.eo + coalesce(h.response, 0) END,
           d.resolved, NOT d.resolved AND h.since IS NOT NULL,
           CASE WHEN d.resolved THEN greatest(0, greatest(0, d.er - d.eo) - coalesce(h.resolution, 0))
                WHEN h.since IS NOT NULL THEN greatest(0, greatest(h.since, d.eo) - d.eo - coalesce(h.resolution, 0))
                ELSE d.eo + coalesce(h.resolution, 0) END
      FROM d LEFT JOIN held h ON h.id = d.id;
END $$;
REVOKE ALL ON FUNCTION settle_measure_disputes(bigint[]) FROM PUBLIC;

-- Every calendar's days and every dispute's clocks, from scratch: after a load with the
-- triggers off (the demo seed), or to mend a store `settle doctor` found out of step.
CREATE FUNCTION settle_measure_all() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM settle_build_calendar_days(id) FROM business_calendars;
    PERFORM settle_measure_disputes(array_agg(id)) FROM disputes;
END $$;
REVOKE ALL ON FUNCTION settle_measure_all() FROM PUBLIC;

-- ------------------------------------------------------------------------- triggers

CREATE FUNCTION settle_dispute_clocks_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_TABLE_NAME = 'disputes' THEN
        PERFORM settle_measure_disputes(ARRAY[NEW.id]);
    ELSIF TG_TABLE_NAME = 'sla_policies' THEN
        PERFORM settle_measure_disputes(array_agg(id)) FROM disputes WHERE policy_id = NEW.id;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM settle_measure_disputes(ARRAY[NEW.dispute_id]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM settle_measure_disputes(ARRAY[OLD.dispute_id]);
    ELSE
        PERFORM settle_measure_disputes(ARRAY[OLD.dispute_id, NEW.dispute_id]);
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION settle_dispute_clocks_changed() FROM PUBLIC;

CREATE TRIGGER disputes_clocks AFTER INSERT OR UPDATE OF opened_at, first_response_at, resolved_at, policy_id
    ON disputes FOR EACH ROW EXECUTE FUNCTION settle_dispute_clocks_changed();
CREATE TRIGGER dispute_events_clocks_insert AFTER INSERT ON dispute_events
    FOR EACH ROW WHEN (NEW.kind = 'state') EXECUTE FUNCTION settle_dispute_clocks_changed();
CREATE TRIGGER dispute_events_clocks_change AFTER UPDATE OR DELETE ON dispute_events
    FOR EACH ROW EXECUTE FUNCTION settle_dispute_clocks_changed();
CREATE TRIGGER sla_policies_clocks AFTER UPDATE OF calendar_id ON sla_policies
    FOR EACH ROW WHEN (OLD.calendar_id IS DISTINCT FROM NEW.calendar_id)
    EXECUTE FUNCTION settle_dispute_clocks_changed();

-- A calendar's days and hours, or its holidays, changed: its days again, and the clocks of
-- every dispute measured on it.
CREATE FUNCTION settle_calendar_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    cals int[];
    cal int;
BEGIN
    IF TG_TABLE_NAME = 'business_calendars' THEN
        cals := ARRAY[NEW.id];
    ELSIF TG_OP = 'INSERT' THEN
        cals := ARRAY[NEW.calendar_id];
    ELSIF TG_OP = 'DELETE' THEN
        cals := ARRAY[OLD.calendar_id];
    ELSE
        cals := ARRAY[OLD.calendar_id, NEW.calendar_id];
    END IF;
    FOR cal IN SELECT DISTINCT x FROM unnest(cals) x LOOP
        PERFORM settle_build_calendar_days(cal);
        PERFORM settle_measure_disputes(array_agg(d.id))
           FROM disputes d JOIN sla_policies p ON p.id = d.policy_id WHERE p.calendar_id = cal;
    END LOOP;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION settle_calendar_changed() FROM PUBLIC;

CREATE TRIGGER business_calendars_days AFTER INSERT OR UPDATE OF time_zone, work_days, day_start, day_end
    ON business_calendars FOR EACH ROW EXECUTE FUNCTION settle_calendar_changed();
CREATE TRIGGER calendar_holidays_days AFTER INSERT OR UPDATE OR DELETE ON calendar_holidays
    FOR EACH ROW EXECUTE FUNCTION settle_calendar_changed();

-- Whatever the store already holds.
SELECT settle_measure_all();

GRANT SELECT ON calendar_days, dispute_clocks TO settle_viewer;
