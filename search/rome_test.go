package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// TestROMEClassificationFilterAndFacet: offers carry the ROME fiche their
// words name; the rome parameter filters by fiche, domaine or grand
// domaine, and the romes facet counts by fiche with every filter but rome.
func TestROMEClassificationFilterAndFacet(t *testing.T) {
	ix := newTestIndex(t)
	ctx := context.Background()
	res, err := ix.Search(ctx, stageindex.SearchRequest{Query: "boulanger", Center: &stBrieuc, RadiusKm: 30})
	if err != nil {
		t.Fatal(err)
	}
	romeOf := map[string]string{}
	for _, h := range res.Hits {
		if h.ROME != nil {
			romeOf[h.ID] = h.ROME.Code
		}
	}
	if romeOf["bread-here"] != "D1102" {
		t.Fatalf("bread-here classified %q, want D1102 (Boulangerie - viennoiserie): %v", romeOf["bread-here"], romeOf)
	}
	for _, code := range []string{"D1102", "D11", "D"} {
		res, err := ix.Search(ctx, stageindex.SearchRequest{Center: &stBrieuc, RadiusKm: 30, ROME: []string{code}})
		if err != nil {
			t.Fatal(err)
		}
		got := ids(res.Hits)
		if !slices.Contains(got, "bread-here") || slices.Contains(got, "bank") || slices.Contains(got, "vet") {
			t.Errorf("rome=%s: %v", code, got)
		}
		if res.Facets.ROMEs["D1102"] == 0 || len(res.Facets.ROMEs) < 2 {
			t.Errorf("rome=%s: the romes facet ignores its own filter: %v", code, res.Facets.ROMEs)
		}
	}
	for _, bad := range []string{"Z1102", "D19", "d1199x"} {
		_, err := ix.Search(ctx, stageindex.SearchRequest{ROME: []string{bad}})
		var e *stageindex.Error
		if !asErr(err, &e) || e.Code != stageindex.EINVALID || len(e.Params) != 1 || e.Params[0].Code != stageindex.CodeInvalidROME {
			t.Errorf("rome=%s: %v, want an invalid_rome error", bad, err)
		}
	}
}

func asErr(err error, target **stageindex.Error) bool {
	e, ok := err.(*stageindex.Error)
	if ok {
		*target = e
	}
	return ok
}

// TestSuggestNoPlaceNames: a word the offers' titles write as a name (a
// town) is not suggested; the trade is.
func TestSuggestNoPlaceNames(t *testing.T) {
	ix, err := New(Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var offers []stageindex.Offer
	for i, town := range []string{"Boult-sur-Suippe", "Boult-aux-Bois", "Boulogne-sur-Mer"} {
		offers = append(offers, offer(fmt.Sprint("o", i), "Boulangerie de "+town, "Pain."))
	}
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range ix.Suggest("boul", 10) {
		got = append(got, strings.ToLower(s.Text))
	}
	for _, bad := range []string{"boult-sur-suippe", "boult-aux-bois", "boulogne-sur-mer"} {
		if slices.Contains(got, bad) {
			t.Errorf("Suggest(boul) offers the town %q: %v", bad, got)
		}
	}
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "boulang") }) {
		t.Errorf("Suggest(boul) offers no trade: %v", got)
	}
}

// TestNearerFirstWithinATier: around a place, a much nearer offer of the
// same tier comes first even when a farther one's text scores more. The
// scores are those of "banquier" around 22000 at 30 km on the benchmark
// corpus, where a bank 1.6 km away came third, behind banks 10 and 16 km
// away (issue 11).
func TestNearerFirstWithinATier(t *testing.T) {
	near, mid, far := damp(0.38, 1.56), damp(0.77, 10.18), damp(0.98, 15.75)
	if !(near > mid && mid > far) {
		t.Errorf("damped scores near %.3f, mid %.3f, far %.3f: want them in that order", near, mid, far)
	}
}

func scores(hits []stageindex.Hit) []float64 {
	var out []float64
	for _, h := range hits {
		out = append(out, h.Score)
	}
	return out
}

