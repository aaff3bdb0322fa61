package search

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/demo"
)

// BenchmarkApplyBulk applies one statement's worth of edits, 10,000
// offers of 20,000, to an index on disk: a platform's bulk update
// (docs/platforms.md §7), of offers spread over the départements or all in
// one, as in the monstage test.
func BenchmarkApplyBulk(b *testing.B) {
	b.Run("spread", func(b *testing.B) { benchApplyBulk(b, false) })
	b.Run("oneshard", func(b *testing.B) { benchApplyBulk(b, true) })
}

func benchApplyBulk(b *testing.B, oneShard bool) {
	base, err := demo.Offers(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
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
	defer ix.Close()
	ctx := context.Background()
	if err := ix.Apply(ctx, offers, nil); err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		ups := make([]stageindex.Offer, 10000)
		for i := range ups {
			ups[i] = offers[(n*10000+i)%len(offers)]
			ups[i].Title += " " + strconv.Itoa(n)
		}
		n++
		if err := ix.Apply(ctx, ups, nil); err != nil {
			b.Fatal(err)
		}
	}
}
