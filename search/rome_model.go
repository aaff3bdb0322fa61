package search

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/search/rome"
)

// romeModel is the ROME tree of France Travail as the search core uses it:
// every fiche is a field of the thesaurus (its job titles are jobs, the
// pupils' vocabulary of search/rome/vocab its words), and a classifier
// assigns an offer or a query to the fiches its words name. It is built
// once with the thesaurus and immutable after.
type romeModel struct {
	fiches []rome.Fiche
	byCode map[string]int
	// grams maps an analysed phrase (terms joined by spaces, one to
	// maxGram long) to its id in gramFiches: the fiches it is evidence
	// for, with its weight.
	grams      map[string]int32
	gramFiches [][]gramWeight
	scratch    sync.Pool // of *classScratch
	// near holds, by fiche, the fiches of its domaine most like it
	// (nearFiches): ROME splits a trade finer than a pupil reads it.
	near  [][]int16
	words *termAnalyzer // what classification reads texts with
	// fingerprint identifies the classifier's evidence (its phrases and
	// weights), for indexes on disk that store its results.
	fingerprint string
}

type gramWeight struct {
	fiche int
	w     float32
}

// maxGram is the longest phrase the classifier looks up, in terms.
const maxGram = 4

// Weights of the evidence a fiche's texts give, before idf: a job title or
// the fiche's label names it; a pupils' word as weighted in the vocabulary;
// each single word of a longer title is weak evidence ("chauffeur" of
// "chauffeur de machines agricoles").
const (
	gramTitle   = 1.0
	gramPartial = 0.25
)

// addROME makes every fiche of tree a field of t and builds t.rome. Fields
// are added after the hand-written ones and without their review rules: a
// job title of ROME may repeat a hand-written job (boulanger), which then
// reaches both fields.
func (t *Thesaurus) addROME(tree *rome.Tree, vocab []rome.VocabEntry) {
	m := &romeModel{fiches: tree.Fiches(), byCode: map[string]int{}, grams: map[string]int32{}, words: newTermAnalyzer()}
	type evidence struct {
		terms []string
		w     float64
	}
	perFiche := make([][]evidence, len(m.fiches))
	add := func(i int, text string, w float64) {
		if terms := m.words.terms(text, nil); len(terms) > 0 {
			perFiche[i] = append(perFiche[i], evidence{terms, w})
		}
	}
	byFiche := map[string][]rome.VocabEntry{}
	for _, e := range vocab {
		byFiche[e.Fiche] = append(byFiche[e.Fiche], e)
	}
	for i, f := range m.fiches {
		m.byCode[f.Code] = i
		fi := len(t.fields)
		fd := &field{name: f.Label, sectors: f.Sectors, pop: 1, rome: i + 1}
		t.fields = append(t.fields, fd)
		if k := t.key(f.Label); k != "" {
			if _, taken := t.byName[k]; !taken {
				t.byName[k] = fi
			}
			t.addKey(k, entry{kind: entryField, field: fi})
		}
		add(i, f.Label, gramTitle)
		for _, a := range f.Appellations {
			group := []string{a.Masculine}
			if a.Feminine != a.Masculine {
				group = append(group, a.Feminine)
			}
			fd.jobs = append(fd.jobs, group)
			for _, j := range group {
				if k := t.key(j); k != "" {
					t.addKey(k, entry{kind: entryJob, field: fi, group: len(fd.jobs) - 1})
					t.terms = append(t.terms, Term{Text: j, Kind: KindJob, Field: f.Label, Popularity: 1, ROME: f.Code})
				}
				add(i, j, gramTitle)
			}
		}
		for _, e := range byFiche[f.Code] {
			k := t.key(e.Text)
			if k == "" {
				continue
			}
			switch e.Kind {
			case rome.VocabOffer:
				fd.offers = append(fd.offers, e.Text)
				t.offers[k] = append(t.offers[k], entry{kind: entryOffer, field: fi})
				t.maxWords = max(t.maxWords, strings.Count(k, " ")+1)
				add(i, e.Text, 0.9*e.Weight)
			case rome.VocabIgnore:
				t.addKey(k, entry{kind: entryIgnore, field: fi})
			default:
				t.addKey(k, entry{kind: entryWord, field: fi, weight: e.Weight})
				if e.Kind != rome.VocabIntent {
					t.terms = append(t.terms, Term{Text: e.Text, Kind: KindWord, Field: f.Label, Popularity: 1, ROME: f.Code})
				}
				add(i, e.Text, e.Weight)
			}
		}
	}
	// Evidence weight: the best a phrase gets in a fiche, times its idf
	// over fiches, so that "agent" or "technicien", in a hundred fiches'
	// titles, tell little, and "ostréiculteur" tells everything.
	best := map[string]map[int]float64{}
	note := func(k string, i int, w float64) {
		if best[k] == nil {
			best[k] = map[int]float64{}
		}
		best[k][i] = max(best[k][i], w)
	}
	for i, evs := range perFiche {
		for _, ev := range evs {
			if len(ev.terms) <= maxGram {
				note(strings.Join(ev.terms, " "), i, ev.w)
			}
			if len(ev.terms) > 1 {
				for _, term := range ev.terms {
					note(term, i, ev.w*gramPartial)
				}
			}
		}
	}
	n := float64(len(m.fiches))
	keys := slices.Sorted(maps.Keys(best))
	h := fnv.New64a()
	for _, k := range keys {
		fs := best[k]
		idf := math.Log(1 + n/float64(len(fs)))
		var gw []gramWeight
		for i, w := range fs {
			gw = append(gw, gramWeight{i, float32(w * idf)})
		}
		slices.SortFunc(gw, func(a, b gramWeight) int { return a.fiche - b.fiche })
		m.grams[k] = int32(len(m.gramFiches))
		m.gramFiches = append(m.gramFiches, gw)
		h.Write([]byte(k))
		for _, g := range gw {
			fmt.Fprintf(h, " %d:%.6g", g.fiche, g.w)
		}
		h.Write([]byte{'\n'})
	}
	fmt.Fprintf(h, "no sector prior %v %v %v %v %v %v %v %v", classifyMin, classifyRatio, classifyWeakRatio, classifyTitle, classifyEmployer, classifyDescription, maxDescriptionTerms, classifyDescriptionBytes)
	m.fingerprint = fmt.Sprintf("%x", h.Sum64())
	m.near = m.nearFiches(keys)
	t.rome = m
}

