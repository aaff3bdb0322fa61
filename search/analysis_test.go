package search

import (
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2/mapping"
)

func newTestMapping(t *testing.T) *mapping.IndexMappingImpl {
	t.Helper()
	m := mapping.NewIndexMapping()
	if err := RegisterAnalysis(m); err != nil {
		t.Fatalf("RegisterAnalysis: %v", err)
	}
	return m
}

func TestAnalyzers(t *testing.T) {
	m := newTestMapping(t)
	tests := []struct {
		name, in    string
		text, exact []string
	}{
		{"case and accents", "HÔPITAL Hôpital hopital", []string{"hopital", "hopital", "hopital"}, []string{"hopital", "hopital", "hopital"}},
		{"short words folded too", "pâte à sel", []string{"pate", "sel"}, []string{"pate", "a", "sel"}},
		{"ligature", "Œuvre d'art", []string{"oeuvre", "art"}, []string{"oeuvre", "art"}},
		{"elisions", "l'hôpital d'Argenteuil qu'il j'aime n'est s'occuper c'est", []string{"hopital", "argenteuil", "aime", "occuper"}, []string{"hopital", "argenteuil", "il", "aime", "est", "occuper", "est"}},
		{"typographic apostrophe", "L’école jusqu’au soir", []string{"ecole", "soir"}, []string{"ecole", "au", "soir"}},
		{"apostrophe inside a word", "aujourd'hui", []string{"aujourd'hui"}, []string{"aujourd'hui"}},
		{"hyphens split", "aide-soignante Saint-Brieuc", []string{"aide", "soignant", "saint", "brieuc"}, []string{"aide", "soignante", "saint", "brieuc"}},
		{"numbers kept", "9h-12h 22000 2A004", []string{"9h", "12h", "22000", "2a004"}, []string{"9h", "12h", "22000", "2a004"}},
		{"domain stop words", "Stage de 3e : découverte du métier, semaine d'observation en troisième", []string{}, []string{"stage", "de", "3e", "decouverte", "du", "metier", "semaine", "observation", "en", "troisieme"}},
		{"3ème", "élève de 3ème", []string{}, []string{"eleve", "de", "3eme"}},
		{"offer title", "Au Pain de Ercuis - Hôtellerie, restauration - Découverte du métier de boulanger", []string{"pain", "ercuis", "hotellerie", "restauration", "boulanger"}, []string{"au", "pain", "de", "ercuis", "hotellerie", "restauration", "decouverte", "du", "metier", "de", "boulanger"}},
		{"maïs is not mais nor mai", "maïs Mai", []string{"mais", "mai"}, []string{"mais", "mai"}},
		{"plural -s", "tissus fleurs", []string{"tissu", "fleur"}, []string{"tissus", "fleurs"}},
		{"employer name as typed", "Boulangerie Les Délices", []string{"boulangerie", "delice"}, []string{"boulangerie", "les", "delices"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AnalyzeTerms(m, AnalyzerText, tc.in); !slices.Equal(got, tc.text) {
				t.Errorf("text %q = %q, want %q", tc.in, got, tc.text)
			}
			if got := AnalyzeTerms(m, AnalyzerExact, tc.in); !slices.Equal(got, tc.exact) {
				t.Errorf("exact %q = %q, want %q", tc.in, got, tc.exact)
			}
		})
	}
}

// TestStemConflates checks each group of forms shares one stem, and that the
// stem differs from every other group's: conflating too much is as wrong as
// too little.
func TestStemConflates(t *testing.T) {
	m := newTestMapping(t)
	groups := []struct {
		name  string
		forms []string
	}{
		{"boulanger", []string{"boulanger", "boulangère", "boulangers", "boulangères", "Boulangere"}},
		{"boulangerie", []string{"boulangerie", "boulangeries"}},
		{"infirmier", []string{"infirmier", "infirmière", "infirmiers", "infirmières"}},
		{"vendeur", []string{"vendeur", "vendeuse", "vendeurs", "vendeuses"}},
		{"vente", []string{"vente", "ventes"}},
		{"vent", []string{"vent", "vents"}},
		{"verte", []string{"verte", "vertes"}},
		{"coiffeur", []string{"coiffeur", "coiffeuse", "coiffeuses"}},
		{"directeur", []string{"directeur", "directrice", "directrices"}},
		{"technicien", []string{"technicien", "technicienne", "techniciennes", "techniciens"}},
		{"cuisinier", []string{"cuisinier", "cuisinière", "cuisiniers"}},
		{"cuisine", []string{"cuisine", "cuisines"}},
		{"agricole", []string{"agricole", "agricoles"}},
		{"animal", []string{"animal", "animaux"}},
		{"journal", []string{"journal", "journaux"}},
		{"jeu", []string{"jeu", "jeux"}},
		{"avocat", []string{"avocat", "avocate", "avocats"}},
		{"assistant", []string{"assistant", "assistante", "assistantes"}},
		{"sportif", []string{"sportif", "sportive", "sportives"}},
		{"ingenieur", []string{"ingénieur", "ingénieure"}},
		{"armee", []string{"armée", "armées"}},
		{"arme", []string{"arme", "armes"}},
		{"poste", []string{"poste", "postes"}},
		{"mode", []string{"mode", "modes"}},
		{"banque", []string{"banque", "banques"}},
		{"banc", []string{"banc", "bancs"}},
		{"argent", []string{"argent"}},
		{"argenteuil", []string{"Argenteuil"}},
		{"foot", []string{"foot"}},
		{"footing", []string{"footing"}},
		{"sante", []string{"santé"}},
		{"travaux", []string{"travaux"}},
		{"travail", []string{"travail"}},
		{"mere", []string{"mère", "mères"}},
		{"musee", []string{"musée", "musées"}},
	}
	stemOf := map[string]string{}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			var first string
			for i, f := range g.forms {
				got := AnalyzeTerms(m, AnalyzerText, f)
				if len(got) != 1 {
					t.Fatalf("%q gave %q, want one term", f, got)
				}
				if i == 0 {
					first = got[0]
				} else if got[0] != first {
					t.Errorf("%q → %q, but %q → %q", f, got[0], g.forms[0], first)
				}
			}
			if other, ok := stemOf[first]; ok {
				t.Errorf("groups %s and %s share stem %q", other, g.name, first)
			}
			stemOf[first] = g.name
		})
	}
}

func TestAnalyzeTermsUnknownAnalyzer(t *testing.T) {
	m := newTestMapping(t)
	if got := AnalyzeTerms(m, "no_such_analyzer", "banque"); got != nil {
		t.Errorf("got %q, want nil", got)
	}
}

func TestRegisterAnalysisNil(t *testing.T) {
	if err := RegisterAnalysis(nil); err == nil {
		t.Error("RegisterAnalysis(nil) = nil error")
	}
}

func BenchmarkAnalyzeText(b *testing.B) {
	m := mapping.NewIndexMapping()
	if err := RegisterAnalysis(m); err != nil {
		b.Fatal(err)
	}
	a := m.AnalyzerNamed(AnalyzerText)
	text := []byte("Nous accueillons un ou une élève de troisième pour une semaine de découverte. Au programme : respecter les règles d'hygiène du fournil, cuire le pain au four à bois.")
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		a.Analyze(text)
	}
}
