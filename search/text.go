package search

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/stageindex/stageindex"
)

// Relevance tiers, best first. A hit's tier is the best way it matched; the
// score inside a tier only orders hits of the same tier, so a fuzzy or
// thesaurus match can never outrank a literal one.
const (
	tierNone      uint8 = iota
	tierFuzzy           // a typo-corrected query
	tierLoose           // a loose thesaurus association, or the sector
	tierThesaurus       // a close thesaurus expansion (banquier → banque)
	tierLiteral         // every word somewhere in the offer, the employer name as typed, or the sector named exactly
	tierTitle           // every word in the title
	tierPhrase          // the words in order in the title
)

// strongWeight separates close expansions (synonyms, a job's workplace)
// from loose associations (argent → banque) in the thesaurus tiers.
const strongWeight = 0.85

// textPlan is a keyword query analysed once per search.
type textPlan struct {
	q          string   // as typed, trimmed
	terms      []string // analysed with AnalyzerText
	expansions []Expansion
	sectors    []string
	// sectorMask has bit i set for stageindex.Sectors[i] in sectors: an
	// offer reached through a close expansion must be in one of them, one
	// reached through a loose association in one of them or of looseMask
	// (the sectors of linked fields). Zero when q names no field.
	sectorMask, looseMask uint64
	highlight             map[string]bool // analysed terms to mark in highlights
	corrected             *textPlan       // q with typos corrected from the thesaurus; nil if none
	hlKeys                map[prefixKey]bool
	hlWords               map[string]bool // words of hits already analysed for highlights
	// sectorNamed is the sector q names exactly ("tourisme", "sécurité"):
	// its offers then match literally, although the sector is not in _all.
	sectorNamed string
	// triedCorrection is set once correctTypos ran: relaxation steps reuse
	// the plan, and the correction scans the whole thesaurus vocabulary.
	triedCorrection bool
}

// plan analyses q; a nil plan means q has no searchable word (empty, or only
// stop words such as "stage"). The analysis is kept (ix.plans): expanding a
// query through the thesaurus costs as much as a cached search, and pupils
// repeat their words. Each search gets its own copy, since highlighting and
// typo correction fill in per-search fields.
func (ix *Index) plan(q string) *textPlan {
	q = strings.TrimSpace(q)
	base, ok := ix.plans.get(q)
	if !ok {
		base = ix.analyzePlan(q)
		ix.plans.put(q, base)
	}
	if base == nil {
		return nil
	}
	p := *base
	return &p
}

// analyzePlan builds the plan of q (trimmed); nil when q has no searchable
// word. The result is shared: only plan's copies may be changed.
func (ix *Index) analyzePlan(q string) *textPlan {
	terms := ix.analyze(AnalyzerText, q)
	if len(terms) == 0 {
		return nil
	}
	p := &textPlan{q: q, terms: terms, expansions: ix.thes.Expand(q), sectors: ix.thes.Sectors(q), highlight: map[string]bool{}}
	p.sectorNamed = ix.sectorKeys[stageindex.Fold(q)]
	if len(p.sectors) > 0 {
		linked := ix.thes.LinkedSectors(q)
		for i, name := range stageindex.Sectors {
			if slices.Contains(p.sectors, name) {
				p.sectorMask |= 1 << i
			}
			if slices.Contains(linked, name) {
				p.looseMask |= 1 << i
			}
		}
	}
	for _, t := range terms {
		p.highlight[t] = true
	}
	for _, e := range p.expansions {
		if e.Weight < strongWeight {
			continue
		}
		for _, t := range ix.analyze(AnalyzerText, e.Text) {
			p.highlight[t] = true
		}
	}
	p.highlightKeys()
	return p
}

// inSectors reports whether an offer of sector (an index in
// stageindex.Sectors, -1 for none) may be reached through p's thesaurus
// expansions. A thesaurus word bridges the pupil's word to a field; an
// offer outside the field's sectors that uses the word means something
// else by it — the library's "catalogue informatique", the film crew's
// "prises de vue", the army's "logistique" — and it matches literally
// anyway when the pupil typed the word itself. Measured on the evaluation
// set: +3 points of precision@10 for −0.3 of recall.
func (p *textPlan) inSectors(sector int16, loose bool) bool {
	if p.sectorMask == 0 || sector < 0 {
		return true
	}
	allowed := p.sectorMask
	if loose {
		allowed |= p.looseMask
	}
	return allowed&(1<<sector) != 0
}

