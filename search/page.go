package search

import (
	"math"
	"slices"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
)

// pageKeys sorts keys and returns a copy of the requested page's keys,
// in order. Only the first page×per_page keys are fully ordered.
func (ix *Index) pageKeys(keys []hitKey, req stageindex.SearchRequest) []hitKey {
	from := (req.Page - 1) * req.PerPage
	if from >= len(keys) {
		return nil
	}
	to := min(from+req.PerPage, len(keys))
	topK(keys, to, ix.less(req.Sort), surelyAfter(req.Sort))
	return slices.Clone(keys[from:to])
}

// hits builds the hits of a page's keys.
func (ix *Index) hits(keys []hitKey, p *textQuery) []stageindex.Hit {
	hits := make([]stageindex.Hit, 0, len(keys))
	if len(keys) == 0 {
		return hits
	}
	// The values hits point to are allocated once per page, not three times
	// per hit: under load, allocation is paid again in garbage collection.
	extras := make([]hitExtra, len(keys))
	var arena []stageindex.Segment
	if p != nil {
		arena = make([]stageindex.Segment, 0, segmentsPerHit*len(keys))
	}
	var bodies []byte
	reuse := decodeReuse{carve: true}
	for i, k := range keys {
		hits = append(hits, ix.hit(k, p, &extras[i], &arena, &bodies, &reuse))
	}
	return hits
}

// segmentsPerHit sizes a page's segment arena: a title and an excerpt with
// a match or two each take about eight.
const segmentsPerHit = 8

// hitExtra holds what a Hit points to.
type hitExtra struct {
	highlights stageindex.Highlights
	published  time.Time
	location   stageindex.LatLng
	distance   float64
	rome       stageindex.ROMERef
}

// topK moves the k smallest keys, in order, to the front of keys. after
// (see surelyAfter) rejects most keys without cmpFn.
func topK(keys []hitKey, k int, cmpFn func(a, b hitKey) int, after func(x, worst hitKey) bool) {
	if k >= len(keys)/2 {
		slices.SortFunc(keys, cmpFn)
		return
	}
	// Partial selection: keep a sorted prefix of the k best seen so far.
	best := slices.Clone(keys[:k])
	slices.SortFunc(best, cmpFn)
	for _, x := range keys[k:] {
		if after(x, best[k-1]) || cmpFn(x, best[k-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(best, x, cmpFn)
		copy(best[i+1:], best[i:k-1])
		best[i] = x
	}
	copy(keys, best)
}

// hit builds the hit of k. The offer is decoded with reuse (its lists
// cut from shared blocks, its pointers reuse's until the next hit): what
// a hit points to is copied into ex.
func (ix *Index) hit(k hitKey, p *textQuery, ex *hitExtra, arena *[]stageindex.Segment, bodies *[]byte, reuse *decodeReuse) stageindex.Hit {
	o := ix.offerIn(ix.docs[k.slot], bodies, reuse)
	h := stageindex.Hit{
		ID: o.ID, Title: o.Title, EmployerName: o.EmployerName,
		Sector: o.Sector, Tracks: o.Tracks, City: o.City, Zipcode: o.Zipcode, Department: o.Department,
		Weeks: o.Weeks, Remote: o.Remote, IsPublic: o.IsPublic, HandicapAccessible: o.HandicapAccessible,
		MaxCandidates: o.MaxCandidates, URL: o.URL,
	}
	if h.Weeks == nil {
		h.Weeks = []string{}
	}
	if r := ix.hot[k.slot].rome; r >= 0 && ix.thes.rome != nil {
		f := &ix.thes.rome.fiches[r]
		ex.rome = stageindex.ROMERef{Code: f.Code, Label: f.Label}
		h.ROME = &ex.rome
	}
	if o.PublishedAt != nil {
		ex.published = o.PublishedAt.UTC().Truncate(time.Second)
		h.PublishedAt = &ex.published
	}
	if o.HasLocation() {
		ex.location = stageindex.LatLng{Lat: *o.Latitude, Lng: *o.Longitude}
		h.Location = &ex.location
	}
	if k.dist >= 0 {
		ex.distance = math.Round(geo.KmForChord2(k.dist)*100) / 100
		h.DistanceKm = &ex.distance
	}
	if p == nil {
		h.Excerpt = excerpt(o.Description)
	} else {
		h.Score = float64(k.tier) + math.Min(float64(k.score), 0.999)
		ex.highlights = stageindex.Highlights{
			Title:       ix.highlight(o.Title, p, arena),
			Description: clip(ix.highlight(o.Description, p, arena)),
		}
		h.Highlights = &ex.highlights
	}
	return h
}
