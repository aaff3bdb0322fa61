package search

import (
	"context"
	"math"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
)

// communeDiskKm bounds the disk searched for radius_km=0: hits are then
// filtered by INSEE code, and no French commune reaches this far.
const communeDiskKm = 30

// hitKey is what a matching offer is sorted by.
type hitKey struct {
	slot      int32
	tier      uint8
	score     float32
	dist      float64 // squared chord to the center; -1 when unknown
	published int64
}

// prepare checks req against the contract and this index (its rome codes)
// and fills what the caller may leave zero.
func (ix *Index) prepare(req *stageindex.SearchRequest) error {
	if err := req.Validate(); err != nil {
		return err
	}
	if err := ix.checkROME(req.ROME); err != nil {
		return err
	}
	if req.Now.IsZero() {
		req.Now = ix.cfg.Now()
	}
	return nil
}

// Search answers req, which it first validates (SearchRequest.Validate:
// whoever calls, the core only works on requests within the contract).
func (ix *Index) Search(ctx context.Context, req stageindex.SearchRequest) (*stageindex.SearchResult, error) {
	start := time.Now()
	if err := ix.prepare(&req); err != nil {
		return nil, err
	}
	release, err := ix.admit(ctx, req.Query)
	if err != nil {
		return nil, err
	}
	defer release()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, errClosed()
	}

	p := ix.plan(req.Query)
	defaultSort(&req, p)
	buf := ix.getKeys()
	defer ix.putKeys(buf)
	res := &stageindex.SearchResult{Page: req.Page, PerPage: req.PerPage}
	a, err := ix.answer(ctx, req, p, buf)
	if err != nil {
		return nil, err
	}
	res.Total, res.Facets, res.Hits = a.total, ix.facets(a.facets), ix.hits(a.keys, p)
	if res.Total == 0 {
		if res.Relaxed, err = ix.relax(ctx, req, p, buf); err != nil {
			return nil, err
		}
	}
	res.TookMs = math.Round(float64(time.Since(start).Microseconds())/10) / 100
	return res, nil
}

// filterBits name the faceted filters an offer fails.
const (
	failTrack uint8 = 1 << iota
	failSector
	failWeek
	failDept
	failROME
)

// filters is a request's filters compiled for the hot loop.
type filters struct {
	now        int64
	trackMask  uint8
	sectors    map[int16]bool
	weeks      []uint16 // requested week codes
	firstWeek  uint16   // code of the first week not over
	depts      map[string]bool
	allowed    map[string]bool // nil: any department (SearchRequest.Allowed)
	isPublic   *bool
	accessible *bool
	remote     stageindex.RemoteMode
	center     *stageindex.LatLng
	radius     float64
	communes   map[string]bool // radius 0: the commune's INSEE codes
	scope      map[string]bool // an area: its department codes
	romes      map[int16]bool  // the ROME fiches asked for (SearchRequest.ROME), nil: any
	cx, cy, cz float64         // unit vector of center
	maxChord2  float64         // squared chord of the radius
}

