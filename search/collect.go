package search

import (
	"context"
	"math/bits"
	"slices"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
)

// collect finds every offer matching req, counts the facets and returns the
// sort keys of the hits. The caller holds ix.mu (read).
//
// The keys are appended to *buf, which keeps its grown capacity for the
// next search (see Index.keyBufs).
func (ix *Index) collect(ctx context.Context, req stageindex.SearchRequest, p *textQuery, buf *[]hitKey) ([]hitKey, []facetCount, error) {
	f := compileFilters(req, ix.thes.rome)
	fc := ix.facetCounter(f.firstWeek)
	defer ix.counters.Put(fc)
	keys := (*buf)[:0]
	defer func() { *buf = keys }()
	visit := func(slot int32, tier uint8, score float32) {
		h := &ix.hot[slot]
		if !h.has(flagLive) {
			return
		}
		dist, ok := f.place(h, ix.docs[slot])
		if !ok {
			return
		}
		fails, ok := f.fails(h, ix.docs[slot])
		if !ok {
			return
		}
		fc.add(h, fails)
		if fails == 0 && tier != tierNone && dist >= 0 {
			score = damp(score, geo.KmForChord2(dist))
		}
		if fails == 0 {
			keys = append(keys, hitKey{slot: slot, tier: tier, score: score, dist: dist, published: h.published})
		}
	}
	switch {
	case p != nil:
		lists, err := ix.textMatches(ctx, f, p)
		if err != nil {
			return nil, nil, err
		}
		for _, ms := range lists {
			for _, m := range ms {
				visit(m.slot, m.tier, m.score)
			}
		}
	case f.center != nil && f.remote == stageindex.RemoteExclude:
		if err := ix.cells.Near(f.center.Lat, f.center.Lng, f.radius, func(slot int32) { visit(slot, 0, 0) }); err != nil {
			return nil, nil, err
		}
	default:
		for slot := range ix.docs {
			visit(int32(slot), 0, 0)
		}
	}
	return keys, fc.counts(), nil
}

// textMatches gathers the keyword matches from the shards the search area
// touches, one (cached, shared: read-only) list per shard, phase after
// phase of the phases table until one finds enough in the area.
func (ix *Index) textMatches(ctx context.Context, f *filters, q *textQuery) ([][]match, error) {
	var shards []*shard
	if f.center != nil && f.remote == stageindex.RemoteExclude {
		shards = ix.shardsNear(f.center.Lat, f.center.Lng, f.radius)
	} else {
		for _, s := range ix.shards {
			shards = append(shards, s)
		}
	}
	all := make([][]match, 0, len(shards))
	var seen map[int32]bool // slots of the earlier phases, once a later one runs
	gate := slowGate{slots: ix.slow}
	defer gate.release()
	order := phases[:phaseFill]
	for i := 0; i < len(order); i++ {
		spec := order[i]
		if spec.corrected || i == 1 && !q.tried {
			// The correction scans the vocabulary: a costly step, gated. It
			// runs once the close phase has failed: a word nothing knows
			// ("chantié" in "chef de chantié") is a typo, and its
			// correction comes before the loose associations of the other
			// words (a cook's "chef").
			if err := gate.acquire(ctx); err != nil {
				return nil, err
			}
			if err := ix.correctTypos(ctx, q); err != nil {
				return nil, err
			}
			if !spec.corrected && q.corrected != nil {
				order = []phaseSpec{phases[phaseClose], phases[phaseFuzzy], phases[phaseLoose]}
				spec = order[i]
			}
		}
		if len(all) > 0 {
			seen = slotsOf(all)
		}
		var err error
		if all, err = ix.appendMatches(ctx, all, shards, q, spec.phase, &gate, seen); err != nil {
			return nil, err
		}
		if ix.anyInArea(all, f, spec.enough) {
			if spec.phase == phaseClose && !q.tried && ix.hasUnknownWord(q.q) && !ix.anyInArea(all, f, literalOrBetter) {
				if all, err = ix.correctedBeside(ctx, q, shards, all, &gate); err != nil {
					return nil, err
				}
			}
			if spec.phase == phaseClose && ix.countInArea(all, f, pageFill) >= pageFill {
				if all, err = ix.fill(ctx, q, shards, all); err != nil {
					return nil, err
				}
			}
			break
		}
	}
	return all, nil
}

func literalOrBetter(t tier) bool { return t >= tierLiteral }

// slotsOf returns the set of the slots lists hold.
func slotsOf(lists [][]match) map[int32]bool {
	seen := map[int32]bool{}
	for _, ms := range lists {
		for _, m := range ms {
			seen[m.slot] = true
		}
	}
	return seen
}

