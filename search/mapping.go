package search

import (
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/stageindex/stageindex"
)

// MappingVersion changes whenever newMapping or the analysis changes, so that
// an index built by an older binary is rebuilt rather than searched with
// mismatched analysis.
const MappingVersion = 9

// Field names of the Bleve documents.
const (
	fieldTitle         = "title"
	fieldEmployerExact = "employer_exact"
	fieldSector        = "sector"
	fieldAll           = "all"
	fieldSource        = "src"
)

// textField is a text field of analyzer, neither stored nor with doc values
// (the stored copy is fieldSource's), in Bleve's composite _all or not,
// with term vectors (positions, for phrases and highlights) or not.
func textField(analyzer string, inAll, vectors bool) *mapping.FieldMapping {
	f := mapping.NewTextFieldMapping()
	f.Analyzer = analyzer
	f.Store = false
	f.IncludeInAll = inAll
	f.IncludeTermVectors = vectors
	f.DocValues = false
	return f
}

// newMapping builds the Bleve mapping: every text field goes through the
// French analyzer; fieldAll, the title, description, employer and
// employer description in one text (bleveFields), carries the main keyword
// match; the title keeps term vectors for phrase matches; the employer
// name is also kept unstemmed so that "Le Gall" matches as typed. Nothing
// is stored: the search core keeps offers in memory and computes
// highlights itself.
//
// fieldAll replaces Bleve's composite _all field, which held the same
// terms with the same frequencies and length: _all was built by merging
// the token frequencies of its source fields, each also indexed on its
// own, so that the description, by far the longest text, was inverted
// twice (once for a field no search reads), and _all kept every term's
// positions, which no search reads either (~11 % of a build's CPU,
// docs/performance.md point 39).
//
// An index on disk also stores each offer, in the binary form of
// encodeDoc in fieldSource, so that reopening it restores the in-memory
// offers without PostgreSQL.
func newMapping(stored bool) (*mapping.IndexMappingImpl, error) {
	m := mapping.NewIndexMapping()
	if err := RegisterAnalysis(m); err != nil {
		return nil, fmt.Errorf("search: analysis: %w", err)
	}
	dm := mapping.NewDocumentStaticMapping()
	dm.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
	dm.AddFieldMappingsAt(fieldAll, textField(AnalyzerText, false, false))
	dm.AddFieldMappingsAt(fieldTitle, textField(AnalyzerText, false, true))
	dm.AddFieldMappingsAt(fieldEmployerExact, textField(AnalyzerExact, false, false))
	// The sector stays out of fieldAll: it spans several jobs ("Banque et
	// assurance"), so matching it is a loose association, never a literal
	// match of the pupil's words.
	dm.AddFieldMappingsAt(fieldSector, textField(AnalyzerText, false, false))
	if stored {
		src := mapping.NewTextFieldMapping()
		src.Index, src.Store, src.IncludeInAll, src.DocValues = false, true, false, false
		dm.AddFieldMappingsAt(fieldSource, src)
	}
	m.DefaultMapping = dm
	m.DefaultAnalyzer = AnalyzerText
	m.DefaultField = fieldAll
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m, nil
}

// bleveDoc is what Bleve indexes for a pending doc (newDoc).
func bleveDoc(d *doc, stored bool) map[string]any {
	enc := d.pending.enc
	if stored && enc == nil {
		enc = encodeDoc(d)
	}
	return bleveFields(d.pending.Offer, enc, stored)
}

// bleveFields is what Bleve indexes for offer o, whose encoded form
// (encodeDoc) is enc when stored.
func bleveFields(o *stageindex.Offer, enc []byte, stored bool) map[string]any {
	title := titleForIndex(o.Title, o.Sector, o.EmployerName)
	m := map[string]any{
		fieldAll:           allText(title, o.Description, o.EmployerName, o.EmployerDescription),
		fieldTitle:         title,
		fieldEmployerExact: o.EmployerName,
		fieldSector:        o.Sector,
	}
	if stored {
		m[fieldSource] = aliasString(enc) // enc is never written again
	}
	return m
}

// allText joins the texts of fieldAll. A line break between them is a
// word boundary in every case (UAX #29, WB3a and WB3b), and the analyzer's
// filters see one token at a time: the terms, their frequencies and their
// count are those of the texts analysed one by one, as Bleve's _all
// composed them.
func allText(texts ...string) string { return strings.Join(texts, "\n") }

// titleForIndex drops from a title the " - "-separated segments that repeat
// the offer's sector or its employer's name, as many platforms build titles
// ("MACIF Lannion - Banque et assurance - Accueil des assurés"). Both have
// fields of their own; left in the title, the sector would make every
// insurer a title match for "banque", and the employer would lift the
// florist "Au Jardin de Lucie" to a title match for "jardin", above every
// gardener. A title that is nothing but those segments is kept whole.
func titleForIndex(title, sector, employer string) string {
	if !strings.Contains(title, " - ") {
		return title
	}
	sk, ek := stageindex.Fold(sector), stageindex.Fold(employer)
	parts := strings.Split(title, " - ")
	kept := parts[:0]
	for _, p := range parts {
		if k := stageindex.Fold(p); (sk == "" || k != sk) && (ek == "" || k != ek) {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return title
	}
	return strings.Join(kept, " - ")
}
