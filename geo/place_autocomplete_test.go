package geo

import (
	"slices"
	"testing"
)

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
		{"Corsica postcode", "20000", 5, "2A004", nil},
		{"overseas postcode", "974", 5, "97411", []string{"97416"}},
		{"INSEE Corsica", "2B033", 5, "2B033", nil},
		{"former name", "bellegarde sur val", 5, "01033", nil},
		{"nothing", "zzqx", 5, "", nil},
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
				if p.Name == "" || p.Department == "" || len(p.Postcodes) == 0 || p.Lat == 0 {
					t.Errorf("incomplete place %+v", p)
				}
			}
			if tc.wantFirst == "" {
				if len(got) != 0 {
					t.Fatalf("Autocomplete(%q) = %v, want nothing", tc.q, codes)
				}
				return
			}
			if len(got) == 0 || got[0].INSEE != tc.wantFirst {
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

func TestAutocompleteDistinctAndLimited(t *testing.T) {
	g := loadTest(t)
	for _, q := range []string{"sa", "le", "13", "saint", "la"} {
		got := g.Autocomplete(q, 0)
		if len(got) != DefaultAutocomplete {
			t.Errorf("Autocomplete(%q, 0): %d results, want %d", q, len(got), DefaultAutocomplete)
		}
		seen := map[string]bool{}
		for _, p := range got {
			if seen[p.INSEE] {
				t.Errorf("Autocomplete(%q): %s twice", q, p.INSEE)
			}
			seen[p.INSEE] = true
		}
	}
}

// BenchmarkAutocomplete measures typical keystrokes, including the widest
// two-letter prefixes.
func BenchmarkAutocomplete(b *testing.B) {
	g := loadTest(b)
	for _, q := range []string{"sa", "saint", "saint bri", "lyon", "22", "750", "mans"} {
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
	for _, q := range []string{"22000", "Saint-Brieuc", "saint denis 93", "Paris 11e"} {
		b.Run(q, func(b *testing.B) {
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
