package importer

import (
	"github.com/stageindex/stageindex/indexer/internal/offerdb"

	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
)

// stagingSQL creates the session's staging table: the offer columns with
// the types of table offers but none of its constraints (ParseOffer has
// checked the lines; the upsert meets the constraints), plus the line
// number that orders duplicates and names refused rows.
var stagingSQL = "DROP TABLE IF EXISTS pg_temp.import_staging;\nCREATE TEMP TABLE import_staging (line integer NOT NULL, " +
	offerdb.List(offerdb.Table, func(c offerdb.Column) string {
		if c.NotNull {
			return c.Name + " " + c.Type + " NOT NULL"
		}
		return c.Name + " " + c.Type
	}) + ")"

// stagingIndexSQL serves the upsert's "last line of its id" test and its
// line ranges; ANALYZE gives the planner the table's real size.
const stagingIndexSQL = `CREATE INDEX ON import_staging (id, line);
CREATE INDEX ON import_staging (line);
ANALYZE import_staging`

// stagingColumns are the COPY columns: the line number, then offerTable.
var stagingColumns = append([]string{"line"}, strings.Split(offerdb.Names, ", ")...)

// stage parses r and COPYs every valid line into import_staging while the
// parser runs ahead in its own goroutine.
func stage(ctx context.Context, conn *pgx.Conn, r io.Reader, opts Options) (*parseResult, error) {
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
	row := make([]any, 0, len(stagingColumns))
	next := func() ([]any, error) {
		p, ok := <-items
		if !ok {
			return nil, nil
		}
		return offerdb.Row(&p.offer, append(row[:0], p.line)), nil
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
