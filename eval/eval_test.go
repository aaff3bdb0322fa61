package eval

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

func TestParseQueries(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{"comments and blanks skipped", "# c\n\nboulanger\tboulangerie\tjob\n", 1, ""},
		{"several families", "argent\tbanque, assurance\teveryday\n", 1, ""},
		{"two columns", "boulanger\tboulangerie\n", 0, "line 1: want 3"},
		{"unknown family", "boulanger\tboulangeri\tjob\n", 0, `"boulangeri" is not a family of the corpus`},
		{"unknown kind", "boulanger\tboulangerie\tmetier\n", 0, `kind "metier"`},
		{"duplicate query", "pain\tboulangerie\teveryday\npain\tboulangerie\teveryday\n", 0, "line 2: \"pain\" already on line 1"},
		{"family twice", "pain\tboulangerie,boulangerie\teveryday\n", 0, "family \"boulangerie\" twice"},
		{"empty query", " \tboulangerie\tjob\n", 0, "empty query"},
		{"no query at all", "# only a comment\n", 0, "no query"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			qs, err := ParseQueries(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(qs) != tc.want {
				t.Fatalf("got %d queries, want %d", len(qs), tc.want)
			}
		})
	}
}

// TestQueriesFile checks the label files — the tuning set and the two sets
// written blind over the benchmark's 50 families, and the two blind sets
// over ROME fiches (docs/relevance.md): valid, numerous, and covering every
// family and kind, so that none escapes evaluation.
func TestQueriesFile(t *testing.T) {
	romeFamilies := func() []string {
		b, err := os.ReadFile("rome/families.tsv")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if i > 0 {
				out = append(out, strings.Split(line, "\t")[0])
			}
		}
		return out
	}()
	metierKinds, romeKinds := Kinds[:7], []string{"job", "typo", "everyday", "phrase", "brand", "english", "ambiguous"}
	for _, tc := range []struct {
		file     string
		families []string // nil: Families
		kinds    []string
		all      bool // every family expected somewhere
	}{
		{"queries.tsv", nil, metierKinds, true},
		{"queries-heldout.tsv", nil, metierKinds, true},
		{"queries-blind2.tsv", nil, metierKinds, true},
		{"rome/queries-dev.tsv", romeFamilies, romeKinds, false},
		{"rome/queries-heldout.tsv", romeFamilies, romeKinds, true},
		{"rome/queries-heldout2.tsv", romeFamilies, romeKinds, true},
		{"rome/queries-heldout3.tsv", romeFamilies, romeKinds, true},
		{"rome/queries-heldout4.tsv", romeFamilies, romeKinds, true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			qs, err := LoadQueries(tc.file, tc.families)
			if err != nil {
				t.Fatal(err)
			}
			if len(qs) < 150 {
				t.Errorf("%d queries, want at least 150", len(qs))
			}
			fams, kinds := map[string]bool{}, map[string]bool{}
			for _, q := range qs {
				kinds[q.Kind] = true
				for _, f := range q.Families {
					fams[f] = true
				}
			}
			families := tc.families
			if families == nil {
				families = Families
			}
			for _, f := range families {
				if tc.all && !fams[f] {
					t.Errorf("no query expects family %s", f)
				}
			}
			for _, k := range tc.kinds {
				if !kinds[k] {
					t.Errorf("no query of kind %s", k)
				}
			}
		})
	}
}

func ptr(f float64) *float64 { return &f }

