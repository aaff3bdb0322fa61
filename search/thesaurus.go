package search

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/stageindex/stageindex/search/rome"
)

//go:embed thesaurus.txt
var thesaurusFile []byte

// MaxExpansions caps what Expand returns from hand-written fields, and
// apart what it returns from ROME fiches, strongest first, so that a query
// naming several jobs stays a query of reasonable size.
const MaxExpansions = 24

// Weights applied when following the thesaurus from a matched entry to the
// words of its field. They are relative to the entry's own weight.
const (
	weightOffers  = 0.9 // a field's offer vocabulary, next to its name
	weightJobs    = 0.8 // a field's jobs, when the pupil named the field
	weightOfferIn = 0.8 // the pupil typed a word of some field's vocabulary
)

// Kinds of Term.
const (
	KindJob   = "job"
	KindField = "field"
	KindWord  = "word"
)

// Term is one job, field or everyday word of the thesaurus, for suggestions.
type Term struct {
	Text       string // as written in the file, with accents
	Kind       string // KindJob, KindField or KindWord
	Field      string // the field it belongs to (its own name for a field)
	Popularity int    // higher first; 0 for offer vocabulary
	ROME       string // the ROME fiche it comes from, "" for a hand-written term
}

// Expansion is a text to search in addition to what the pupil typed.
type Expansion struct {
	Text   string  // one or more words, to analyze with AnalyzerText
	Weight float64 // in (0,1]: 1 for a synonym, lower for a loose association
	// ROME: reached only through ROME fiches (their titles and vocabulary),
	// not through a hand-written field.
	ROME bool
}

// Thesaurus maps what pupils type to the words offers use. It is immutable
// once loaded and safe for concurrent use.
type Thesaurus struct {
	fields   []*field
	byName   map[string]int     // field key → index
	keys     map[string][]entry // analyzed key → explicit entries
	offers   map[string][]entry // analyzed key → offer-vocabulary entries
	maxWords int                // longest key, in terms
	keyOf    map[string]string  // text of the file → its key, to skip analysis in Expand
	terms    []Term
	analyzer analysis.Analyzer
	// memo remembers key's answers while the thesaurus is built, by one
	// goroutine; nil once it is read concurrently.
	memo map[string]string
	// rome is the ROME tree as fields and classifier; nil for a thesaurus
	// parsed alone (ParseThesaurus).
	rome *romeModel
	// slang maps a folded word pupils use to the standard words it means
	// (slang.txt); nil for a thesaurus parsed alone.
	slang map[string]string
	// correction holds the words typos are corrected to (words).
	wordsOnce  sync.Once
	correction *correctionWords
}

type field struct {
	name    string
	sectors []string
	offers  []string
	jobs    [][]string // synonym groups, canonical name first
	see     []link
	pop     int
	// rome is 1 + the index of the ROME fiche the field is (Thesaurus.rome),
	// 0 for a hand-written field.
	rome int
}

type link struct {
	target string
	weight float64
}

type entryKind int

const (
	entryField entryKind = iota
	entryJob
	entryWord
	entryOffer
	entryIgnore
)

type entry struct {
	kind   entryKind
	field  int
	group  int     // job group index, for entryJob
	weight float64 // for entryWord
}

// LoadThesaurus returns the thesaurus embedded in the binary, validated,
// with the ROME tree and its pupils' vocabulary merged in (every fiche a
// field, every job title a job). It is built once per process — a few
// hundred milliseconds — and shared: a Thesaurus is immutable.
func LoadThesaurus() (*Thesaurus, error) { return embeddedThesaurus() }

var embeddedThesaurus = sync.OnceValues(loadThesaurus)

// loadThesaurus builds the embedded thesaurus; LoadThesaurus does it once.
func loadThesaurus() (*Thesaurus, error) {
	t, err := parseThesaurus(thesaurusFile)
	if err != nil {
		return nil, err
	}
	// What the load analyses, it often analyses again (a name as a field,
	// then as a key of keyOf): remembered until the load is done, then
	// dropped, as the thesaurus is read concurrently from there on.
	defer func() { t.memo = nil }()
	tree, err := rome.Load()
	if err != nil {
		return nil, fmt.Errorf("search: thesaurus: %w", err)
	}
	vocab, err := tree.Vocab()
	if err != nil {
		return nil, fmt.Errorf("search: thesaurus: %w", err)
	}
	t.addROME(tree, vocab)
	if t.slang, err = parseSlang(slangFile); err != nil {
		return nil, err
	}
	t.keyOf = map[string]string{}
	for _, f := range t.fields {
		for _, x := range append(append([]string{f.name}, f.offers...), slices.Concat(f.jobs...)...) {
			t.keyOf[x] = t.key(x)
		}
	}
	return t, nil
}

