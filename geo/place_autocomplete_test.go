package geo

import (
	"slices"
	"strings"
	"testing"

	"github.com/stageindex/stageindex"
)

// checkComplete fails on a place missing a field its kind must have.
func checkComplete(t *testing.T, p stageindex.Place) {
	t.Helper()
	ok := p.Name != "" && p.Code != "" && p.Label != "" && p.Population > 0
	switch p.Kind {
	case stageindex.PlaceCommune:
		ok = ok && p.INSEE == p.Code && p.Department != "" && p.Region != "" && len(p.Postcodes) > 0 &&
			slices.Contains(p.Postcodes, p.Postcode) && p.Lat != 0 && p.Lng != 0 && strings.HasPrefix(p.Label, p.Name+" (")
	case stageindex.PlaceDepartment:
		ok = ok && p.Department == p.Code && p.Region != "" && slices.Equal(p.Departments, []string{p.Code}) && p.Lat == 0
	case stageindex.PlaceRegion:
		ok = ok && p.Region == p.Code && len(p.Departments) > 0 && p.Lat == 0
	case stageindex.PlaceCountry:
		ok = ok && p.Code == "FR" && p.Departments == nil && p.Lat == 0
	default:
		ok = false
	}
	if !ok {
		t.Errorf("incomplete %s place %+v", p.Kind, p)
	}
}

func TestAutocomplete(t *testing.T) {
	g := loadTest(t)
	tests := []struct {
		name, q   string
		limit     int
		wantFirst string   // INSEE of the first place, "" for no result
		wantAlso  []string // INSEE codes that must be among the results
	}{
		{"one letter is too short", "p", 5, "", nil},
		{"one digit is too short", "7", 5, "", nil},
		{"two letters, most populous", "pa", 5, "75056", nil},
		{"prefix", "saint bri", 5, "22278", nil},
		{"abbreviation", "st bri", 5, "22278", nil},
		{"accents typed", "Besançon", 5, "25056", nil},
		{"word inside the name", "brieuc", 5, "22278", nil},
		{"article dropped", "mans", 5, "72181", nil},
		{"homonyms both listed", "saint denis", 5, "97411", []string{"93066"}},
		{"city before its arrondissements", "lyon", 5, "69123", []string{"69383"}},
		{"arrondissement", "paris 11", 5, "75111", nil},
		{"postcode two digits", "22", 5, "22278", nil},
		{"postcode exact first", "75011", 5, "75111", nil},
		{"postcode prefix Paris", "750", 25, "75115", []string{"75120", "75101"}},
		{"Paris 75016 before Boulogne-Billancourt", "75016", 5, "75116", []string{"92012"}},
		{"Corsica postcode", "20000", 5, "2A004", nil},
		{"overseas postcode", "974", 5, "97411", []string{"97416"}},
		{"INSEE Corsica", "2B033", 5, "2B033", nil},
		{"former name", "bellegarde sur val", 5, "01033", nil},
		{"nothing", "zzqx", 5, "", nil},
		// Issue 12: départements and régions, own postcodes first.
		{"department prefix", "finis", 5, "department:29", nil},
		{"department with hyphens", "cotes d arm", 5, "department:22", nil},
		{"department later word", "armor", 5, "department:22", nil},
		{"region", "bretag", 5, "region:53", nil},
		{"region with accents", "ile de fr", 5, "region:11", nil},
		{"region alias", "paca", 5, "region:93", nil},
		{"La Réunion region and department", "la reunion", 5, "region:04", []string{"department:974", "47222"}},
		{"country", "toute la fr", 5, "country:FR", nil},
		{"Paris is the city, not the department", "paris", 10, "75056", nil},
		{"postcode of Quimper first", "29000", 5, "29232", []string{"29019"}},
		{"postcode of Boulogne-Billancourt", "92100", 5, "92012", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := g.Autocomplete(tc.q, tc.limit)
			if len(got) > tc.limit {
				t.Errorf("%d results, limit %d", len(got), tc.limit)
			}
			codes := make([]string, len(got))
			for i, p := range got {
				codes[i] = p.INSEE
				if p.Kind != stageindex.PlaceCommune {
					codes[i] = string(p.Kind) + ":" + p.Code
				}
				checkComplete(t, p)
			}
			if tc.wantFirst == "" {
				if len(got) != 0 {
					t.Fatalf("Autocomplete(%q) = %v, want nothing", tc.q, codes)
				}
				return
			}
			if len(got) == 0 || codes[0] != tc.wantFirst {
				t.Fatalf("Autocomplete(%q) = %v, want %s first", tc.q, inseeOf(got), tc.wantFirst)
			}
			for _, c := range tc.wantAlso {
				if !slices.Contains(codes, c) {
					t.Errorf("Autocomplete(%q) = %v, want %s among them", tc.q, codes, c)
				}
			}
		})
	}
}

