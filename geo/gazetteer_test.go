package geo

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stageindex/stageindex"
)

func TestNormKey(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"accents and hyphens", "Saint-Étienne", "saint etienne"},
		{"apostrophe and diaeresis", "L'Haÿ-les-Roses", "l hay les roses"},
		{"typographic apostrophe", "Villeneuve-d’Ascq", "villeneuve d ascq"},
		{"abbreviation with dot", "St. Brieuc", "saint brieuc"},
		{"Ste upper case", "STE-MAXIME", "sainte maxime"},
		{"ligature upper case", "ŒUILLY", "oeuilly"},
		{"spaces collapsed", "  Le   Mans ", "le mans"},
		{"st inside a word untouched", "Strasbourg", "strasbourg"},
		{"invalid utf-8", "Par\xffis", "par is"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := normKey(tc.in); got != tc.want {
				t.Errorf("normKey(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCommuneOf(t *testing.T) {
	g := loadTest(t)
	tests := []struct {
		name, zip, city, want string // want "" means not found
	}{
		{"plain", "22000", "Saint-Brieuc", "22278"},
		{"abbreviated upper case", "22000", "ST BRIEUC", "22278"},
		{"cedex zipcode", "22099", "Saint-Brieuc Cedex 9", "22278"},
		{"Paris by postcode", "75011", "Paris", "75111"},
		{"Paris arrondissement name", "75011", "PARIS 11", "75111"},
		{"Paris full arrondissement name", "75016", "Paris 16e Arrondissement", "75116"},
		{"Marseille", "13008", "Marseille", "13208"},
		{"Lyon", "69003", "Lyon", "69383"},
		{"article in parentheses", "72000", "Mans (Le)", "72181"},
		{"former commune", "01200", "Bellegarde-sur-Valserine", "01033"},
		{"homonym decided by zipcode 974", "97400", "Saint-Denis", "97411"},
		{"homonym decided by zipcode 93", "93200", "Saint-Denis", "93066"},
		{"Corsica", "20000", "Ajaccio", "2A004"},
		{"zipcode lost its leading zero", "1200", "Valserhône", "01033"},
		{"misspelt within zipcode", "22000", "Saint-Brieux", "22278"},
		{"no zipcode, unique name", "", "Ploumagoar", "22225"},
		{"no zipcode, homonym", "", "Saint-Denis", ""},
		{"unknown", "22000", "Nowhere At All", ""},
		{"empty", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := g.CommuneOf(tc.zip, tc.city)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("CommuneOf(%q, %q) = %q, %v; want %q", tc.zip, tc.city, got, ok, tc.want)
			}
		})
	}
}

func TestDepartments(t *testing.T) {
	g := loadTest(t)
	ds := g.Departments()
	if len(ds) != 101 {
		t.Errorf("%d departments, want 101 (96 metropolitan + 5 overseas)", len(ds))
	}
	if !slices.IsSortedFunc(ds, func(a, b Department) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("departments not sorted by code")
	}
	tests := []struct{ code, want string }{
		{"22", "Côtes-d'Armor"}, {"2A", "Corse-du-Sud"}, {"2b", "Haute-Corse"},
		{"974", "La Réunion"}, {"976", "Mayotte"}, {"975", ""}, {"20", ""}, {"", ""},
	}
	for _, tc := range tests {
		got, ok := g.DepartmentName(tc.code)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("DepartmentName(%q) = %q, %v; want %q", tc.code, got, ok, tc.want)
		}
	}
}

func TestCommuneAndCodes(t *testing.T) {
	g := loadTest(t)
	p, ok := g.Commune("2a004")
	if !ok || p.Name != "Ajaccio" || p.Department != "2A" || p.Approximate || p.Lat < 41 || p.Lat > 42.2 {
		t.Errorf("Commune(2a004) = %+v, %v", p, ok)
	}
	if _, ok := g.Commune("99999"); ok {
		t.Error("Commune(99999) found")
	}
	if codes := g.CommuneCodes("75056"); len(codes) != 21 || codes[0] != "75056" || !slices.Contains(codes, "75111") {
		t.Errorf("CommuneCodes(75056) = %v", codes)
	}
	if codes := g.CommuneCodes("22278"); !slices.Equal(codes, []string{"22278"}) {
		t.Errorf("CommuneCodes(22278) = %v", codes)
	}
	if parent, ok := g.Parent("13208"); !ok || parent != "13055" {
		t.Errorf("Parent(13208) = %q, %v", parent, ok)
	}
	if _, ok := g.Parent("22278"); ok {
		t.Error("Parent(22278) found")
	}
}

// TestResolveOthers checks that a shared postcode lists its other communes.
func TestResolveOthers(t *testing.T) {
	g := loadTest(t)
	p, err := g.Resolve("01400")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Others) == 0 || p.Postcode != "01400" {
		t.Fatalf("Resolve(01400) = %+v, want Others", p)
	}
	for _, o := range p.Others {
		if o.Population > p.Population || o.Postcode != "01400" {
			t.Errorf("other %+v: more populous than %s or wrong postcode", o, p.Name)
		}
	}
}

// TestResolveHostile feeds malformed input: always a clean EINVALID error or
// a place, never a panic.
func TestResolveHostile(t *testing.T) {
	g := loadTest(t)
	inputs := []string{
		"(", ")", "()", "(((", "Paris (", "Paris )", "(974)", "\x00", "\xff\xfe",
		"2A", "20", "2A00", "2A0041", "97", "-", "'", "St", "st (le)",
		strings.Repeat("a", 5000), strings.Repeat("saint ", 30), "Paris 0", "Lyon 99e",
		"Marseille -1", "paris 1 2", "75 011", "<script>", "%00", "Saint-Denis (La)",
	}
	for _, in := range inputs {
		_, err := g.Resolve(in)
		var e *stageindex.Error
		if err != nil && (!errors.As(err, &e) || e.Code != stageindex.EINVALID) {
			t.Errorf("Resolve(%q): %v, want EINVALID", in, err)
		}
		g.Autocomplete(in, 5)
		g.CommuneOf(in, in)
	}
}

// TestCoordinatesPlausible checks every commune, fallback or not, lies near
// the most populous commune of its department: a fallback must never put a
// commune at the wrong end of France.
func TestCoordinatesPlausible(t *testing.T) {
	g := loadTest(t)
	top := map[string]*commune{}
	for i := range g.communes {
		c := &g.communes[i]
		if c.parent == "" && (top[c.dept] == nil || c.pop > top[c.dept].pop) {
			top[c.dept] = c
		}
	}
	var approx int
	for i := range g.communes {
		c := &g.communes[i]
		if c.approx {
			approx++
		}
		limit := 200.0
		if c.dept == "973" { // French Guiana is 400 km from north to south
			limit = 400
		}
		if d := HaversineKm(c.lat, c.lng, top[c.dept].lat, top[c.dept].lng); d > limit {
			t.Errorf("%s %s (%s) is %.0f km from %s", c.insee, c.name, c.dept, d, top[c.dept].name)
		}
	}
	if approx == 0 || approx == len(g.communes) {
		t.Errorf("%d approximate communes of %d: flag not set as documented", approx, len(g.communes))
	}
}