// Nearness of fiches (nearFiches): a fiche's near ones are at most
// maxNear fiches of its domaine whose evidence (the phrases of their job
// titles and vocabulary, weighted as the classifier weighs them) has a
// cosine of at least minNear with its own.
const (
	maxNear = 2
	minNear = 0.02
)

// nearFiches computes romeModel.near from the evidence of m's phrases
// (keys, sorted): the cosine of two fiches' vectors of phrase weights.
// It is low in absolute terms (ROME's titles seldom repeat across fiches)
// but ranks the sibling a labeller or a writer would confuse first:
// Sécurité publique (K1706) → Management de la sécurité publique
// (K1704), Gestion de clientèle bancaire (C1206) → Relation clients
// banque/finance (C1201), Conseil clientèle en assurances (C1102) →
// Relation clients en assurances (C1104). Only one domaine's fiches are
// compared: across domaines a shared word is another trade.
func (m *romeModel) nearFiches(keys []string) [][]int16 {
	n := len(m.fiches)
	dot := make([]map[int]float64, n)
	norm := make([]float64, n)
	for _, k := range keys {
		gw := m.gramFiches[m.grams[k]]
		for a, x := range gw {
			norm[x.fiche] += float64(x.w) * float64(x.w)
			for _, y := range gw[a+1:] {
				if m.fiches[x.fiche].Code[:3] != m.fiches[y.fiche].Code[:3] {
					continue
				}
				if dot[x.fiche] == nil {
					dot[x.fiche] = map[int]float64{}
				}
				if dot[y.fiche] == nil {
					dot[y.fiche] = map[int]float64{}
				}
				d := float64(x.w) * float64(y.w)
				dot[x.fiche][y.fiche] += d
				dot[y.fiche][x.fiche] += d
			}
		}
	}
	out := make([][]int16, n)
	for i := range out {
		var c []gramWeight
		for j, d := range dot[i] {
			if sim := d / math.Sqrt(norm[i]*norm[j]); sim >= minNear {
				c = append(c, gramWeight{j, float32(sim)})
			}
		}
		slices.SortFunc(c, func(a, b gramWeight) int {
			if a.w != b.w {
				return cmp.Compare(b.w, a.w)
			}
			return a.fiche - b.fiche
		})
		for _, g := range c[:min(len(c), maxNear)] {
			out[i] = append(out[i], int16(g.fiche))
		}
	}
	return out
}

// addKey registers an entry under an analysed key, as the parser's claim
// does but without its duplicate checks (see addROME).
func (t *Thesaurus) addKey(k string, e entry) {
	t.keys[k] = append(t.keys[k], e)
	t.maxWords = max(t.maxWords, strings.Count(k, " ")+1)
}

