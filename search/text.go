package search

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/stageindex/stageindex"
)

// textPlan is a keyword query analysed once and cached (ix.plans):
// expanding a query through the thesaurus costs as much as a cached search,
// and pupils repeat their words. It is shared by every search of the same
// text and never written once analyzePlan has returned; what one search
// learns as it goes lives in its textQuery.
type textPlan struct {
	q          string   // as typed, trimmed and cut after MaxQueryTerms words
	terms      []string // analysed with AnalyzerText
	exactTerms []string // analysed with AnalyzerExact (the employer's name as typed)
	expansions []Expansion
	// expTerms are the expansions' texts analysed, in the same order:
	// analysed once here rather than by Bleve in each of a hundred shards.
	expTerms [][]string
	// sectorTerms are sectorNamed analysed.
	sectorTerms []string
	// romes are the ROME fiches q names (Thesaurus.queryFiches).
	romes []ficheScore
	// gate, when not nil, holds the fiches q names strongly: a match
	// weaker than the title's must be an offer of one of them (fichesGate).
	gate map[int16]bool
	// sectorMask has bit i set for stageindex.Sectors[i] among the sectors
	// of the fields q names: an offer reached through a close expansion
	// must be in one of them, one reached through a loose association in
	// one of them or of looseMask (the sectors of linked fields). Zero when
	// q names no field.
	sectorMask, looseMask uint64
	// sectorNamed is the sector q names exactly ("tourisme", "sécurité").
	sectorNamed string
	highlight   map[string]bool // analysed terms to mark in highlights
	hlKeys      keySet
}

// textQuery is one search's use of a plan. The typo correction it may make
// and the words its highlighting has analysed stay here, so the cached plan
// is never written and needs no lock.
type textQuery struct {
	*textPlan
	corrected *textPlan // the query with typos corrected; nil if none (or not tried)
	tried     bool      // correctTypos ran: relaxation reruns phases
	// highlight and hlKeys are the plan's, or, once corrected, new maps with
	// the corrected query's terms too.
	highlight map[string]bool
	hlKeys    keySet
	hlWords   map[string]bool // words of hits already analysed for highlights
}

// plan returns a search's query for q, nil when q has no searchable word
// (empty, or only stop words such as "stage").
func (ix *Index) plan(q string) *textQuery {
	q = strings.TrimSpace(q)
	p, ok := ix.plans.Get(q)
	if !ok {
		p = ix.analyzePlan(q)
		ix.plans.Put(q, p)
	}
	if p == nil {
		return nil
	}
	return &textQuery{textPlan: p, highlight: p.highlight, hlKeys: p.hlKeys}
}

