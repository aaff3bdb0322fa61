-- Offers in the interchange format (see SPEC.md). The CHECKs repeat the rules
-- of stageindex.ParseOffer so that rows written by other tools (the platform
-- itself, psql) cannot break the indexer either. Optional strings are NULL
-- when absent, never ''.

CREATE FUNCTION stageindex_valid_weeks(weeks text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(bool_and(w IS NOT NULL AND w ~ '^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$'), true)
    FROM unnest(weeks) AS w
$$;

CREATE TABLE offers (
    id                   text PRIMARY KEY
                         CHECK (id <> '' AND length(id) <= 100 AND id !~ E'[ /?#%\t\n]'),
    title                varchar(150) NOT NULL CHECK (btrim(title) <> ''),
    description          text NOT NULL CHECK (btrim(description) <> ''),
    employer_name        varchar(180) NOT NULL CHECK (btrim(employer_name) <> ''),
    employer_description text CHECK (employer_description <> ''),
    sector               text CHECK (sector <> ''),
    tracks               text[] NOT NULL
                         CHECK (cardinality(tracks) >= 1
                                AND array_ndims(tracks) = 1
                                AND array_position(tracks, NULL) IS NULL
                                AND tracks <@ ARRAY['generale', 'segpa', 'prepa_metiers']),
    is_public            boolean NOT NULL DEFAULT false,
    remote               boolean NOT NULL DEFAULT false,
    handicap_accessible  boolean NOT NULL DEFAULT false,
    street               text CHECK (street <> ''),
    zipcode              text CHECK (zipcode ~ '^\d{5}$'),
    city                 text CHECK (city <> ''),
    department           text
                         CHECK (department ~ '^(0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-6])$'),
    latitude             double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude            double precision CHECK (longitude BETWEEN -180 AND 180),
    weeks                text[] NOT NULL DEFAULT '{}'
                         CHECK (array_ndims(weeks) IS NULL OR array_ndims(weeks) = 1)
                         CHECK (stageindex_valid_weeks(weeks)),
    max_candidates       integer NOT NULL DEFAULT 1 CHECK (max_candidates >= 1),
    url                  text CHECK (url ~* '^https?://'),
    published_at         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    -- version counts the updates of the row; it lets a reader tell whether an
    -- offer it holds is stale without comparing every field.
    version              bigint NOT NULL DEFAULT 1,
    CONSTRAINT offers_coordinates_pair CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CONSTRAINT offers_located_unless_remote CHECK (remote OR latitude IS NOT NULL)
);

-- Writers other than the importer may issue updates that change nothing;
-- dropping them here keeps version, updated_at and the change log quiet.
-- Triggers of one event fire in name order: "a_" runs before "b_".
CREATE TRIGGER a_offers_suppress_noop BEFORE UPDATE ON offers
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();

CREATE FUNCTION stageindex_offers_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_at := OLD.created_at;
    NEW.updated_at := now();
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER b_offers_touch BEFORE UPDATE ON offers
    FOR EACH ROW EXECUTE FUNCTION stageindex_offers_touch();

---- create above / drop below ----

DROP TABLE offers;
DROP FUNCTION stageindex_offers_touch();
DROP FUNCTION stageindex_valid_weeks(text[]);
