package api

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/stageindex/stageindex"
)

// This file encodes search results by hand: encoding/json's reflection,
// facet key sorting and string escaping cost about a fifth of server CPU
// under load. The output is byte-for-byte what json.Marshal gives for the
// same value (field order, omitempty, null for nil slices and maps, HTML
// escaping, float format); encode_test.go checks that on fixed and random
// results, so any change to the tags in request.go must be mirrored here.

// appendSearchResult appends the JSON encoding of r to b. It fails only
// where json.Marshal fails: on NaN or infinite floats and on times outside
// the years 0–9999 or with zone offsets of a day or more.
func appendSearchResult(b []byte, r *stageindex.SearchResult) ([]byte, error) {
	w := jsonWriter{b: b}
	if r == nil {
		w.raw("null")
	} else {
		w.result(r)
	}
	return w.b, w.err
}

// jsonWriter keeps the first error aside so that the encoders of each type
// read like the struct they write.
type jsonWriter struct {
	b   []byte
	err error
}

func (w *jsonWriter) raw(s string) { w.b = append(w.b, s...) }
func (w *jsonWriter) str(s string) { w.b = appendString(w.b, s) }
func (w *jsonWriter) int(n int)    { w.b = strconv.AppendInt(w.b, int64(n), 10) }
func (w *jsonWriter) bool(v bool)  { w.b = strconv.AppendBool(w.b, v) }

func (w *jsonWriter) float(f float64) {
	var err error
	if w.b, err = appendFloat(w.b, f); err != nil && w.err == nil {
		w.err = err
	}
}

func (w *jsonWriter) time(t time.Time) {
	var err error
	if w.b, err = appendTime(w.b, t); err != nil && w.err == nil {
		w.err = err
	}
}

func (w *jsonWriter) result(r *stageindex.SearchResult) {
	w.raw(`{"total":`)
	w.int(r.Total)
	w.raw(`,"page":`)
	w.int(r.Page)
	w.raw(`,"per_page":`)
	w.int(r.PerPage)
	w.raw(`,"took_ms":`)
	w.float(r.TookMs)
	if r.Place != nil {
		w.raw(`,"place":`)
		w.place(r.Place)
	}
	w.optStr(`,"q_used":`, r.QUsed)
	w.raw(`,"hits":`)
	w.hits(r.Hits)
	w.raw(`,"facets":{"tracks":`)
	w.counts(r.Facets.Tracks)
	w.raw(`,"sectors":`)
	w.counts(r.Facets.Sectors)
	w.raw(`,"weeks":`)
	w.counts(r.Facets.Weeks)
	w.raw(`,"departments":`)
	w.counts(r.Facets.Departments)
	w.raw(`,"romes":`)
	w.counts(r.Facets.ROMEs)
	w.raw("}")
	if r.Relaxed != nil {
		w.raw(`,"relaxed":{"widened":`)
		w.strs(r.Relaxed.Widened)
		if r.Relaxed.RadiusKm != 0 {
			w.raw(`,"radius_km":`)
			w.float(r.Relaxed.RadiusKm)
		}
		w.raw(`,"total":`)
		w.int(r.Relaxed.Total)
		w.raw(`,"hits":`)
		w.hits(r.Relaxed.Hits)
		w.raw("}")
	}
	w.raw("}")
}

func (w *jsonWriter) hits(hits []stageindex.Hit) {
	if hits == nil {
		w.raw("null")
		return
	}
	w.raw("[")
	for i := range hits {
		if i > 0 {
			w.raw(",")
		}
		w.hit(&hits[i])
	}
	w.raw("]")
}

func (w *jsonWriter) hit(h *stageindex.Hit) {
	w.raw(`{"id":`)
	w.str(h.ID)
	w.raw(`,"title":`)
	w.str(h.Title)
	w.optStr(`,"excerpt":`, h.Excerpt)
	w.raw(`,"employer_name":`)
	w.str(h.EmployerName)
	w.optStr(`,"sector":`, h.Sector)
	w.raw(`,"tracks":`)
	w.tracks(h.Tracks)
	w.optStr(`,"city":`, h.City)
	w.optStr(`,"zipcode":`, h.Zipcode)
	w.optStr(`,"department":`, h.Department)
	if h.Location != nil {
		w.raw(`,"location":{"lat":`)
		w.float(h.Location.Lat)
		w.raw(`,"lng":`)
		w.float(h.Location.Lng)
		w.raw("}")
	}
	if h.DistanceKm != nil {
		w.raw(`,"distance_km":`)
		w.float(*h.DistanceKm)
	}
	w.raw(`,"weeks":`)
	w.strs(h.Weeks)
	w.raw(`,"remote":`)
	w.bool(h.Remote)
	w.raw(`,"is_public":`)
	w.bool(h.IsPublic)
	w.raw(`,"handicap_accessible":`)
	w.bool(h.HandicapAccessible)
	w.raw(`,"max_candidates":`)
	w.int(h.MaxCandidates)
	w.optStr(`,"url":`, h.URL)
	if h.PublishedAt != nil {
		w.raw(`,"published_at":`)
		w.time(*h.PublishedAt)
	}
	// omitempty drops -0 too: json's emptiness test is Float() == 0.
	if h.Score != 0 {
		w.raw(`,"score":`)
		w.float(h.Score)
	}
	if h.Highlights != nil {
		w.raw(`,"highlights":`)
		w.highlights(h.Highlights)
	}
	if h.ROME == nil {
		w.raw(`,"rome":null`)
	} else {
		w.raw(`,"rome":{"code":`)
		w.str(h.ROME.Code)
		w.raw(`,"label":`)
		w.str(h.ROME.Label)
		w.raw("}")
	}
	w.raw("}")
}

