package search

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stageindex/stageindex"
)

// benchDiskIndex returns an index on disk holding six copies of the demo
// offers, 20,000 offers, some 200 a shard, and those offers; with
// oneShard, every offer is in département 22.
func benchDiskIndex(b *testing.B, oneShard bool) (*Index, []stageindex.Offer) {
	base := demoOffers(b)
	var offers []stageindex.Offer
	for c := range 6 {
		for _, o := range base {
			o.ID += "-" + strconv.Itoa(c)
			if oneShard {
				o.Department = "22"
			}
			offers = append(offers, o)
		}
	}
	ix, err := New(Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		b.Fatal(err)
	}
	return ix, offers
}

// BenchmarkApplyDisk applies a sync poll's worth of edits (300 offers of
// every département) to an index on disk: what one poll costs at 1,000
// changes/s (docs/sync.md).
func BenchmarkApplyDisk(b *testing.B) {
	ix, offers := benchDiskIndex(b, false)
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		ups := make([]stageindex.Offer, 300)
		for i := range ups {
			ups[i] = offers[rng.IntN(len(offers))]
			ups[i].Title += " " + strconv.Itoa(rng.Int())
		}
		if err := ix.Apply(context.Background(), ups, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyBulk applies one statement's worth of edits, 10,000
// offers of 20,000, to an index on disk: a platform's bulk update
// (docs/platforms.md §7), of offers spread over the départements or all in
// one, as in the monstage test.
func BenchmarkApplyBulk(b *testing.B) {
	for _, tc := range []struct {
		name     string
		oneShard bool
	}{{"spread", false}, {"oneshard", true}} {
		b.Run(tc.name, func(b *testing.B) {
			ix, offers := benchDiskIndex(b, tc.oneShard)
			n := 0
			for b.Loop() {
				ups := make([]stageindex.Offer, 10000)
				for i := range ups {
					ups[i] = offers[(n*10000+i)%len(offers)]
					ups[i].Title += " " + strconv.Itoa(n)
				}
				n++
				if err := ix.Apply(context.Background(), ups, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
