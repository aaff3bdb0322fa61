package search

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/demo"
)

// BenchmarkWorstQuery searches, each time anew, the costliest query a
// client can send: twelve random rare words, which no cache answers and
// every phase runs for, over the demo offers (a hundred shards).
func BenchmarkWorstQuery(b *testing.B) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	offers, err := demo.Offers(now)
	if err != nil {
		b.Fatal(err)
	}
	ix, err := New(Config{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		words := make([]string, 12)
		for i := range words {
			w := make([]byte, 8)
			for j := range w {
				w[j] = byte('a' + rng.IntN(26))
			}
			words[i] = string(w)
		}
		if _, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: strings.Join(words, " ")}); err != nil {
			b.Fatal(err)
		}
	}
}