func compileFilters(req stageindex.SearchRequest, m *romeModel) *filters {
	f := &filters{now: req.Now.Unix(), isPublic: req.IsPublic, accessible: req.Accessible,
		remote: req.Remote, center: req.Center, radius: req.RadiusKm}
	if len(req.ROME) > 0 {
		f.romes = map[int16]bool{}
		if m != nil {
			for _, c := range req.ROME {
				for _, i := range m.within(c) {
					f.romes[int16(i)] = true
				}
			}
		}
	}
	if f.remote == "" {
		f.remote = stageindex.RemoteExclude
	}
	if req.Center != nil {
		f.cx, f.cy, f.cz = geo.UnitVector(req.Center.Lat, req.Center.Lng)
	}
	if req.Center != nil && req.RadiusKm == 0 && len(req.Communes) > 0 {
		f.communes, f.radius = map[string]bool{}, communeDiskKm
		for _, c := range req.Communes {
			f.communes[c] = true
		}
	}
	if req.Scope != nil {
		// An area (département, région) is a place filter, not a facet:
		// the departments facet still counts each département in it.
		f.scope = make(map[string]bool, len(req.Scope))
		for _, d := range req.Scope {
			f.scope[d] = true
		}
	}
	f.maxChord2 = geo.Chord2ForKm(f.radius) * (1 + 1e-12)
	for i, t := range stageindex.Tracks {
		for _, u := range req.Tracks {
			if t == u {
				f.trackMask |= 1 << i
			}
		}
	}
	if len(req.Sectors) > 0 {
		f.sectors = map[int16]bool{}
		for _, s := range req.Sectors {
			for i, c := range stageindex.Sectors {
				if c == s {
					f.sectors[int16(i)] = true
				}
			}
		}
	}
	f.firstWeek = firstActiveWeek(f.now)
	for _, w := range req.Weeks {
		if mon, err := stageindex.ParseWeek(w); err == nil {
			f.weeks = append(f.weeks, weekCode(mon))
		}
	}
	if len(req.Weeks) > 0 && f.weeks == nil {
		f.weeks = []uint16{} // asked, none valid: nothing matches
	}
	if req.Allowed != nil {
		f.allowed = make(map[string]bool, len(req.Allowed))
		for _, d := range req.Allowed {
			f.allowed[d] = true
		}
	}
	if len(req.Departments) > 0 {
		f.depts = map[string]bool{}
		for _, d := range req.Departments {
			f.depts[d] = true
		}
	}
	return f
}

// place decides whether h is in the searched area and returns its squared
// chord distance (-1 when unknown). Remote offers, when asked for, are in
// any area. doc, read only for radius 0, areas and a partner's Allowed,
// gives the offer's commune and department.
func (f *filters) place(h *hot, doc *doc) (float64, bool) {
	dist := -1.0
	if f.allowed != nil && !f.allowed[doc.dept] {
		// Outside a partner key's départements: not even a remote offer.
		return dist, false
	}
	hasLoc := h.has(flagHasLoc)
	if f.center != nil && hasLoc {
		dist = geo.Chord2(f.cx, f.cy, f.cz, h.x, h.y, h.z)
	}
	remote := h.has(flagRemote)
	switch f.remote {
	case stageindex.RemoteExclude:
		if remote {
			return dist, false
		}
	case stageindex.RemoteOnly:
		return dist, remote
	case stageindex.RemoteInclude:
		if remote {
			return dist, true
		}
	}
	if f.scope != nil {
		return dist, f.scope[doc.dept]
	}
	if f.center == nil {
		return dist, true
	}
	if f.communes != nil {
		return dist, f.communes[doc.insee]
	}
	return dist, hasLoc && dist <= f.maxChord2
}

// fails returns the faceted filters d fails, or ok=false when it fails a
// filter that is not a facet (publication, booleans).
func (f *filters) fails(h *hot, doc *doc) (uint8, bool) {
	if !h.searchable(f.now) {
		return 0, false
	}
	if f.isPublic != nil && h.has(flagPublic) != *f.isPublic {
		return 0, false
	}
	if f.accessible != nil && h.has(flagAccessible) != *f.accessible {
		return 0, false
	}
	var bits uint8
	if f.trackMask != 0 && h.tracks&f.trackMask == 0 {
		bits |= failTrack
	}
	if f.sectors != nil && !f.sectors[h.sector] {
		bits |= failSector
	}
	if f.weeks != nil {
		ok := false
		for _, w := range f.weeks {
			if w >= h.weekBase && w-h.weekBase < 64 && h.weekMask&(1<<(w-h.weekBase)) != 0 {
				ok = true
				break
			}
		}
		if !ok {
			bits |= failWeek
		}
	}
	if f.depts != nil && !f.depts[doc.dept] {
		bits |= failDept
	}
	if f.romes != nil && !f.romes[h.rome] {
		bits |= failROME
	}
	return bits, true
}

// getKeys and putKeys recycle the slices of hit keys: a 60 km search keeps
// ten thousand of them, and allocating them afresh for every search made
// the garbage collector the main cost under load.
func (ix *Index) getKeys() *[]hitKey {
	if b, ok := ix.keyBufs.Get().(*[]hitKey); ok {
		return b
	}
	b := make([]hitKey, 0, 1024)
	return &b
}

func (ix *Index) putKeys(b *[]hitKey) {
	if cap(*b) <= 1<<20 {
		*b = (*b)[:0]
		ix.keyBufs.Put(b)
	}
}
