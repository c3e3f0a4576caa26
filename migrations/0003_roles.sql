-- Group roles. People log in as their own roles and are granted one of these.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'settle_viewer') THEN
        CREATE ROLE settle_viewer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'settle_collector') THEN
        CREATE ROLE settle_collector NOLOGIN IN ROLE settle_viewer;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'settle_lead') THEN
        CREATE ROLE settle_lead NOLOGIN IN ROLE settle_collector;
    END IF;
END $$;

-- Viewers read everything and change nothing; changes go through the action functions.
GRANT USAGE ON SCHEMA public TO settle_viewer;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO settle_viewer;
REVOKE ALL ON FUNCTION allocation_before_insert(), allocation_before_delete(), log_change() FROM PUBLIC;

-- The role a session acts with: the strongest settle group role session_user belongs to.
CREATE FUNCTION settle_role(who name DEFAULT session_user) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN pg_has_role(who, 'settle_lead', 'MEMBER') THEN 'lead'
        WHEN pg_has_role(who, 'settle_collector', 'MEMBER') THEN 'collector'
        WHEN pg_has_role(who, 'settle_viewer', 'MEMBER') THEN 'viewer'
        ELSE 'none'
    END
$$;
GRANT EXECUTE ON FUNCTION settle_role(name) TO PUBLIC;
