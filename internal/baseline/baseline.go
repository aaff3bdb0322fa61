// Package baseline is the PostgreSQL search that stageindex replaces: the
// way monstagedetroisieme.fr answers "offers near here matching these
// words". It adds a full-text column (a french_stem configuration with
// unaccent, prefix matching), a PostGIS geography column and their indexes
// to a copy of the offers table in its own schema, monstage, and queries it
// with ST_DWithin ordered by distance, a page plus a total count.
//
// The benchmark harness measures stageindex against it; the relevance
// evaluation compares their hits. Setup needs a database migrated by
// package migrations, filled by the importer, and the postgis extension
// available on the server (Debian: postgresql-15-postgis-3).
package baseline

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex"
)

// DefaultLimit is the page size of monstagedetroisieme.fr's search.
const DefaultLimit = 30

// Baseline runs monstage-style searches on a database set up by Setup.
type Baseline struct {
	pool *pgxpool.Pool
}

// New returns a Baseline querying through pool.
func New(pool *pgxpool.Pool) *Baseline { return &Baseline{pool: pool} }

// setupSQL builds monstage.offers from stageindex.offers. The table is a copy
// rather than extra columns on stageindex.offers so that the project's schema,
// triggers and change log stay untouched. It keeps every column of the
// offer, as monstage's own table does, so heap rows are as wide as theirs.
// last_week lets the query drop offers whose weeks are all over without
// unnesting arrays per row, as monstage does with its weeks join.
var setupSQL = []string{
	`CREATE EXTENSION IF NOT EXISTS unaccent`,
	`CREATE EXTENSION IF NOT EXISTS postgis`,
	`CREATE SCHEMA IF NOT EXISTS monstage`,
	`DROP TEXT SEARCH CONFIGURATION IF EXISTS monstage.fr_unaccent CASCADE`,
	`CREATE TEXT SEARCH CONFIGURATION monstage.fr_unaccent (COPY = pg_catalog.french)`,
	`ALTER TEXT SEARCH CONFIGURATION monstage.fr_unaccent
		ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem`,
	`DROP TABLE IF EXISTS monstage.offers`,
	`CREATE TABLE monstage.offers AS
	SELECT o.id, o.title, o.description, o.employer_name, o.employer_description,
		o.sector, o.tracks, o.is_public, o.remote, o.handicap_accessible,
		o.street, o.zipcode, o.city, o.department, o.latitude, o.longitude,
		o.weeks, o.max_candidates, o.url, o.published_at,
		(SELECT max(w) FROM unnest(o.weeks) AS w) AS last_week,
		to_tsvector('monstage.fr_unaccent',
			o.title || ' ' || o.description || ' ' || o.employer_name) AS tsv,
		CASE WHEN o.latitude IS NOT NULL
			THEN ST_SetSRID(ST_MakePoint(o.longitude, o.latitude), 4326)::geography
		END AS geog
	FROM stageindex.offers AS o`,
	`ALTER TABLE monstage.offers ADD PRIMARY KEY (id)`,
	`CREATE INDEX offers_tsv_idx ON monstage.offers USING gin (tsv)`,
	`CREATE INDEX offers_geog_idx ON monstage.offers USING gist (geog)`,
	`ANALYZE monstage.offers`,
}

