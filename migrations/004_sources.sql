-- A platform's own view as the source of offers (stageindex serve --source,
-- stageindex source install; docs/platforms.md). The triggers that
-- `source install` puts on the platform's tables append to source_changes
-- the ids of the view's rows a statement may have changed, with the same
-- txid-based cursor semantics as offer_changes (migration 002, docs/sync.md):
-- txid is the writing transaction's, so a reader keeps the same
-- (xmin, snapshot) cursor and misses no committed change whatever the
-- commit order.
--
-- offer_id '' is the whole-view marker: a change to a table watched with
-- '*', or a TRUNCATE of any watched table, may have touched every offer, and
-- the reader reconciles the whole view (as for offer_changes' op T).
--
-- Retention is the operator's, as for offer_changes.

CREATE TABLE source_changes (
    seq        bigserial PRIMARY KEY,
    source     text NOT NULL,   -- the view, as schema.view
    offer_id   text NOT NULL,   -- a view id, '' for the whole view
    txid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX source_changes_source_txid ON source_changes (source, txid);

-- What `source install` made, so that `source uninstall` removes exactly
-- that and a second install with the same arguments changes nothing.
CREATE TABLE sources (
    view_name    text PRIMARY KEY,  -- schema.view
    installed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE source_watches (
    view_name  text NOT NULL REFERENCES sources ON DELETE CASCADE,
    table_name text NOT NULL,       -- schema.table, as the catalog spells it
    id_sql     text NOT NULL,       -- the expression over r, or '*'
    function   text NOT NULL,       -- the trigger function, in this schema
    triggers   text[] NOT NULL,     -- its triggers on table_name
    definition text NOT NULL,       -- the CREATE FUNCTION run, to compare
    PRIMARY KEY (view_name, table_name)
);

---- create above / drop below ----

-- Installed triggers would then write into a dropped table and fail the
-- platform's own writes.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM sources) THEN
        RAISE EXCEPTION 'stageindex: views still have change capture installed: run stageindex source uninstall first';
    END IF;
END
$$;

DROP TABLE source_watches;
DROP TABLE sources;
DROP TABLE source_changes;
