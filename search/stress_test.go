package search

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stageindex/stageindex"
)

// TestHotFitsACacheLine: the per-offer struct every search reads for every
// candidate must stay one cache line (see hot); a field added carelessly
// would slow every radius search.
func TestHotFitsACacheLine(t *testing.T) {
	if n := unsafe.Sizeof(hot{}); n > 64 {
		t.Fatalf("hot is %d bytes, more than a 64-byte cache line", n)
	}
}

// TestDocFitsItsSizeClass: a doc is held for every offer (1M at a time);
// at 120 bytes it is in the allocator's 128-byte class, and a field more
// would put it in the next one, 16 MB more at 1M.
func TestDocFitsItsSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(doc{}); n > 128 {
		t.Fatalf("doc is %d bytes, more than 128", n)
	}
}

// TestConcurrentSearchApplySwap runs searches, lookups, writes and index
// swaps together; under -race (make test) any unguarded access fails it,
// and every search must answer without error while indexes come and go.
func TestConcurrentSearchApplySwap(t *testing.T) {
	ctx := context.Background()
	newIx := func() *Index {
		ix, err := New(Config{Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Apply(ctx, corpus(), nil); err != nil {
			t.Fatal(err)
		}
		return ix
	}
	live := &Live{}
	live.Swap(newIx())
	defer func() { live.Current().Close() }()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var searches, failures atomic.Int64
	queries := []stageindex.SearchRequest{
		{Query: "boulanger", Center: &stBrieuc, RadiusKm: 30},
		{Query: "veterinere"}, // the typo phase
		{Query: "argent", Center: &stBrieuc, RadiusKm: 60},
		{Center: &stBrieuc, RadiusKm: 10},
		{Query: "zzzz introuvable", Center: &paris, RadiusKm: 5}, // relaxation
	}
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, err := live.Search(ctx, queries[(g+i)%len(queries)])
				searches.Add(1)
				if err != nil || res == nil {
					failures.Add(1)
				}
				live.Get("bread-here")
				live.Suggest("boul", 5)
				live.Stats()
			}
		})
	}
	wg.Go(func() { // writer on whatever index is current
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			live.With(func(ix *Index) error {
				o := offer(fmt.Sprintf("new-%d", i%50), "Boulangerie nouvelle", "Pain.")
				return ix.Apply(ctx, []stageindex.Offer{o}, []string{fmt.Sprintf("new-%d", (i+25)%50)})
			})
		}
	})
	for range 5 {
		time.Sleep(60 * time.Millisecond)
		if err := live.Swap(newIx()); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if failures.Load() > 0 || searches.Load() == 0 {
		t.Fatalf("%d of %d searches failed", failures.Load(), searches.Load())
	}
}
