package search

import (
	"context"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/demo"
)

// demoNow is the clock of the tests and benchmarks that use the demo offers.
var demoNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// demoOffers returns the embedded demo offers, dated at demoNow.
func demoOffers(tb testing.TB) []stageindex.Offer {
	tb.Helper()
	offers, err := demo.Offers(demoNow)
	if err != nil {
		tb.Fatal(err)
	}
	return offers
}

// demoIndex returns an in-memory index of the demo offers, its clock at
// demoNow, closed when tb ends.
func demoIndex(tb testing.TB) *Index {
	tb.Helper()
	ix, err := New(Config{Now: func() time.Time { return demoNow }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ix.Close() })
	if err := ix.Apply(context.Background(), demoOffers(tb), nil); err != nil {
		tb.Fatal(err)
	}
	return ix
}
