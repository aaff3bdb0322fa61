package search

import (
	"cmp"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/stageindex/stageindex"
)

// This file holds the ranking rules, all of them: the tiers a keyword
// match can reach, the phases that look for them and when each runs, how
// distance weighs within a tier, the default order and the comparator.
// README "How results are ranked" is their prose; ranking.golden records
// what they give.

// tier is how an offer matched a keyword query; a hit's tier is the best
// way it matched, and a higher tier always ranks first, so a thesaurus or
// typo match never outranks a literal one. The text score only orders hits
// of one tier.
type tier = uint8

// The tiers, lowest first.
const (
	tierNone      tier = iota // no keyword: listings by place or date
	tierFuzzy                 // reserved: matches of a corrected query keep their own tiers
	tierLoose                 // a loose thesaurus association (argent → banque, a neighbouring field)
	tierThesaurus             // a close thesaurus expansion (banquier → banque)
	tierLiteral               // every word somewhere in the offer, the employer name as typed, or the sector named exactly
	tierTitle                 // every word in the title
	tierPhrase                // the words in order in the title
)

// viaThesaurus reports whether t reaches offers through the thesaurus
// rather than through the pupil's own words: such matches must stay in the
// sectors of the fields the query names (textPlan.inSectors).
func viaThesaurus(t tier) bool { return t == tierThesaurus || t == tierLoose }

// strongTier reports whether a match of tier t answers the query well
// enough that weaker phases need not run: in the title, or through a
// close expansion. A word met in some description ("enfants" in a
// library's "lecture pour les enfants") is not the trade asked for.
func strongTier(t tier) bool { return t == tierThesaurus || t >= tierTitle }

// strongWeight separates close expansions (synonyms, a job's workplace)
// from loose associations (argent → banque) in the thesaurus tiers.
const strongWeight = 0.85

// matcher is one Bleve query a phase runs, and the tier its matches get.
type matcher struct {
	tier  tier
	query func(p *textPlan) query.Query // nil: nothing to search for this plan
	// memory, instead of query, finds matches in the index's own
	// structures (the offers of a ROME fiche).
	memory func(s *shard, p *textPlan, keep func(slot int32, score float32))
	// afterLiteral: run only when the literal matcher found something,
	// which it must then be a subset of (title and phrase matches).
	afterLiteral bool
	// gated: its matches must pass fichesGate.
	gated bool
}

// phase is a step of matching a query; phases run in order, each only when
// the ones before found nothing good enough anywhere in the search area
// (textMatches), so that a neighbouring trade never crowds out the one
// asked for and a typo never hides a real word.
type phase uint8

const (
	phaseClose phase = iota // the words as typed, the employer, a sector named, close expansions
	phaseLoose              // loose associations
	phaseFuzzy              // typos: Bleve's fuzzy terms and the query corrected from the thesaurus
	phaseFill               // after a page of close matches: the fiches named loosely (not in textMatches' order)
)

// phaseSpec says what a phase searches and when the next one may be
// skipped.
type phaseSpec struct {
	phase    phase
	matchers []matcher
	// enough decides whether a match found in this phase ends the search:
	// close matches must be strong (strongTier), any later one will do.
	enough func(t tier) bool
	// corrected: also search the typo-corrected query (its close phase, or
	// its loose one when that finds nothing), with its own tiers: the phase
	// runs only when the query as typed found nothing, so they outrank
	// nothing real, and they keep "policier" before its field's sectors.
	corrected bool
}

