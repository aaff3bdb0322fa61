-- Change capture for the live sync. Every statement that writes offers
-- appends one row per changed offer to offer_changes and sends one NOTIFY on
-- channel stageindex_offers (statement-level triggers with transition tables,
-- so a bulk import of 100,000 rows costs one extra INSERT ... SELECT and one
-- NOTIFY, not 100,000 of each).
--
-- How a reader uses it: seq is assigned at write time, not at commit time,
-- so a reader must not simply remember the highest seq it saw (a transaction
-- that started earlier may commit later with lower seqs). Instead it keeps a
-- watermark xmin = pg_snapshot_xmin(pg_current_snapshot()) taken in the same
-- snapshot as its last read, and next reads the rows with txid >= xmin: every
-- transaction below xmin had committed (or aborted) when that snapshot was
-- taken, so nothing is missed; rows read twice are harmless because applying
-- a change means re-reading the offer by id.
--
-- op: I insert, U update, D delete, T truncate (offer_id '': reload all).
--
-- Retention: readers never delete from this table. A later migration (or a
-- scheduled job) may prune rows whose changed_at is older than the longest
-- time an indexer may stay down, for example 30 days; an indexer whose
-- watermark is older than the oldest kept row must rebuild from offers.

CREATE TABLE offer_changes (
    seq        bigserial PRIMARY KEY,
    offer_id   text NOT NULL,
    op         char(1) NOT NULL CHECK (op IN ('I', 'U', 'D', 'T')),
    txid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX offer_changes_txid_seq ON offer_changes (txid, seq);

CREATE FUNCTION stageindex_offers_notify(n bigint, one_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- The payload is the offer id when the statement changed one offer, '*'
    -- otherwise; listeners must treat it as a hint and read offer_changes.
    IF n > 0 THEN
        PERFORM pg_notify('stageindex_offers', CASE WHEN n = 1 THEN one_id ELSE '*' END);
    END IF;
END
$$;

CREATE FUNCTION stageindex_offers_capture_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    one text;
BEGIN
    INSERT INTO offer_changes (offer_id, op) SELECT id, 'I' FROM new_rows ORDER BY id;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 1 THEN SELECT id INTO one FROM new_rows; END IF;
    PERFORM stageindex_offers_notify(n, one);
    RETURN NULL;
END
$$;

-- An update that renames an offer's id is recorded as a delete of the old id
-- and an update of the new one, so the index drops the old document.
CREATE FUNCTION stageindex_offers_capture_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    m bigint;
    one text;
BEGIN
    INSERT INTO offer_changes (offer_id, op) SELECT id, 'U' FROM new_rows ORDER BY id;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO offer_changes (offer_id, op)
        SELECT o.id, 'D' FROM old_rows o
        WHERE NOT EXISTS (SELECT 1 FROM new_rows r WHERE r.id = o.id) ORDER BY o.id;
    GET DIAGNOSTICS m = ROW_COUNT;
    IF n = 1 AND m = 0 THEN SELECT id INTO one FROM new_rows; ELSE one := '*'; END IF;
    PERFORM stageindex_offers_notify(n + m, one);
    RETURN NULL;
END
$$;

CREATE FUNCTION stageindex_offers_capture_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    one text;
BEGIN
    INSERT INTO offer_changes (offer_id, op) SELECT id, 'D' FROM old_rows ORDER BY id;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 1 THEN SELECT id INTO one FROM old_rows; END IF;
    PERFORM stageindex_offers_notify(n, one);
    RETURN NULL;
END
$$;

CREATE FUNCTION stageindex_offers_capture_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO offer_changes (offer_id, op) VALUES ('', 'T');
    PERFORM pg_notify('stageindex_offers', '*');
    RETURN NULL;
END
$$;

CREATE TRIGGER offers_capture_insert AFTER INSERT ON offers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stageindex_offers_capture_insert();

CREATE TRIGGER offers_capture_update AFTER UPDATE ON offers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stageindex_offers_capture_update();

CREATE TRIGGER offers_capture_delete AFTER DELETE ON offers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stageindex_offers_capture_delete();

CREATE TRIGGER offers_capture_truncate AFTER TRUNCATE ON offers
    FOR EACH STATEMENT EXECUTE FUNCTION stageindex_offers_capture_truncate();

---- create above / drop below ----

DROP TRIGGER offers_capture_truncate ON offers;
DROP TRIGGER offers_capture_delete ON offers;
DROP TRIGGER offers_capture_update ON offers;
DROP TRIGGER offers_capture_insert ON offers;
DROP FUNCTION stageindex_offers_capture_truncate();
DROP FUNCTION stageindex_offers_capture_delete();
DROP FUNCTION stageindex_offers_capture_update();
DROP FUNCTION stageindex_offers_capture_insert();
DROP FUNCTION stageindex_offers_notify(bigint, text);
DROP TABLE offer_changes;
