package indexer_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/search"
)

// insertOfferSQL writes a valid, published, searchable offer (or updates
// it): enough columns for the CHECKs, and a title to recognise versions by.
const insertOfferSQL = `INSERT INTO offers (id, title, description, employer_name, tracks,
		department, latitude, longitude, weeks, published_at)
	VALUES ($1, $2, 'Découverte du métier', 'Employeur', '{generale}', '22', 48.5, -2.76,
		'{2030-W10}', '2026-01-01T00:00:00Z')
	ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title`

func putOffer(t testing.TB, pool *pgxpool.Pool, id, title string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), insertOfferSQL, id, title); err != nil {
		t.Fatalf("put %s: %v", id, err)
	}
}

func deleteOffer(t testing.TB, pool *pgxpool.Pool, id string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `DELETE FROM offers WHERE id = $1`, id); err != nil {
		t.Fatalf("delete %s: %v", id, err)
	}
}

// running is a Syncer started in the background by startSyncer.
type running struct {
	s    *indexer.Syncer
	live *search.Live
	stop func() // cancels Run and waits for it
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("SYNC_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// startSyncer runs a Syncer on st until the test ends or stop is called.
// cfg.Store and cfg.Live are filled in when unset.
func startSyncer(t testing.TB, st *indexer.Store, cfg indexer.SyncConfig) *running {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = st
	}
	if cfg.Live == nil {
		cfg.Live = &search.Live{}
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if cfg.Search.Thesaurus == nil {
		cfg.Search.Thesaurus = testThesaurus(t)
	}
	s, err := indexer.NewSyncer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	r := &running{s: s, live: cfg.Live}
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if ix := cfg.Live.Current(); ix != nil {
			cfg.Live.Swap(nil)
		}
	}
	t.Cleanup(r.stop)
	return r
}

func testThesaurus(t testing.TB) *search.Thesaurus {
	th, err := search.LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// dbSearchable returns the searchable offers of the database by id.
func dbSearchable(t testing.TB, st *indexer.Store, now time.Time) map[string]stageindex.Offer {
	t.Helper()
	out := map[string]stageindex.Offer{}
	if _, err := st.LoadOffers(context.Background(), func(o stageindex.Offer) error {
		if o.Searchable(now) {
			out[o.ID] = o
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// diffIndex describes how live's index differs from want, "" when equal.
func diffIndex(live *search.Live, want map[string]stageindex.Offer) string {
	var diff string
	err := live.With(func(ix *search.Index) error {
		ids := ix.IDs()
		sort.Strings(ids)
		if ix.Len() != len(ids) {
			diff = fmt.Sprintf("Len %d but %d ids", ix.Len(), len(ids))
			return nil
		}
		var extra, missing, stale []string
		for _, id := range ids {
			w, ok := want[id]
			if !ok {
				extra = append(extra, id)
				continue
			}
			if got, _ := ix.Get(id); !indexer.SameOffer(got, w) {
				stale = append(stale, id)
			}
		}
		for id := range want {
			if _, ok := ix.Get(id); !ok {
				missing = append(missing, id)
			}
		}
		if len(extra)+len(missing)+len(stale) > 0 {
			diff = fmt.Sprintf("index has %d offers, database %d; extra %v, missing %v, stale %v",
				len(ids), len(want), head(extra), head(missing), head(stale))
		}
		return nil
	})
	if err != nil {
		return err.Error()
	}
	return diff
}

func head(s []string) []string {
	sort.Strings(s)
	if len(s) > 5 {
		return append(s[:5:5], fmt.Sprintf("… %d more", len(s)-5))
	}
	return s
}

// waitConverged waits until live's index equals the database's searchable
// offers. The deadline only bounds a failing test; speed is measured by
// the latency test and benchmarks.
func waitConverged(t testing.TB, st *indexer.Store, live *search.Live, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var diff string
	for {
		diff = diffIndex(live, dbSearchable(t, st, time.Now()))
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("index did not converge within %v: %s", within, diff)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls cond until it holds or within passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
