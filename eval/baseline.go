package eval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer/importer"
	"github.com/stageindex/stageindex/internal/baseline"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/migrations"
)

// Baseline evaluates the monstage-style PostgreSQL search of package
// internal/baseline on a throwaway cluster holding the corpus.
type Baseline struct {
	cluster *pgtest.Cluster
	pool    *pgxpool.Pool
	b       *baseline.Baseline
	now     time.Time
}

// NewBaseline starts a PostgreSQL cluster, migrates it, imports the corpus
// with the project's importer and sets the baseline up. Close removes it.
func NewBaseline(ctx context.Context, c *Corpus, now time.Time, logf func(string, ...any)) (_ *Baseline, err error) {
	start := time.Now()
	cl, err := pgtest.StartCluster(ctx)
	if err != nil {
		return nil, fmt.Errorf("eval: baseline cluster: %w", err)
	}
	bl := &Baseline{cluster: cl, now: now}
	defer func() {
		if err != nil {
			err = errors.Join(err, bl.Close())
		}
	}()
	dsn := cl.DSN("postgres")
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("eval: baseline connect: %w", err)
	}
	err = migrations.Migrate(ctx, conn, migrations.DefaultSchema)
	conn.Close(ctx)
	if err != nil {
		return nil, fmt.Errorf("eval: baseline migrate: %w", err)
	}
	pcfg, err := migrations.PoolConfig(dsn, migrations.DefaultSchema)
	if err != nil {
		return nil, fmt.Errorf("eval: baseline pool: %w", err)
	}
	if bl.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, fmt.Errorf("eval: baseline pool: %w", err)
	}
	rep, err := importer.New(bl.pool).Import(ctx, bytes.NewReader(bytes.Join(c.Raw, []byte("\n"))), importer.Options{})
	if err != nil {
		return nil, fmt.Errorf("eval: baseline import: %w", err)
	}
	if rep.Rejected != 0 || rep.Inserted != len(c.Offers) {
		return nil, fmt.Errorf("eval: baseline import: %d inserted, %d rejected of %d offers", rep.Inserted, rep.Rejected, len(c.Offers))
	}
	bl.b = baseline.New(bl.pool)
	if err := bl.b.Setup(ctx); err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	logf("postgresql baseline: imported and set up in %v", time.Since(start).Round(time.Millisecond))
	return bl, nil
}

// Name implements System.
func (bl *Baseline) Name() string { return "postgresql" }

// Close stops and removes the cluster.
func (bl *Baseline) Close() error {
	if bl.pool != nil {
		bl.pool.Close()
	}
	return bl.cluster.Close()
}

// Search implements System: the page monstage shows (its first ten hits
// give precision), then every match for recall. baseline.Search pages no
// deeper than 100 hits, so the full list comes from matchIDs, checked
// against the page and the total so that the two can never drift apart.
func (bl *Baseline) Search(ctx context.Context, q string, center *stageindex.LatLng, radiusKm float64) (Result, error) {
	page, err := bl.b.Search(ctx, baseline.Query{Text: q, Center: center, RadiusKm: radiusKm, Now: bl.now})
	if err != nil {
		return Result{}, err
	}
	res := Result{Total: page.Total}
	if page.Total == 0 {
		return res, nil
	}
	if res.IDs, err = bl.matchIDs(ctx, q, center, radiusKm); err != nil {
		return Result{}, err
	}
	if want := min(page.Total, stageindex.MaxResultDepth); len(res.IDs) != want {
		return Result{}, fmt.Errorf("eval: baseline: %d matches listed, total says %d", len(res.IDs), page.Total)
	}
	for i, h := range page.Hits {
		if res.IDs[i] != h.ID {
			return Result{}, fmt.Errorf("eval: baseline: match %d is %s, the page says %s", i, res.IDs[i], h.ID)
		}
	}
	return res, nil
}

// parisZone is the offset baseline and stageindex.WeekPast end weeks in.
var parisZone = time.FixedZone("UTC+1", 3600)

// matchIDs lists the offers baseline.Search matches, in its order, down to
// stageindex.MaxResultDepth. Its WHERE and ORDER BY mirror baseline's.
func (bl *Baseline) matchIDs(ctx context.Context, q string, center *stageindex.LatLng, radiusKm float64) ([]string, error) {
	args := []any{bl.now, stageindex.FormatWeek(bl.now.In(parisZone)), baseline.PrefixQuery(q), stageindex.MaxResultDepth}
	sql := `SELECT id FROM monstage.offers
	WHERE published_at <= $1 AND (last_week IS NULL OR last_week >= $2)
	  AND tsv @@ to_tsquery('monstage.fr_unaccent', $3)
	ORDER BY published_at DESC, id
	LIMIT $4`
	if center != nil {
		args = append(args, center.Lng, center.Lat, radiusKm*1000)
		sql = `SELECT id FROM monstage.offers
	WHERE published_at <= $1 AND (last_week IS NULL OR last_week >= $2)
	  AND tsv @@ to_tsquery('monstage.fr_unaccent', $3)
	  AND ST_DWithin(geog, ST_SetSRID(ST_MakePoint($5, $6), 4326)::geography, $7)
	ORDER BY ST_Distance(geog, ST_SetSRID(ST_MakePoint($5, $6), 4326)::geography), id
	LIMIT $4`
	}
	rows, err := bl.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("eval: baseline matches: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("eval: baseline matches: %w", err)
	}
	return slices.Clip(ids), nil
}
