package indexer_test

import (
	"testing"
	"time"

	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/search"
)

// TestSync100k measures, on the 100k corpus, the full build from
// PostgreSQL into an empty data directory, a rebuild on demand while the
// index serves, and the restart-to-ready time of reopening it.
func TestSync100k(t *testing.T) {
	if testing.Short() {
		t.Skip("imports and indexes 100,000 offers")
	}
	corpusOrSkip(t)
	st, pool := newStore(t)
	importCorpus(t, pool)
	dir := t.TempDir()
	want := dbSearchable(t, st, time.Now())

	start := time.Now()
	r := startSyncer(t, st, indexer.SyncConfig{DataDir: dir})
	waitFor(t, 10*time.Minute, "the first build", r.live.Ready)
	build := time.Since(start)
	if diff := diffIndex(r.live, want); diff != "" {
		t.Fatalf("built index differs from the database: %s", diff)
	}

	old := r.live.Current()
	r.s.Rebuild()
	waitFor(t, 10*time.Minute, "the rebuild", func() bool {
		return r.live.Current() != old && !r.s.Status().Rebuilding
	})
	rebuild := r.s.Status().LastRebuild
	r.stop()

	cfg := indexer.SyncConfig{DataDir: dir, Live: &search.Live{}}
	cfg.Search.Thesaurus = testThesaurus(t)
	start = time.Now()
	r = startSyncer(t, st, cfg)
	live := cfg.Live
	waitFor(t, 10*time.Minute, "the reopened index", live.Ready)
	ready := time.Since(start)
	waitConverged(t, st, live, time.Minute)
	t.Logf("100k corpus, %d searchable offers: first build %.2f s, rebuild (catch-up included) %.2f s, restart to ready %.2f s",
		len(want), build.Seconds(), rebuild.Seconds(), ready.Seconds())
}