// corpusLines are six offers: two bakeries and a bank in Paris, a bakery in
// Lyon, a remote bank offer and a bakery whose weeks are over.
const corpusLines = `{"id":"b1","title":"Boulangerie","description":"pain","employer_name":"A","tracks":["generale"],"latitude":48.85,"longitude":2.35,"published_at":"2026-09-01T00:00:00Z","x_metier":"boulangerie"}
{"id":"b2","title":"Boulangerie","description":"pain","employer_name":"B","tracks":["generale"],"latitude":48.86,"longitude":2.35,"published_at":"2026-09-01T00:00:00Z","x_metier":"boulangerie"}
{"id":"k1","title":"Banque","description":"argent","employer_name":"C","tracks":["generale"],"latitude":48.85,"longitude":2.36,"published_at":"2026-09-01T00:00:00Z","x_metier":"banque"}
{"id":"b3","title":"Boulangerie","description":"pain","employer_name":"D","tracks":["generale"],"latitude":45.76,"longitude":4.83,"published_at":"2026-09-01T00:00:00Z","x_metier":"boulangerie"}
{"id":"k2","title":"Banque","description":"argent","employer_name":"E","tracks":["generale"],"remote":true,"latitude":48.85,"longitude":2.35,"published_at":"2026-09-01T00:00:00Z","x_metier":"banque"}
{"id":"b4","title":"Boulangerie","description":"pain","employer_name":"F","tracks":["generale"],"latitude":48.85,"longitude":2.35,"weeks":["2026-W10"],"published_at":"2026-09-01T00:00:00Z","x_metier":"boulangerie"}
`

func TestCorpusArea(t *testing.T) {
	c, err := ReadCorpus(context.Background(), strings.NewReader(corpusLines))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	paris := &stageindex.LatLng{Lat: 48.85, Lng: 2.35}
	cases := []struct {
		name   string
		center *stageindex.LatLng
		want   map[string]int
	}{
		{"around Paris: Lyon, remote and past left out", paris, map[string]int{"boulangerie": 2, "banque": 1}},
		{"anywhere: Lyon counts", nil, map[string]int{"boulangerie": 3, "banque": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := c.Area(tc.center, 30, now)
			for f, n := range tc.want {
				if a.Counts[f] != n {
					t.Errorf("%s: %d, want %d", f, a.Counts[f], n)
				}
			}
			if a.In["k2"] || a.In["b4"] {
				t.Errorf("remote or past offer in the area: %v", a.In)
			}
		})
	}
}

func TestReadCorpusErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"no x_metier", `{"id":"a","title":"t","description":"d","employer_name":"e","tracks":["generale"],"latitude":1,"longitude":1}`, "no x_metier"},
		{"invalid offer", `{"id":"a","x_metier":"banque"}`, "line 1"},
		{"duplicate id", strings.Repeat(`{"id":"a","title":"t","description":"d","employer_name":"e","tracks":["generale"],"latitude":1,"longitude":1,"x_metier":"banque"}`+"\n", 2), "duplicate id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCorpus(context.Background(), strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// fixedSystem answers every query with the same ids.
type fixedSystem map[string]Result

func (fixedSystem) Name() string { return "fixed" }
func (s fixedSystem) Search(_ context.Context, q string, _ *stageindex.LatLng, _ float64) (Result, error) {
	return s[q], nil
}

func TestRunAndSummarise(t *testing.T) {
	c, err := ReadCorpus(context.Background(), strings.NewReader(corpusLines))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	qs := []Query{
		{Text: "pain", Families: []string{"boulangerie"}, Kind: "everyday"},    // 1 good of 2 hits, b4 is past
		{Text: "argent", Families: []string{"banque"}, Kind: "everyday"},       // remote k2 is no recall
		{Text: "banquier", Families: []string{"banque"}, Kind: "job"},          // zero hit
		{Text: "fournil", Families: []string{"boulangerie"}, Kind: "everyday"}, // both in the area
	}
	sys := fixedSystem{
		"pain":    {Total: 2, IDs: []string{"b1", "k1"}},
		"argent":  {Total: 2, IDs: []string{"k2", "k1"}},
		"fournil": {Total: 2, IDs: []string{"b2", "b1"}},
	}
	paris := Place{Name: "Paris", Center: &stageindex.LatLng{Lat: 48.85, Lng: 2.35}}
	cases, err := Run(context.Background(), sys, c, qs, []Place{paris}, 30, now)
	if err != nil {
		t.Fatal(err)
	}
	s := Summarise(cases, nil)
	want := Summary{Cases: 4, Judged: 4, WithHits: 3,
		Precision:    (0.5 + 1 + 1) / 3,
		Ceiling:      (0.5 + 1 + 1) / 3,
		PrecisionAll: (0.5 + 1 + 0 + 1) / 4,
		Recall:       (0.5 + 1 + 0 + 1) / 4,
		RecallMicro:  4.0 / 6,
		ZeroHit:      0.25}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if s.Cases != want.Cases || s.Judged != want.Judged || s.WithHits != want.WithHits ||
		!near(s.Precision, want.Precision) || !near(s.Ceiling, want.Ceiling) || !near(s.PrecisionAll, want.PrecisionAll) || !near(s.Recall, want.Recall) ||
		!near(s.RecallMicro, want.RecallMicro) || !near(s.ZeroHit, want.ZeroHit) {
		t.Fatalf("summary = %+v, want %+v", s, want)
	}
	worst := Worst(cases, 2)
	if worst[0].Query.Text != "banquier" || worst[1].Query.Text != "pain" {
		t.Errorf("worst = %s, %s; want banquier, pain", worst[0].Query.Text, worst[1].Query.Text)
	}
	if worst[1].Wrong["banque"] != 1 {
		t.Errorf("pain drifts to %v, want banque once", worst[1].Wrong)
	}
	jobs := Summarise(cases, func(c Case) bool { return c.Query.Kind == "job" })
	if jobs.Cases != 1 || jobs.ZeroHit != 1 {
		t.Errorf("job slice = %+v, want one zero-hit search", jobs)
	}
	if _, err := Run(context.Background(), fixedSystem{"pain": {Total: 1, IDs: []string{"nope"}}}, c, qs[:1], []Place{paris}, 30, now); err == nil {
		t.Error("an unknown hit id must be an error")
	}
}

func TestCeiling(t *testing.T) {
	q := Query{Text: "pain", Families: []string{"boulangerie"}}
	top := func(good, n int) []string {
		var fs []string
		for i := range n {
			f := "banque"
			if i >= n-good {
				f = "boulangerie" // the good ones last: precision is low, the ceiling not
			}
			fs = append(fs, f)
		}
		return fs
	}
	tests := []struct {
		name          string
		c             Case
		prec, ceiling float64
	}{
		{"good hits ranked last", Case{Query: q, Top: top(3, 10), Relevant: 7}, 0.3, 0.7},
		{"more good hits than the page", Case{Query: q, Top: top(2, 10), Relevant: 40}, 0.2, 1},
		{"short list", Case{Query: q, Top: top(1, 4), Relevant: 1}, 0.25, 0.25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := tc.c.Precision()
			ceil, ok := tc.c.Ceiling()
			if !ok || math.Abs(p-tc.prec) > 1e-9 || math.Abs(ceil-tc.ceiling) > 1e-9 {
				t.Fatalf("precision %v ceiling %v (ok %v), want %v and %v", p, ceil, ok, tc.prec, tc.ceiling)
			}
		})
	}
	if _, ok := (Case{Query: q}).Ceiling(); ok {
		t.Error("no hit: the ceiling must not count")
	}
}

func TestWriteReport(t *testing.T) {
	q := Query{Text: "pain", Families: []string{"boulangerie"}, Kind: "everyday"}
	runs := []SystemCases{
		{Name: "good", Cases: []Case{{Query: q, Place: NoPlace, Truth: 2, Total: 2, Found: 2, Top: []string{"boulangerie", "boulangerie"}}}},
		{Name: "bad", Cases: []Case{{Query: q, Place: NoPlace, Truth: 2}}},
	}
	var b strings.Builder
	if err := WriteReport(&b, runs, 5); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| good | 1 | 1 | 1 | 1.000 | 1.000 | 1.000 | 0.0% | 1.000 |",
		"| bad | 1 | 1 | 0 | 0.000 | 0.000 | 0.000 | 100.0% | 0.000 |",
		"| no place | 1.000 / 1.000 / 0.0% | 0.000 / 0.000 / 100.0% |",
		"| pain | boulangerie | 0.00 | 0.00 | 1/1 |  |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := WriteCases(&b, runs); err != nil {
		t.Fatal(err)
	}
	if want := "bad\tpain\teveryday\tboulangerie\t(no place)\t2\t0\t0\t0.000\t\n"; !strings.Contains(b.String(), want) {
		t.Errorf("cases lack %q:\n%s", want, b.String())
	}
}
