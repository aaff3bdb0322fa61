package search

import (
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/token/elision"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	tokenmap "github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/stageindex/stageindex"
)

// Analyzer names registered by RegisterAnalysis.
const (
	// AnalyzerText folds case and accents, strips elisions, drops French and
	// domain stop words and conflates plural and feminine forms. Use it for
	// titles, descriptions and keyword queries.
	AnalyzerText = "stageindex_text"
	// AnalyzerExact folds case and accents and strips elisions only: no stop
	// words, no stemming. Use it for employer names, matched as typed.
	AnalyzerExact = "stageindex_exact"
)

// Names of the Go token filters this package adds to bleve's registry, and
// of the token maps and configured filters RegisterAnalysis defines.
const (
	FilterFold   = "stageindex_fold"
	FilterStemFR = "stageindex_fr_stem"

	tokenMapArticles = "stageindex_articles"
	tokenMapStop     = "stageindex_stop"
	filterElision    = "stageindex_elision"
	filterStop       = "stageindex_stop"
)

// frArticles are the elided words stripped before an apostrophe (straight or
// typographic): l'hôpital, qu'il, jusqu'au.
const frArticles = "l d j m n s t c qu jusqu lorsqu puisqu quoiqu"

// textStopWords are dropped by AnalyzerText, written folded because they are
// removed after accent folding: French grammar words, the words of every
// offer (stage, découverte), and a pupil's filler words ("je veux un métier
// dans le domaine de…, svp"), so that a whole phrase is read by its words of
// substance. Deliberately absent: "mais" (maïs folds to
// it), "son" (prise de son), "car" (a coach), "or" (gold), "ete", "etre" (bien-être).
const textStopWords = `
a ai as au aux avec avez avons c ca ce ceci cela ces cet cette chez comme
d dans de depuis des donc dont du elle elles en entre est et eux il ils
j je l la le les leur leurs lors lui m ma me mes moi mon n ne ni nos notre
nous on ont ou par pas pendant plus pour qu que quel quelle qui s sa sans se
ses si sont sous sur t ta te tes toi ton tous tout toute toutes tres tu un
une vers vos votre vous y
stage stages stagiaire stagiaires decouverte decouvertes decouvrir metier
metiers eleve eleves semaine semaines troisieme troisiemes 3e 3eme 3em
observation
veux voudrais voudrait veut aimerais aimerait souhaite souhaiterais
cherche cherches svp stp plait merci bonjour genre truc trucs domaine
`

func init() {
	// Registering constructors by name is bleve's own extension mechanism:
	// an index reopened from disk finds its analyzers' filters the same way.
	for name, f := range map[string]analysis.TokenFilter{
		FilterFold:   foldFilter{},
		FilterStemFR: stemFilter{},
	} {
		f := f
		err := registry.RegisterTokenFilter(name, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
			return f, nil
		})
		if err != nil {
			panic(fmt.Sprintf("search: register %s: %v", name, err))
		}
	}
}

// RegisterAnalysis adds AnalyzerText and AnalyzerExact, with the token maps
// and configured filters they use, to m.
func RegisterAnalysis(m *mapping.IndexMappingImpl) error {
	if m == nil {
		return fmt.Errorf("search: register analysis: nil mapping")
	}
	steps := []struct {
		name string
		add  func(string, map[string]interface{}) error
		cfg  map[string]interface{}
	}{
		{tokenMapArticles, m.AddCustomTokenMap, map[string]interface{}{
			"type": tokenmap.Name, "tokens": words(frArticles)}},
		{tokenMapStop, m.AddCustomTokenMap, map[string]interface{}{
			"type": tokenmap.Name, "tokens": words(textStopWords)}},
		{filterElision, m.AddCustomTokenFilter, map[string]interface{}{
			"type": elision.Name, "articles_token_map": tokenMapArticles}},
		{filterStop, m.AddCustomTokenFilter, map[string]interface{}{
			"type": stop.Name, "stop_token_map": tokenMapStop}},
		{AnalyzerText, m.AddCustomAnalyzer, map[string]interface{}{
			"type":      custom.Name,
			"tokenizer": TokenizerWords,
			"token_filters": []string{
				lowercase.Name, filterElision, FilterFold, filterStop, FilterStemFR,
			},
		}},
		{AnalyzerExact, m.AddCustomAnalyzer, map[string]interface{}{
			"type":          custom.Name,
			"tokenizer":     TokenizerWords,
			"token_filters": []string{lowercase.Name, filterElision, FilterFold},
		}},
	}
	for _, s := range steps {
		if err := s.add(s.name, s.cfg); err != nil {
			return fmt.Errorf("search: register analysis %s: %w", s.name, err)
		}
	}
	return nil
}

// AnalyzeTerms returns the terms analyzer produces for text, in order, or
// nil when m does not know the analyzer.
func AnalyzeTerms(m mapping.IndexMapping, analyzer, text string) []string {
	a := m.AnalyzerNamed(analyzer)
	if a == nil {
		return nil
	}
	ts := a.Analyze([]byte(text))
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, string(t.Term))
	}
	return out
}

