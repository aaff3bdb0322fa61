// Package monstage is a test fixture shaped like the database of
// monstagedetroisieme.fr, written from its public schema (betagouv/monstage,
// db/structure.sql): the four tables a stageindex source view reads,
// internship_offers, internship_offer_weeks, weeks and sectors, with their
// columns, types, defaults, keys, indexes and foreign keys as that file
// declares them, and the view a monstage operator would write
// (docs/platforms.md). Columns of internship_offers the view does not need
// are left out (the file has 66), except view_count, a counter the
// platform bumps on every visit, and daterange, a generated column, kept
// because they matter to the triggers' cost and to the install. So are the
// full-text trigger (it needs monstage's own text search configuration)
// and the tables the view does not read.
//
// Tests and benchmarks only: it creates roles and an extension.
package monstage

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stageindex/stageindex"
)

// Schema creates the platform's tables in schema public, as
// db/structure.sql does (PostGIS must be available to the server).
const Schema = `
CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;

CREATE TABLE public.internship_offer_weeks (
    id bigint NOT NULL,
    internship_offer_id bigint,
    week_id bigint,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL,
    blocked_applications_count integer DEFAULT 0 NOT NULL
);
CREATE SEQUENCE public.internship_offer_weeks_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.internship_offer_weeks_id_seq OWNED BY public.internship_offer_weeks.id;

CREATE TABLE public.internship_offers (
    id bigint NOT NULL,
    title character varying(150),
    description text,
    max_candidates integer DEFAULT 1 NOT NULL,
    internship_offer_weeks_count integer DEFAULT 0 NOT NULL,
    street character varying(3000),
    zipcode character varying(5),
    city character varying(50),
    is_public boolean,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL,
    discarded_at timestamp without time zone,
    coordinates public.geography(Point,4326),
    employer_name character varying(180),
    employer_description character varying(250),
    sector_id bigint,
    department character varying DEFAULT ''::character varying NOT NULL,
    view_count integer DEFAULT 0 NOT NULL,
    published_at timestamp without time zone,
    first_date date NOT NULL,
    last_date date NOT NULL,
    aasm_state character varying,
    daterange daterange GENERATED ALWAYS AS (daterange(first_date, last_date)) STORED,
    remaining_seats_count integer DEFAULT 0,
    handicap_accessible boolean DEFAULT false
);
CREATE SEQUENCE public.internship_offers_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.internship_offers_id_seq OWNED BY public.internship_offers.id;

CREATE TABLE public.sectors (
    id bigint NOT NULL,
    name character varying,
    external_url character varying DEFAULT ''::character varying NOT NULL,
    uuid character varying DEFAULT ''::character varying NOT NULL
);
CREATE SEQUENCE public.sectors_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.sectors_id_seq OWNED BY public.sectors.id;

CREATE TABLE public.weeks (
    id bigint NOT NULL,
    number integer,
    year integer,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL
);
CREATE SEQUENCE public.weeks_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.weeks_id_seq OWNED BY public.weeks.id;

ALTER TABLE ONLY public.internship_offer_weeks ALTER COLUMN id SET DEFAULT nextval('public.internship_offer_weeks_id_seq'::regclass);
ALTER TABLE ONLY public.internship_offers ALTER COLUMN id SET DEFAULT nextval('public.internship_offers_id_seq'::regclass);
ALTER TABLE ONLY public.sectors ALTER COLUMN id SET DEFAULT nextval('public.sectors_id_seq'::regclass);
ALTER TABLE ONLY public.weeks ALTER COLUMN id SET DEFAULT nextval('public.weeks_id_seq'::regclass);

ALTER TABLE ONLY public.internship_offer_weeks ADD CONSTRAINT internship_offer_weeks_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.internship_offers ADD CONSTRAINT internship_offers_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.sectors ADD CONSTRAINT sectors_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.weeks ADD CONSTRAINT weeks_pkey PRIMARY KEY (id);

CREATE INDEX index_internship_offer_weeks_on_blocked_applications_count ON public.internship_offer_weeks USING btree (blocked_applications_count);
CREATE INDEX index_internship_offer_weeks_on_internship_offer_id ON public.internship_offer_weeks USING btree (internship_offer_id);
CREATE INDEX index_internship_offer_weeks_on_internship_offer_id_and_week_id ON public.internship_offer_weeks USING btree (internship_offer_id, week_id);
CREATE INDEX index_internship_offer_weeks_on_week_id ON public.internship_offer_weeks USING btree (week_id);
CREATE INDEX index_internship_offers_on_coordinates ON public.internship_offers USING gist (coordinates);
CREATE INDEX index_internship_offers_on_daterange ON public.internship_offers USING gist (daterange);
CREATE INDEX index_internship_offers_on_department ON public.internship_offers USING btree (department);
CREATE INDEX index_internship_offers_on_discarded_at ON public.internship_offers USING btree (discarded_at);
CREATE INDEX index_internship_offers_on_published_at ON public.internship_offers USING btree (published_at);
CREATE INDEX index_internship_offers_on_sector_id ON public.internship_offers USING btree (sector_id);
CREATE INDEX not_blocked_by_weeks_count_index ON public.internship_offers USING btree (internship_offer_weeks_count);
CREATE UNIQUE INDEX index_weeks_on_number_and_year ON public.weeks USING btree (number, year);
CREATE INDEX index_weeks_on_year ON public.weeks USING btree (year);

ALTER TABLE ONLY public.internship_offer_weeks
    ADD CONSTRAINT fk_rails_5b8648c95e FOREIGN KEY (week_id) REFERENCES public.weeks(id);
ALTER TABLE ONLY public.internship_offers
    ADD CONSTRAINT fk_rails_aaa97f3a41 FOREIGN KEY (sector_id) REFERENCES public.sectors(id);
ALTER TABLE ONLY public.internship_offer_weeks
    ADD CONSTRAINT fk_rails_f36a7226ee FOREIGN KEY (internship_offer_id) REFERENCES public.internship_offers(id);
`

