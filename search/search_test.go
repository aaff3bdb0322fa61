package search

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Places used by the test corpus.
var (
	stBrieuc = stageindex.LatLng{Lat: 48.5151, Lng: -2.7684}
	plerin   = stageindex.LatLng{Lat: 48.5353, Lng: -2.7706} // 2.3 km north of Saint-Brieuc
	lamballe = stageindex.LatLng{Lat: 48.4690, Lng: -2.5170} // 19 km east
	rennes   = stageindex.LatLng{Lat: 48.1173, Lng: -1.6778} // 92 km
	paris    = stageindex.LatLng{Lat: 48.8534, Lng: 2.3488}
)

type offerOpt func(o *stageindex.Offer)

func at(p stageindex.LatLng, zip, city, dept string) offerOpt {
	return func(o *stageindex.Offer) {
		o.Latitude, o.Longitude = &p.Lat, &p.Lng
		o.Zipcode, o.City, o.Department = zip, city, dept
	}
}

func tracks(ts ...stageindex.Track) offerOpt { return func(o *stageindex.Offer) { o.Tracks = ts } }
func sector(s string) offerOpt               { return func(o *stageindex.Offer) { o.Sector = s } }
func weeks(ws ...string) offerOpt            { return func(o *stageindex.Offer) { o.Weeks = ws } }
func published(t time.Time) offerOpt {
	return func(o *stageindex.Offer) { o.PublishedAt = &t }
}
func unpublished() offerOpt { return func(o *stageindex.Offer) { o.PublishedAt = nil } }
func remote() offerOpt {
	return func(o *stageindex.Offer) { o.Remote = true; o.Latitude, o.Longitude = nil, nil; o.Department = "" }
}
func public() offerOpt           { return func(o *stageindex.Offer) { o.IsPublic = true } }
func employer(n string) offerOpt { return func(o *stageindex.Offer) { o.EmployerName = n } }

func offer(id, title, desc string, opts ...offerOpt) stageindex.Offer {
	pub := testNow.Add(-72 * time.Hour)
	o := stageindex.Offer{ID: id, Title: title, Description: desc, EmployerName: "Entreprise " + id,
		Tracks: []stageindex.Track{stageindex.TrackGenerale}, MaxCandidates: 1, PublishedAt: &pub,
		Weeks: []string{"2027-W05"}}
	at(stBrieuc, "22000", "Saint-Brieuc", "22")(&o)
	for _, f := range opts {
		f(&o)
	}
	return o
}

func corpus() []stageindex.Offer {
	return []stageindex.Offer{
		offer("bread-far", "Boulangerie du Centre - Découverte du métier de boulanger", "Pétrir la pâte et cuire le pain.", at(lamballe, "22400", "Lamballe-Armor", "22"), sector("Hôtellerie, restauration"), published(testNow.Add(-24*time.Hour))),
		offer("bread-near", "Boulangerie Le Gall", "Découvrir le fournil et la vente.", at(plerin, "22190", "Plérin", "22"), sector("Hôtellerie, restauration")),
		offer("bread-here", "Boulangère ou boulanger : une semaine au fournil", "Fabrication du pain.", sector("Hôtellerie, restauration"), tracks(stageindex.TrackSEGPA)),
		offer("desc-only", "Supermarché Les Halles - Commerce", "Rayon boulangerie et caisse.", sector("Commerce et distribution")),
		offer("bank", "Agence bancaire - Banque et assurance", "Accueil des clients de la banque, conseil.", sector("Banque et assurance"), public()),
		offer("vet", "Clinique vétérinaire des Côtes", "Soins aux animaux avec le vétérinaire.", sector("Médical"), tracks(stageindex.TrackGenerale, stageindex.TrackPrepaMetiers), weeks("2027-W06")),
		offer("garage", "Garage Renault - Mécanique automobile", "Entretien des voitures.", at(rennes, "35000", "Rennes", "35"), sector("Automobile")),
		offer("paris-bread", "Boulangerie parisienne", "Viennoiseries.", at(paris, "75001", "Paris", "75"), sector("Hôtellerie, restauration")),
		offer("remote-it", "Développement web à distance", "Programmation et informatique.", remote(), sector("Informatique et réseaux")),
		offer("draft", "Boulangerie en préparation", "Pas encore publiée.", unpublished()),
		offer("past", "Boulangerie de l'an dernier", "Semaines passées.", weeks("2026-W02")),
	}
}

