-- Finding a customer the way people type: `sondergaard` finds "Søndergaard", `lodz` finds
-- "Łódź". PostgreSQL's unaccent (a trusted contrib extension) where the server has it; else a
-- fold of the common Latin letters, so the store still works without contrib.

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent') THEN
        CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
    END IF;
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
        EXECUTE $f$
            CREATE FUNCTION settle_fold(t text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
            SET search_path = pg_catalog, public, pg_temp AS
            $b$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $b$
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