// Setup (re)creates the monstage schema's text search configuration, table
// and indexes from the current content of stageindex.offers. Run it again after
// an import to see new offers: the copy does not follow changes.
func (b *Baseline) Setup(ctx context.Context) error {
	for _, stmt := range setupSQL {
		if _, err := b.pool.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("baseline: setup: %s: %w", firstLine(stmt), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Query is a monstage search: words typed by the pupil, a circle and
// tracks. Center nil searches everywhere, newest first.
type Query struct {
	// Text is matched word by word, each word as a prefix, all required.
	Text     string
	Center   *stageindex.LatLng
	RadiusKm float64
	// Tracks keeps offers open to any of them; empty means all.
	Tracks []stageindex.Track
	// Limit is the page size; 0 means DefaultLimit.
	Limit int
	// Now decides which offers are unpublished or past; zero is time.Now().
	Now time.Time
}

// Hit is one offer of a result page.
type Hit struct {
	ID           string
	Title        string
	EmployerName string
	City         string
	Zipcode      string
	Tracks       []stageindex.Track
	// DistanceKm is nil when the query had no center.
	DistanceKm *float64
}

// Result is a page of hits and the number of offers matching in all.
type Result struct {
	Total int
	Hits  []Hit
}

// Search runs q the way monstagedetroisieme.fr does.
func (b *Baseline) Search(ctx context.Context, q Query) (Result, error) {
	sql, args, err := buildSQL(q)
	if err != nil {
		return Result{}, err
	}
	rows, err := b.pool.Query(ctx, sql, args...)
	if err != nil {
		return Result{}, fmt.Errorf("baseline: search: %w", err)
	}
	defer rows.Close()
	var res Result
	for rows.Next() {
		var h Hit
		var city, zip *string
		var tracks []string
		if err := rows.Scan(&h.ID, &h.Title, &h.EmployerName, &city, &zip, &tracks, &h.DistanceKm, &res.Total); err != nil {
			return Result{}, fmt.Errorf("baseline: search: %w", err)
		}
		if city != nil {
			h.City = *city
		}
		if zip != nil {
			h.Zipcode = *zip
		}
		for _, t := range tracks {
			h.Tracks = append(h.Tracks, stageindex.Track(t))
		}
		res.Hits = append(res.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return Result{}, fmt.Errorf("baseline: search: %w", err)
	}
	return res, nil
}

// parisZone is the fixed offset stageindex.WeekPast uses for week ends.
var parisZone = time.FixedZone("UTC+1", 3600)

// buildSQL returns the statement and arguments for q. The count comes from
// a window over the whole match, computed before LIMIT as monstage's
// separate count(*) would: PostgreSQL reads every matching row either way.
func buildSQL(q Query) (string, []any, error) {
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 0 || q.Limit > stageindex.MaxPerPage {
		return "", nil, fmt.Errorf("baseline: limit %d out of 1..%d", q.Limit, stageindex.MaxPerPage)
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	args := []any{q.Now, stageindex.FormatWeek(q.Now.In(parisZone))}
	where := []string{`published_at <= $1`, `(last_week IS NULL OR last_week >= $2)`}
	dist, order := `NULL::float8`, `published_at DESC, id`
	if q.Center != nil {
		c := *q.Center
		if c.Lat < -90 || c.Lat > 90 || c.Lng < -180 || c.Lng > 180 {
			return "", nil, fmt.Errorf("baseline: center %v,%v out of range", c.Lat, c.Lng)
		}
		if q.RadiusKm <= 0 || q.RadiusKm > 1000 {
			return "", nil, fmt.Errorf("baseline: radius %v km out of (0, 1000]", q.RadiusKm)
		}
		args = append(args, c.Lng, c.Lat, q.RadiusKm*1000)
		const pt = `ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography`
		where = append(where, `ST_DWithin(geog, `+pt+`, $5)`)
		dist, order = `ST_Distance(geog, `+pt+`) / 1000`, `dist, id`
	}
	if tsq := PrefixQuery(q.Text); tsq != "" {
		args = append(args, tsq)
		where = append(where, fmt.Sprintf(`tsv @@ to_tsquery('monstage.fr_unaccent', $%d)`, len(args)))
	}
	if len(q.Tracks) > 0 {
		ts := make([]string, len(q.Tracks))
		for i, t := range q.Tracks {
			if !stageindex.ValidTrack(t) {
				return "", nil, fmt.Errorf("baseline: unknown track %q", t)
			}
			ts[i] = string(t)
		}
		args = append(args, ts)
		where = append(where, fmt.Sprintf(`tracks && $%d::text[]`, len(args)))
	}
	args = append(args, q.Limit)
	sql := `SELECT id, title, employer_name, city, zipcode, tracks, ` + dist + ` AS dist,
		count(*) OVER () AS total
	FROM monstage.offers
	WHERE ` + strings.Join(where, "\n\t  AND ") + `
	ORDER BY ` + order + `
	LIMIT $` + fmt.Sprint(len(args))
	return sql, args, nil
}

// PrefixQuery turns what a pupil typed into a to_tsquery expression: each
// word (a run of letters and digits) as a prefix, all of them required:
// "jeu vidéo" gives "jeu:* & vidéo:*". It returns "" when there is no word.
// Only letters and digits reach the expression, so no input can break the
// tsquery syntax.
func PrefixQuery(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for i, w := range words {
		words[i] = strings.ToLower(w) + ":*"
	}
	return strings.Join(words, " & ")
}
