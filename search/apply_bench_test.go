package search

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/demo"
)

// BenchmarkApplyDisk applies a sync poll's worth of edits (300 offers of
// every département) to an index on disk: what one poll costs at 1,000
// changes/s (docs/sync.md).
func BenchmarkApplyDisk(b *testing.B) {
	base, err := demo.Offers(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	// Six copies: 20,000 offers, some 200 a shard.
	var offers []stageindex.Offer
	for c := range 6 {
		for _, o := range base {
			o.ID += "-" + strconv.Itoa(c)
			offers = append(offers, o)
		}
	}
	ix, err := New(Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	ctx := context.Background()
	if err := ix.Apply(ctx, offers, nil); err != nil {
		b.Fatal(err)
	}
	depts := map[string]bool{}
	for _, o := range offers {
		depts[o.Department] = true
	}
	b.Logf("%d offers in %d départements", len(offers), len(depts))
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		ups := make([]stageindex.Offer, 300)
		for i := range ups {
			ups[i] = offers[rng.IntN(len(offers))]
			ups[i].Title += " " + strconv.Itoa(rng.Int())
		}
		if err := ix.Apply(ctx, ups, nil); err != nil {
			b.Fatal(err)
		}
	}
}
