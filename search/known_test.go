package search

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// TestKnownKeyword: the thesaurus' jobs, fields and words, and the words
// of at least one title in a thousand (and three titles), are keywords;
// a town named in a few titles is not.
func TestKnownKeyword(t *testing.T) {
	ix, err := New(Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	var offers []stageindex.Offer
	for i := range 4000 {
		title := "Découverte du commerce"
		// At 4000 offers the bar is 4 titles.
		switch {
		case i%1000 == 0: // 4 titles
			title = "Atelier Pontivy"
		case i%1000 == 7 && i < 3000: // 3 titles
			title = "Boulangerie de Quimperlé"
		case i%100 == 2: // 40 titles
			title = "Salon Élégance"
		}
		offers = append(offers, offer(fmt.Sprint("o", i), title, "Une semaine en entreprise."))
	}
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		word string
		want bool
	}{
		{"maçon", true}, {"macon", true}, {"Hôpital", true}, {"l'hôpital", true}, {"mairie", true},
		{"la poste", true}, {"boulangerie", true}, {"tours operateur", true},
		{"salon", true}, {"élégance", true}, {"ELEGANCE", true}, // 40 titles in 4000
		{"pontivy", true}, {"quimperle", false}, {"quimperlé", false},
		{"brest", false}, {"nantes", false}, {"tours", false}, {"nice", false}, {"vitre", true}, // the window cleaner's vitres (ROME vocabulary)
		{"", false}, {"  ", false}, {"salon brest", false},
	}
	for _, tc := range tests {
		if got := ix.KnownKeyword(tc.word); got != tc.want {
			t.Errorf("KnownKeyword(%q) = %v, want %v", tc.word, got, tc.want)
		}
	}
	var live Live
	if live.KnownKeyword("maçon") {
		t.Error("Live.KnownKeyword before any index: true")
	}
	live.Swap(ix)
	if !live.KnownKeyword("maçon") || live.KnownKeyword("brest") {
		t.Error("Live.KnownKeyword does not ask the current index")
	}
}