// correctTypos sets p.corrected, once the query has found nothing as typed:
// the correction scans the thesaurus vocabulary, too slow for every query.
func (ix *Index) correctTypos(p *textPlan) {
	if p.triedCorrection {
		return
	}
	p.triedCorrection = true
	c, ok := ix.corrections.get(p.q)
	if !ok {
		// The correction scans the thesaurus vocabulary: once per text.
		c = ix.correct(p.q)
		ix.corrections.put(p.q, c)
	}
	if c == "" {
		return
	}
	if p.corrected = ix.plan(c); p.corrected != nil {
		// p.highlight is shared with the cached plan: extend a copy.
		h := maps.Clone(p.highlight)
		for t := range p.corrected.highlight {
			h[t] = true
		}
		p.highlight, p.hlKeys = h, nil
	}
}

// analyze returns the terms analyzer makes of text.
func (ix *Index) analyze(analyzer, text string) []string {
	a := ix.mapping.AnalyzerNamed(analyzer)
	if a == nil {
		return nil
	}
	var out []string
	for _, tok := range a.Analyze([]byte(text)) {
		out = append(out, string(tok.Term))
	}
	return out
}

// match is one offer matching a keyword query in a shard.
type match struct {
	slot  int32
	tier  uint8
	score float32
}

// cacheKey identifies the matches of one query in one shard's content.
type cacheKey struct {
	shard string
	gen   uint64
	q     string
	phase phase
}

// phase is a step of matching a query in a shard; each runs only when the
// steps before found nothing anywhere in the search area (textMatches).
type phase uint8

const (
	// phaseClose: the words as typed, the employer, a sector named, and the
	// close thesaurus expansions.
	phaseClose phase = iota
	// phaseLoose: the loose thesaurus associations (argent → banque, a
	// neighbouring field). Mixed with close matches they filled small
	// towns' first pages with other trades (precision@10 −1.7 points on
	// the evaluation set); alone, they still answer an everyday word.
	phaseLoose
	// phaseFuzzy: the query with its typos corrected.
	phaseFuzzy
)

// shardMatches returns the offers of s matching p, each at its best tier.
// The caller holds ix.mu (read) so that slots stay valid.
func (ix *Index) shardMatches(s *shard, p *textPlan, ph phase) ([]match, error) {
	key := cacheKey{s.key, s.gen, p.q, ph}
	if m, ok := ix.cache.get(key); ok {
		return m, nil
	}
	best := map[int32]match{}
	idx, err := s.text.Advanced()
	if err != nil {
		return nil, fmt.Errorf("search: shard %s: %w", s.key, err)
	}
	r, err := idx.Reader()
	if err != nil {
		return nil, fmt.Errorf("search: shard %s: %w", s.key, err)
	}
	defer r.Close()
	add := func(q query.Query, tier uint8) (int, error) {
		n := 0
		err := ix.eachMatch(r, q, func(id string, score float64) {
			n++
			slot, ok := ix.byID[id]
			if !ok {
				return
			}
			if tier <= tierThesaurus && tier > tierFuzzy && !p.inSectors(ix.hot[slot].sector, tier == tierLoose) {
				return
			}
			if cur, ok := best[slot]; !ok || tier > cur.tier || (tier == cur.tier && float32(score) > cur.score) {
				best[slot] = match{slot, tier, float32(score)}
			}
		})
		if err != nil {
			return 0, fmt.Errorf("search: shard %s: %w", s.key, err)
		}
		return n, nil
	}
	switch ph {
	case phaseFuzzy:
		if _, err := add(fuzzyQuery(p.terms), tierFuzzy); err != nil {
			return nil, err
		}
		if p.corrected != nil {
			ms, err := ix.shardMatches(s, p.corrected, phaseClose)
			if err != nil {
				return nil, err
			}
			if len(ms) == 0 {
				if ms, err = ix.shardMatches(s, p.corrected, phaseLoose); err != nil {
					return nil, err
				}
			}
			// The corrected query keeps its own tiers: this phase only runs
			// when the query as typed found nothing, so they outrank nothing
			// real, and they keep "policier" before its field's sectors.
			for _, m := range ms {
				if cur, ok := best[m.slot]; !ok || m.tier > cur.tier || (m.tier == cur.tier && m.score > cur.score) {
					best[m.slot] = m
				}
			}
		}
	case phaseLoose:
		if tq := thesaurusQuery(p, false); tq != nil {
			if _, err := add(tq, tierLoose); err != nil {
				return nil, err
			}
		}
	default:
		n, err := add(matchAll(p.q, fieldAll), tierLiteral)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			// Title and phrase matches are subsets of the literal ones.
			if _, err := add(matchAll(p.q, fieldTitle), tierTitle); err != nil {
				return nil, err
			}
			ph := query.NewMatchPhraseQuery(p.q)
			ph.SetField(fieldTitle)
			if _, err := add(ph, tierPhrase); err != nil {
				return nil, err
			}
		}
		// The employer's name as typed ("le gall") counts as a literal
		// match, not a title one: "jardin" is about gardens before it is
		// about the florist "Au Jardin de Lucie".
		em := query.NewMatchQuery(p.q)
		em.SetField(fieldEmployerExact)
		em.SetOperator(query.MatchQueryOperatorAnd)
		if _, err := add(em, tierLiteral); err != nil {
			return nil, err
		}
		if p.sectorNamed != "" {
			// The sector field keeps no positions: every word, not a phrase.
			if _, err := add(matchAll(p.sectorNamed, fieldSector), tierLiteral); err != nil {
				return nil, err
			}
		}
		if tq := thesaurusQuery(p, true); tq != nil {
			if _, err := add(tq, tierThesaurus); err != nil {
				return nil, err
			}
		}
	}
	out := make([]match, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	ix.cache.put(key, out)
	return out, nil
}

