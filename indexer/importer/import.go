// Package importer upserts offers from interchange files (JSON lines) into
// stageindex's offers table: the write side of the database, apart from the
// indexer that reads it.
package importer

import (
	"github.com/stageindex/stageindex/indexer/internal/offerdb"

	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Importer writes offers into a database migrated by package migrations.
type Importer struct {
	pool *pgxpool.Pool
}

// New returns an Importer writing through pool.
func New(pool *pgxpool.Pool) *Importer { return &Importer{pool: pool} }

// Options tunes Import. The zero value is fine.
type Options struct {
	// BatchSize is the number of offers upserted per transaction
	// (default 5000).
	BatchSize int
	// MaxRejections caps the rejections listed in the report (default
	// 1000); all of them are counted.
	MaxRejections int
}

// Rejection is one input line Import refused.
type Rejection struct {
	Line   int    `json:"line"`         // 1-based line number in the input
	ID     string `json:"id,omitempty"` // the line's id, when readable
	Reason string `json:"reason"`       // every problem found in the line
}

// Report counts what Import did with each non-blank line:
// Read = Rejected + Duplicates + Inserted + Updated + Unchanged.
type Report struct {
	Read       int `json:"read"`       // non-blank lines
	Inserted   int `json:"inserted"`   // offers new to the database
	Updated    int `json:"updated"`    // offers whose content changed
	Unchanged  int `json:"unchanged"`  // offers already stored as they are in the file
	Duplicates int `json:"duplicates"` // valid lines overridden by a later line with the same id
	Rejected   int `json:"rejected"`   // invalid lines, not written
	// Rejections lists the first MaxRejections rejected lines in file order.
	Rejections []Rejection   `json:"rejections,omitempty"`
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// Import upserts the offers of r, one JSON object per line in the
// interchange format, and reports what it did.
//
// Every line is validated with stageindex.ParseOffer; bad lines are
// rejected with their line number, the others still land. When an id
// appears on several lines the last one wins. The whole input is read and
// staged before anything is written, so a read error (a truncated gzip)
// writes nothing; then offers are upserted in batches of
// opts.BatchSize, one transaction each, so an offer is never half-written.
// An offer whose stored content equals the line's is not touched: its
// version, updated_at and change log stay as they were.
//
// On error the report holds the counts so far.
func (s *Importer) Import(ctx context.Context, r io.Reader, opts Options) (Report, error) {
	start := time.Now()
	if opts.BatchSize <= 0 {
		opts.BatchSize = 5000
	}
	if opts.MaxRejections <= 0 {
		opts.MaxRejections = 1000
	}
	var rep Report
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return rep, fmt.Errorf("importer: %w", err)
	}
	defer conn.Release()
	// The staging table is temporary, private to this session; drop it
	// even when ctx is done so the pooled connection goes back clean.
	defer conn.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS pg_temp.import_staging`)

	res, err := stage(ctx, conn.Conn(), r, opts)
	rep.Read, rep.Rejected, rep.Rejections = res.read, res.rejected, res.rejections
	if err != nil {
		return rep, fmt.Errorf("importer: %w", err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) - count(DISTINCT id) FROM import_staging`).Scan(&rep.Duplicates); err != nil {
		return rep, fmt.Errorf("importer: %w", err)
	}
	for i := 0; i < len(res.lines); i += opts.BatchSize {
		batch := res.lines[i:min(i+opts.BatchSize, len(res.lines))]
		if err := upsertBatch(ctx, conn.Conn(), batch, opts.MaxRejections, &rep); err != nil {
			return rep, fmt.Errorf("importer: line %d–%d: %w", batch[0], batch[len(batch)-1], err)
		}
	}
	// Lines the database refused were found after the parser's rejections.
	sort.SliceStable(rep.Rejections, func(i, j int) bool { return rep.Rejections[i].Line < rep.Rejections[j].Line })
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// upsertBatch writes the staged lines of batch (ascending line numbers) in
// one transaction. If the database refuses a row that ParseOffer accepted
// (its CHECKs and the parser's rules disagree), the batch is retried line by
// line so that only the refused lines are rejected.
func upsertBatch(ctx context.Context, conn *pgx.Conn, batch []int, maxRejections int, rep *Report) error {
	c, err := upsertRange(ctx, conn, batch[0], batch[len(batch)-1])
	if err == nil {
		c.addTo(rep)
		return nil
	}
	if !isDataError(err) {
		return err
	}
	for _, line := range batch {
		c, err := upsertRange(ctx, conn, line, line)
		switch {
		case err == nil:
			c.addTo(rep)
		case isDataError(err):
			rep.Rejected++
			if len(rep.Rejections) < maxRejections {
				var id string
				if err := conn.QueryRow(ctx, `SELECT id FROM import_staging WHERE line = $1`, line).Scan(&id); err != nil {
					return err
				}
				rep.Rejections = append(rep.Rejections, Rejection{Line: line, ID: id, Reason: "refused by the database: " + err.Error()})
			}
		default:
			return err
		}
	}
	return nil
}

// isDataError reports whether err is PostgreSQL refusing a value (classes
// 22 data exception and 23 integrity constraint violation).
func isDataError(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code[:2] == "22" || pgErr.Code[:2] == "23")
}

type upsertCounts struct{ staged, inserted, updated int }

func (c upsertCounts) addTo(rep *Report) {
	rep.Inserted += c.inserted
	rep.Updated += c.updated
	rep.Unchanged += c.staged - c.inserted - c.updated
}

// upsertSQL writes the staged lines between $1 and $2 that are the last
// line of their id. The WHERE of DO UPDATE skips offers whose content is
// unchanged, so they fire no trigger and log no change; RETURNING yields
// only rows written, xmax = 0 marking the inserted ones. Rows go in id
// order so that concurrent imports lock offers in the same order.
var upsertSQL = func() string {
	cols := offerdb.Names
	data := offerdb.Table[1:] // every column but the id
	list := func(f func(c offerdb.Column) string) string { return offerdb.List(data, f) }
	return `WITH src AS MATERIALIZED (
	SELECT ` + offerdb.List(offerdb.Table, func(c offerdb.Column) string { return "s." + c.Name }) + `
	FROM import_staging s
	WHERE s.line BETWEEN $1 AND $2
		AND NOT EXISTS (SELECT 1 FROM import_staging l WHERE l.id = s.id AND l.line > s.line)
	ORDER BY s.id
), up AS (
	INSERT INTO offers (` + cols + `)
	SELECT ` + cols + `
	FROM src
	ON CONFLICT (id) DO UPDATE SET
		` + list(func(c offerdb.Column) string { return c.Name + " = EXCLUDED." + c.Name }) + `
	WHERE (` + list(func(c offerdb.Column) string { return "offers." + c.Name }) + `)
	IS DISTINCT FROM (` + list(func(c offerdb.Column) string { return "EXCLUDED." + c.Name }) + `)
	RETURNING (xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM src), count(*) FILTER (WHERE inserted),
	count(*) FILTER (WHERE NOT inserted)
FROM up`
}()

func upsertRange(ctx context.Context, conn *pgx.Conn, first, last int) (upsertCounts, error) {
	var c upsertCounts
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, upsertSQL, first, last).Scan(&c.staged, &c.inserted, &c.updated)
	})
	return c, err
}
