package search

import (
	"bufio"
	"compress/gzip"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// benchOffers returns the offers of STAGEINDEX_BENCH_CORPUS (JSON lines,
// gzipped: the shared 100k benchmark corpus), else the demo offers.
func benchOffers(b *testing.B) []stageindex.Offer {
	name := os.Getenv("STAGEINDEX_BENCH_CORPUS")
	if name == "" {
		offers := demoOffers(b)
		return offers
	}
	return readOffers(b, name, 0)
}

// readOffers reads up to n offers (n ≤ 0: all) of a gzipped JSON-lines
// corpus; a line that does not parse fails the benchmark.
func readOffers(b *testing.B, name string, n int) []stageindex.Offer {
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	var out []stageindex.Offer
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for (n <= 0 || len(out) < n) && sc.Scan() {
		o, err := stageindex.ParseOffer(sc.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, o)
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

// benchDocs are benchOffers' docs, classified and given a commune, as
// an Apply makes them.
func benchDocs(b *testing.B) []*doc {
	thes, err := LoadThesaurus()
	if err != nil {
		b.Fatal(err)
	}
	offers := benchOffers(b)
	docs := make([]*doc, len(offers))
	for i := range offers {
		docs[i] = newDoc(&offers[i], func(string, string) (string, bool) { return "35238", true }, thes)
	}
	return docs
}

// BenchmarkEncodeDoc encodes every offer of benchOffers in turn and
// reports the mean size of a record (B/record): what the offer store
// holds an offer in.
func BenchmarkEncodeDoc(b *testing.B) {
	docs := benchDocs(b)
	var buf []byte
	total := 0
	for _, d := range docs {
		total += len(appendDoc(buf[:0], d))
	}
	i := 0
	for b.Loop() {
		buf = appendDoc(buf[:0], docs[i%len(docs)])
		i++
	}
	b.ReportMetric(float64(total)/float64(len(docs)), "B/record")
	b.ReportMetric(float64(len(docs)), "records")
}

// BenchmarkDecodeDoc decodes whole offers (what a page's hits, Get and an
// export do), one of benchOffers after the other.
func BenchmarkDecodeDoc(b *testing.B) {
	docs := benchDocs(b)
	recs := make([][]byte, len(docs))
	for i, d := range docs {
		recs[i] = encodeDoc(d)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, _, err := decodeDoc(recs[i%len(recs)], true); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkSearchPage searches the demo offers with queries whose text
// matches are cached after the first pass, so that what is measured is
// mostly the page: its hits decoded, excerpts and highlights.
func BenchmarkSearchPage(b *testing.B) {
	ix := demoIndex(b)
	rennes := &stageindex.LatLng{Lat: 48.11, Lng: -1.68}
	reqs := []stageindex.SearchRequest{
		{Query: "boulanger", PerPage: 20},
		{Query: "informatique", PerPage: 20},
		{PerPage: 20},
		{Center: rennes, RadiusKm: 60, PerPage: 20},
		{Query: "vétérinaire", Center: rennes, RadiusKm: 40, PerPage: 20},
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := reqs[i%len(reqs)]
		req.Now = demoNow
		if _, err := ix.Search(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCollectWide collects a 60 km search without keywords around
// Paris, the widest scan of the query mix (~10,700 offers of the 100k
// corpus, ~107,000 at 1M), past the kept answers: per-candidate cost.
// STAGEINDEX_BENCH_CORPUS as for benchOffers.
func BenchmarkCollectWide(b *testing.B) {
	offers := benchOffers(b)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ix, err := New(Config{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		b.Fatal(err)
	}
	req := stageindex.SearchRequest{Center: &stageindex.LatLng{Lat: 48.85341, Lng: 2.3488}, RadiusKm: 60, PerPage: 30, Page: 1, Now: now}
	buf := ix.getKeys()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		ix.mu.RLock()
		keys, _, err := ix.collect(context.Background(), req, nil, buf)
		if err != nil {
			b.Fatal(err)
		}
		ix.pageKeys(keys, req)
		n = len(keys)
		ix.mu.RUnlock()
	}
	b.ReportMetric(float64(n), "candidates")
}
