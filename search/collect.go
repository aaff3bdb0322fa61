package search

import (
	"context"
	"math/bits"
	"slices"

	"github.com/stageindex/stageindex"
)

// collect finds every offer matching req, counts the facets and returns the
// sort keys of the hits. The caller holds ix.mu (read).
//
// The keys are appended to *buf, which keeps its grown capacity for the
// next search (see Index.keyBufs).
func (ix *Index) collect(ctx context.Context, req stageindex.SearchRequest, p *textPlan, buf *[]hitKey) ([]hitKey, stageindex.Facets, error) {
	f := compileFilters(req)
	fc := facetCounter{sectors: make([]int, len(stageindex.Sectors)), depts: make([]int, len(ix.depts)), firstWeek: f.firstWeek}
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
			// Within a tier, a strong text match a little farther away
			// beats a weak one next door: the score is damped by distance,
			// halved at 10 km.
			score /= float32(1 + kmForChord2(dist)/distanceDamping)
		}
		if fails == 0 {
			keys = append(keys, hitKey{slot: slot, tier: tier, score: score, dist: dist, published: h.published})
		}
	}
	switch {
	case p != nil:
		lists, err := ix.textMatches(ctx, f, p)
		if err != nil {
			return nil, stageindex.Facets{}, err
		}
		for _, ms := range lists {
			for _, m := range ms {
				visit(m.slot, m.tier, m.score)
			}
		}
	case f.center != nil && f.remote == stageindex.RemoteExclude:
		if err := ix.cells.Near(f.center.Lat, f.center.Lng, f.radius, func(slot int32) { visit(slot, 0, 0) }); err != nil {
			return nil, stageindex.Facets{}, err
		}
	default:
		for slot := range ix.docs {
			visit(int32(slot), 0, 0)
		}
	}
	return keys, fc.facets(ix.depts), nil
}

// distanceDamping is the distance, in km, at which a text score is halved
// when ranking the hits of one tier around a place.
const distanceDamping = 10

// textMatches gathers the keyword matches from the shards the search area
// touches, one (cached, shared: read-only) list per shard, in phases: loose
// thesaurus associations only when nothing in the area matches closer, typo
// tolerance only when nothing matches at all, so that a typo never hides a
// real word and a neighbouring trade never crowds out the one asked for.
func (ix *Index) textMatches(ctx context.Context, f *filters, p *textPlan) ([][]match, error) {
	var shards []*shard
	switch {
	case f.scope != nil && f.remote == stageindex.RemoteExclude:
		// An area's offers are in its departments' shards (a remote
		// offer, in any area when asked for, may be in any shard).
		for d := range f.scope {
			if s := ix.shards[d]; s != nil {
				shards = append(shards, s)
			}
		}
	case f.center != nil && f.remote == stageindex.RemoteExclude:
		shards = ix.shardsNear(f.center.Lat, f.center.Lng, f.radius)
	default:
		for _, s := range ix.shards {
			shards = append(shards, s)
		}
	}
	all := make([][]match, 0, len(shards))
	var seen map[int32]bool // slots of the earlier phases, once a later one runs
	for _, ph := range []phase{phaseClose, phaseLoose, phaseFuzzy} {
		if ph == phaseFuzzy {
			ix.correctTypos(p)
		}
		if len(all) > 0 {
			seen = map[int32]bool{}
			for _, ms := range all {
				for _, m := range ms {
					seen[m.slot] = true
				}
			}
		}
		for _, s := range shards {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			ms, err := ix.shardMatches(s, p, ph)
			if err != nil {
				return nil, err
			}
			if seen != nil {
				// An offer already matched keeps its earlier, better tier.
				ms = slices.DeleteFunc(slices.Clone(ms), func(m match) bool { return seen[m.slot] })
			}
			if len(ms) > 0 {
				all = append(all, ms)
			}
		}
		if ix.anyInArea(all, f, ph == phaseClose) {
			break
		}
	}
	return all, nil
}

// anyInArea reports whether a match is a searchable offer in the search
// area (shards are chosen by bounding box, so their matches may lie
// outside). The faceted filters do not count: facets ignore them one at a
// time, so the matches must not depend on them.
//
// With strong, only a match in the title or through a close thesaurus
// expansion counts: a word met in some description ("enfants" in a
// library's "animation lecture pour les enfants") is not the trade the
// pupil asked for, and must not keep its loose associations (schools,
// crèches) from being searched.
func (ix *Index) anyInArea(lists [][]match, f *filters, strong bool) bool {
	for _, ms := range lists {
		for _, m := range ms {
			if strong && m.tier != tierThesaurus && m.tier < tierTitle {
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

// facetCounter counts facet values. An offer failing no faceted filter counts
// in every facet; one failing exactly one counts only in that filter's facet,
// which is what "each facet ignores its own filter" means.
type facetCounter struct {
	tracks    [3]int
	sectors   []int
	depts     []int
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
}

func (fc *facetCounter) facets(depts []string) stageindex.Facets {
	// Maps sized once: growing them was a tenth of a search's garbage.
	nonZero := func(ns []int) int {
		c := 0
		for _, n := range ns {
			if n > 0 {
				c++
			}
		}
		return c
	}
	out := stageindex.Facets{
		Tracks:      make(map[string]int, len(stageindex.Tracks)),
		Sectors:     make(map[string]int, nonZero(fc.sectors)),
		Weeks:       make(map[string]int, nonZero(fc.weeks[:])),
		Departments: make(map[string]int, nonZero(fc.depts)),
	}
	for i, t := range stageindex.Tracks {
		out.Tracks[string(t)] = fc.tracks[i]
	}
	for i, n := range fc.sectors {
		if n > 0 {
			out.Sectors[stageindex.Sectors[i]] = n
		}
	}
	for i, n := range fc.weeks {
		if n > 0 {
			out.Weeks[weekName(fc.firstWeek+uint16(i))] = n
		}
	}
	for i, n := range fc.depts {
		if n > 0 && depts[i] != "" {
			out.Departments[depts[i]] = n
		}
	}
	return out
}