// TestAutocompleteLabels: a list shows the name with its département (the
// code, the name overseas), the département with its code, and every label
// given back as where resolves to the same place.
func TestAutocompleteLabels(t *testing.T) {
	g := loadTest(t)
	labels := map[string]bool{}
	for _, p := range g.Autocomplete("saint denis", 10) {
		labels[p.Label] = true
	}
	for _, want := range []string{"Saint-Denis (93)", "Saint-Denis (La Réunion)"} {
		if !labels[want] {
			t.Errorf("Autocomplete(saint denis) labels %v, want %q", labels, want)
		}
	}
	tests := []struct{ q, label string }{
		{"finistere", "Finistère (29)"},
		{"bretagne", "Bretagne"},
		{"brest", "Brest (29)"},
		{"boulogne bil", "Boulogne-Billancourt (92)"},
		{"fort de france", "Fort-de-France (Martinique)"},
	}
	for _, tc := range tests {
		got := g.Autocomplete(tc.q, 5)
		if len(got) == 0 || got[0].Label != tc.label {
			t.Errorf("Autocomplete(%q)[0] = %+v, want label %q", tc.q, got, tc.label)
			continue
		}
		p, err := g.Resolve(got[0].Label)
		if err != nil || p.Kind != got[0].Kind || p.Code != got[0].Code {
			t.Errorf("Resolve(%q) = %s %s, %v; want %s %s", got[0].Label, p.Kind, p.Code, err, got[0].Kind, got[0].Code)
		}
	}
	if p := g.Autocomplete("boulogne bil", 1); len(p) == 1 && p[0].Postcode != "92100" {
		t.Errorf("Boulogne-Billancourt postcode %s, want 92100", p[0].Postcode)
	}
}

func TestAutocompleteDistinctAndLimited(t *testing.T) {
	g := loadTest(t)
	for _, q := range []string{"sa", "le", "13", "saint", "la"} {
		got := g.Autocomplete(q, 0)
		if len(got) != DefaultAutocomplete {
			t.Errorf("Autocomplete(%q, 0): %d results, want %d", q, len(got), DefaultAutocomplete)
		}
		seen := map[string]bool{}
		for _, p := range got {
			k := string(p.Kind) + ":" + p.Code
			if seen[k] {
				t.Errorf("Autocomplete(%q): %s twice", q, k)
			}
			seen[k] = true
		}
	}
}

// BenchmarkAutocomplete measures typical keystrokes, including the widest
// two-letter prefixes.
func BenchmarkAutocomplete(b *testing.B) {
	g := loadTest(b)
	for _, q := range []string{"sa", "saint", "saint bri", "lyon", "22", "750", "mans", "finis", "ile de", "bre"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.Autocomplete(q, DefaultAutocomplete)
			}
		})
	}
}

func BenchmarkResolve(b *testing.B) {
	g := loadTest(b)
	for _, q := range []string{"22000", "Saint-Brieuc", "saint denis 93", "Paris 11e", "Finistère", "ile de france",
		"toute la France", "Marseille 13008", "La Réunion", "Montreuil-sous-Bois"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Resolve(q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLoadGazetteer(b *testing.B) {
	for b.Loop() {
		loadTest(b)
	}
}