// classScratch is a classification's working memory, pooled: offers are
// classified by the hundred thousand and must not each allocate it.
type classScratch struct {
	scores  []float32 // by fiche
	touched []int32   // fiches with a score
	seen    []bool    // by gram id: a phrase counts once per text
	seenIDs []int32
	key     []byte
	terms   []string  // classifyOffer's terms of an offer
	words   termCache // classifyOffer's words already read
}

func (m *romeModel) getScratch() *classScratch {
	if c, ok := m.scratch.Get().(*classScratch); ok {
		return c
	}
	return &classScratch{scores: make([]float32, len(m.fiches)), seen: make([]bool, len(m.gramFiches)), words: termCache{}}
}

func (m *romeModel) putScratch(c *classScratch) {
	for _, i := range c.touched {
		c.scores[i] = 0
	}
	c.touched = c.touched[:0]
	m.scratch.Put(c)
}

// ficheScores adds to c the evidence of terms (an analysed text) for each
// fiche, every phrase counted once, times factor.
func (m *romeModel) ficheScores(c *classScratch, terms []string, factor float32) {
	for i := range terms {
		c.key = c.key[:0]
		for n := 1; n <= maxGram && i+n <= len(terms); n++ {
			if n > 1 {
				c.key = append(c.key, ' ')
			}
			c.key = append(c.key, terms[i+n-1]...)
			id, ok := m.grams[string(c.key)]
			if !ok {
				if n == 1 {
					break // no phrase starts with a word no fiche has
				}
				continue
			}
			if c.seen[id] {
				continue
			}
			c.seen[id] = true
			c.seenIDs = append(c.seenIDs, id)
			for _, g := range m.gramFiches[id] {
				if c.scores[g.fiche] == 0 {
					c.touched = append(c.touched, int32(g.fiche))
				}
				c.scores[g.fiche] += g.w * factor
			}
		}
	}
	for _, id := range c.seenIDs {
		c.seen[id] = false
	}
	c.seenIDs = c.seenIDs[:0]
}

// Field factors of classification: the title says what the pupil will do;
// the employer's name and the description add context.
const (
	classifyTitle       = 3
	classifyEmployer    = 1
	classifyDescription = 1
	// classifyMin is the least score a fiche needs to be an offer's.
	classifyMin = 4
	// classifyRatio: a second or third fiche is kept when its score is at
	// least this share of the best one's.
	classifyRatio = 0.5
	// classifyWeakRatio: a fiche below classifyRatio but at least this
	// share of the best is kept too, weakly: its offers are found only in
	// the fill phase, after a page of close matches (romeMatches), and
	// neither the fiche gate, the ranking boost nor a query's reading
	// counts it. The writer's fiche is among an offer's three for 77.6%
	// of group A's texts (71.3% without), 78.4% of group B's (69.1%);
	// ROME recall +0.7 to +1.3 points, precision@10 unchanged.
	classifyWeakRatio = 0.3
	// maxDescriptionTerms bounds the description words read.
	maxDescriptionTerms = 150
)

// classifyOffer classifies an offer from its texts (classify).
func (m *romeModel) classifyOffer(title, sector, employer, description string) [3]ficheScore {
	c := m.getScratch()
	defer m.putScratch(c)
	w := m.words
	terms := w.termsCached(titleForIndex(title, sector, employer), c.terms[:0], c.words)
	nt := len(terms)
	terms = w.termsCached(employer, terms, c.words)
	ne := len(terms)
	terms = w.termsCached(descriptionHead(description), terms, c.words)
	c.terms = terms // kept grown for the next offer
	return m.classifyIn(c, terms[:nt], terms[nt:ne], terms[ne:])
}

// ficheScore is a fiche an offer or a query names, and how strongly: 1 for
// the best, less for the others (their score over the best's).
type ficheScore struct {
	fiche int16
	w     float32
}

// classify returns up to three fiches (indexes in m.fiches) an offer's
// words name, best first, or none when nothing names one enough.
//
// The offer's sector is not evidence: weighing a fiche up in the sectors
// of sectors.tsv and down outside them (×1.5, ×0.6) lost more than it
// won, since employers pick the sector of their business, not of the
// pupil's trade (a mairie's HR, a regiment's drivers, a lycée's textile
// workshop). Without it, on group A's texts, the first fiche is the
// writer's in 51% (was 47%), among the three in 71% (was 65%); on group
// B's, never tuned on, 49% and 69% (were 44% and 63%).
func (m *romeModel) classify(title, employer, description []string) [3]ficheScore {
	c := m.getScratch()
	defer m.putScratch(c)
	return m.classifyIn(c, title, employer, description)
}

