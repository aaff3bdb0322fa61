package indexer_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/indexer/importer"
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

// sampleOffers are three valid offers, one of them unpublished.
var sampleOffers = strings.Join([]string{
	`{"id": "a-1", "title": "Boulangerie Le Gall", "description": "Pain", "employer_name": "Au Fournil", "tracks": ["generale"], "zipcode": "22000", "city": "Saint-Brieuc", "department": "22", "latitude": 48.5151, "longitude": -2.7684, "weeks": ["2027-W05"], "published_at": "2026-09-01T08:00:00Z"}`,
	`{"id": "b-2", "title": "Mairie", "description": "Accueil", "employer_name": "Mairie d'Ajaccio", "tracks": ["prepa_metiers"], "department": "2A", "latitude": 41.9192, "longitude": 8.7386, "published_at": null}`,
	`{"id": "remote-1", "title": "Développeur web", "description": "À distance", "employer_name": "Agence", "tracks": ["generale"], "remote": true, "published_at": "2026-10-01T08:00:00Z"}`,
}, "\n") + "\n"

// importLines imports JSON lines of offers into the database of pool; any
// rejected line fails the test.
func importLines(t testing.TB, pool *pgxpool.Pool, lines string) importer.Report {
	t.Helper()
	rep, err := importer.New(pool).Import(context.Background(), strings.NewReader(lines), importer.Options{})
	if err != nil || rep.Rejected > 0 {
		t.Fatalf("import: %v %+v", err, rep.Rejections)
	}
	return rep
}

// benchCorpus is the shared 100k-offer corpus, beside the repository.
const benchCorpus = "../../shared/bench/offers-100k.jsonl.gz"

func corpusOrSkip(tb testing.TB) {
	if _, err := os.Stat(benchCorpus); err != nil {
		tb.Skipf("no benchmark corpus: %v", err)
	}
}

// importCorpus imports the benchmark corpus into the database of pool.
func importCorpus(tb testing.TB, pool *pgxpool.Pool) importer.Report {
	tb.Helper()
	in, err := importer.OpenInput(benchCorpus)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	rep, err := importer.New(pool).Import(context.Background(), in, importer.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return rep
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
	s, pool := newStore(t)
	importLines(t, pool, sampleOffers)
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
	importLines(t, pool, sampleOffers)

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
