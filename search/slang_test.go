package search

import (
	"strings"
	"testing"
)

// TestSlang checks slang.txt against the thesaurus: a slang word must be
// one no entry of the thesaurus knows (else the line overrides a reviewed
// entry; the classifier's weak reading of a word of some titles, "papy",
// is no entry, and slang is read first), and its standard words must reach something (a field, a fiche)
// or be a filler word the analyzer drops ("métier").
func TestSlang(t *testing.T) {
	thes, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	if len(thes.slang) < 50 {
		t.Fatalf("slang.txt: %d words loaded", len(thes.slang))
	}
	ix := newTestIndex(t)
	for w, std := range thes.slang {
		if entries, _ := thes.match(w); len(thes.Expand(w)) > 0 || len(entries) > 0 {
			t.Errorf("slang %q: the thesaurus knows it already", w)
		}
		if len(thes.Expand(std)) == 0 && len(thes.queryFiches(std)) == 0 && len(ix.analyze(AnalyzerText, std)) > 0 {
			t.Errorf("slang %q: its standard form %q reaches nothing", w, std)
		}
	}
}

func TestReadSlang(t *testing.T) {
	thes, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ q, want string }{
		{"la thune", "la argent"},
		{"LES BAGNOLES !", "LES voiture !"},
		{"soigner les médocs", "soigner les médicaments"},
		{"l'appart", "l'appartement"},
		{"un boulot avec des gosses", "un métier avec des enfants"},
		{"boulanger", "boulanger"},
		{"thunes2", "thunes2"}, // not the word
		{"", ""},
	} {
		if got := thes.readSlang(c.q); got != c.want {
			t.Errorf("readSlang(%q) = %q, want %q", c.q, got, c.want)
		}
	}
	var none *Thesaurus
	if got := none.readSlang("la thune"); got != "la thune" {
		t.Errorf("nil thesaurus: %q", got)
	}
	for _, bad := range []string{"two words: argent", "thune argent", ": argent", "thune:", "thune: a\nThune: b"} {
		if _, err := parseSlang([]byte(bad)); err == nil || !strings.Contains(err.Error(), "slang.txt:") {
			t.Errorf("parseSlang(%q): err %v, want one naming the line", bad, err)
		}
	}
}
