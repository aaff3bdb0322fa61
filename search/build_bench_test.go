package search

import (
	"testing"
)

// BenchmarkNewDoc prepares an offer for the index — its hot fields and
// its ROME fiches — without the Bleve write: the share of the build rate
// the search core's own work takes.
func BenchmarkNewDoc(b *testing.B) {
	offers := demoOffers(b)
	thes, err := LoadThesaurus()
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		newDoc(&offers[i%len(offers)], nil, thes)
		i++
	}
}