// TestKnownWordIsNeverCorrected: "argent" with no bank within the radius is
// not corrected into "agent", nor read as a fiche a nearby offer names with
// a word of another sense (the heritage office's "patrimoine", C1205's
// gestion de patrimoine): the radius widens to a bank instead (issue 11,
// demo: q=argent&where=Argenteuil).
func TestKnownWordIsNeverCorrected(t *testing.T) {
	for _, near := range []stageindex.Offer{
		offer("agent", "Agent territorial en mairie", "Accueil du public.", sector("Administration publique")),
		offer("heritage", "Office du patrimoine de Saint-Brieuc - Culture et patrimoine - Découverte des métiers du patrimoine",
			"Accueillir les visiteurs du musée, préparer une exposition, découvrir la conservation des œuvres, participer à une visite guidée.",
			sector("Culture et patrimoine"), employer("Office du patrimoine de Saint-Brieuc")),
	} {
		t.Run(near.ID, func(t *testing.T) {
			ix := indexOf(t, near,
				offer("bank", "Agence bancaire", "Conseil aux clients, épargne.", sector("Banque et assurance"), at(lamballe, "22400", "Lamballe-Armor", "22")))
			res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: "argent", Center: &stBrieuc, RadiusKm: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) != 0 {
				t.Fatalf("argent around Saint-Brieuc found %v, not a bank", ids(res.Hits))
			}
			if res.Relaxed == nil || !slices.Equal(res.Relaxed.Widened, []string{"radius"}) || len(res.Relaxed.Hits) == 0 || res.Relaxed.Hits[0].ID != "bank" {
				t.Fatalf("relaxed %+v, want the bank by widening the radius", res.Relaxed)
			}
		})
	}
}

// TestQueryReadAsAWhole: a query of several words names, strongly, the
// fiche its words together are classified under when one of its entries
// names it too; one word alone keeps its entry's weight.
func TestQueryReadAsAWhole(t *testing.T) {
	thes, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	weight := func(q, code string) float32 {
		for _, f := range thes.queryFiches(q) {
			if thes.rome.fiches[f.fiche].Code == code {
				return f.w
			}
		}
		return 0
	}
	for _, tc := range []struct {
		q, code string
		strong  bool
	}{
		{"préparer des colis", "N1103", true},                      // its intent line weighs 0.7
		{"verifier la qualite des pieces en metal", "H1506", true}, // an intent of common.tsv; the classifier agrees
		{"colis", "N1103", false},
		{"banque alimentaire", "K1201", true}, // a charity (issue 11's own example), not a bank
		{"banque alimentaire", "C1201", false},
		{"banque", "C1201", true},
		// An entry of insurance as a whole: the classifier's reading of
		// "police" does not agree with itself into the police (issue 11's
		// own example).
		{"police d'assurance", "K1706", false},
		{"police", "K1706", true},
	} {
		if w := weight(tc.q, tc.code); (w >= strongWeight) != tc.strong {
			t.Errorf("%q names %s at %.2f, want strong=%v", tc.q, tc.code, w, tc.strong)
		}
	}
}

// TestNearFiches: a fiche's near ones are the siblings of its domaine a
// reader confuses it with, most alike first, never itself, never another
// domaine's, at most maxNear.
func TestNearFiches(t *testing.T) {
	thes, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	m := thes.rome
	codes := func(fs []int16) []string {
		var out []string
		for _, f := range fs {
			out = append(out, m.fiches[f].Code)
		}
		return out
	}
	for _, tc := range []struct {
		code string
		want []string
	}{
		{"K1706", []string{"K1704"}},          // Sécurité publique → its management
		{"C1102", []string{"C1104", "C1101"}}, // insurance advice → relation clients, management
		{"N1202", []string{"N1201"}},          // international freight → affrètement
		{"D1103", []string{"D1104", "D1101"}}, // charcuterie → pâtisserie, boucherie
	} {
		if got := codes(m.near[m.byCode[tc.code]]); !slices.Equal(got, tc.want) {
			t.Errorf("near %s = %v, want %v", tc.code, got, tc.want)
		}
	}
	for i, near := range m.near {
		if len(near) > maxNear {
			t.Errorf("%s has %d near fiches", m.fiches[i].Code, len(near))
		}
		for _, f := range near {
			if int(f) == i || m.fiches[f].Code[:3] != m.fiches[i].Code[:3] {
				t.Errorf("%s near %s", m.fiches[i].Code, m.fiches[f].Code)
			}
		}
	}
}

