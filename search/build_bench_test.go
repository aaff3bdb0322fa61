package search

import (
	"context"
	"os"
	"testing"

	"github.com/stageindex/stageindex"
)

// BenchmarkNewDoc prepares an offer for the index — its hot fields and
// its ROME fiches — without the Bleve write: the share of the build rate
// the search core's own work takes. Over the demo offers, and over the
// first 20,000 of the bench corpus, whose words are many more.
func BenchmarkNewDoc(b *testing.B) {
	thes, err := LoadThesaurus()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		offers func(*testing.B) []stageindex.Offer
	}{
		{"demo", func(b *testing.B) []stageindex.Offer { return demoOffers(b) }},
		{"corpus", func(b *testing.B) []stageindex.Offer { return benchCorpus(b, 20000) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			offers := c.offers(b)
			i := 0
			for b.Loop() {
				newDoc(&offers[i%len(offers)], nil, thes)
				i++
			}
		})
	}
}

// benchCorpus loads up to n offers of the shared bench corpus, or skips
// when it is absent.
func benchCorpus(b *testing.B, n int) []stageindex.Offer {
	const name = "../../shared/bench/offers-100k.jsonl.gz"
	if _, err := os.Stat(name); err != nil {
		b.Skipf("bench corpus: %v", err)
	}
	return readOffers(b, name, n)
}

// BenchmarkBuildCorpus builds an in-memory index of 20,000 offers of the
// bench corpus in one Apply, as indexer.Build does a chunk: classification,
// encoding, the Bleve shards, the H3 cells and the store. Profile it with
// -cpuprofile to see where a build's CPU goes (docs/performance.md).
func BenchmarkBuildCorpus(b *testing.B) {
	offers := benchCorpus(b, 20000)
	b.ResetTimer()
	for b.Loop() {
		ix, err := New(Config{})
		if err != nil {
			b.Fatal(err)
		}
		if err := ix.Apply(context.Background(), offers, nil); err != nil {
			b.Fatal(err)
		}
		ix.Close()
	}
	b.ReportMetric(float64(len(offers)*b.N)/b.Elapsed().Seconds(), "offers/s")
}
