-- Who is working what: each console says which dispute its cursor rests on, so others see it.
-- Unlogged and outside the change log: presence is a hint, not a record.
CREATE UNLOGGED TABLE presence (
    role_name text PRIMARY KEY,
    entity    text NOT NULL,
    key       bigint NOT NULL,
    seen_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX presence_entity_idx ON presence (entity, key);
GRANT SELECT ON presence TO settle_viewer;

CREATE FUNCTION touch_presence(p_entity text, p_key bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    INSERT INTO presence (role_name, entity, key, seen_at) VALUES (session_user, p_entity, p_key, now())
    ON CONFLICT (role_name) DO UPDATE SET entity = EXCLUDED.entity, key = EXCLUDED.key, seen_at = EXCLUDED.seen_at
$$;
REVOKE ALL ON FUNCTION touch_presence(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION touch_presence(text, bigint) TO settle_collector;
