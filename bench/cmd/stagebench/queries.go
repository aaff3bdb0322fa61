package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/bench/querymix"
	"github.com/stageindex/stageindex/internal/baseline"
)

// benchQuery is one line of the query mix (what a pupil typed, the place
// picked and the track filter, if any), with what the bench makes of it.
type benchQuery struct{ querymix.Query }

// parseQueries reads a query mix (querymix.Parse).
func parseQueries(r io.Reader) ([]benchQuery, error) {
	qs, err := querymix.Parse(r)
	if err != nil {
		return nil, err
	}
	out := make([]benchQuery, len(qs))
	for i, q := range qs {
		out[i] = benchQuery{q}
	}
	return out, nil
}

// perPage is the page size of the replay, monstage's.
const perPage = baseline.DefaultLimit

// request is the search the API makes of q's URL.
func (q *benchQuery) request() stageindex.SearchRequest {
	return stageindex.SearchRequest{
		Query: q.Q, Center: &stageindex.LatLng{Lat: *q.Lat, Lng: *q.Lng},
		RadiusKm: q.RadiusKm, Tracks: q.Tracks(), Page: 1, PerPage: perPage,
	}
}

// baselineQuery is the same search, monstage's way.
func (q *benchQuery) baselineQuery() baseline.Query {
	return baseline.Query{
		Text: q.Q, Center: &stageindex.LatLng{Lat: *q.Lat, Lng: *q.Lng},
		RadiusKm: q.RadiusKm, Tracks: q.Tracks(), Limit: perPage,
	}
}

// path is q as a request to the public API, a page the size of the
// replay's.
func (q *benchQuery) path() string { return q.Path(perPage) }

// groups names the query kinds q belongs to, for the p99 breakdown: with
// or without words, the radius, with or without a track.
func (q *benchQuery) groups() []string {
	kw := "no keyword"
	if strings.TrimSpace(q.Q) != "" {
		kw = "keyword"
		if len(strings.Fields(q.Q)) > 1 {
			kw = "keyword (2+ words)"
		}
	}
	tr := "no track"
	if q.Track != nil {
		tr = "track " + *q.Track
	}
	return []string{kw, fmt.Sprintf("radius %g km", q.RadiusKm), tr}
}