// Tables are the platform's tables the view reads.
var Tables = []string{"public.internship_offers", "public.internship_offer_weeks", "public.sectors", "public.weeks"}

// ViewName is the view, in a schema of the platform's.
const ViewName = "exports.stageindex_offers"

// View is the source view a monstage operator writes: one row per offer
// not discarded, every offer column, NULL where monstage has none.
// Visibility is published_at: NULL unless the offer is published with
// seats left. Nothing in it depends on the time of day (no now(), no
// current_date): what time changes — weeks passing, a publication date
// coming — stageindex works out itself, so no write is needed for it.
const View = `
CREATE SCHEMA IF NOT EXISTS exports;
CREATE VIEW exports.stageindex_offers AS
SELECT
    'ms3-' || io.id AS id,
    io.title,
    io.description,
    io.employer_name,
    nullif(io.employer_description, '') AS employer_description,
    s.name AS sector,
    -- Every class of troisième may apply: monstage keeps no track per offer.
    ARRAY['generale', 'segpa', 'prepa_metiers'] AS tracks,
    io.is_public,
    NULL::boolean AS remote,
    io.handicap_accessible,
    nullif(io.street, '') AS street,
    nullif(io.zipcode, '') AS zipcode,
    nullif(io.city, '') AS city,
    -- monstage's department holds the name; the code comes from the
    -- postcode, as monstage's own Department.lookup_by_zipcode does.
    CASE
        WHEN io.zipcode ~ '^97' THEN left(io.zipcode, 3)
        WHEN io.zipcode ~ '^20' THEN CASE WHEN io.zipcode < '20200' THEN '2A' ELSE '2B' END
        ELSE left(nullif(io.zipcode, ''), 2)
    END AS department,
    public.st_y(io.coordinates::public.geometry) AS latitude,
    public.st_x(io.coordinates::public.geometry) AS longitude,
    -- The offer's weeks as ISO weeks; with none, the week of its last day,
    -- so that it still leaves search when that week is over.
    -- Each week is looked up by its key (the OFFSET 0 keeps it a lookup):
    -- joined to the whole weeks table instead, PostgreSQL hashes it once
    -- per offer, eight times slower on a 10,000-row update.
    coalesce(nullif(ARRAY(
        SELECT format('%s-W%s', w.year, lpad(w.number::text, 2, '0'))
        FROM public.internship_offer_weeks iow
        CROSS JOIN LATERAL (SELECT year, number FROM public.weeks
            WHERE id = iow.week_id OFFSET 0) w
        WHERE iow.internship_offer_id = io.id
        ORDER BY 1), '{}'), ARRAY[to_char(io.last_date, 'IYYY-"W"IW')]) AS weeks,
    io.max_candidates,
    'https://www.monstagedetroisieme.fr/offres-de-stage/' || io.id AS url,
    -- Rails keeps UTC in timestamp without time zone.
    CASE WHEN io.aasm_state = 'published' AND io.remaining_seats_count > 0
        THEN io.published_at AT TIME ZONE 'UTC' END AS published_at
FROM public.internship_offers io
LEFT JOIN public.sectors s ON s.id = io.sector_id
WHERE io.discarded_at IS NULL;
`