// correctedBeside corrects q's typos and adds to all (the matches of q's
// close phase) the close matches of the corrected query in shards. It
// runs when q's close phase found offers only through the thesaurus, and
// q has a word nothing knows: its other words matched ("mécanicien" of
// "mécanicien aéronotique" reached car mechanics through its field), and
// the misspelt word, the one that says which mechanic, was never read.
// The corrected query's matches keep their own tiers, and an offer both
// find keeps the better: a literal match of "mécanicien aéronautique"
// comes before the thesaurus matches of "mécanicien", and no match of q
// as typed is literal. Measured (ROME dev, old held-out, held-out 2,
// typos, recall): 0.796 → 0.859, 0.834 → 0.850, 0.796 → 0.832; the
// benchmark corpus unchanged.
func (ix *Index) correctedBeside(ctx context.Context, q *textQuery, shards []*shard, all [][]match, gate *slowGate) ([][]match, error) {
	if err := gate.acquire(ctx); err != nil {
		return nil, err
	}
	if err := ix.correctTypos(ctx, q); err != nil || q.corrected == nil {
		return all, err
	}
	had := map[int32]tier{}
	for _, ms := range all {
		for _, m := range ms {
			had[m.slot] = m.tier
		}
	}
	cq := &textQuery{textPlan: q.corrected}
	better := map[int32]bool{} // slots of all the corrected query finds at a better tier
	var more [][]match
	for _, s := range shards {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ms, err := ix.shardMatches(ctx, s, cq, phaseClose, gate)
		if err != nil {
			return nil, err
		}
		ms = slices.DeleteFunc(slices.Clone(ms), func(m match) bool {
			t, ok := had[m.slot]
			if ok && m.tier > t {
				better[m.slot] = true
			}
			return ok && m.tier <= t
		})
		if len(ms) > 0 {
			more = append(more, ms)
		}
	}
	if len(better) > 0 {
		// The lists of all are cached and shared: copied, not edited.
		for i, ms := range all {
			if slices.ContainsFunc(ms, func(m match) bool { return better[m.slot] }) {
				all[i] = slices.DeleteFunc(slices.Clone(ms), func(m match) bool { return better[m.slot] })
			}
		}
	}
	return append(all, more...), nil
}

// anyInArea reports whether a match is a searchable offer in the search
// area (shards are chosen by bounding box, so their matches may lie
// outside). The faceted filters do not count: facets ignore them one at a
// time, so the matches must not depend on them.
//
// Only matches of a tier enough accepts count (see phaseSpec.enough).
func (ix *Index) anyInArea(lists [][]match, f *filters, enough func(tier) bool) bool {
	for _, ms := range lists {
		for _, m := range ms {
			if !enough(m.tier) {
				continue
			}
			h := &ix.hot[m.slot]
			if !h.has(flagLive) || !h.searchable(f.now) {
				continue
			}
			if _, ok := f.place(h, ix.docs[m.slot]); ok {
				return true
			}
		}
	}
	return false
}

// countInArea counts the matches of lists in f's area, up to limit.
func (ix *Index) countInArea(lists [][]match, f *filters, limit int) int {
	n := 0
	for _, ms := range lists {
		for _, m := range ms {
			h := &ix.hot[m.slot]
			if !h.has(flagLive) || !h.searchable(f.now) {
				continue
			}
			if _, ok := f.place(h, ix.docs[m.slot]); ok {
				if n++; n >= limit {
					return n
				}
			}
		}
	}
	return n
}

// fill adds to all (the close phase's matches, at least pageFill in the
// area) the matches of the fill phase in shards: the offers of the fiches
// the query names loosely, ranked after every close match (phases' fill
// phase). Each shard's fill list leaves out what its close list holds,
// and, when the corrected query's matches joined them (correctedBeside),
// what those hold.
func (ix *Index) fill(ctx context.Context, q *textQuery, shards []*shard, all [][]match) ([][]match, error) {
	var seen map[int32]bool
	if q.corrected != nil {
		seen = slotsOf(all)
	}
	return ix.appendMatches(ctx, all, shards, q, phaseFill, nil, seen)
}

// appendMatches appends to all the matches of q's phase ph in each of
// shards (lists cached and shared: copied, never edited), less the slots
// of seen (nil: none), which an earlier phase matched at a better tier.
func (ix *Index) appendMatches(ctx context.Context, all [][]match, shards []*shard, q *textQuery, ph phase, gate *slowGate, seen map[int32]bool) ([][]match, error) {
	for _, s := range shards {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ms, err := ix.shardMatches(ctx, s, q, ph, gate)
		if err != nil {
			return nil, err
		}
		if seen != nil {
			ms = slices.DeleteFunc(slices.Clone(ms), func(m match) bool { return seen[m.slot] })
		}
		if len(ms) > 0 {
			all = append(all, ms)
		}
	}
	return all, nil
}