// classifyIn is classify with the scratch c.
func (m *romeModel) classifyIn(c *classScratch, title, employer, description []string) [3]ficheScore {
	out := [3]ficheScore{{-1, 0}, {-1, 0}, {-1, 0}}
	m.ficheScores(c, title, classifyTitle)
	m.ficheScores(c, employer, classifyEmployer)
	m.ficheScores(c, description[:min(len(description), maxDescriptionTerms)], classifyDescription)
	var top [3]struct {
		i int32
		s float32
	}
	for _, i := range c.touched {
		s := c.scores[i]
		for k := range top {
			if s > top[k].s || s == top[k].s && s > 0 && i < top[k].i {
				copy(top[k+1:], top[k:len(top)-1])
				top[k].i, top[k].s = i, s
				break
			}
		}
	}
	if top[0].s < classifyMin {
		return out
	}
	for k, t := range top {
		if t.s >= classifyWeakRatio*top[0].s && t.s > 0 {
			out[k] = ficheScore{int16(t.i), t.s / top[0].s}
		}
	}
	return out
}

// queryFiches are the ROME fiches a query names, with how strongly (1: a
// job title or a synonym of the fiche; an everyday word or a phrase of
// intent as the vocabulary weighs it), from the thesaurus entries it
// matches; when it matches none of a fiche, the classifier's reading of its
// words, never strong. At most maxQueryFiches, strongest first, then the
// fiches near the strong ones (withNear).
func (t *Thesaurus) queryFiches(q string) []ficheScore {
	if t.rome == nil {
		return nil
	}
	byFiche := map[int16]float32{}
	entries, _ := t.match(q)
	for _, e := range entries {
		f := t.fields[e.field]
		if f.rome == 0 {
			continue
		}
		w := float32(1)
		switch e.kind {
		case entryWord:
			w = float32(e.weight)
		case entryOffer:
			w = weightOfferIn
		}
		i := int16(f.rome - 1)
		byFiche[i] = max(byFiche[i], w)
	}
	terms := t.rome.words.terms(q, nil)
	var strongest float32
	for _, w := range byFiche {
		strongest = max(strongest, w)
	}
	reading := t.rome.classify(terms, nil, nil)
	// A query that is a hand-written entry as a whole ("serveur
	// minecraft", informatique) is not read by its words into another
	// sector (the waiters').
	whole := t.wholeSectors(q)
	elsewhere := func(f int16) bool {
		return whole != nil && !slices.ContainsFunc(t.rome.fiches[f].Sectors, func(s string) bool { return slices.Contains(whole, s) })
	}
	// Entries that name no fiche strongly ("hermès maroquinerie", a brand
	// at 0.5 of a fiche next to the one meant) leave room for what the
	// words read together say: the classifier's reading joins them.
	// Measured (ROME dev sets, 2,003 queries): recall 0.809 → 0.812,
	// precision unchanged; benchmark corpus unchanged.
	if strongest < strongWeight {
		for _, fs := range reading {
			if fs.fiche >= 0 && fs.w >= classifyRatio && !elsewhere(fs.fiche) {
				byFiche[fs.fiche] = max(byFiche[fs.fiche], fs.w*queryClassWeight)
			}
		}
	}
	if len(byFiche) > 0 && len(terms) >= 2 {
		// A query of several words read as a whole: the fiche its words
		// together name best, when one of its entries names it too, is
		// the trade meant ("préparer des colis": an intent of N1103 at
		// 0.7, and "colis" and "préparer" agree), not an association.
		// Measured: ROME dev 0.475 / 0.684 -> 0.499 / 0.707, old
		// held-out 0.544 / 0.677 -> 0.562 / 0.690, benchmark corpus
		// unchanged.
		//
		// Not against a hand-written entry that is the whole query, in
		// other sectors: "police d'assurance" is insurance, and the
		// classifier's reading of its words (police: K1706) must not
		// agree with itself into a strong fiche of the police.
		if f := reading[0].fiche; f >= 0 && byFiche[f] >= agreeNamed && !elsewhere(f) {
			byFiche[f] = max(byFiche[f], agreeWeight)
		}
	}
	out := make([]ficheScore, 0, len(byFiche))
	for i, w := range byFiche {
		out = append(out, ficheScore{i, w})
	}
	byWeight := func(a, b ficheScore) int {
		if a.w != b.w {
			return cmp.Compare(b.w, a.w)
		}
		return cmp.Compare(a.fiche, b.fiche)
	}
	slices.SortFunc(out, byWeight)
	out = out[:min(len(out), maxQueryFiches)]
	return t.rome.withNear(out, byWeight)
}