// phases is the whole matching procedure.
var phases = []phaseSpec{
	{phase: phaseClose, enough: strongTier, matchers: []matcher{
		{tier: tierLiteral, query: func(p *textPlan) query.Query { return allTerms(p.terms, fieldAll, 1) }},
		{tier: tierTitle, afterLiteral: true, query: func(p *textPlan) query.Query { return allTerms(p.terms, fieldTitle, 1) }},
		{tier: tierPhrase, afterLiteral: true, query: func(p *textPlan) query.Query {
			ph := query.NewMatchPhraseQuery(p.q)
			ph.SetField(fieldTitle)
			return ph
		}},
		// The employer's name as typed ("le gall") counts as a literal
		// match, not a title one: "jardin" is about gardens before it is
		// about the florist "Au Jardin de Lucie".
		{tier: tierLiteral, query: func(p *textPlan) query.Query { return allTerms(p.exactTerms, fieldEmployerExact, 1) }},
		// A sector named exactly ("tourisme"): its offers match literally,
		// although the sector is not in _all. Its field keeps no positions:
		// every word, not a phrase.
		{tier: tierLiteral, query: func(p *textPlan) query.Query {
			if p.sectorNamed == "" {
				return nil
			}
			return allTerms(p.sectorTerms, fieldSector, 1)
		}},
		{tier: tierThesaurus, query: func(p *textPlan) query.Query { return thesaurusQuery(p, true, false) }},
		{tier: tierThesaurus, gated: true, query: func(p *textPlan) query.Query { return thesaurusQuery(p, true, true) }},
		{tier: tierThesaurus, memory: func(s *shard, p *textPlan, keep func(int32, float32)) { romeMatches(s, p, true, false, keep) }},
	}},
	// Mixed with close matches, loose associations filled small towns'
	// first pages with other trades (precision@10 −1.7 points on the
	// evaluation set); alone, they still answer an everyday word.
	{phase: phaseLoose, enough: func(tier) bool { return true }, matchers: []matcher{
		{tier: tierLoose, query: func(p *textPlan) query.Query { return thesaurusQuery(p, false, false) }},
		{tier: tierLoose, gated: true, query: func(p *textPlan) query.Query { return thesaurusQuery(p, false, true) }},
		{tier: tierLoose, memory: func(s *shard, p *textPlan, keep func(int32, float32)) { romeMatches(s, p, false, false, keep) }},
	}},
	{phase: phaseFuzzy, enough: func(tier) bool { return true }, corrected: true},
	// Once the close phase has found a page of offers in the area
	// (pageFill), the offers of the fiches the query names loosely (near
	// fiches, weaker readings) follow them: the first page stays the
	// close matches', the pupil who reads on finds the trades next to
	// the one asked for. Only ROME's own lists are read, in memory: the
	// loose thesaurus queries would cost every common query a pass over
	// each shard.
	{phase: phaseFill, enough: func(tier) bool { return true }, matchers: []matcher{
		{tier: tierLoose, memory: func(s *shard, p *textPlan, keep func(int32, float32)) { romeMatches(s, p, false, true, keep) }},
	}},
}

// pageFill is how many close matches in the area the fill phase needs to
// run: a page of precision@10's length, so that the first ten hits are the
// close phase's whatever the fill finds.
const pageFill = 10

// romeMatches finds the offers of s whose words name a ROME fiche the
// query names (textPlan.romes, doc.romes): strong, the fiches the query
// names by a job title or a synonym, for offers whose first or nearly
// first fiche it is; else every other pair, as a loose association. An
// offer's weak fiche (below classifyRatio, classifyWeakRatio) counts only
// when weak is set: in the fill phase, after a page of close matches. The
// score is the product of the two weights, on the scale of Bleve's scores
// of the thesaurus tier.
func romeMatches(s *shard, p *textPlan, strong, weak bool, keep func(slot int32, score float32)) {
	for _, q := range p.romes {
		for slot, w := range s.byFiche[q.fiche] {
			if w < classifyRatio && !weak {
				continue
			}
			if isStrong := q.w >= strongWeight && w >= romeStrongOffer; isStrong == strong {
				keep(slot, romeScale*q.w*w)
			}
		}
	}
}

// fichesGate keeps a match of tier t when it may answer the query: a
// query that names a trade by a job title or a synonym (textPlan.gate)
// wants offers of that trade; a word met in another trade's description
// ("chantier" in a geothermal drilling offer for "chef de chantier"), or a
// neighbouring field reached through the thesaurus, is another trade, and
// pushes the pupil's own few offers down a page of others. Title and
// phrase matches always count: the pupil's words are the offer's name.
//
// The gate spares the hand-written thesaurus' close expansions, which
// already stay in their field's sectors (textPlan.inSectors).
func fichesGate(p *textPlan, d *doc) bool {
	if p.gate == nil {
		return true
	}
	for _, r := range d.romes {
		if r.fiche >= 0 && r.w >= classifyRatio && p.gate[r.fiche] {
			return true
		}
	}
	return false
}

