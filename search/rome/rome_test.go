package rome

import (
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stageindex/stageindex"
)

func load(t testing.TB) *Tree {
	t.Helper()
	tr, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestLoadCounts(t *testing.T) {
	tr := load(t)
	if n := len(tr.GrandDomaines()); n != 14 {
		t.Errorf("%d grands domaines, want 14", n)
	}
	if n := len(tr.Domaines()); n != 110 {
		t.Errorf("%d domaines, want 110", n)
	}
	if n := len(tr.Fiches()); n != 551 {
		t.Errorf("%d fiches, want 551", n)
	}
	if n := len(tr.Appellations()); n != 11254 {
		t.Errorf("%d appellations, want 11254", n)
	}
}

// TestTreeShape checks every level against the code format and its parents,
// and every title against its fiche.
func TestTreeShape(t *testing.T) {
	tr := load(t)
	grands := map[string]string{}
	for _, g := range tr.GrandDomaines() {
		if !regexp.MustCompile(`^[A-N]$`).MatchString(g.Code) || g.Label == "" {
			t.Errorf("grand domaine %+v", g)
		}
		grands[g.Code] = g.Label
	}
	domaines := map[string]string{}
	for _, d := range tr.Domaines() {
		if !regexp.MustCompile(`^[A-N][0-9]{2}$`).MatchString(d.Code) || d.Label == "" || d.GrandDomaine != d.Code[:1] {
			t.Errorf("domaine %+v", d)
		}
		domaines[d.Code] = d.Label
	}
	ogr := map[int]bool{}
	total := 0
	for _, f := range tr.Fiches() {
		if !regexp.MustCompile(`^[A-N][0-9]{4}$`).MatchString(f.Code) || f.Label == "" {
			t.Errorf("fiche %+v", f)
		}
		if f.Domaine != f.Code[:3] || f.DomaineLabel != domaines[f.Domaine] || f.GrandDomaine != f.Code[:1] || f.GrandDomaineLabel != grands[f.GrandDomaine] {
			t.Errorf("fiche %s: parents %s %q, %s %q", f.Code, f.Domaine, f.DomaineLabel, f.GrandDomaine, f.GrandDomaineLabel)
		}
		if len(f.Appellations) == 0 {
			t.Errorf("fiche %s has no title", f.Code)
		}
		for _, a := range f.Appellations {
			total++
			if a.Fiche != f.Code || a.OGR <= 0 || a.Masculine == "" || a.Feminine == "" || ogr[a.OGR] {
				t.Errorf("fiche %s: title %+v", f.Code, a)
			}
			ogr[a.OGR] = true
			for _, s := range []string{a.Masculine, a.Feminine} {
				if s != strings.TrimSpace(s) || strings.Contains(s, "  ") || strings.Contains(s, "\t") {
					t.Errorf("title %d: untidy form %q", a.OGR, s)
				}
			}
		}
	}
	if total != len(tr.Appellations()) {
		t.Errorf("%d titles under fiches, %d in all", total, len(tr.Appellations()))
	}
}

func TestFiche(t *testing.T) {
	tr := load(t)
	f, ok := tr.Fiche("a1101")
	if !ok {
		t.Fatal("A1101 not found")
	}
	if f.Code != "A1101" || f.Label != "Conduite d'engins agricoles et forestiers" ||
		f.Domaine != "A11" || f.DomaineLabel != "Engins agricoles et forestiers" ||
		f.GrandDomaine != "A" || f.GrandDomaineLabel != "Agriculture et Pêche, Espaces naturels et Espaces verts, Soins aux animaux" {
		t.Errorf("A1101 = %+v", f)
	}
	want := Appellation{OGR: 11987, Masculine: "Chauffeur de machines agricoles", Feminine: "Chauffeuse de machines agricoles", Fiche: "A1101"}
	if f.Appellations[0] != want {
		t.Errorf("first title of A1101 = %+v, want %+v", f.Appellations[0], want)
	}
	d, _ := tr.Fiche("D1102")
	if d.Label != "Boulangerie - viennoiserie" || !slices.Contains(d.Sectors, "Commerce et distribution") {
		t.Errorf("D1102 = %q %q", d.Label, d.Sectors)
	}
	// A title with one form keeps it for both genders.
	for _, a := range tr.Appellations() {
		if a.Masculine == "Orthophoniste" && a.Feminine != "Orthophoniste" {
			t.Errorf("Orthophoniste: feminine %q", a.Feminine)
		}
	}
	for _, code := range []string{"D11", "D", "", "D9999", "Z1101"} {
		if _, ok := tr.Fiche(code); ok {
			t.Errorf("Fiche(%q) found", code)
		}
	}
}

func TestMatch(t *testing.T) {
	tr := load(t)
	tests := []struct {
		code, kind string
		ok         bool
	}{
		{"D1102", KindFiche, true},
		{"d1102", KindFiche, true},
		{"n4403", KindFiche, true},
		{"D11", KindDomaine, true},
		{"k24", KindDomaine, true},
		{"D", KindGrandDomaine, true},
		{"n", KindGrandDomaine, true},
		{"D19", "", false}, // no such domaine
		{"D1199", "", false},
		{"O", "", false},
		{"Z", "", false},
		{"", "", false},
		{"D1", "", false},
		{"D110", "", false},
		{"D11022", "", false},
		{" D11", "", false},
		{"D11 ", "", false},
		{"é", "", false},
		{"D11\x00", "", false},
	}
	for _, tt := range tests {
		kind, ok := tr.Match(tt.code)
		if kind != tt.kind || ok != tt.ok {
			t.Errorf("Match(%q) = %q, %v; want %q, %v", tt.code, kind, ok, tt.kind, tt.ok)
		}
	}
}

func TestWithin(t *testing.T) {
	tr := load(t)
	tests := []struct {
		fiche, code string
		want        bool
	}{
		{"D1102", "D1102", true},
		{"D1102", "D11", true},
		{"D1102", "D", true},
		{"d1102", "d11", true},
		{"D1102", "d", true},
		{"D1102", "D12", false},
		{"D1102", "D1101", false},
		{"D1102", "A", false},
		{"D1102", "D1", false},  // not a code
		{"D1102", "", false},    // not a code
		{"D11", "D", false},     // not a fiche
		{"D1199", "D11", false}, // no such fiche
		{"", "D", false},
	}
	for _, tt := range tests {
		if got := tr.Within(tt.fiche, tt.code); got != tt.want {
			t.Errorf("Within(%q, %q) = %v, want %v", tt.fiche, tt.code, got, tt.want)
		}
	}
	// Every fiche is within its own domaine and grand domaine, and in no other.
	for _, f := range tr.Fiches() {
		for _, d := range tr.Domaines() {
			if got := tr.Within(f.Code, d.Code); got != (d.Code == f.Domaine) {
				t.Fatalf("Within(%s, %s) = %v", f.Code, d.Code, got)
			}
		}
		for _, g := range tr.GrandDomaines() {
			if got := tr.Within(f.Code, g.Code); got != (g.Code == f.GrandDomaine) {
				t.Fatalf("Within(%s, %s) = %v", f.Code, g.Code, got)
			}
		}
	}
}

// TestSectors checks the reviewed mapping: every fiche has 1 to 3 distinct
// sectors of stageindex.Sectors, and every sector serves some fiche.
func TestSectors(t *testing.T) {
	tr := load(t)
	used := map[string]int{}
	for _, f := range tr.Fiches() {
		if len(f.Sectors) < 1 || len(f.Sectors) > 3 {
			t.Errorf("%s %s: %d sectors", f.Code, f.Label, len(f.Sectors))
		}
		for i, s := range f.Sectors {
			if !slices.Contains(stageindex.Sectors, s) {
				t.Errorf("%s: %q is not in stageindex.Sectors", f.Code, s)
			}
			if slices.Contains(f.Sectors[:i], s) {
				t.Errorf("%s: %q twice", f.Code, s)
			}
			used[s]++
		}
	}
	for _, s := range stageindex.Sectors {
		if used[s] == 0 {
			t.Errorf("sector %q maps no fiche", s)
		}
	}
}

// TestLoadSectorsErrors feeds broken mapping files: each must fail with a
// message naming the line's problem.
func TestLoadSectorsErrors(t *testing.T) {
	line := func(code, label, sectors string) string { return code + "\t" + label + "\t" + sectors + "\n" }
	// The real file with its A1101 line replaced.
	with := func(repl string) string {
		var b strings.Builder
		for _, l := range strings.SplitAfter(sectorsTSV, "\n") {
			if strings.HasPrefix(l, "A1101\t") {
				b.WriteString(repl)
				continue
			}
			b.WriteString(l)
		}
		return b.String()
	}
	const label = "Conduite d'engins agricoles et forestiers"
	tests := []struct {
		name, text, want string
	}{
		{"unknown sector", with(line("A1101", label, "Agriculture;Pêche")), `"Pêche" is not a sector`},
		{"sector misspelt", with(line("A1101", label, "agriculture")), `"agriculture" is not a sector`},
		{"four sectors", with(line("A1101", label, "Agriculture;Filiere bois;Environnement;Énergie")), "4 sectors"},
		{"no sector", with(line("A1101", label, "")), `"" is not a sector`},
		{"sector twice", with(line("A1101", label, "Agriculture;Agriculture")), "twice"},
		{"wrong label", with(line("A1101", "Conduite d'engins", "Agriculture")), "not \"Conduite d'engins\""},
		{"not a fiche", with(line("A11", label, "Agriculture")), `"A11" is not a fiche`},
		{"missing fiche", with(""), "no line for A1101"},
		{"fiche twice", sectorsTSV + line("A1101", label, "Agriculture"), "A1101 twice"},
		{"spaces for tabs", with("A1101 " + label + " Agriculture\n"), "separated by tabs"},
	}
	for _, tt := range tests {
		tr := load(t)
		err := tr.loadSectors(tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "rome: ") {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

// TestImmutable modifies everything the Tree hands out and checks that the
// Tree did not change.
func TestImmutable(t *testing.T) {
	tr := load(t)
	fs := tr.Fiches()
	fs[0].Label = "x"
	fs[0].Appellations = append(fs[0].Appellations, Appellation{OGR: -1})
	as := tr.Appellations()
	as[0].Masculine = "x"
	gs := tr.GrandDomaines()
	gs[0].Label = "x"
	ds := tr.Domaines()
	ds[0].Label = "x"
	f, _ := tr.Fiche("A1101")
	f.Appellations = append(f.Appellations, Appellation{OGR: -2})
	f.Sectors = append(f.Sectors, "x")

	f, _ = tr.Fiche("A1101")
	next, _ := tr.Fiche("A1201")
	if f.Label == "x" || tr.Appellations()[0].Masculine == "x" || tr.GrandDomaines()[0].Label == "x" || tr.Domaines()[0].Label == "x" {
		t.Error("a returned copy shares its elements with the Tree")
	}
	if next.Appellations[0].OGR < 0 || slices.Contains(f.Sectors, "x") {
		t.Error("an append to a fiche's slice reached the Tree")
	}
}

// TestConcurrent reads one Tree from several goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	tr := load(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i, f := range tr.Fiches() {
				if (i+g)%2 == 0 {
					f.Code = strings.ToLower(f.Code)
				}
				if !tr.Within(f.Code, f.GrandDomaine) {
					t.Errorf("Within(%s, %s) false", f.Code, f.GrandDomaine)
				}
				if _, ok := tr.Match(f.Domaine); !ok {
					t.Errorf("Match(%s) false", f.Domaine)
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkLoad measures Load and the heap a loaded Tree keeps (retained-B).
func BenchmarkLoad(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tr)
	retained := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(retained, "retained-B")
}

func BenchmarkMatch(b *testing.B) {
	tr := load(b)
	b.ReportAllocs()
	for b.Loop() {
		tr.Match("d1102")
	}
}

func BenchmarkWithin(b *testing.B) {
	tr := load(b)
	b.ReportAllocs()
	for b.Loop() {
		tr.Within("D1102", "d11")
	}
}