// wholeSectors returns the sectors of the hand-written fields whose
// entries (not ignores) are q as a whole, nil when there are none.
func (t *Thesaurus) wholeSectors(q string) []string {
	var out []string
	for _, e := range t.keys[strings.Join(t.analyze(q), " ")] {
		if f := t.fields[e.field]; f.rome == 0 && e.kind != entryIgnore {
			out = append(out, f.sectors...)
		}
	}
	return out
}

// withNear adds to named (a query's fiches, strongest first) the fiches
// near its strong ones (romeModel.near). A near fiche the query already
// names, weakly, is raised to nearAgreed times the strong one's weight:
// two readings of the query agree ("gendarmerie" names Sécurité publique
// by a title and Management de la sécurité publique by a word). One it
// does not name is added at nearLoose times it: a loose association,
// searched when nothing strong is in the area, before the query finds
// nothing. Measured against the code before (ROME dev, old held-out,
// held-out 2; precision@10 / recall / zero-hit): 0.499 / 0.707 / 1.2% →
// 0.501 / 0.717 / 0.9%, 0.562 / 0.690 / 1.2% → 0.564 / 0.701 / 0.9%,
// 0.520 / 0.688 / 1.6% → 0.520 / 0.698 / 1.2%. Added strongly instead
// (0.95), recall rose 3 points and precision fell 2: a small town's
// short list fills with the sibling trade.
func (m *romeModel) withNear(named []ficheScore, order func(a, b ficheScore) int) []ficheScore {
	at := map[int16]int{}
	for k, r := range named {
		at[r.fiche] = k
	}
	var added []ficheScore
	for _, r := range named {
		if r.w < strongWeight {
			continue
		}
		for _, f := range m.near[r.fiche] {
			k, ok := at[f]
			switch {
			case !ok:
				at[f] = len(named) + len(added)
				added = append(added, ficheScore{f, r.w * nearLoose})
			case k < len(named) && named[k].w < strongWeight:
				named[k].w = max(named[k].w, r.w*nearAgreed)
			}
		}
	}
	slices.SortFunc(named, order)
	return append(named, added...)
}

// Weights of a near fiche, times the strong fiche's (withNear).
const (
	nearAgreed = 0.95
	nearLoose  = 0.8
)

// agreeNamed is the least weight an entry of a query must give the fiche
// the whole query is classified under for agreeWeight to apply; agreeWeight
// is above strongWeight: the fiche is searched as named.
const (
	agreeNamed  = 0.5
	agreeWeight = 0.9
)

// maxQueryFiches bounds the fiches one query searches.
const maxQueryFiches = 6

// queryClassWeight caps what the classifier's reading of a query weighs:
// a guess from its words, never as sure as a job title it names.
const queryClassWeight = 0.7

// within returns the fiches within a ROME code (a fiche, a domaine such as
// D11, a grand domaine such as D), none for an unknown code.
func (m *romeModel) within(code string) []int {
	var out []int
	for i, f := range m.fiches {
		if strings.HasPrefix(f.Code, code) {
			out = append(out, i)
		}
	}
	return out
}

// checkROME refuses the codes of a rome filter that name nothing in the
// tree (the shape was checked by SearchRequest.Validate).
func (ix *Index) checkROME(codes []string) error {
	var bad []stageindex.ParamError
	for _, c := range codes {
		if ix.thes.rome == nil || len(ix.thes.rome.within(c)) == 0 {
			bad = append(bad, stageindex.ParamError{Param: "rome", Code: stageindex.CodeInvalidROME,
				Message: fmt.Sprintf("%q is no fiche, domaine or grand domaine of the ROME", c)})
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &stageindex.Error{Code: stageindex.EINVALID, Message: "some parameters are invalid", Params: bad}
}

// romeRef is the public name of fiche i, nil for none.
func (m *romeModel) romeRef(i int16) *stageindex.ROMERef {
	if m == nil || i < 0 {
		return nil
	}
	f := &m.fiches[i]
	return &stageindex.ROMERef{Code: f.Code, Label: f.Label}
}

// romeModel fingerprints the ROME classifier of ix's thesaurus ("" without
// one): an index on disk records it with the fiches it stored.
func (ix *Index) romeModel() string {
	if ix.thes == nil || ix.thes.rome == nil {
		return ""
	}
	return ix.thes.rome.fingerprint
}