// analyzePlan builds the plan of q (trimmed); nil when q has no searchable
// word. The result is shared: it must not be written after this returns.
func (ix *Index) analyzePlan(q string) *textPlan {
	q = ix.limitTerms(ix.thes.readSlang(q))
	terms := ix.analyze(AnalyzerText, q)
	if len(terms) == 0 {
		return nil
	}
	p := &textPlan{q: q, terms: terms, exactTerms: ix.analyze(AnalyzerExact, q), expansions: ix.thes.Expand(q), highlight: map[string]bool{}}
	p.sectorNamed = ix.sectorKeys[stageindex.Fold(q)]
	p.sectorTerms = ix.analyze(AnalyzerText, p.sectorNamed)
	p.romes = ix.thes.queryFiches(q)
	for _, r := range p.romes {
		if r.w >= strongWeight {
			if p.gate == nil {
				p.gate = map[int16]bool{}
			}
			p.gate[r.fiche] = true
		}
	}
	for _, e := range p.expansions {
		p.expTerms = append(p.expTerms, ix.analyze(AnalyzerText, e.Text))
	}
	if sectors := ix.thes.Sectors(q); len(sectors) > 0 {
		linked := ix.thes.LinkedSectors(q)
		for i, name := range stageindex.Sectors {
			if slices.Contains(sectors, name) {
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
	p.hlKeys = highlightKeys(p.highlight)
	return p
}

// MaxQueryTerms is how many searchable words of a query are used: a pupil
// types a handful, and every word costs a pass over each shard's terms,
// so a hostile 200-word query is cut rather than allowed to cost seconds.
const MaxQueryTerms = 12

// maxFuzzyBytes is the longest term typo tolerance applies to: French job
// words stay under it ("anticonstitutionnellement" is 25), and the
// automaton Bleve builds for a fuzzy term grows with its length.
const maxFuzzyBytes = 30

// limitTerms cuts q after its MaxQueryTerms-th searchable word.
func (ix *Index) limitTerms(q string) string {
	a := ix.mapping.AnalyzerNamed(AnalyzerText)
	if a == nil {
		return q
	}
	toks := a.Analyze([]byte(q))
	if len(toks) <= MaxQueryTerms {
		return q
	}
	return q[:toks[MaxQueryTerms-1].End]
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

// correctTypos sets q.corrected, once the query has found nothing as
// typed: the correction scans the vocabulary, too slow for every query, so
// its answer is cached by text (ix.corrections; the titles' words change,
// but a correction that is a little stale still finds what it finds).
func (ix *Index) correctTypos(ctx context.Context, q *textQuery) error {
	if q.tried {
		return nil
	}
	c, ok := ix.corrections.Get(q.q)
	if !ok {
		var err error
		if c, err = ix.correct(ctx, q.q); err != nil {
			return err
		}
		ix.corrections.Put(q.q, c)
	}
	q.tried = true
	if c == "" {
		return nil
	}
	if cq := ix.plan(c); cq != nil {
		q.corrected = cq.textPlan
		h := maps.Clone(q.highlight)
		for t := range q.corrected.highlight {
			h[t] = true
		}
		q.highlight, q.hlKeys = h, highlightKeys(h)
	}
	return nil
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

// shardMatches returns the offers of s matching q in phase ph (see the
// phases table), each at its best tier, from the cache when the shard has
// not changed since. The caller holds ix.mu (read) so that slots stay valid.
//
// A phase after the first that is not cached waits for a slot of gate
// (nil: no wait): see slowGate.
func (ix *Index) shardMatches(ctx context.Context, s *shard, q *textQuery, ph phase, gate *slowGate) ([]match, error) {
	spec := &phases[ph]
	key := cacheKey{s.key, s.gen, q.q, ph}
	if m, ok := ix.cache.Get(key); ok {
		return m, nil
	}
	if ph != phaseClose && gate != nil {
		if err := gate.acquire(ctx); err != nil {
			return nil, err
		}
	}
	best := map[int32]match{}
	keep := func(m match) {
		m.score *= ficheBoost(q.textPlan, ix.docs[m.slot])
		if cur, ok := best[m.slot]; !ok || m.tier > cur.tier || (m.tier == cur.tier && m.score > cur.score) {
			best[m.slot] = m
		}
	}
	var r index.IndexReader
	var view *segmentView
	if slices.ContainsFunc(spec.matchers, func(m matcher) bool { return m.memory == nil }) {
		// Bleve's reader only for a phase that queries it (the fill
		// phase reads memory only).
		idx, err := s.text.Advanced()
		if err != nil {
			return nil, fmt.Errorf("search: shard %s: %w", s.key, err)
		}
		if r, err = idx.Reader(); err != nil {
			return nil, fmt.Errorf("search: shard %s: %w", s.key, err)
		}
		defer r.Close()
		view = newSegmentView(r)
	}
	literal := 0 // documents the first matcher (the literal one) found
	for i, m := range spec.matchers {
		if m.afterLiteral && literal == 0 {
			continue
		}
		if m.memory != nil {
			m.memory(s, q.textPlan, func(slot int32, score float32) {
				keep(match{slot, m.tier, score})
			})
			continue
		}
		bq := m.query(q.textPlan)
		if bq == nil {
			continue
		}
		n := 0
		err := ix.eachMatch(ctx, s, r, view, bq, func(slot int32, score float64) {
			n++
			if slot < 0 {
				return // written to Bleve by an Apply still under way
			}
			if viaThesaurus(m.tier) && !q.inSectors(ix.hot[slot].sector, m.tier == tierLoose) {
				return
			}
			if m.gated && !fichesGate(q.textPlan, ix.docs[slot]) {
				return
			}
			keep(match{slot, m.tier, float32(score)})
		})
		if err != nil {
			return nil, fmt.Errorf("search: shard %s: %w", s.key, err)
		}
		if i == 0 {
			literal = n
		}
	}
	if spec.corrected && q.corrected != nil {
		cq := &textQuery{textPlan: q.corrected}
		ms, err := ix.shardMatches(ctx, s, cq, phaseClose, gate)
		if err == nil && len(ms) == 0 {
			ms, err = ix.shardMatches(ctx, s, cq, phaseLoose, gate)
		}
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			keep(m)
		}
	}
	if ph == phaseFill && len(best) > 0 {
		// The close phase's matches of the shard keep their better tier.
		close, err := ix.shardMatches(ctx, s, q, phaseClose, nil)
		if err != nil {
			return nil, err
		}
		for _, m := range close {
			delete(best, m.slot)
		}
	}
	out := make([]match, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	ix.cache.Put(key, out)
	return out, nil
}

// noiseWords is how many words of a query, of five letters or more, no
// thesaurus knows make it noise rather than a pupil's search: a pupil's
// query has a typo or two, a brand, a town; a string of unknown words
// ("xkcdqwerty zzpfoo …") costs every phase and the relaxation and is what
// a flood sends.
const noiseWords = 3

// admit makes a search of noise wait for the one slot of noise before any
// work, so that at most one runs at a time whatever the flood, on one
// core, and a waiting one whose client leaves (ctx) never starts; other
// searches never wait here. It reads only the immutable thesaurus, not
// the offers' vocabulary, so it needs no lock: an employer's name or a
// town the thesaurus does not know counts as unknown, and such a query
// only waits while noise runs. The caller calls release.
func (ix *Index) admit(ctx context.Context, q string) (release func(), err error) {
	cw := ix.thes.words()
	unknown := 0
	for _, w := range foldedWords(q) {
		if utf8.RuneCountInString(w) >= 5 && !cw.knows(w) {
			unknown++
		}
	}
	if unknown < noiseWords {
		return func() {}, nil
	}
	g := slowGate{slots: ix.noisy}
	if err := g.acquire(ctx); err != nil {
		return nil, err
	}
	return g.release, nil
}

// slowGate lets a few searches at a time run the costly phases (loose
// associations, typos: fuzzy automata over every shard's terms) that a
// cache does not answer, so that a flood of nonsense queries waits in line
// behind a slot instead of taking every core from the pupils whose words
// the cache or the first phase answers. A search holds at most one slot,
// from its first costly miss to its end.
type slowGate struct {
	slots chan struct{}
	held  bool
}

func (g *slowGate) acquire(ctx context.Context) error {
	if g.held || g.slots == nil {
		return nil
	}
	select {
	case g.slots <- struct{}{}:
		g.held = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *slowGate) release() {
	if g.held {
		<-g.slots
		g.held = false
	}
}

// eachMatch calls fn with the slot (-1: none yet) of every document of r,
// s's reader (v its segment view, or nil), matching q, and its score. It
// walks Bleve's searcher directly: the usual top-N collector would allocate
// and heap-sort a result per document, only for us to read them all.
//
// It stops with ctx's error when ctx ends, checking every few hundred
// documents: a query matching a whole shard must not outlive its client.
// The caller holds ix.mu (read).
func (ix *Index) eachMatch(ctx context.Context, s *shard, r index.IndexReader, v *segmentView, q query.Query, fn func(slot int32, score float64)) error {
	sr, err := q.Searcher(ctx, r, ix.mapping, bsearch.SearcherOptions{})
	if err != nil {
		return err
	}
	defer sr.Close()
	pool := ix.matchPool(sr.DocumentMatchPoolSize() + 1)
	defer ix.matchPools.Put(pool)
	sctx := &bsearch.SearchContext{DocumentMatchPool: pool, IndexReader: r}
	for n := 0; ; n++ {
		if n%256 == 255 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		dm, err := sr.Next(sctx)
		if err != nil {
			return err
		}
		if dm == nil {
			return nil
		}
		slot, ok, err := ix.slotOf(s, r, v, dm.IndexInternalID)
		if err != nil {
			return err
		}
		if !ok {
			slot = -1
		}
		fn(slot, dm.Score)
		sctx.DocumentMatchPool.Put(dm)
	}
}

// matchPool returns a pool of document matches, reused from search to
// search: a fresh pool of size matches per shard searched was the search
// path's largest allocation (a twelfth of a load run's bytes), for matches
// that go back to the pool as soon as they are read. A reused pool that
// runs short allocates more itself (DocumentMatchPool.TooSmall), and keeps
// them once they are put back.
func (ix *Index) matchPool(size int) *bsearch.DocumentMatchPool {
	if p, ok := ix.matchPools.Get().(*bsearch.DocumentMatchPool); ok {
		return p
	}
	return bsearch.NewDocumentMatchPool(size, 0)
}

// allTerms requires every one of terms (already analysed for field) in
// field: what Bleve's MatchQuery with the AND operator builds, query for
// query and boost for boost (so scores are the same), without analysing the
// text again in every shard.
func allTerms(terms []string, field string, boost float64) query.Query {
	if len(terms) == 0 {
		return query.NewMatchNoneQuery()
	}
	qs := make([]query.Query, len(terms))
	for i, t := range terms {
		tq := query.NewTermQuery(t)
		tq.SetField(field)
		tq.SetBoost(boost)
		qs[i] = tq
	}
	c := query.NewConjunctionQuery(qs)
	c.SetBoost(boost)
	return c
}

// thesaurusQuery ORs the close (strong) or the loose expansions of p, each
// weighted; nil when there are none. The sectors the thesaurus associates
// with p are not searched: a sector such as "Banque et assurance" or
// "Agriculture" (vets included) spans several jobs, and measured on the
// evaluation set, matching it cost more precision than it gave recall.
func thesaurusQuery(p *textPlan, strong, rome bool) query.Query {
	var qs []query.Query
	for i, e := range p.expansions {
		if (e.Weight >= strongWeight) != strong || e.ROME != rome {
			continue
		}
		qs = append(qs, allTerms(p.expTerms[i], fieldAll, e.Weight))
	}
	if len(qs) == 0 {
		return nil
	}
	return query.NewDisjunctionQuery(qs)
}

// fuzziness is the typo budget of a word, in proportion to its length:
// none up to 4 letters, one up to 7, two beyond, none past maxFuzzyBytes.
func fuzziness(term string) int {
	if len(term) > maxFuzzyBytes {
		return 0
	}
	switch n := len([]rune(term)); {
	case n <= 4:
		return 0
	case n <= 7:
		return 1
	default:
		return 2
	}
}
