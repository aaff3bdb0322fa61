package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stageindex/stageindex"
)

// topK, with surelyAfter's shortcut, keeps the same first keys in the same
// order as a full sort by less, ties and unknown distances included.
func TestTopKAgreesWithSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ix := &Index{}
	const n = 3000
	for range n {
		ix.docs = append(ix.docs, &doc{id: fmt.Sprintf("o%05d", rng.IntN(n))})
	}
	keys := make([]hitKey, n)
	for i := range keys {
		dist := float64(rng.IntN(50)) / 1e4
		if rng.IntN(10) == 0 {
			dist = -1
		}
		keys[i] = hitKey{slot: int32(i), tier: uint8(rng.IntN(4)), score: float32(rng.IntN(5)), dist: dist, published: int64(rng.IntN(20))}
	}
	for _, order := range []stageindex.SortOrder{stageindex.SortRelevance, stageindex.SortDistance, stageindex.SortDate} {
		for _, k := range []int{1, 10, 30, 300} {
			t.Run(fmt.Sprintf("%s/%d", order, k), func(t *testing.T) {
				want := slices.Clone(keys)
				slices.SortStableFunc(want, ix.less(order))
				got := slices.Clone(keys)
				topK(got, k, ix.less(order), surelyAfter(order))
				for i := range k {
					if c := ix.less(order)(got[i], want[i]); c != 0 {
						t.Fatalf("key %d: %+v, want %+v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// BenchmarkTopK selects a page of 30 among 100,000 keys by distance, as a
// 60 km search without keywords does at 1M, with and without surelyAfter.
func BenchmarkTopK(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	ix := &Index{}
	keys := make([]hitKey, 100000)
	for i := range keys {
		ix.docs = append(ix.docs, &doc{id: fmt.Sprintf("o%06d", i)})
		keys[i] = hitKey{slot: int32(i), dist: rng.Float64(), published: int64(rng.IntN(1000))}
	}
	less := ix.less(stageindex.SortDistance)
	for _, bc := range []struct {
		name  string
		after func(x, worst hitKey) bool
	}{
		{"surelyAfter", surelyAfter(stageindex.SortDistance)},
		{"less only", func(hitKey, hitKey) bool { return false }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			work := make([]hitKey, len(keys))
			for b.Loop() {
				copy(work, keys)
				topK(work, 30, less, bc.after)
			}
		})
	}
}
