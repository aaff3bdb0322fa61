package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// TestPlanCacheIsolatesSearches: plans are cached by text, and a search that
// corrects its typos must not leave the corrected words in the cached plan,
// where the next search of the same text would highlight them before any
// correction ran.
func TestPlanCacheIsolatesSearches(t *testing.T) {
	ix, err := New(Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	tests := []struct{ name, q string }{
		{"typo", "veterinnere"},
		{"typo with spaces", "  boulanjerie "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first := ix.plan(tc.q)
			if first == nil {
				t.Fatalf("plan(%q) = nil", tc.q)
			}
			before := len(first.highlight)
			ix.correctTypos(context.Background(), first)
			if first.corrected == nil {
				t.Fatalf("no correction for %q", tc.q)
			}
			if len(first.highlight) <= before {
				t.Fatalf("correction added no highlight term to %q", tc.q)
			}
			first.wordMatches("vétérinaire", ix.mapping.AnalyzerNamed(AnalyzerText))

			second := ix.plan(tc.q)
			if second == first {
				t.Fatal("plan returned the same plan twice")
			}
			if second.corrected != nil || second.tried || second.hlWords != nil || len(second.textPlan.highlight) != before {
				t.Fatalf("second plan carries the first search's state: %+v", second)
			}
			if len(second.highlight) != before {
				t.Fatalf("second plan highlights %d terms, want %d as typed", len(second.highlight), before)
			}
		})
	}
	if ix.plan("stage") != nil || ix.plan("stage") != nil {
		t.Fatal(`plan("stage") should be nil, cached or not`)
	}
}

// TestKeyOf: the ASCII fast path agrees with folding rune by rune.
func TestKeyOf(t *testing.T) {
	for _, w := range []string{"Boulangère", "BOULANGER", "éCOLE", "ÉCOLE", "3e", "3EME", "ab", "a", "", "Zoo", "zOÉ", "Ça", "2026", "l", "XYZ", "àbc"} {
		t.Run(w, func(t *testing.T) {
			if got, want := keyOf(w), keyOfRunes(w); got != want {
				t.Fatalf("keyOf(%q) = %q, want %q", w, string(got[:]), string(want[:]))
			}
		})
	}
}

// TestSectorsFitTheMask: textPlan keeps the sectors a query names as bits of
// a uint64.
func TestSectorsFitTheMask(t *testing.T) {
	if n := len(stageindex.Sectors); n > 64 {
		t.Fatalf("%d sectors do not fit textPlan.sectorMask", n)
	}
}

// TestKeySetIsItsMap checks that the ASCII shortcut of keySet.has answers
// as the map of keys alone: words of every kind of first letter against
// keys of the same kinds.
func TestKeySetIsItsMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 5))
	letters := []rune("aAbBcCeEéÉèœŒçÇzZ09-'ßñ漢")
	word := func() string {
		n := 1 + rng.IntN(6)
		r := make([]rune, n)
		for i := range r {
			r[i] = letters[rng.IntN(len(letters))]
		}
		return string(r)
	}
	for range 200 {
		terms := map[string]bool{}
		for range rng.IntN(8) {
			terms[word()] = true
		}
		ks := highlightKeys(terms)
		for range 200 {
			w := word()
			if got, want := ks.has(w), ks.keys[keyOf(w)]; got != want {
				t.Fatalf("terms %v, word %q: has %v, the map says %v", terms, w, got, want)
			}
		}
	}
}

// TestTermsCached checks that classification's word cache changes no
// term: every demo offer's texts give the same terms with the cache as
// without, read once (the cache filling) and again (read from it), and
// with a cache already full, which adds nothing.
func TestTermsCached(t *testing.T) {
	a := newTermAnalyzer()
	var texts []string
	for _, o := range demoOffers(t) {
		texts = append(texts, o.Title, o.EmployerName, o.Description)
	}
	texts = append(texts, "L'hôpital qu’il Jusqu'au aujourd'hui l' ' d'' ÉLÈVES Boulangères 3ème les des")
	cache, full := termCache{}, termCache{}
	for i := range maxTermCache {
		full[fmt.Sprint("zz", i)] = "zz"
	}
	for pass := range 2 {
		for i, text := range texts {
			want := a.terms(text, nil)
			for name, c := range map[string]termCache{"cache": cache, "full cache": full} {
				if got := a.termsCached(text, nil, c); !slices.Equal(got, want) {
					t.Fatalf("pass %d, text %d %q, %s: terms %q, want %q", pass, i, text, name, got, want)
				}
			}
		}
	}
	if len(cache) < 100 || len(full) != maxTermCache {
		t.Fatalf("%d words cached, %d in the full cache (want ≥ 100, %d)", len(cache), len(full), maxTermCache)
	}
	if cache["les"] != "" || cache["boulangeres"] == "" {
		t.Fatalf(`cached "les" %q, "boulangeres" %q: want none and a term`, cache["les"], cache["boulangeres"])
	}
}
