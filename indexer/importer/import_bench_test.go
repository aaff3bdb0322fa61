package importer_test

import (
	"context"
	"os"
	"testing"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer/importer"
)

// benchCorpus is the shared 100k-offer corpus, beside the repository.
const benchCorpus = "../../shared/bench/offers-100k.jsonl.gz"

func importCorpus(tb testing.TB, s *store) importer.Report {
	tb.Helper()
	in, err := importer.OpenInput(benchCorpus)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	rep, err := s.Import(context.Background(), in, importer.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func corpusOrSkip(tb testing.TB) {
	if _, err := os.Stat(benchCorpus); err != nil {
		tb.Skipf("no benchmark corpus: %v", err)
	}
}

// TestImportCorpus imports the 100k corpus twice: every line is valid and
// new the first time, unchanged the second, and all of it loads back.
func TestImportCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 100,000 offers")
	}
	corpusOrSkip(t)
	s, _ := newStore(t)
	rep := importCorpus(t, s)
	t.Logf("first import: %+v", rep)
	if rep.Read != 100000 || rep.Rejected != 0 || rep.Inserted+rep.Duplicates != rep.Read {
		t.Errorf("first import: %+v", rep)
	}
	rep = importCorpus(t, s)
	t.Logf("second import: %+v", rep)
	if rep.Unchanged != rep.Read-rep.Duplicates || rep.Inserted+rep.Updated != 0 {
		t.Errorf("second import changed offers: %+v", rep)
	}
	n := 0
	if _, err := s.LoadOffers(context.Background(), func(stageindex.Offer) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != rep.Unchanged {
		t.Errorf("loaded %d offers, want %d", n, rep.Unchanged)
	}
}

// BenchmarkImport100k imports the corpus into an empty database.
func BenchmarkImport100k(b *testing.B) {
	corpusOrSkip(b)
	for b.Loop() {
		b.StopTimer()
		s, _ := newStore(b)
		b.StartTimer()
		importCorpus(b, s)
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "offers/s")
}

// BenchmarkReimport100k imports the corpus over itself: all unchanged.
func BenchmarkReimport100k(b *testing.B) {
	corpusOrSkip(b)
	s, _ := newStore(b)
	importCorpus(b, s)
	for b.Loop() {
		importCorpus(b, s)
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "offers/s")
}

// BenchmarkLoad100k streams the corpus back out of the database.
func BenchmarkLoad100k(b *testing.B) {
	corpusOrSkip(b)
	s, _ := newStore(b)
	importCorpus(b, s)
	for b.Loop() {
		if _, err := s.LoadOffers(context.Background(), func(stageindex.Offer) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "offers/s")
}