// ParseThesaurus parses and validates a thesaurus in the format of
// thesaurus.txt (see docs/thesaurus.md). Errors name the offending line.
func ParseThesaurus(data []byte) (*Thesaurus, error) {
	t, err := parseThesaurus(data)
	if t != nil {
		t.memo = nil
	}
	return t, err
}

// parseThesaurus is ParseThesaurus, its key memo kept for the rest of a
// load.
func parseThesaurus(data []byte) (*Thesaurus, error) {
	m := mapping.NewIndexMapping()
	if err := RegisterAnalysis(m); err != nil {
		return nil, fmt.Errorf("search: thesaurus: %w", err)
	}
	t := &Thesaurus{
		byName:   map[string]int{},
		keys:     map[string][]entry{},
		offers:   map[string][]entry{},
		analyzer: m.AnalyzerNamed(AnalyzerText),
		memo:     map[string]string{},
	}
	if err := t.parse(string(data)); err != nil {
		return nil, fmt.Errorf("search: thesaurus: %w", err)
	}
	return t, nil
}

// Expand returns what to search besides q, strongest first: for each job,
// field or word of q (longest match first, so "agent immobilier" is one job
// and "mode d'emploi" is not fashion), the words of its field and of the
// fields it links to. Texts equal to q's own words are left out; the result
// is empty when q names nothing known.
func (t *Thesaurus) Expand(q string) []Expansion {
	matches, qwords := t.match(q)
	if len(matches) == 0 {
		return nil
	}
	c := collector{seen: map[string]int{}, skip: qwords, norm: t.textKey}
	for _, e := range matches {
		f := t.fields[e.field]
		c.rome = f.rome != 0
		switch e.kind {
		case entryField:
			t.reach(&c, f, 1, true)
		case entryJob:
			for _, name := range f.jobs[e.group] {
				c.add(name, 1)
			}
			t.reach(&c, f, 1, false)
		case entryWord:
			t.reach(&c, f, e.weight, false)
		case entryOffer:
			t.reach(&c, f, weightOfferIn, false)
		}
	}
	out := c.out
	slices.SortStableFunc(out, func(a, b Expansion) int {
		switch {
		case a.Weight > b.Weight:
			return -1
		case a.Weight < b.Weight:
			return 1
		}
		return 0
	})
	// The cap applies to each source apart: ROME's titles, many and
	// strong, must not crowd out the hand-written field's loose words.
	kept, hand, rome := out[:0], 0, 0
	for _, e := range out {
		n := &hand
		if e.ROME {
			n = &rome
		}
		if *n < MaxExpansions {
			*n++
			kept = append(kept, e)
		}
	}
	return kept
}

// reach adds field f's name and vocabulary at weight w, its jobs when the
// pupil named the field itself, and the fields it links to.
func (t *Thesaurus) reach(c *collector, f *field, w float64, asField bool) {
	if f.rome == 0 {
		// A ROME fiche's label is an administrative phrase ("Boulangerie -
		// viennoiserie"), never how an offer says it: its jobs and words are.
		c.add(f.name, w)
	}
	for _, o := range f.offers {
		c.add(o, w*weightOffers)
	}
	if asField {
		for _, g := range f.jobs {
			c.add(g[0], w*weightJobs)
		}
	}
	for _, l := range f.see {
		g := t.fields[t.byName[l.target]]
		c.add(g.name, w*l.weight)
		for _, o := range g.offers {
			c.add(o, w*l.weight*weightOffers)
		}
	}
}