// facetCounter counts facet values. An offer failing no faceted filter counts
// in every facet; one failing exactly one counts only in that filter's facet,
// which is what "each facet ignores its own filter" means.
// facetCounter returns zeroed counters for a search's facets, reused
// from search to search (Index.counters): allocated afresh they were a
// fifth of a search's garbage, most of it one counter per ROME fiche.
func (ix *Index) facetCounter(firstWeek uint16) *facetCounter {
	fc, _ := ix.counters.Get().(*facetCounter)
	if fc == nil {
		fc = &facetCounter{}
	}
	zeroed := func(s []int, n int) []int {
		if cap(s) < n {
			return make([]int, n)
		}
		s = s[:n]
		clear(s)
		return s
	}
	fc.tracks = [3]int{}
	fc.sectors = zeroed(fc.sectors, len(stageindex.Sectors))
	fc.depts = zeroed(fc.depts, len(ix.depts))
	if ix.thes.rome != nil {
		fc.romes = zeroed(fc.romes, len(ix.thes.rome.fiches))
	} else {
		fc.romes = nil
	}
	fc.firstWeek = firstWeek
	fc.weeks = fc.weeks[:0]
	return fc
}

type facetCounter struct {
	tracks    [3]int
	sectors   []int
	depts     []int
	romes     []int // by fiche of the ROME model
	firstWeek uint16
	weeks     []int // by week code - firstWeek
}

func (fc *facetCounter) add(h *hot, fails uint8) {
	if bits.OnesCount8(fails) > 1 {
		return
	}
	if fails == 0 || fails == failTrack {
		for i := range fc.tracks {
			if h.tracks&(1<<i) != 0 {
				fc.tracks[i]++
			}
		}
	}
	if (fails == 0 || fails == failSector) && h.sector >= 0 {
		fc.sectors[h.sector]++
	}
	if fails == 0 || fails == failWeek {
		eachWeek(h.activeWeeks(fc.firstWeek), h.weekBase, func(c uint16) {
			i := int(c - fc.firstWeek)
			for i >= len(fc.weeks) {
				fc.weeks = append(fc.weeks, 0)
			}
			fc.weeks[i]++
		})
	}
	if fails == 0 || fails == failDept {
		fc.depts[h.deptIdx]++
	}
	if (fails == 0 || fails == failROME) && h.rome >= 0 && fc.romes != nil {
		fc.romes[h.rome]++
	}
}

// facetCount is one non-zero count of a facet (every track's, zero or
// not): the facets of an answer, kept compactly (a 60 km search at 1M
// counts hundreds of ROME fiches; as maps they were ~15 KB an answer).
type facetCount struct {
	kind facetKind
	idx  uint16 // the track, sector, department or fiche index, or the week code
	n    uint32
}

type facetKind uint8

const (
	facetTrack facetKind = iota
	facetSector
	facetWeek
	facetDept
	facetROME
)

// counts returns fc's counts.
func (fc *facetCounter) counts() []facetCount {
	out := make([]facetCount, 0, 16)
	for i, n := range fc.tracks {
		out = append(out, facetCount{facetTrack, uint16(i), uint32(n)})
	}
	add := func(kind facetKind, ns []int, base int) {
		for i, n := range ns {
			if n > 0 {
				out = append(out, facetCount{kind, uint16(base + i), uint32(n)})
			}
		}
	}
	add(facetSector, fc.sectors, 0)
	add(facetWeek, fc.weeks, int(fc.firstWeek))
	add(facetDept, fc.depts, 0)
	add(facetROME, fc.romes, 0)
	return out
}

// facets returns the API's facets of counts.
func (ix *Index) facets(counts []facetCount) stageindex.Facets {
	// Maps sized once: growing them was a tenth of a search's garbage.
	var sized [facetROME + 1]int
	for _, c := range counts {
		sized[c.kind]++
	}
	out := stageindex.Facets{
		Tracks:      make(map[string]int, len(stageindex.Tracks)),
		Sectors:     make(map[string]int, sized[facetSector]),
		Weeks:       make(map[string]int, sized[facetWeek]),
		Departments: make(map[string]int, sized[facetDept]),
		ROMEs:       make(map[string]int, sized[facetROME]),
	}
	names := weekNames() // formatting each was a tenth of the facets' time
	for _, c := range counts {
		i, n := int(c.idx), int(c.n)
		switch c.kind {
		case facetTrack:
			out.Tracks[string(stageindex.Tracks[i])] = n
		case facetSector:
			out.Sectors[stageindex.Sectors[i]] = n
		case facetWeek:
			if i < len(names) {
				out.Weeks[names[i]] = n
			} else {
				out.Weeks[weekName(uint16(i))] = n
			}
		case facetDept:
			if ix.depts[i] != "" {
				out.Departments[ix.depts[i]] = n
			}
		case facetROME:
			out.ROMEs[ix.thes.rome.fiches[i].Code] = n
		}
	}
	return out
}