// eachMatch calls fn with every document of r matching q and its score. It
// walks Bleve's searcher directly: the usual top-N collector would allocate
// and heap-sort a result per document, only for us to read them all.
func (ix *Index) eachMatch(r index.IndexReader, q query.Query, fn func(id string, score float64)) error {
	s, err := q.Searcher(context.Background(), r, ix.mapping, bsearch.SearcherOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	sctx := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0), IndexReader: r}
	for {
		dm, err := s.Next(sctx)
		if err != nil {
			return err
		}
		if dm == nil {
			return nil
		}
		id, err := r.ExternalID(dm.IndexInternalID)
		if err != nil {
			return err
		}
		fn(id, dm.Score)
		sctx.DocumentMatchPool.Put(dm)
	}
}

func matchAll(text, field string) query.Query {
	q := query.NewMatchQuery(text)
	q.SetField(field)
	q.SetOperator(query.MatchQueryOperatorAnd)
	return q
}

// thesaurusQuery ORs the close (strong) or the loose expansions of p, each
// weighted; nil when there are none. The sectors the thesaurus associates
// with p are not searched: a sector such as "Banque et assurance" or
// "Agriculture" (vets included) spans several jobs, and measured on the
// evaluation set, matching it cost more precision than it gave recall.
func thesaurusQuery(p *textPlan, strong bool) query.Query {
	var qs []query.Query
	for _, e := range p.expansions {
		if (e.Weight >= strongWeight) != strong {
			continue
		}
		q := query.NewMatchQuery(e.Text)
		q.SetField(fieldAll)
		q.SetOperator(query.MatchQueryOperatorAnd)
		q.SetBoost(e.Weight)
		qs = append(qs, q)
	}
	if len(qs) == 0 {
		return nil
	}
	return query.NewDisjunctionQuery(qs)
}

// fuzzyQuery requires every analysed term, allowing typos in proportion to
// the word's length: none up to 4 letters, one up to 7, two beyond.
func fuzzyQuery(terms []string) query.Query {
	qs := make([]query.Query, 0, len(terms))
	for _, t := range terms {
		f := query.NewFuzzyQuery(t)
		f.SetField(fieldAll)
		f.SetFuzziness(fuzziness(t))
		qs = append(qs, f)
	}
	return query.NewConjunctionQuery(qs)
}

func fuzziness(term string) int {
	switch n := len([]rune(term)); {
	case n <= 4:
		return 0
	case n <= 7:
		return 1
	default:
		return 2
	}
}
