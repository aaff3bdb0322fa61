-- stageindex's own objects live in their own schema ({{.schema}}, set by
-- --schema / STAGEINDEX_SCHEMA), so that nothing of stageindex sits in the
-- platform's schemas. Fresh installations created them there already
-- (Migrate runs every migration with search_path = {{.schema}}); an
-- installation migrated before this version has them in public and they
-- move here, data kept (ALTER ... SET SCHEMA moves a table with its rows,
-- indexes, constraints, triggers and owned sequences).
--
-- Every function gets its own search_path: triggers fire in sessions of any
-- search_path (psql, the platform's own code), and their bodies name
-- offer_changes and each other unqualified.

DO $$
BEGIN
    IF '{{.schema}}' <> 'public'
        AND to_regclass('public.offers') IS NOT NULL
        AND to_regclass('{{.schema}}.offers') IS NULL
        AND to_regprocedure('public.stageindex_offers_touch()') IS NOT NULL
    THEN
        ALTER TABLE public.offers SET SCHEMA {{.schema}};
        ALTER TABLE public.offer_changes SET SCHEMA {{.schema}};
        ALTER FUNCTION public.stageindex_valid_weeks(text[]) SET SCHEMA {{.schema}};
        ALTER FUNCTION public.stageindex_offers_touch() SET SCHEMA {{.schema}};
        ALTER FUNCTION public.stageindex_offers_notify(bigint, text) SET SCHEMA {{.schema}};
        ALTER FUNCTION public.stageindex_offers_capture_insert() SET SCHEMA {{.schema}};
        ALTER FUNCTION public.stageindex_offers_capture_update() SET SCHEMA {{.schema}};
        ALTER FUNCTION public.stageindex_offers_capture_delete() SET SCHEMA {{.schema}};
        ALTER FUNCTION public.stageindex_offers_capture_truncate() SET SCHEMA {{.schema}};
    END IF;
END
$$;

ALTER FUNCTION {{.schema}}.stageindex_valid_weeks(text[]) SET search_path = {{.schema}}, pg_catalog;
ALTER FUNCTION {{.schema}}.stageindex_offers_touch() SET search_path = {{.schema}}, pg_catalog;
ALTER FUNCTION {{.schema}}.stageindex_offers_notify(bigint, text) SET search_path = {{.schema}}, pg_catalog;
ALTER FUNCTION {{.schema}}.stageindex_offers_capture_insert() SET search_path = {{.schema}}, pg_catalog;
ALTER FUNCTION {{.schema}}.stageindex_offers_capture_update() SET search_path = {{.schema}}, pg_catalog;
ALTER FUNCTION {{.schema}}.stageindex_offers_capture_delete() SET search_path = {{.schema}}, pg_catalog;
ALTER FUNCTION {{.schema}}.stageindex_offers_capture_truncate() SET search_path = {{.schema}}, pg_catalog;

---- create above / drop below ----

ALTER FUNCTION {{.schema}}.stageindex_valid_weeks(text[]) RESET search_path;
ALTER FUNCTION {{.schema}}.stageindex_offers_touch() RESET search_path;
ALTER FUNCTION {{.schema}}.stageindex_offers_notify(bigint, text) RESET search_path;
ALTER FUNCTION {{.schema}}.stageindex_offers_capture_insert() RESET search_path;
ALTER FUNCTION {{.schema}}.stageindex_offers_capture_update() RESET search_path;
ALTER FUNCTION {{.schema}}.stageindex_offers_capture_delete() RESET search_path;
ALTER FUNCTION {{.schema}}.stageindex_offers_capture_truncate() RESET search_path;
