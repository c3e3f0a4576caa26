-- Finding a customer the way people type: `sondergaard` finds "Søndergaard", `lodz` finds
-- "Łódź". PostgreSQL's unaccent (a trusted contrib extension) where the server has it; else a
-- fold of the common Latin letters, so the store still works without contrib.

-- The extension lives in a schema of its own, so `public` holds only settle's functions (each
-- on the safe search path).
CREATE SCHEMA IF NOT EXISTS settle_ext;
REVOKE ALL ON SCHEMA settle_ext FROM PUBLIC;
GRANT USAGE ON SCHEMA settle_ext TO settle_viewer;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent') THEN
        CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA settle_ext;
    END IF;
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
        EXECUTE $f$
            CREATE FUNCTION settle_fold(t text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
            SET search_path = pg_catalog, public, pg_temp AS
            $b$ SELECT lower(settle_ext.unaccent('settle_ext.unaccent'::regdictionary, t)) $b$
        $f$;
    ELSE
        EXECUTE $f$
            CREATE FUNCTION settle_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
            SET search_path = pg_catalog, public, pg_temp AS
            $b$ SELECT translate(lower(t), 'àáâãäåāăąçćčďđèéêëēėęěìíîïīįłñńňòóôõöøōőŕřśšşťţùúûüūůűųýÿźżž',
                                         'aaaaaaaaacccddeeeeeeeeiiiiiilnnnooooooooorrsssttuuuuuuuuyyzzz') $b$
        $f$;
    END IF;
END $$;
GRANT EXECUTE ON FUNCTION settle_fold(text) TO settle_viewer;
