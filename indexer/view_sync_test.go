package indexer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/indexer/source"
)

// installPlat puts real change capture on plat.jobs for plat.offers.
func installPlat(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := source.Install(context.Background(), conn, source.Spec{View: "plat.offers",
		Watches: []source.Watch{{Table: "plat.jobs", IDSQL: "'j-' || r.id"}}}, source.Options{}); err != nil {
		t.Fatal(err)
	}
}

const putJobSQL = `INSERT INTO plat.jobs (id, title, body, company, zip, lat, lng, week)
	VALUES ($1, $2, 'Découvrir', 'Boutique', '22000', 48.5, -2.7, '2030-W10')
	ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title`

// writeJobs is writeConcurrently on the platform's table: transactions
// held open a random while, so that commits come out of txid order.
func writeJobs(t *testing.T, pool *pgxpool.Pool, writers, ops int) {
	t.Helper()
	writeOutOfOrder(t, pool, writers, ops, 7, func(ctx context.Context, tx pgx.Tx, rng *rand.Rand, w, i int) error {
		id := rng.IntN(100)
		var err error
		if rng.IntN(4) == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM plat.jobs WHERE id = $1`, id)
		} else {
			_, err = tx.Exec(ctx, putJobSQL, id, fmt.Sprintf("w%d op%d", w, i))
		}
		return err
	})
}

// TestViewSync syncs from a platform's view through the triggers of
// source install: out-of-order commits, a row turning invalid, time
// passing with no write, a TRUNCATE.
func TestViewSync(t *testing.T) {
	ctx := context.Background()
	st, pool, _ := newViewStore(t)
	installPlat(t, pool)
	for i := range 30 {
		exec(t, pool, putJobSQL, i, "initial")
	}
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	r := startSyncer(t, st, indexer.SyncConfig{Now: clock, PollInterval: time.Hour})
	waitFor(t, 30*time.Second, "first index", r.live.Ready)
	waitConvergedAt(t, st, r, clock)
	if got := r.s.Status().Source; got != "plat.offers" {
		t.Errorf("Status().Source = %q", got)
	}

	t.Run("concurrent writers and a long transaction committing last", func(t *testing.T) {
		long, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer long.Rollback(ctx)
		if _, err := long.Exec(ctx, putJobSQL, 1000, "written first, committed last"); err != nil {
			t.Fatal(err)
		}
		// A poll interval of an hour: only notifications bring changes.
		writeJobs(t, pool, 4, 40)
		waitConvergedAt(t, st, r, clock)
		if err := long.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the long transaction's offer", func() bool { _, ok := r.live.Get("j-1000"); return ok })
		waitConvergedAt(t, st, r, clock)
	})
	t.Run("a row breaking the rules leaves the index and is counted", func(t *testing.T) {
		exec(t, pool, `UPDATE plat.jobs SET zip = 'x' WHERE id = 1000`)
		waitFor(t, 10*time.Second, "j-1000 out", func() bool { _, ok := r.live.Get("j-1000"); return !ok })
		if sk := r.s.Status().Skips; sk.Invalid != 1 || sk.Total < 1 {
			t.Errorf("Skips = %+v", sk)
		}
		exec(t, pool, `UPDATE plat.jobs SET zip = '22000' WHERE id = 1000`)
		waitFor(t, 10*time.Second, "j-1000 back", func() bool { _, ok := r.live.Get("j-1000"); return ok })
		if sk := r.s.Status().Skips; sk.Invalid != 0 {
			t.Errorf("Skips after the fix = %+v", sk)
		}
	})
	t.Run("time passes with no write", func(t *testing.T) {
		search := func() int {
			res, err := r.live.Search(ctx, stageindex.SearchRequest{Query: "xylophoniste", Remote: stageindex.RemoteInclude, Now: clock()})
			if err != nil {
				t.Fatal(err)
			}
			return res.Total
		}
		exec(t, pool, `INSERT INTO plat.jobs (id, title, body, company, zip, lat, lng, week, pub) VALUES
			(2000, 'Xylophoniste', 'Jouer', 'Boutique', '22000', 48.5, -2.7, '2026-W46', NULL),
			(2001, 'Xylophoniste en décembre', 'Jouer', 'Boutique', '22000', 48.5, -2.7, '2026-W50', '2026-11-20T00:00:00Z')`)
		waitFor(t, 10*time.Second, "both offers indexed", func() bool {
			_, a := r.live.Get("j-2000")
			_, b := r.live.Get("j-2001")
			return a && b
		})
		if n := search(); n != 1 {
			t.Errorf("on Nov 1: %d hits, want the published one only", n)
		}
		now.Store(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC).Unix())
		if n := search(); n != 1 {
			t.Errorf("on Nov 21: %d hits, want the one published on Nov 20 (the other's week is over)", n)
		}
		now.Store(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC).Unix())
		if n := search(); n != 0 {
			t.Errorf("on Dec 20: %d hits, want none", n)
		}
	})
	t.Run("truncate reconciles the whole view", func(t *testing.T) {
		exec(t, pool, `TRUNCATE plat.jobs`)
		waitFor(t, 10*time.Second, "an empty index", func() bool { return r.live.Current().Len() == 0 })
	})
}
