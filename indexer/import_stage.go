package indexer

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
)

// stagingSQL creates the session's staging table: the offer columns with
// the types of table offers but none of its constraints (ParseOffer has
// checked the lines; the upsert meets the constraints), plus the line
// number that orders duplicates and names refused rows.
const stagingSQL = `DROP TABLE IF EXISTS pg_temp.import_staging;
CREATE TEMP TABLE import_staging (
	line integer NOT NULL,
	id text NOT NULL,
	title text NOT NULL,
	description text NOT NULL,
	employer_name text NOT NULL,
	employer_description text,
	sector text,
	tracks text[] NOT NULL,
	is_public boolean NOT NULL,
	remote boolean NOT NULL,
	handicap_accessible boolean NOT NULL,
	street text,
	zipcode text,
	city text,
	department text,
	latitude double precision,
	longitude double precision,
	weeks text[] NOT NULL,
	max_candidates integer NOT NULL,
	url text,
	published_at timestamptz
)`

// stagingIndexSQL serves the upsert's "last line of its id" test and its
// line ranges; ANALYZE gives the planner the table's real size.
const stagingIndexSQL = `CREATE INDEX ON import_staging (id, line);
CREATE INDEX ON import_staging (line);
ANALYZE import_staging`

var stagingColumns = []string{"line", "id", "title", "description", "employer_name",
	"employer_description", "sector", "tracks", "is_public", "remote",
	"handicap_accessible", "street", "zipcode", "city", "department", "latitude",
	"longitude", "weeks", "max_candidates", "url", "published_at"}

// stage parses r and COPYs every valid line into import_staging while the
// parser runs ahead in its own goroutine.
func stage(ctx context.Context, conn *pgx.Conn, r io.Reader, opts ImportOptions) (*parseResult, error) {
	res := &parseResult{}
	if _, err := conn.Exec(ctx, stagingSQL); err != nil {
		return res, fmt.Errorf("staging table: %w", err)
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items := make(chan parsed, 1024)
	done := make(chan error, 1)
	// res belongs to the parser until done delivers.
	go func() {
		defer close(items)
		done <- parseInput(pctx, r, opts.MaxRejections, items, res)
	}()
	var row [21]any
	next := func() ([]any, error) {
		p, ok := <-items
		if !ok {
			return nil, nil
		}
		o := &p.offer
		tracks := make([]string, len(o.Tracks))
		for i, t := range o.Tracks {
			tracks[i] = string(t)
		}
		weeks := o.Weeks
		if weeks == nil {
			weeks = []string{} // NOT NULL: pgx sends a nil slice as NULL
		}
		row = [21]any{p.line, o.ID, o.Title, o.Description, o.EmployerName,
			orNull(o.EmployerDescription), orNull(o.Sector), tracks, o.IsPublic, o.Remote,
			o.HandicapAccessible, orNull(o.Street), orNull(o.Zipcode), orNull(o.City),
			orNull(o.Department), o.Latitude, o.Longitude, weeks, o.MaxCandidates,
			orNull(o.URL), o.PublishedAt}
		return row[:], nil
	}
	_, copyErr := conn.CopyFrom(ctx, pgx.Identifier{"import_staging"}, stagingColumns, pgx.CopyFromFunc(next))
	cancel()
	for range items {
		// drain so that the parser, if still sending, sees pctx and stops
	}
	parseErr := <-done
	switch {
	case parseErr != nil && parseErr != context.Canceled:
		return res, fmt.Errorf("read: %w", parseErr)
	case copyErr != nil:
		return res, fmt.Errorf("stage: %w", copyErr)
	case ctx.Err() != nil:
		return res, ctx.Err()
	}
	if _, err := conn.Exec(ctx, stagingIndexSQL); err != nil {
		return res, fmt.Errorf("stage: %w", err)
	}
	return res, nil
}

// orNull maps an absent optional string to NULL, as the table stores it.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}
