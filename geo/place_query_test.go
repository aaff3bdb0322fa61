package geo_test

import (
	"testing"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/search"
)

// known is the thesaurus half of the search vocabulary (search.Index's
// KnownKeyword adds the offers' frequent title words, tested in api).
func known(tb testing.TB) func(string) bool {
	tb.Helper()
	th, err := search.LoadThesaurus()
	if err != nil {
		tb.Fatal(err)
	}
	return th.Known
}

// TestPlaceInQuery covers issue 12: a town, a département or a région
// typed in q, and the false friends that must stay keywords. want is
// "kind code" of the place, "" for none; rest the keywords left.
func TestPlaceInQuery(t *testing.T) {
	g, err := geo.LoadGazetteer()
	if err != nil {
		t.Fatal(err)
	}
	isKeyword := known(t)
	tests := []struct{ q, want, rest string }{
		// Towns at the end, at the start, after a marker.
		{"boulangerie brest", "commune 29019", "boulangerie"},
		{"stage mairie nantes", "commune 44109", "stage mairie"},
		{"stage mairie de nantes", "commune 44109", "stage mairie"},
		{"stage avocat paris 15", "commune 75115", "stage avocat"},
		{"stage lyon 3", "commune 69383", ""},
		{"coiffure marseille 13008", "commune 13208", "coiffure"},
		{"brest boulangerie", "commune 29019", "boulangerie"},
		{"stage brest boulangerie", "commune 29019", "stage boulangerie"},
		{"stage de 3e à rennes", "commune 35238", ""},
		{"vétérinaire près de Quimper", "commune 29232", "vétérinaire"},
		{"stage informatique vers lille", "commune 59350", "stage informatique"},
		{"stage au mans", "commune 72181", ""},
		{"stage le mans", "commune 72181", ""},
		{"garage la roche sur yon", "commune 85191", "garage"},
		{"stage saint denis 93", "commune 93066", ""},
		{"stage pompier de paris", "commune 75056", "stage pompier"},
		{"stage mairie du havre", "commune 76351", "stage mairie"},
		{"stage 29200", "commune 29019", ""},
		{"boulangerie 29000", "commune 29232", "boulangerie"},
		{"brest", "commune 29019", ""},
		{"stage montreuil sous bois", "commune 93048", ""},
		{"stage clermont ferrand", "commune 63113", ""},
		{"stage aix en provence", "commune 13001", ""},
		{"stage salon de provence", "commune 13103", ""},
		// Départements, régions, the country.
		{"stage en bretagne", "region 53", ""},
		{"boulangerie bretagne", "region 53", "boulangerie"},
		{"stage en ile de france", "region 11", ""},
		{"stage la reunion", "region 04", ""},
		{"stage finistère", "department 29", ""},
		{"stage Finistère (29)", "department 29", ""},
		{"stage cotes d armor", "department 22", ""},
		{"stage dans le 29", "department 29", ""},
		{"stage dans le nord", "department 59", ""},
		{"stage dans le cher", "department 18", ""},
		{"stage toute la france", "country FR", ""},
		// Towns that are everyday words, and the words around them.
		{"stage tours", "commune 37261", ""},
		{"stage tours de magie", "", ""},
		{"stage tours operateur", "", ""},
		{"nice", "commune 06088", ""},
		{"stage nice", "commune 06088", ""},
		{"stage trop nice", "", ""},
		{"orange", "", ""},
		{"stage orange", "", ""},
		{"stage chez orange", "", ""},
		{"jus d orange", "", ""},
		{"stage à orange", "commune 84087", ""},
		{"mode", "", ""},
		{"stage de mode", "", ""},
		{"vitre", "", ""},
		{"nettoyage vitre", "", ""},
		{"pose de vitre", "", ""},
		{"stage Vitré", "commune 35360", ""},
		{"stage à vitre", "commune 35360", ""},
		{"agent immobilier", "", ""},
		{"agent", "", ""},
		{"ma mairie", "", ""},
		{"stage dans ma mairie", "", ""},
		{"stage macon", "", ""},
		{"stage maçon", "", ""},
		{"stage mâcon", "commune 71270", ""},
		{"stage mende", "commune 48095", ""},
		{"stage sete", "commune 34301", ""},
		{"stage gap", "commune 05061", ""},
		{"stage fleurance", "commune 32132", ""},
		{"stage condom", "commune 32107", ""},
		{"stage bar", "", ""},
		{"stage vue", "", ""},
		{"stage pont", "", ""},
		{"stage hopital", "", ""},
		{"stage à l'hôpital", "", ""},
		{"stage à la poste", "", ""},
		{"stage la machine", "", ""},
		{"stage sur place", "", ""},
		{"stage en ville", "", ""},
		{"stage bord de la mer", "", ""},
		{"stage qui a du sens", "", ""},
		{"stage pas cher", "", ""},
		{"stage nord", "", ""},
		{"stage en france", "", ""},
		{"stage france televisions", "", ""},
		{"stage 15 ans", "", ""},
		{"stage salon de coiffure", "", ""},
		{"stage centre equestre", "", ""},
		// Small towns need a marker or a capital; homonyms and bare starts
		// of names are not guessed.
		{"stage boulangerie plouha", "", ""},
		{"stage boulangerie Plouha", "commune 22222", "stage boulangerie"},
		{"stage à plouha", "commune 22222", ""},
		{"stage saint", "", ""},
		{"stage saint denis", "", ""},
		{"stage clermont", "", ""},
		{"stage aix", "", ""},
		{"", "", ""},
		{"stage", "", ""},
	}
	for _, tc := range tests {
		rest, p, ok := g.PlaceInQuery(tc.q, isKeyword)
		got := ""
		if ok {
			got = string(p.Kind) + " " + p.Code
		}
		if got != tc.want || ok && rest != tc.rest {
			t.Errorf("PlaceInQuery(%q) = %q (%s), rest %q; want %q, rest %q", tc.q, got, p.Label, rest, tc.want, tc.rest)
		}
		if !ok && rest != "" {
			t.Errorf("PlaceInQuery(%q): rest %q without a place", tc.q, rest)
		}
	}
}

// TestPlaceInQueryKeywords: what the vocabulary knows stays a keyword,
// unless "à" says it is a place.
func TestPlaceInQueryKeywords(t *testing.T) {
	g, err := geo.LoadGazetteer()
	if err != nil {
		t.Fatal(err)
	}
	nantesIsAWord := func(k string) bool { return k == "nantes" }
	if _, _, ok := g.PlaceInQuery("stage nantes", nil); !ok {
		t.Error("stage nantes: no place without a vocabulary")
	}
	if _, _, ok := g.PlaceInQuery("stage nantes", nantesIsAWord); ok {
		t.Error("stage nantes: a place although the vocabulary knows the word")
	}
	if _, p, ok := g.PlaceInQuery("stage à nantes", nantesIsAWord); !ok || p.Kind != stageindex.PlaceCommune {
		t.Error("stage à nantes: no place after à")
	}
}

func BenchmarkPlaceInQuery(b *testing.B) {
	g, err := geo.LoadGazetteer()
	if err != nil {
		b.Fatal(err)
	}
	isKeyword := known(b)
	for _, q := range []string{"boulangerie brest", "stage avocat paris 15", "stage en bretagne", "stage tours de magie",
		"developpeur web jeux video", "stage de 3e dans une boulangerie patisserie artisanale"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.PlaceInQuery(q, isKeyword)
			}
		})
	}
}
