package importer_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/indexer/importer"
	"github.com/stageindex/stageindex/internal/pgtest"
	"github.com/stageindex/stageindex/internal/testdb"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// store writes offers with the importer and reads them back with the
// indexer's Store, as serve does.
type store struct {
	*importer.Importer
	*indexer.Store
}

// newStore returns a store on a fresh migrated database, and its pool for
// direct SQL.
func newStore(t testing.TB) (*store, *pgxpool.Pool) {
	t.Helper()
	pool, _ := testdb.New(t)
	return &store{importer.New(pool), indexer.NewStore(pool)}, pool
}

func loadAll(t *testing.T, s *store) map[string]stageindex.Offer {
	t.Helper()
	got := map[string]stageindex.Offer{}
	if _, err := s.LoadOffers(context.Background(), func(o stageindex.Offer) error {
		if _, dup := got[o.ID]; dup {
			t.Errorf("LoadOffers gave %s twice", o.ID)
		}
		got[o.ID] = o
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}
