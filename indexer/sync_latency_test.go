package indexer_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stageindex/stageindex/indexer"
)

// TestSyncLatency commits 1,000 changes one at a time (inserts, updates
// and deletes) and measures how long each takes to show in the index. The
// fallback poll is off, so notifications alone carry the changes. It
// reports p50/p99 and fails only if a change never shows.
func TestSyncLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("commits 1,000 changes one by one")
	}
	for _, tt := range []struct {
		name string
		disk bool
	}{{"memory", false}, {"data dir", true}} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := indexer.SyncConfig{PollInterval: time.Hour}
			if tt.disk {
				cfg.DataDir = t.TempDir()
			}
			measureLatency(t, cfg)
		})
	}
}

func measureLatency(t *testing.T, cfg indexer.SyncConfig) {
	st, pool := newStore(t)
	putMany(t, pool, "base-", 5000)
	r := startSyncer(t, st, cfg)
	waitConverged(t, st, r.live, 60*time.Second)

	const n = 1000
	lat := make([]time.Duration, 0, n)
	for i := range n {
		id := fmt.Sprintf("lat-%d", i%300)
		title := fmt.Sprintf("version %d", i)
		del := i%300 == 7 && i > 300
		if del {
			deleteOffer(t, pool, id)
		} else {
			putOffer(t, pool, id, title)
		}
		committed := time.Now()
		for {
			o, ok := r.live.Get(id)
			if (del && !ok) || (!del && ok && o.Title == title) {
				break
			}
			if time.Since(committed) > 30*time.Second {
				t.Fatalf("change %d (%s) not searchable after 30 s", i, id)
			}
			time.Sleep(100 * time.Microsecond)
		}
		lat = append(lat, time.Since(committed))
	}
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
	t.Logf("change-to-searchable latency over %d commits: p50 %v, p90 %v, p99 %v, max %v",
		n, p(0.50), p(0.90), p(0.99), lat[len(lat)-1])
}