// Sectors returns the canonical stageindex.Sectors names of the fields q
// names, in the order q names them.
func (t *Thesaurus) Sectors(q string) []string {
	matches, _ := t.match(q)
	var out []string
	for _, e := range matches {
		for _, s := range t.fields[e.field].sectors {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// LinkedSectors returns the sectors of the fields that the fields q names
// link to (`see`), those of Sectors(q) left out: loose associations reach
// offers there.
func (t *Thesaurus) LinkedSectors(q string) []string {
	matches, _ := t.match(q)
	own := t.Sectors(q)
	var out []string
	for _, e := range matches {
		for _, l := range t.fields[e.field].see {
			for _, s := range t.fields[t.byName[l.target]].sectors {
				if !slices.Contains(own, s) && !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// Terms returns every field, job and word of the thesaurus (offer vocabulary
// last, with popularity 0), each text once. The slice is a copy.
func (t *Thesaurus) Terms() []Term {
	return slices.Clone(t.terms)
}

// subSpanWeight is what a word read inside a weakly named phrase weighs
// (match): below strongWeight, a loose association.
const subSpanWeight = 0.8

// match finds the entries q designates, longest key first, and returns them
// with the set of q's analyzed words and matched keys.
func (t *Thesaurus) match(q string) ([]entry, map[string]bool) {
	words := t.analyze(q)
	qwords := map[string]bool{}
	for _, w := range words {
		qwords[w] = true
	}
	var out []entry
	// An ignore entry only keeps its own field away, from the phrase and
	// the words inside it: the phrase may still be another field's job or
	// offer word, and so may its words ("carrière militaire" is no
	// quarry, and still a soldier's career).
	var blocked map[int]int // field → end of the span its ignore entry covers
	// A phrase that names its fields only weakly (an intent or everyday
	// phrase of the vocabulary below strongWeight: "travailler en crèche"
	// at 0.6) does not hide its words: they are read too, as loose
	// associations (subSpanWeight), so that "crèche" still reaches the
	// nurseries of the hand-written thesaurus. Consumed whole, the phrase
	// left the benchmark corpus' nursery queries with no offer at all.
	weakEnd := 0 // end of the last weak phrase: words before it are inside
	for i := 0; i < len(words); {
		n := min(t.maxWords, len(words)-i)
		for ; n > 0; n-- {
			k := strings.Join(words[i:i+n], " ")
			es, ok := t.keys[k]
			if os, ook := t.offers[k]; ook {
				es, ok = append(slices.Clip(es), os...), true
			}
			if !ok {
				continue
			}
			qwords[k] = true
			added, strong := false, false
			for _, e := range es {
				switch {
				case e.kind == entryIgnore:
					if blocked == nil {
						blocked = map[int]int{}
					}
					blocked[e.field] = max(blocked[e.field], i+n)
				case blocked[e.field] <= i:
					if i+n <= weakEnd {
						w := 1.0
						if e.kind == entryWord {
							w = e.weight
						}
						e = entry{kind: entryWord, field: e.field, weight: min(w, subSpanWeight)}
					}
					out = append(out, e)
					added = true
					strong = strong || n == 1 || e.kind != entryWord || e.weight >= strongWeight
				}
			}
			if strong {
				break
			}
			if added {
				weakEnd = max(weakEnd, i+n)
			}
		}
		i += max(n, 1)
	}
	return out, qwords
}

func (t *Thesaurus) analyze(s string) []string {
	ts := t.analyzer.Analyze([]byte(s))
	out := make([]string, len(ts))
	for i, tok := range ts {
		out[i] = string(tok.Term)
	}
	return out
}

// key is the lookup key of a text: its AnalyzerText terms joined by spaces,
// so entries match whatever case, accents, plural or elision a pupil types.
func (t *Thesaurus) key(s string) string {
	if k, ok := t.memo[s]; ok {
		return k
	}
	k := strings.Join(t.analyze(s), " ")
	if t.memo != nil {
		t.memo[s] = k
	}
	return k
}

// textKey is key for texts of the file, precomputed at load.
func (t *Thesaurus) textKey(s string) string {
	if k, ok := t.keyOf[s]; ok {
		return k
	}
	return t.key(s)
}

// collector gathers expansions once per key, keeping the highest weight.
type collector struct {
	rome bool // the entry being reached is a ROME fiche's
	out  []Expansion
	seen map[string]int
	skip map[string]bool
	norm func(string) string
}

func (c *collector) add(text string, w float64) {
	w = math.Round(w*100) / 100 // 0.72, not 0.7200000000000001
	k := c.norm(text)
	if k == "" || c.skip[k] {
		return
	}
	if i, ok := c.seen[k]; ok {
		c.out[i].Weight = max(c.out[i].Weight, w)
		c.out[i].ROME = c.out[i].ROME && c.rome
		return
	}
	c.seen[k] = len(c.out)
	c.out = append(c.out, Expansion{Text: text, Weight: w, ROME: c.rome})
}