// romeStrongOffer is the least weight an offer's fiche needs for a strong
// match: any of the fiches it keeps (classifyRatio). Offers of
// neighbouring trades share words, and the writer's fiche is the
// classifier's second or third in a fifth of them; at 0.8 (the best, or
// nearly) those were found only when nothing else was: recall on the
// ROME corpus +2.6 points, precision unchanged.
const romeStrongOffer = 0.5

// ficheBoost weighs a match's text score by how surely its offer is of a
// fiche the query names (the product of the two weights, up to 1): within
// a tier, the trade asked for comes before its neighbours, which share
// its words. romeBoost makes that nearly an order: an offer of the fiche
// scores up to 1+romeBoost times its text score.
func ficheBoost(p *textPlan, d *doc) float32 {
	if len(p.romes) == 0 {
		return 1
	}
	var a float32
	for _, r := range d.romes {
		if r.fiche < 0 || r.w < classifyRatio {
			continue
		}
		for _, q := range p.romes {
			if q.fiche == r.fiche {
				a = max(a, q.w*r.w)
			}
		}
	}
	return 1 + romeBoost*a
}

// romeBoost: see ficheBoost.
const romeBoost = 20

// romeScale puts ROME matches on the scale of the thesaurus tier's text
// scores, so that neither kind always comes first.
const romeScale = 1.0

// distanceDamping is the distance, in km, at which a text score is halved
// when ranking the hits of one tier around a place: within a tier, a strong
// text match a little farther away beats a weak one next door.
const distanceDamping = 5

// damp weighs a text score by the distance of its offer, in km.
func damp(score float32, km float64) float32 { return score / float32(1+km/distanceDamping) }

// defaultSort sets the contract's default order when req has none:
// relevance with keywords, distance around a place, else date.
func defaultSort(req *stageindex.SearchRequest, p *textQuery) {
	if req.Sort != "" {
		return
	}
	switch {
	case p != nil:
		req.Sort = stageindex.SortRelevance
	case req.Center != nil:
		req.Sort = stageindex.SortDistance
	default:
		req.Sort = stageindex.SortDate
	}
}

// surelyAfter returns a test that a key sorts after another by less's
// first criterion alone, cheaper than less: a page's selection tests
// every match against the worst key it keeps (a 60 km search at 1M,
// ~100,000 of them), and through less that was a third of its time. A
// false answer decides nothing (less then does).
func surelyAfter(order stageindex.SortOrder) func(x, worst hitKey) bool {
	switch order {
	case stageindex.SortDistance:
		return func(x, worst hitKey) bool { return worst.dist >= 0 && x.dist > worst.dist }
	case stageindex.SortDate:
		return func(x, worst hitKey) bool { return x.published < worst.published }
	}
	return func(x, worst hitKey) bool { return x.tier < worst.tier }
}

// less orders hit keys for a sort order. Ties always fall back on the most
// recently published, then the id, so that pages are stable.
func (ix *Index) less(order stageindex.SortOrder) func(a, b hitKey) int {
	byDist := func(a, b hitKey) int {
		switch {
		case a.dist < 0 && b.dist >= 0:
			return 1
		case b.dist < 0 && a.dist >= 0:
			return -1
		}
		return cmp.Compare(a.dist, b.dist)
	}
	tail := func(a, b hitKey) int {
		if c := cmp.Compare(b.published, a.published); c != 0 {
			return c
		}
		return cmp.Compare(ix.docs[a.slot].id, ix.docs[b.slot].id)
	}
	switch order {
	case stageindex.SortDistance:
		return func(a, b hitKey) int {
			if c := byDist(a, b); c != 0 {
				return c
			}
			return tail(a, b)
		}
	case stageindex.SortDate:
		return func(a, b hitKey) int {
			if c := cmp.Compare(b.published, a.published); c != 0 {
				return c
			}
			if c := byDist(a, b); c != 0 {
				return c
			}
			return tail(a, b)
		}
	}
	// Relevance: the tier first; within a tier the text score, damped by
	// distance when a place was given (collect did it), then the nearest.
	return func(a, b hitKey) int {
		if c := cmp.Compare(b.tier, a.tier); c != 0 {
			return c
		}
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		if c := byDist(a, b); c != 0 {
			return c
		}
		return tail(a, b)
	}
}
