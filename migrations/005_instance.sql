-- The identity of this stageindex installation. migrate creates it once;
-- every index on disk records it (with the cluster's system identifier and
-- the database name), so that a data directory built from another
-- database, or from this one before a restore, is rebuilt instead of being
-- served as if it matched.

CREATE TABLE instance (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO instance DEFAULT VALUES;

---- create above / drop below ----

DROP TABLE instance;
