package search

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/stageindex/stageindex"
)

//go:embed thesaurus.txt
var thesaurusFile []byte

// MaxExpansions caps what Expand returns, strongest first, so that a query
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
}

// Expansion is a text to search in addition to what the pupil typed.
type Expansion struct {
	Text   string  // one or more words, to analyze with AnalyzerText
	Weight float64 // in (0,1]: 1 for a synonym, lower for a loose association
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
}

type field struct {
	name    string
	sectors []string
	offers  []string
	jobs    [][]string // synonym groups, canonical name first
	see     []link
	pop     int
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

// LoadThesaurus parses and validates the thesaurus embedded in the binary.
func LoadThesaurus() (*Thesaurus, error) {
	return ParseThesaurus(thesaurusFile)
}

// ParseThesaurus parses and validates a thesaurus in the format of
// thesaurus.txt (see docs/thesaurus.md). Errors name the offending line.
func ParseThesaurus(data []byte) (*Thesaurus, error) {
	m := mapping.NewIndexMapping()
	if err := RegisterAnalysis(m); err != nil {
		return nil, fmt.Errorf("search: thesaurus: %w", err)
	}
	t := &Thesaurus{
		byName:   map[string]int{},
		keys:     map[string][]entry{},
		offers:   map[string][]entry{},
		analyzer: m.AnalyzerNamed(AnalyzerText),
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
	if len(out) > MaxExpansions {
		out = out[:MaxExpansions]
	}
	return out
}

// reach adds field f's name and vocabulary at weight w, its jobs when the
// pupil named the field itself, and the fields it links to.
func (t *Thesaurus) reach(c *collector, f *field, w float64, asField bool) {
	c.add(f.name, w)
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

// Terms returns every field, job and word of the thesaurus (offer vocabulary
// last, with popularity 0), each text once. The slice is a copy.
func (t *Thesaurus) Terms() []Term {
	return slices.Clone(t.terms)
}

// match finds the entries q designates, longest key first, and returns them
// with the set of q's analyzed words and matched keys.
func (t *Thesaurus) match(q string) ([]entry, map[string]bool) {
	words := t.analyze(q)
	qwords := map[string]bool{}
	for _, w := range words {
		qwords[w] = true
	}
	var out []entry
	for i := 0; i < len(words); {
		n := min(t.maxWords, len(words)-i)
		for ; n > 0; n-- {
			k := strings.Join(words[i:i+n], " ")
			es, ok := t.keys[k]
			if !ok {
				es, ok = t.offers[k]
			}
			if ok {
				qwords[k] = true
				for _, e := range es {
					if e.kind != entryIgnore {
						out = append(out, e)
					}
				}
				break
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
func (t *Thesaurus) key(s string) string { return strings.Join(t.analyze(s), " ") }

// textKey is key for texts of the file, precomputed at load.
func (t *Thesaurus) textKey(s string) string {
	if k, ok := t.keyOf[s]; ok {
		return k
	}
	return t.key(s)
}

// collector gathers expansions once per key, keeping the highest weight.
type collector struct {
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
		return
	}
	c.seen[k] = len(c.out)
	c.out = append(c.out, Expansion{Text: text, Weight: w})
}

// errLine builds a parse error that names the line.
func errLine(n int, format string, a ...any) error {
	return fmt.Errorf("line %d: %s", n, fmt.Sprintf(format, a...))
}

// parseHead splits "word [w=0.6]" into the keyword and its attributes.
func parseHead(n int, head string) (string, map[string]string, error) {
	kw, attrs, ok := strings.Cut(head, "[")
	kw = strings.TrimSpace(kw)
	out := map[string]string{}
	if !ok {
		return kw, out, nil
	}
	body, rest, ok := strings.Cut(attrs, "]")
	if !ok || strings.TrimSpace(rest) != "" {
		return "", nil, errLine(n, "unclosed or misplaced [ ] in %q", head)
	}
	for _, kv := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", nil, errLine(n, "attribute %q is not key=value", strings.TrimSpace(kv))
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return kw, out, nil
}

func weightAttr(n int, attrs map[string]string, def float64) (float64, error) {
	v, ok := attrs["w"]
	if !ok {
		return def, nil
	}
	w, err := strconv.ParseFloat(v, 64)
	if err != nil || !(w > 0 && w <= 1) {
		return 0, errLine(n, "weight %q must be a number in (0,1]", v)
	}
	return w, nil
}

func popAttr(n int, attrs map[string]string, def int) (int, error) {
	v, ok := attrs["pop"]
	if !ok {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 9 {
		return 0, errLine(n, "popularity %q must be an integer 0–9", v)
	}
	return p, nil
}

// items splits a comma-separated list, refusing empty items.
func items(n int, body string) ([]string, error) {
	parts := strings.Split(body, ",")
	for i, p := range parts {
		parts[i] = strings.Join(strings.Fields(p), " ")
		if parts[i] == "" {
			return nil, errLine(n, "empty entry in list %q", strings.TrimSpace(body))
		}
	}
	return parts, nil
}

// canonicalSectors resolves "A; B" against stageindex.Sectors.
func canonicalSectors(n int, s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ";") {
		p = strings.TrimSpace(p)
		c, ok := stageindex.CanonicalSector(p)
		if !ok {
			return nil, errLine(n, "unknown sector %q", p)
		}
		if slices.Contains(out, c) {
			return nil, errLine(n, "sector %q listed twice", c)
		}
		out = append(out, c)
	}
	return out, nil
}

// parse reads the file line by line; see docs/thesaurus.md for the format.
func (t *Thesaurus) parse(data string) error {
	type pending struct {
		line int
		f    *field
		l    link
	}
	var links []pending
	type claimed struct {
		line  int
		kind  entryKind
		field int
	}
	explicit := map[string]claimed{}
	// claim registers an explicit key. Variants on one line that analyze
	// alike (boulanger, boulangère) are one key; a word may point to several
	// fields, but anything else defined twice is a reviewing mistake.
	claim := func(n int, text string, e entry) error {
		k := t.key(text)
		if k == "" {
			return errLine(n, "%q is only stop words", text)
		}
		if prev, ok := explicit[k]; ok {
			switch {
			case prev.line == n:
				return nil
			case prev.kind == entryWord && e.kind == entryWord && prev.field != e.field:
			default:
				return errLine(n, "%q duplicates an entry of line %d", text, prev.line)
			}
		}
		explicit[k] = claimed{n, e.kind, e.field}
		t.keys[k] = append(t.keys[k], e)
		t.maxWords = max(t.maxWords, strings.Count(k, " ")+1)
		return nil
	}
	var cur *field
	for i, raw := range strings.Split(data, "\n") {
		n := i + 1
		line, _, _ := strings.Cut(raw, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		head, body, ok := strings.Cut(line, ":")
		if !ok {
			return errLine(n, "expected \"keyword: entries\", got %q", line)
		}
		kw, attrs, err := parseHead(n, head)
		if err != nil {
			return err
		}
		if kw != "field" && cur == nil {
			return errLine(n, "%q before any field line", kw)
		}
		fi := len(t.fields) - 1
		switch kw {
		case "field":
			name, secs, ok := strings.Cut(body, "|")
			name = strings.Join(strings.Fields(name), " ")
			if !ok || name == "" || strings.Contains(name, ",") {
				return errLine(n, "field line must be \"field: name | Sector; Sector\"")
			}
			sectors, err := canonicalSectors(n, secs)
			if err != nil {
				return err
			}
			pop, err := popAttr(n, attrs, 3)
			if err != nil {
				return err
			}
			cur = &field{name: name, sectors: sectors, pop: pop}
			t.fields = append(t.fields, cur)
			t.byName[t.key(name)] = len(t.fields) - 1
			if err := claim(n, name, entry{kind: entryField, field: len(t.fields) - 1}); err != nil {
				return err
			}
			t.terms = append(t.terms, Term{Text: name, Kind: KindField, Field: name, Popularity: pop})
		case "offers":
			list, err := items(n, body)
			if err != nil {
				return err
			}
			for _, o := range list {
				k := t.key(o)
				if k == "" {
					return errLine(n, "%q is only stop words", o)
				}
				if k == t.key(cur.name) || slices.ContainsFunc(cur.offers, func(p string) bool { return t.key(p) == k }) {
					return errLine(n, "%q listed twice in field %q", o, cur.name)
				}
				cur.offers = append(cur.offers, o)
				t.offers[k] = append(t.offers[k], entry{kind: entryOffer, field: fi})
				t.maxWords = max(t.maxWords, strings.Count(k, " ")+1)
			}
		case "job":
			list, err := items(n, body)
			if err != nil {
				return err
			}
			pop, err := popAttr(n, attrs, 2)
			if err != nil {
				return err
			}
			cur.jobs = append(cur.jobs, list)
			for _, j := range list {
				if err := claim(n, j, entry{kind: entryJob, field: fi, group: len(cur.jobs) - 1}); err != nil {
					return err
				}
				t.terms = append(t.terms, Term{Text: j, Kind: KindJob, Field: cur.name, Popularity: pop})
			}
		case "word", "ignore":
			list, err := items(n, body)
			if err != nil {
				return err
			}
			w, err := weightAttr(n, attrs, 1)
			if err != nil {
				return err
			}
			e := entry{kind: entryWord, field: fi, weight: w}
			if kw == "ignore" {
				e.kind = entryIgnore
			}
			for _, x := range list {
				if err := claim(n, x, e); err != nil {
					return err
				}
				if kw == "word" {
					t.terms = append(t.terms, Term{Text: x, Kind: KindWord, Field: cur.name, Popularity: 1})
				}
			}
		case "see":
			list, err := items(n, body)
			if err != nil {
				return err
			}
			w, err := weightAttr(n, attrs, 0.7)
			if err != nil {
				return err
			}
			for _, x := range list {
				links = append(links, pending{n, cur, link{target: x, weight: w}})
			}
		default:
			return errLine(n, "unknown keyword %q (want field, offers, job, word, see or ignore)", kw)
		}
	}
	if len(t.fields) == 0 {
		return fmt.Errorf("no field defined")
	}
	for _, p := range links {
		k := t.key(p.l.target)
		gi, ok := t.byName[k]
		if !ok {
			return errLine(p.line, "see: unknown field %q", p.l.target)
		}
		if t.fields[gi] == p.f {
			return errLine(p.line, "field %q sees itself", p.f.name)
		}
		p.l.target = k
		p.f.see = append(p.f.see, p.l)
	}
	t.keyOf = map[string]string{}
	for _, f := range t.fields {
		for _, x := range append(append([]string{f.name}, f.offers...), slices.Concat(f.jobs...)...) {
			t.keyOf[x] = t.key(x)
		}
	}
	listed := map[string]bool{}
	for _, x := range t.terms {
		listed[t.key(x.Text)] = true
	}
	for _, f := range t.fields {
		if len(f.offers) == 0 {
			return fmt.Errorf("field %q has no offers line", f.name)
		}
		for _, o := range f.offers {
			if k := t.key(o); !listed[k] {
				listed[k] = true
				t.terms = append(t.terms, Term{Text: o, Kind: KindWord, Field: f.name})
			}
		}
	}
	return nil
}
