package indexer_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/internal/testdb"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newStore returns a Store on a fresh migrated database, and its pool for
// direct SQL.
func newStore(t testing.TB) (*indexer.Store, *pgxpool.Pool) {
	t.Helper()
	pool, _ := testdb.New(t)
	return indexer.NewStore(pool), pool
}

func loadAll(t *testing.T, s *indexer.Store) (map[string]stageindex.Offer, indexer.Watermark) {
	t.Helper()
	got := map[string]stageindex.Offer{}
	w, err := s.LoadOffers(context.Background(), func(o stageindex.Offer) error {
		if _, dup := got[o.ID]; dup {
			t.Errorf("LoadOffers gave %s twice", o.ID)
		}
		got[o.ID] = o
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, w
}

func TestGetNotFound(t *testing.T) {
	s, _ := newStore(t)
	_, err := s.Get(context.Background(), "nope")
	if code := stageindex.ErrorCodeOf(err); code != stageindex.ENOTFOUND {
		t.Errorf("Get(missing) = %v (code %q), want ENOTFOUND", err, code)
	}
}

func TestLoadOffersStopsOnCallbackError(t *testing.T) {
	s, _ := newStore(t)
	importString(t, s, sampleFile, indexer.ImportOptions{})
	stop := stageindex.Errorf(stageindex.EUNAVAILABLE, "stop")
	calls := 0
	_, err := s.LoadOffers(context.Background(), func(stageindex.Offer) error {
		calls++
		return stop
	})
	if calls != 1 || stageindex.ErrorCodeOf(err) != stageindex.EUNAVAILABLE {
		t.Errorf("after the callback failed: %d calls, err %v", calls, err)
	}
}

// TestWatermarkCoversUncommittedWriters checks the property the sync relies
// on: a transaction still open while the index loads has a txid >= the
// load's XMin, so its change is replayed later rather than lost.
func TestWatermarkCoversUncommittedWriters(t *testing.T) {
	ctx := context.Background()
	s, pool := newStore(t)
	importString(t, s, sampleFile, indexer.ImportOptions{})

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `UPDATE offers SET title = 'Pendant le chargement' WHERE id = 'a-1'`); err != nil {
		t.Fatal(err)
	}
	got, w := loadAll(t, s)
	if got["a-1"].Title == "Pendant le chargement" {
		t.Fatal("load saw an uncommitted write")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var maxSeq, replay int64
	if err := pool.QueryRow(ctx, `SELECT
			(SELECT max(seq) FROM offer_changes WHERE seq <= $2),
			(SELECT count(*) FROM offer_changes WHERE offer_id = 'a-1' AND op = 'U' AND txid::text::bigint >= $1)`,
		w.XMin, w.Seq).Scan(&maxSeq, &replay); err != nil {
		t.Fatal(err)
	}
	if replay != 1 {
		t.Errorf("the concurrent update is not among the changes to replay after XMin %d", w.XMin)
	}
	if w.Seq == 0 || w.Seq != maxSeq {
		t.Errorf("watermark Seq %d, want the highest seq visible to the load (%d)", w.Seq, maxSeq)
	}
}