// optStr writes an omitempty string field.
func (w *jsonWriter) optStr(key, s string) {
	if s != "" {
		w.raw(key)
		w.str(s)
	}
}

func (w *jsonWriter) highlights(h *stageindex.Highlights) {
	w.raw(`{"description":`)
	w.segments(h.Description)
	w.raw(`,"title":`)
	w.segments(h.Title)
	w.raw("}")
}

func (w *jsonWriter) segments(segs []stageindex.Segment) {
	if segs == nil {
		w.raw("null")
		return
	}
	w.raw("[")
	for i := range segs {
		if i > 0 {
			w.raw(",")
		}
		w.raw(`{"text":`)
		w.str(segs[i].Text)
		w.raw(`,"match":`)
		w.bool(segs[i].Match)
		w.raw("}")
	}
	w.raw("]")
}

type facetCount struct {
	key string
	n   int
}

// counts writes a facet with its keys sorted, as json.Marshal does.
func (w *jsonWriter) counts(m map[string]int) {
	if m == nil {
		w.raw("null")
		return
	}
	// Facets have at most about a hundred values (departments): the list
	// usually stays on the stack. Keys are sorted with their counts, so
	// that the map is not hashed again for each.
	var arr [128]facetCount
	kvs := arr[:0]
	for k, n := range m {
		kvs = append(kvs, facetCount{k, n})
	}
	slices.SortFunc(kvs, func(a, b facetCount) int { return strings.Compare(a.key, b.key) })
	w.raw("{")
	for i, kv := range kvs {
		if i > 0 {
			w.raw(",")
		}
		w.str(kv.key)
		w.raw(":")
		w.int(kv.n)
	}
	w.raw("}")
}

func (w *jsonWriter) place(p *stageindex.Place) {
	w.raw(`{"name":`)
	w.str(p.Name)
	w.raw(`,"kind":`)
	w.str(string(p.Kind))
	w.raw(`,"code":`)
	w.str(p.Code)
	w.raw(`,"label":`)
	w.str(p.Label)
	w.optStr(`,"insee":`, p.INSEE)
	w.optStr(`,"postcode":`, p.Postcode)
	if len(p.Postcodes) > 0 {
		w.raw(`,"postcodes":`)
		w.strs(p.Postcodes)
	}
	w.optStr(`,"department":`, p.Department)
	w.optStr(`,"region":`, p.Region)
	if len(p.Departments) > 0 {
		w.raw(`,"departments":`)
		w.strs(p.Departments)
	}
	if p.Lat != 0 {
		w.raw(`,"lat":`)
		w.float(p.Lat)
	}
	if p.Lng != 0 {
		w.raw(`,"lng":`)
		w.float(p.Lng)
	}
	if p.Population != 0 {
		w.raw(`,"population":`)
		w.int(p.Population)
	}
	w.raw(`,"approximate":`)
	w.bool(p.Approximate)
	if p.FromQuery {
		w.raw(`,"from_query":true`)
	}
	if len(p.Others) > 0 {
		w.raw(`,"others":[`)
		for i := range p.Others {
			if i > 0 {
				w.raw(",")
			}
			w.place(&p.Others[i])
		}
		w.raw("]")
	}
	w.raw("}")
}

// tracks writes tracks as strings: Track is a plain string type with no
// marshaller of its own.
func (w *jsonWriter) tracks(ts []stageindex.Track) {
	if ts == nil {
		w.raw("null")
		return
	}
	w.raw("[")
	for i, t := range ts {
		if i > 0 {
			w.raw(",")
		}
		w.str(string(t))
	}
	w.raw("]")
}

func (w *jsonWriter) strs(ss []string) {
	if ss == nil {
		w.raw("null")
		return
	}
	w.raw("[")
	for i, s := range ss {
		if i > 0 {
			w.raw(",")
		}
		w.str(s)
	}
	w.raw("]")
}

// maxPooledBuf caps the buffers kept for reuse, so one huge response does
// not pin its buffer for the life of the process.
const maxPooledBuf = 1 << 20

// sendSearchResult writes res as the JSON body, like c.JSON would. The
// bytes are encoded into a pooled buffer and copied into fasthttp's own
// (also pooled) body buffer, so a search response allocates nothing in
// the steady state.
func (s *Server) sendSearchResult(c *fiber.Ctx, res *stageindex.SearchResult) error {
	bp := s.bufs.Get().(*[]byte)
	b, err := appendSearchResult((*bp)[:0], res)
	if err == nil {
		c.Response().SetBody(b)
		c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	}
	if cap(b) <= maxPooledBuf {
		*bp = b
		s.bufs.Put(bp)
	}
	return err
}
