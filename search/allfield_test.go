package search

import (
	"testing"

	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/stageindex/stageindex"
)

// TestAllFieldMatchesComposite checks that fieldAll gives every offer the
// terms, term frequencies and length Bleve's composite _all field gave it
// under mapping version 7 (its source fields indexed one by one, then
// merged): what text searches score with is unchanged.
func TestAllFieldMatchesComposite(t *testing.T) {
	offers := demoOffers(t)
	// Texts the demo offers may not have: an empty description, words
	// split only by the join, punctuation at the joins.
	offers = append(offers,
		stageindex.Offer{ID: "edge-1", Title: "Boulangerie", EmployerName: "Au pain d'Élise", Description: ""},
		stageindex.Offer{ID: "edge-2", Title: "Atelier 3.", Description: "5 jours - l'atelier.", EmployerName: "l'", EmployerDescription: "aujourd'hui: bois"},
		stageindex.Offer{ID: "edge-3", Title: "Café - Hôtellerie, restauration", Sector: "Hôtellerie, restauration", Description: "Œuvre naïve", EmployerName: "", EmployerDescription: "Straße 日本"},
	)
	old, err := mappingV7()
	if err != nil {
		t.Fatal(err)
	}
	cur, err := newMapping(false)
	if err != nil {
		t.Fatal(err)
	}
	doc := document.NewDocument("x")
	if err := cur.MapDocument(doc, bleveFields(&offers[0], nil, false)); err != nil {
		t.Fatal(err)
	}
	if doc.HasComposite() {
		t.Error("Bleve's _all composite is still made, beside fieldAll")
	}
	for i := range offers {
		o := &offers[i]
		title := titleForIndex(o.Title, o.Sector, o.EmployerName)
		want, wantLen := analyzed(t, old, o.ID, map[string]any{
			"title": title, "description": o.Description, "employer": o.EmployerName,
			"employer_exact": o.EmployerName, "employer_description": o.EmployerDescription, "sector": o.Sector,
		}, "_all")
		got, gotLen := analyzed(t, cur, o.ID, bleveFields(o, nil, false), fieldAll)
		if gotLen != wantLen || len(got) != len(want) {
			t.Errorf("offer %s: %d terms, length %d; _all had %d, length %d", o.ID, len(got), gotLen, len(want), wantLen)
			continue
		}
		for term, n := range want {
			if got[term] != n {
				t.Errorf("offer %s: term %q %d times, _all had it %d times", o.ID, term, got[term], n)
			}
		}
	}
}

// analyzed maps fields with m and returns the term frequencies and the
// length of the field named field (a composite one composed, as Bleve's
// scorch does it).
func analyzed(t *testing.T, m *mapping.IndexMappingImpl, id string, fields map[string]any, field string) (map[string]int, int) {
	t.Helper()
	doc := document.NewDocument(id)
	if err := m.MapDocument(doc, fields); err != nil {
		t.Fatal(err)
	}
	var freqs index.TokenFrequencies
	length, found := 0, false
	doc.VisitFields(func(f index.Field) {
		if !f.Options().IsIndexed() {
			return
		}
		f.Analyze()
		doc.VisitComposite(func(cf index.CompositeField) {
			cf.Compose(f.Name(), f.AnalyzedLength(), f.AnalyzedTokenFrequencies())
		})
		if f.Name() == field {
			freqs, length, found = f.AnalyzedTokenFrequencies(), f.AnalyzedLength(), true
		}
	})
	doc.VisitComposite(func(cf index.CompositeField) {
		if cf.Name() == field {
			freqs, length, found = cf.AnalyzedTokenFrequencies(), cf.AnalyzedLength(), true
		}
	})
	if !found {
		t.Fatalf("no field %s", field)
	}
	out := map[string]int{}
	for term, tf := range freqs {
		out[term] = tf.Frequency()
	}
	return out, length
}

// mappingV7 is newMapping as of MappingVersion 7, before fieldAll: the
// reference TestAllFieldMatchesComposite compares with.
func mappingV7() (*mapping.IndexMappingImpl, error) {
	m := mapping.NewIndexMapping()
	if err := RegisterAnalysis(m); err != nil {
		return nil, err
	}
	dm := mapping.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt("title", textField(AnalyzerText, true, true))
	dm.AddFieldMappingsAt("description", textField(AnalyzerText, true, false))
	dm.AddFieldMappingsAt("employer", textField(AnalyzerText, true, false))
	dm.AddFieldMappingsAt("employer_exact", textField(AnalyzerExact, false, true))
	dm.AddFieldMappingsAt("employer_description", textField(AnalyzerText, true, false))
	dm.AddFieldMappingsAt("sector", textField(AnalyzerText, false, false))
	m.DefaultMapping = dm
	m.DefaultAnalyzer = AnalyzerText
	m.DefaultField = "_all"
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m, nil
}
