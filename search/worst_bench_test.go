package search

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stageindex/stageindex"
)

// BenchmarkWorstQuery searches, each time anew, the costliest query a
// client can send: twelve random rare words, which no cache answers and
// every phase runs for, over the demo offers (a hundred shards).
func BenchmarkWorstQuery(b *testing.B) {
	ix := demoIndex(b)
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
