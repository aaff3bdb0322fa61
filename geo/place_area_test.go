package geo

import (
	"errors"
	"slices"
	"testing"

	"github.com/stageindex/stageindex"
)

// TestResolveAreas covers the départements, régions and the country as
// people write them (issue 12), and the cases where a commune has the
// same name.
func TestResolveAreas(t *testing.T) {
	g := loadTest(t)
	tests := []struct {
		where string
		kind  stageindex.PlaceKind
		code  string
	}{
		{"Finistère", stageindex.PlaceDepartment, "29"},
		{"finistere", stageindex.PlaceDepartment, "29"},
		{"Finistère (29)", stageindex.PlaceDepartment, "29"},
		{"29", stageindex.PlaceDepartment, "29"},
		{"Côtes-d'Armor", stageindex.PlaceDepartment, "22"},
		{"cotes d armor", stageindex.PlaceDepartment, "22"},
		{"COTES D'ARMOR", stageindex.PlaceDepartment, "22"},
		{"Côte-d'Or", stageindex.PlaceDepartment, "21"},
		{"cote dor", stageindex.PlaceDepartment, "21"},
		{"département du Finistère", stageindex.PlaceDepartment, "29"},
		{"dans le Nord", stageindex.PlaceDepartment, "59"},
		{"Seine-Saint-Denis", stageindex.PlaceDepartment, "93"},
		{"2A", stageindex.PlaceDepartment, "2A"},
		{"Haute-Corse", stageindex.PlaceDepartment, "2B"},
		{"974", stageindex.PlaceDepartment, "974"},
		{"La Réunion (974)", stageindex.PlaceDepartment, "974"},
		{"Vienne", stageindex.PlaceDepartment, "86"}, // 14 times Vienne (38)
		{"Bretagne", stageindex.PlaceRegion, "53"},   // not Bretagne (90), 319 inhabitants
		{"région Bretagne", stageindex.PlaceRegion, "53"},
		{"toute la Bretagne", stageindex.PlaceRegion, "53"},
		{"Île-de-France", stageindex.PlaceRegion, "11"},
		{"ile de france", stageindex.PlaceRegion, "11"},
		{"IDF", stageindex.PlaceRegion, "11"},
		{"Grand Est", stageindex.PlaceRegion, "44"},
		{"grand-est", stageindex.PlaceRegion, "44"},
		{"Provence-Alpes-Côte d'Azur", stageindex.PlaceRegion, "93"},
		{"PACA", stageindex.PlaceRegion, "93"},
		{"Auvergne-Rhône-Alpes", stageindex.PlaceRegion, "84"},
		{"La Réunion", stageindex.PlaceRegion, "04"}, // not the commune of Lot-et-Garonne
		{"la reunion", stageindex.PlaceRegion, "04"},
		{"Réunion", stageindex.PlaceRegion, "04"},
		{"Guadeloupe", stageindex.PlaceRegion, "01"},
		{"Corse", stageindex.PlaceRegion, "94"},
		{"20", stageindex.PlaceRegion, "94"},
		{"France", stageindex.PlaceCountry, "FR"},
		{"toute la France", stageindex.PlaceCountry, "FR"},
		{"France entière", stageindex.PlaceCountry, "FR"},
		// A commune of the same name when it is most of the area, or when
		// the département is given.
		{"Paris", stageindex.PlaceCommune, "75056"},
		{"La Réunion (47)", stageindex.PlaceCommune, "47222"},
		{"Vienne (38)", stageindex.PlaceCommune, "38544"},
		{"Bretagne (90)", stageindex.PlaceCommune, "90019"},
		{"Corrèze", stageindex.PlaceDepartment, "19"},
		{"Corrèze (19800)", stageindex.PlaceCommune, "19062"},
	}
	for _, tc := range tests {
		p, err := g.Resolve(tc.where)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tc.where, err)
			continue
		}
		if p.Kind != tc.kind || p.Code != tc.code {
			t.Errorf("Resolve(%q) = %s %s (%s), want %s %s", tc.where, p.Kind, p.Code, p.Label, tc.kind, tc.code)
		}
		checkComplete(t, p)
	}
	for _, bad := range []string{"Alsace", "Bretagn", "99", "département", "toute la"} {
		if p, err := g.Resolve(bad); err == nil {
			t.Errorf("Resolve(%q) = %s %s, want an error", bad, p.Kind, p.Label)
		}
	}
}