func newTestIndex(t *testing.T) *Index {
	t.Helper()
	ix, err := New(Config{
		Now: func() time.Time { return testNow },
		CommuneOf: func(zip, city string) (string, bool) {
			insee := map[string]string{"22000": "22278", "22190": "22187", "22400": "22093", "35000": "35238", "75001": "75101"}[zip]
			return insee, insee != ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if err := ix.Apply(context.Background(), corpus(), nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

// indexOf returns an index of offers alone, its clock at testNow, closed
// when the test ends.
func indexOf(t *testing.T, offers ...stageindex.Offer) *Index {
	t.Helper()
	ix, err := New(Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

func ids(hits []stageindex.Hit) []string {
	out := []string{}
	for _, h := range hits {
		out = append(out, h.ID)
	}
	return out
}

func near(p stageindex.LatLng, r float64) func(*stageindex.SearchRequest) {
	return func(req *stageindex.SearchRequest) { req.Center = &p; req.RadiusKm = r }
}

func TestSearchRanking(t *testing.T) {
	ix := newTestIndex(t)
	tests := []struct {
		name string
		req  stageindex.SearchRequest
		opts []func(*stageindex.SearchRequest)
		want []string
	}{
		// Literal title matches by distance, then the description-only one,
		// then the thesaurus match (boulangerie → boulanger) even though it
		// is the nearest.
		{"title matches by distance, then description-only, then thesaurus", stageindex.SearchRequest{Query: "boulangerie"},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 30)}, []string{"bread-near", "bread-far", "desc-only", "bread-here"}},
		// bread-near and desc-only both match through the thesaurus
		// (boulangerie); the title match 2 km away outscores the
		// description-only one next door.
		{"feminine and plural forms match the job", stageindex.SearchRequest{Query: "boulangère"},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 30)}, []string{"bread-here", "bread-far", "bread-near", "desc-only"}},
		{"no keyword sorts by distance, ties by date then id", stageindex.SearchRequest{},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 30)}, []string{"bank", "bread-here", "desc-only", "vet", "bread-near", "bread-far"}},
		{"radius excludes farther offers", stageindex.SearchRequest{},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 5)}, []string{"bank", "bread-here", "desc-only", "vet", "bread-near"}},
		{"thesaurus: banquier finds the bank", stageindex.SearchRequest{Query: "banquier"},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 10)}, []string{"bank"}},
		{"accents optional", stageindex.SearchRequest{Query: "veterinaire"},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 10)}, []string{"vet"}},
		{"typo tolerated", stageindex.SearchRequest{Query: "veterinere"},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 10)}, []string{"vet"}},
		{"employer name as typed", stageindex.SearchRequest{Query: "le gall"},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 10)}, []string{"bread-near"}},
		{"track filter", stageindex.SearchRequest{Tracks: []stageindex.Track{stageindex.TrackSEGPA, stageindex.TrackPrepaMetiers}},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 10)}, []string{"bread-here", "vet"}},
		{"public employers", stageindex.SearchRequest{IsPublic: ptr(true)},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 10)}, []string{"bank"}},
		{"week filter", stageindex.SearchRequest{Weeks: []string{"2027-W06"}},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 10)}, []string{"vet"}},
		{"remote only", stageindex.SearchRequest{Remote: stageindex.RemoteOnly},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 10)}, []string{"remote-it"}},
		{"remote included with a keyword", stageindex.SearchRequest{Query: "informatique", Remote: stageindex.RemoteInclude},
			[]func(*stageindex.SearchRequest){near(stBrieuc, 10)}, []string{"remote-it"}},
		{"radius 0 is the commune", stageindex.SearchRequest{Communes: []string{"22187"}},
			[]func(*stageindex.SearchRequest){near(plerin, 0)}, []string{"bread-near"}},
		{"no place, date order", stageindex.SearchRequest{Query: "boulangerie", Sort: stageindex.SortDate},
			nil, []string{"bread-far", "bread-here", "bread-near", "desc-only", "paris-bread"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			for _, o := range tc.opts {
				o(&req)
			}
			res, err := ix.Search(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Hits); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if res.Total != len(tc.want) {
				t.Fatalf("total %d, want %d", res.Total, len(tc.want))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestTitleForIndex(t *testing.T) {
	tests := []struct{ name, title, sector, employer, want string }{
		{"sector and employer", "MACIF Lannion - Banque et assurance - Accueil des assurés", "Banque et assurance", "MACIF Lannion", "Accueil des assurés"},
		{"employer of another case", "au jardin de lucie - Commerce - Art floral", "Commerce", "Au Jardin de Lucie", "Art floral"},
		{"employer unknown", "Au Pain de Ercuis - Hôtellerie, restauration - Découverte du métier de boulanger", "Hôtellerie, restauration", "", "Au Pain de Ercuis - Découverte du métier de boulanger"},
		{"no separator", "Banque et assurance : découvrir le métier", "Banque et assurance", "Crédit Mutuel", "Banque et assurance : découvrir le métier"},
		{"nothing but repeats", "Garage Martin - Automobile", "Automobile", "Garage Martin", "Garage Martin - Automobile"},
		{"no sector", "Garage - Mécanique", "", "", "Garage - Mécanique"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := titleForIndex(tc.title, tc.sector, tc.employer); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSectorIsNotALiteralMatch: the bank's sector name must not make an
// insurer a literal match for "banque". The insurer is a loose association
// of "banque" (a neighbouring field): it shows only where no bank does.
func TestSectorIsNotALiteralMatch(t *testing.T) {
	ix, err := New(Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	offers := []stageindex.Offer{
		offer("insurer", "MACIF - Banque et assurance - Accueil des assurés", "Contrats et sinistres.", sector("Banque et assurance")),
		offer("bank", "Crédit Mutuel - Banque et assurance - La banque de détail", "Accueil des clients en agence.", sector("Banque et assurance"), at(plerin, "22190", "Plérin", "22")),
	}
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		radius float64
		want   []string
	}{
		{"a bank in the area", 10, []string{"bank"}},
		{"no bank in the area", 1, []string{"insurer"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: "banque", Center: &stBrieuc, RadiusKm: tc.radius})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Hits); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestThesaurusStaysInItsSectors: an offer reached through a thesaurus
// expansion must be in a sector of the field the query names; the same
// offer still matches a query that names its words literally.
func TestThesaurusStaysInItsSectors(t *testing.T) {
	ix, err := New(Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	offers := []stageindex.Offer{
		offer("library", "Médiathèque municipale", "Ranger les livres et découvrir le catalogue informatique.", sector("Édition, librairie, bibliothèque")),
		offer("it", "Informatique et réseaux en entreprise", "Installer des postes et un serveur.", sector("Informatique et réseaux")),
	}
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"ordinateur", []string{"it"}},                        // thesaurus only: the library is out of the field's sectors
		{"informatique", []string{"it", "library"}},           // typed: both match literally, the title first
		{"catalogue informatique", []string{"library", "it"}}, // literal whatever the sector, then the field
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: tc.q})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Hits); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLooseAssociationsAfterWeakMatches: "enfants" met only in descriptions
// (a library's reading hour) does not stop the loose associations (schools)
// from being searched, and an offer matched both ways is one hit, at its
// better tier.
func TestLooseAssociationsAfterWeakMatches(t *testing.T) {
	ix, err := New(Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	offers := []stageindex.Offer{
		offer("library", "Médiathèque municipale", "Préparer une animation lecture pour les enfants.", sector("Édition, librairie, bibliothèque")),
		offer("school", "École élémentaire Jules Ferry", "Aider le professeur des écoles en classe avec les enfants.", sector("Enseignement")),
		offer("other-school", "École primaire du bourg", "Observer une classe de CP.", sector("Enseignement")),
	}
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: "enfants"})
	if err != nil {
		t.Fatal(err)
	}
	got := ids(res.Hits)
	slices.Sort(got)
	if want := []string{"library", "other-school", "school"}; !slices.Equal(got, want) || res.Total != len(want) {
		t.Fatalf("got %v (total %d), want each of %v once", got, res.Total, want)
	}
}
