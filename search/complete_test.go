package search

import (
	"context"
	"testing"

	"github.com/stageindex/stageindex"
)

// TestCompleteCutShort: a word cut short as pupils type it on a phone is
// read as the job or field it starts, not corrected into a neighbour
// ("informat" is not "format"); a known word, a four-letter word sounding
// like a hand-written one, and what starts nothing are left to the typo
// rules.
func TestCompleteCutShort(t *testing.T) {
	// An offer's title makes "ressourcerie" a completion of "ressource".
	ix := indexOf(t, offer("r", "Ressourcerie du centre", "Réemploi."))
	for _, tc := range []struct{ q, want string }{
		{"boul", "boulanger"},         // not ROME's "boule", a letter away
		{"informat", "informaticien"}, // not "format", two edits away
		{"electri", "electricien"},    // not ROME's English "electric"
		{"infirm", "infirmier"},
		{"coiff", "coiffeur"},
		{"agen", "agent"}, // a hand-written word sounding the same, one letter away
		{"plomb", ""},     // a word of ROME's vocabulary: searched as typed
		{"inf", ""},       // too short to say which
		{"zzkr", ""},
		{"ressource humène", "ressources humaines"}, // "ressources" is known: no ressourcerie
		{"boul paris", "boule paris"},               // only the last word is being typed
	} {
		t.Run(tc.q, func(t *testing.T) {
			if got, _ := ix.correct(context.Background(), tc.q); got != tc.want {
				t.Fatalf("correct(%q) = %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

// TestSearchCutShort: "boul" around Saint-Brieuc finds the bakery, not
// every trade of a search whose keywords were dropped.
func TestSearchCutShort(t *testing.T) {
	ix := indexOf(t,
		offer("bakery", "Boulangerie Martin", "Pain et viennoiseries."),
		offer("garage", "Garage du centre", "Entretien des voitures."),
		offer("boule", "Club de boule lyonnaise", "Animation sportive."))
	res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: "boul", Center: &stBrieuc, RadiusKm: 30})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.Hits); len(got) == 0 || got[0] != "bakery" || res.Relaxed != nil {
		t.Fatalf("boul found %v (relaxed %+v), want the bakery first", got, res.Relaxed)
	}
}