// Watches are the --watch values for View: the offers and their weeks by
// offer id; sectors and weeks, whose rows any number of offers share,
// as '*' (a rename reconciles the whole view).
var Watches = []string{
	`public.internship_offers='ms3-' || r.id`,
	`public.internship_offer_weeks='ms3-' || r.internship_offer_id`,
	`public.sectors=*`,
	`public.weeks=*`,
}

// Execer is a connection, a pool or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Seed fills the tables: monstage's sectors (stageindex.Sectors), the ISO
// weeks of 2026 to 2031, and n published offers near Saint-Brieuc, ids 1
// to n, each with weeks 10 and 11 of 2030 and one seat.
func Seed(ctx context.Context, db Execer, n int) error {
	for _, sql := range SeedSQL(n) {
		if _, err := db.Exec(ctx, sql); err != nil {
			return fmt.Errorf("monstage: seed: %w", err)
		}
	}
	return nil
}

// SeedSQL returns the statements of Seed, in order.
func SeedSQL(n int) []string {
	sectors := "INSERT INTO public.sectors (name) VALUES "
	for i, s := range stageindex.Sectors {
		if i > 0 {
			sectors += ", "
		}
		sectors += "('" + escape(s) + "')"
	}
	return []string{
		sectors,
		`INSERT INTO public.weeks (number, year, created_at, updated_at)
		SELECT DISTINCT extract(week FROM d)::int, extract(isoyear FROM d)::int, now(), now()
		FROM generate_series(date '2026-01-05', date '2031-12-28', interval '7 days') AS d
		ORDER BY 2, 1`,
		fmt.Sprintf(`INSERT INTO public.internship_offers (id, title, description, max_candidates,
			internship_offer_weeks_count, street, zipcode, city, is_public, created_at, updated_at,
			coordinates, employer_name, employer_description, sector_id, department, published_at,
			first_date, last_date, aasm_state, remaining_seats_count, handicap_accessible)
		SELECT i, 'Stage de découverte n°' || i, 'Une semaine pour découvrir le métier et l''entreprise.', 1,
			2, i || ' rue de la Gare', '22000', 'Saint-Brieuc', i %% 5 = 0, now(), now(),
			public.st_setsrid(public.st_makepoint(-2.76 + (i %% 100) * 0.001, 48.51 + (i / 100) * 0.001), 4326)::public.geography,
			'Employeur ' || i, 'Une entreprise des Côtes-d''Armor.', 1 + i %% %d, 'Côtes-d''Armor',
			timestamp '2026-09-01 08:00:00', date '2030-03-04', date '2030-03-15', 'published', 1, i %% 7 = 0
		FROM generate_series(1, %d) AS i`, len(stageindex.Sectors), n),
		fmt.Sprintf(`SELECT setval('public.internship_offers_id_seq', %d)`, n),
		`INSERT INTO public.internship_offer_weeks (internship_offer_id, week_id, created_at, updated_at)
		SELECT io.id, w.id, now(), now() FROM public.internship_offers io
		JOIN public.weeks w ON w.year = 2030 AND w.number IN (10, 11)`,
		`ANALYZE public.internship_offers, public.internship_offer_weeks, public.weeks, public.sectors`,
	}
}

func escape(s string) string { return strings.ReplaceAll(s, "'", "''") }