func words(s string) []interface{} {
	f := strings.Fields(s)
	out := make([]interface{}, len(f))
	for i, w := range f {
		out[i] = w
	}
	return out
}

// foldFilter strips diacritics from every token, whatever its length: bleve's
// French light stemmer only does so on tokens longer than four letters, so
// "pâte" and "pate" would otherwise differ. Folding a token (not the text)
// keeps token offsets on the original text, which highlighting needs.
type foldFilter struct{}

func (foldFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		if !isASCII(t.Term) {
			t.Term = []byte(foldToken(string(t.Term)))
		}
	}
	return in
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldToken strips diacritics from a lowercase token (stageindex.FoldRune)
// and writes typographic apostrophes as straight ones.
func foldToken(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case '’', 'ʼ', '‘':
			b.WriteByte('\'')
		default:
			if f, ok := stageindex.FoldRune(r); ok {
				b.WriteString(f)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// stemFilter conflates French plural and feminine forms of folded tokens.
type stemFilter struct{}

func (stemFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		if len(t.Term) == 0 {
			continue
		}
		// Read in place: stemFR returns its argument, a prefix of it or
		// a new string, and the term is replaced by a copy when it
		// changes (the term may alias the analysed text).
		term := unsafe.String(&t.Term[0], len(t.Term))
		s := stemFR(term)
		switch {
		case len(s) == len(term) && s == term:
		case len(s) < len(term) && term[:len(s)] == s:
			t.Term = t.Term[:len(s):len(s)]
		default:
			t.Term = []byte(s)
		}
	}
	return in
}

// stemFR is a deliberately light French stemmer for folded lowercase tokens:
// it removes the plural, then maps feminine and agent forms onto the
// masculine (boulangères → boulanger, coiffeuse → coiffeur, directrice →
// directeur, technicienne → technicien, animaux → animal). It never touches
// derivation, so boulangerie stays apart from boulanger (the thesaurus links
// them), and vente apart from vent. Length guards keep short words such as
// mère, pâte, armée or musée intact.
func stemFR(t string) string {
	for i := 0; i < len(t); i++ {
		if c := t[i]; c < 'a' || c > 'z' {
			return t // digits, apostrophes, other scripts: leave as typed
		}
	}
	switch t {
	case "travaux": // not travail: "travaux publics" is a field of its own
		return t
	case "vitraux":
		return "vitrail"
	case "coraux":
		return "corail"
	case "tuyaux", "noyaux", "boyaux", "joyaux", "preaux", "landaux":
		return t[:len(t)-1]
	case "yeux":
		return "oeil"
	}
	if len(t) <= 3 {
		return t
	}
	switch n := len(t); {
	case strings.HasSuffix(t, "eaux"):
		t = t[:n-1]
	case strings.HasSuffix(t, "aux") && n >= 5:
		t = t[:n-3] + "al"
	case strings.HasSuffix(t, "eux"), strings.HasSuffix(t, "oux"):
		t = t[:n-1]
	case strings.HasSuffix(t, "s") && !strings.HasSuffix(t, "ss") && !strings.HasSuffix(t, "is"):
		// -is is mostly singular (maïs, colis, permis, avis): maïs ≠ mai
		t = t[:n-1]
	}
	// Every rule's suffix ends in e: most words are done here, not tried
	// against each rule (BenchmarkAnalyzeText 2,998 → 2,840 ns, medians
	// of 5).
	if t[len(t)-1] != 'e' {
		return t
	}
	// Tried in order on the singular; min is the shortest token a rule fits.
	feminineRules := [...]struct {
		suffix, repl string
		min          int
	}{
		{"euse", "eur", 7},   // vendeuse, coiffeuse, serveuse (not creuse)
		{"trice", "teur", 7}, // directrice, actrice, animatrice
		{"eure", "eur", 7},   // ingénieure, professeure (not heure)
		{"ere", "er", 6},     // boulangère, infirmière, cuisinière (not mère)
		{"enne", "en", 6},    // technicienne, pharmacienne
		{"onne", "on", 7},    // patronne, championne
		{"elle", "el", 7},    // professionnelle, culturelle
		{"ive", "if", 6},     // sportive, associative
		{"ale", "al", 6},     // municipale, locale (not pâle, mâle)
		{"ante", "ant", 7},   // assistante, commerçante (not santé, plante)
		{"ente", "ent", 8},   // présidente (not attente)
		{"ate", "at", 7},     // avocate, candidate (not tomate)
		{"ee", "e", 7},       // employée, diplômée (not armée, musée, lycée)
	}
	for _, r := range feminineRules {
		if len(t) >= r.min && strings.HasSuffix(t, r.suffix) {
			return t[:len(t)-len(r.suffix)] + r.repl
		}
	}
	return t
}
