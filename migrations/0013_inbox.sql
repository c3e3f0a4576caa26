-- The relationship owners' inbox: notifications are read by their recipient, marked read when
-- opened, and written once per episode for accounts that start slipping (broken promises are
-- written once already, when they break).

-- An account that starts paying later than its rhythm tells its owners, once per episode: when
-- `slipping` turns on, not on every refresh while it stays on.
CREATE FUNCTION profile_starts_slipping() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NEW.slipping AND (TG_OP = 'INSERT' OR NOT OLD.slipping) THEN
        PERFORM settle_notify_owners(NEW.customer_id, 'slipping',
            format('%s started slipping: %s', (SELECT name FROM customers WHERE id = NEW.customer_id),
                   CASE WHEN NEW.recent_days > NEW.typical_days
                        THEN format('recently %s days to pay vs usually %s', NEW.recent_days, NEW.typical_days)
                        ELSE format('an open invoice is past the usual %s days to pay', coalesce(NEW.typical_days::text, '?'))
                   END));
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION profile_starts_slipping() FROM PUBLIC;
CREATE TRIGGER customer_profiles_slipping AFTER INSERT OR UPDATE OF slipping ON customer_profiles
    FOR EACH ROW EXECUTE FUNCTION profile_starts_slipping();

-- Marks one of your own notifications read (nobody else's); returns whether it was unread.
CREATE FUNCTION read_notification(p_id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    n int;
BEGIN
    PERFORM settle_require('viewer');
    UPDATE notifications SET read_at = now()
     WHERE id = p_id AND read_at IS NULL AND agent_id = settle_agent();
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM settle_audit('read_notification', 'notification', p_id, NULL, '{}');
    END IF;
    RETURN n > 0;
END $$;
REVOKE ALL ON FUNCTION read_notification(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION read_notification(bigint) TO settle_viewer;