// TestAreas checks the 18 régions and 101 départements and their sums.
func TestAreas(t *testing.T) {
	g := loadTest(t)
	regions := g.Regions()
	if len(regions) != 18 {
		t.Fatalf("%d regions, want 18", len(regions))
	}
	inRegion := map[string]string{}
	for _, r := range regions {
		p, ok := g.Region(r.Code)
		if !ok {
			t.Fatalf("Region(%s) missing", r.Code)
		}
		sum := 0
		for _, d := range r.Departments {
			if other, dup := inRegion[d]; dup {
				t.Errorf("department %s in regions %s and %s", d, other, r.Code)
			}
			inRegion[d] = r.Code
			dp, ok := g.Department(d)
			if !ok || dp.Region != r.Code {
				t.Errorf("Department(%s) = %+v, want region %s", d, dp, r.Code)
			}
			sum += dp.Population
		}
		if p.Population != sum || sum == 0 {
			t.Errorf("region %s population %d, departments sum to %d", r.Code, p.Population, sum)
		}
	}
	if len(inRegion) != 101 || len(g.Departments()) != 101 {
		t.Errorf("%d departments in regions, %d departments; want 101", len(inRegion), len(g.Departments()))
	}
	if r, _ := g.Region("53"); !slices.Equal(r.Departments, []string{"22", "29", "35", "56"}) {
		t.Errorf("Bretagne departments %v", r.Departments)
	}
	if c := g.Country(); c.Population < 65_000_000 || c.Kind != stageindex.PlaceCountry {
		t.Errorf("country %+v", c)
	}
}

// TestResolveFixes covers the fixes of issue 12 found by trying the search
// as a new user.
func TestResolveFixes(t *testing.T) {
	g := loadTest(t)
	tests := []struct{ where, insee, postcode string }{
		{"29000", "29232", "29000"}, // Quimper's postcode, which codes-postaux also gives Brest
		{"29200", "29019", "29200"},
		{"Montreuil-sous-Bois", "93048", "93100"},
		{"montreuil sous bois", "93048", "93100"},
		{"Marseille 13008", "13208", "13008"},
		{"13008 Marseille", "13208", "13008"},
		{"Lyon 69003", "69383", "69003"},
		{"Paris 75015", "75115", "75015"},
		{"Boulogne-Billancourt", "92012", "92100"},
		{"92100", "92012", "92100"},
		{"75016", "75116", "75016"},
	}
	for _, tc := range tests {
		p, err := g.Resolve(tc.where)
		if err != nil || p.INSEE != tc.insee || p.Postcode != tc.postcode {
			t.Errorf("Resolve(%q) = %s %s %s, %v; want %s %s", tc.where, p.INSEE, p.Name, p.Postcode, err, tc.insee, tc.postcode)
		}
	}
	if p, _ := g.Resolve("29000"); len(p.Others) != 1 || p.Others[0].INSEE != "29019" {
		t.Errorf("29000 others %v, want Brest", inseeOf(p.Others))
	}
	// A bare start of names offers choices.
	for _, where := range []string{"Saint", "saint", "Aix", "Clermont", "Mont"} {
		_, err := g.Resolve(where)
		var e *stageindex.Error
		if !errors.As(err, &e) || e.Params[0].Code != stageindex.CodeAmbiguousPlace || len(e.Params[0].Candidates) < 3 {
			t.Errorf("Resolve(%q) = %v, want ambiguous_place with candidates", where, err)
		}
	}
	_, err := g.Resolve("Saint")
	var e *stageindex.Error
	if errors.As(err, &e) {
		codes := inseeOf(e.Params[0].Candidates)
		if !slices.Contains(codes, "56201 Le Saint") {
			t.Errorf("Saint candidates %v, want Le Saint among them", codes)
		}
	}
	// An article-less name that starts nothing bigger still resolves.
	for where, want := range map[string]string{"Mans": "72181", "Rochelle": "17300", "Clermont-Ferrand": "63113", "Aix-en-Provence": "13001"} {
		if p, err := g.Resolve(where); err != nil || p.INSEE != want {
			t.Errorf("Resolve(%q) = %s, %v; want %s", where, p.INSEE, err, want)
		}
	}
}

// TestLabelsResolveBack: every commune's and area's label, given back as
// where, is that place.
func TestLabelsResolveBack(t *testing.T) {
	g := loadTest(t)
	step := 1
	if testing.Short() || raceEnabled {
		step = 7
	}
	for i := 0; i < len(g.communes); i += step {
		p := g.place(int32(i), "")
		got, err := g.Resolve(p.Label)
		if err != nil || got.INSEE != p.INSEE {
			t.Errorf("Resolve(%q) = %s %s, %v; want %s", p.Label, got.Kind, got.Code, err, p.INSEE)
		}
	}
	for i := range g.areas {
		p := g.areaPlace(int32(i))
		if p.Kind == stageindex.PlaceDepartment && p.Code == "75" {
			continue // "Paris (75)" is the city, the same area
		}
		got, err := g.Resolve(p.Label)
		if err != nil || got.Kind != p.Kind || got.Code != p.Code {
			t.Errorf("Resolve(%q) = %s %s, %v; want %s %s", p.Label, got.Kind, got.Code, err, p.Kind, p.Code)
		}
	}
}