// TestQueryNamesNearFiches: the fiches a query names, in order, with the
// near fiches of its strong ones: raised when the query names them too,
// loose when it does not.
func TestQueryNamesNearFiches(t *testing.T) {
	thes, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		// K1704 named by nothing: a loose association.
		{"motard de la police nationale", []string{"K1706:1.00", "K1704:0.80"}},
		// N1201 named by "forwarder" at 0.8 and near N1202: agreed.
		{"freight forwarder", []string{"N1202:1.00", "N1201:0.95"}},
		// No strong fiche: nothing near is added, and the classifier's
		// reading of the words joins the entries' (N1103, parcels'
		// preparation, at queryClassWeight times its score).
		{"colis", []string{"N4105:0.80", "N1105:0.60", "N1103:0.50"}},
	} {
		var got []string
		for _, f := range thes.queryFiches(tc.q) {
			got = append(got, fmt.Sprintf("%s:%.2f", thes.rome.fiches[f.fiche].Code, f.w))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("queryFiches(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

// TestNearFicheFoundWhenNoneOfTheFiche: a query naming a fiche no offer of
// the area is of finds the offers of its near fiche, and only when none of
// its own is there.
func TestNearFicheFoundWhenNoneOfTheFiche(t *testing.T) {
	commissaire := offer("commissaire", "Commissaire de police", "Direction d'un commissariat, organisation des équipes.")
	motard := offer("motard", "Motocycliste de la gendarmerie", "Escorte et surveillance des routes.")
	bread := offer("bread", "Boulangerie du port", "Pain et viennoiseries.")
	for _, tc := range []struct {
		name   string
		offers []stageindex.Offer
		want   []string
	}{
		{"none of the fiche", []stageindex.Offer{commissaire, bread}, []string{"commissaire"}},
		{"one of the fiche", []stageindex.Offer{commissaire, motard, bread}, []string{"motard"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := New(Config{Now: func() time.Time { return testNow }})
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if err := ix.Apply(context.Background(), tc.offers, nil); err != nil {
				t.Fatal(err)
			}
			res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: "motard de la police nationale", Center: &stBrieuc, RadiusKm: 30})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Hits); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestTypoBesideKnownWords: a misspelt word beside known ones is corrected
// even though the known ones matched through the thesaurus, and the
// corrected query's literal matches come first; a query of known words,
// or whose words all match literally, is left as typed.
func TestTypoBesideKnownWords(t *testing.T) {
	ix, err := New(Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	offers := []stageindex.Offer{
		offer("car", "Garage du centre : mécanicien automobile", "Entretien et réparation des voitures.", sector("Automobile")),
		offer("plane", "Atelier de maintenance aéronautique", "Révision des avions avec un mécanicien aéronautique.", sector("Aéronautique")),
		offer("bread", "Boulangerie du port", "Pain et viennoiseries."),
	}
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"mécanicien aéronotique", []string{"plane", "car"}},
		{"mécanicien aéronautique", []string{"plane"}},
		{"mécanicien", []string{"car", "plane"}},
	} {
		res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: tc.q, Center: &stBrieuc, RadiusKm: 30})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(res.Hits); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.q, got, tc.want)
		}
	}
}

// TestOtherWordsDecide: the other words of a query decide the sense of an
// ambiguous one (issue 11's own examples): the trade they make together
// comes first, before the one the ambiguous word names alone.
func TestOtherWordsDecide(t *testing.T) {
	ix := indexOf(t,
		offer("waiter", "Serveur en salle", "Service en salle, prise de commande, accueil des clients du restaurant.", sector("Hôtellerie, restauration")),
		offer("sysadmin", "Administrateur systèmes et réseaux", "Installer et surveiller les serveurs informatiques de l'entreprise.", sector("Informatique et réseaux")),
		offer("police", "Police municipale", "Assurer la sécurité des habitants, patrouilles avec les agents de police.", sector("Sécurité")),
		offer("insurer", "Agence d'assurance", "Contrats d'assurance habitation et auto, accueil des assurés.", sector("Banque et assurance")),
		offer("bakery", "Boulangerie du port", "Découvrir le métier de boulanger : pétrir, façonner, cuire le pain.", sector("Hôtellerie, restauration")),
		offer("store", "Vendeur en magasin", "Conseil aux clients, mise en rayon des lave-linge et des téléviseurs.", sector("Commerce et distribution")),
	)
	for _, tc := range []struct{ q, first string }{
		{"serveur minecraft", "sysadmin"},
		{"serveur", "waiter"},
		{"police d'assurance", "insurer"},
		{"police", "police"},
		{"boulanger électroménager", "store"}, // the shop, not bread
		{"boulanger", "bakery"},
	} {
		t.Run(tc.q, func(t *testing.T) {
			res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: tc.q, Center: &stBrieuc, RadiusKm: 30})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Hits); len(got) == 0 || got[0] != tc.first {
				t.Fatalf("%q found %v, want %s first", tc.q, got, tc.first)
			}
		})
	}
}
