package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/baseline"
)

// benchQuery is one line of the query mix: what a pupil typed, the place
// picked (its coordinates) and the track filter, if any.
type benchQuery struct {
	Q        string   `json:"q"`
	Lat      *float64 `json:"lat"`
	Lng      *float64 `json:"lng"`
	Postcode string   `json:"postcode"`
	City     string   `json:"city"`
	RadiusKm float64  `json:"radius_km"`
	Track    *string  `json:"track"`
}

// parseQueries reads a query mix, one JSON object per line; blank lines are
// skipped. Every line must have coordinates and a radius the API accepts.
func parseQueries(r io.Reader) ([]benchQuery, error) {
	var qs []benchQuery
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q benchQuery
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&q); err != nil {
			return nil, fmt.Errorf("queries: line %d: %w", n, err)
		}
		if err := q.validate(); err != nil {
			return nil, fmt.Errorf("queries: line %d: %w", n, err)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("queries: no query")
	}
	return qs, nil
}

func (q *benchQuery) validate() error {
	switch {
	case q.Lat == nil || q.Lng == nil:
		return fmt.Errorf("lat and lng are required")
	case math.IsNaN(*q.Lat) || *q.Lat < -90 || *q.Lat > 90:
		return fmt.Errorf("lat %v out of range", *q.Lat)
	case math.IsNaN(*q.Lng) || *q.Lng < -180 || *q.Lng > 180:
		return fmt.Errorf("lng %v out of range", *q.Lng)
	case !(q.RadiusKm > 0 && q.RadiusKm <= stageindex.MaxRadiusKm):
		return fmt.Errorf("radius_km %v out of (0, %d]", q.RadiusKm, stageindex.MaxRadiusKm)
	case len(q.Q) > stageindex.MaxQueryLen:
		return fmt.Errorf("q longer than %d bytes", stageindex.MaxQueryLen)
	case q.Track != nil && !stageindex.ValidTrack(stageindex.Track(*q.Track)):
		return fmt.Errorf("unknown track %q", *q.Track)
	}
	return nil
}

// perPage is the page size of the replay, monstage's.
const perPage = baseline.DefaultLimit

func (q *benchQuery) tracks() []stageindex.Track {
	if q.Track == nil {
		return nil
	}
	return []stageindex.Track{stageindex.Track(*q.Track)}
}

// request is the search the API makes of q's URL.
func (q *benchQuery) request() stageindex.SearchRequest {
	return stageindex.SearchRequest{
		Query: q.Q, Center: &stageindex.LatLng{Lat: *q.Lat, Lng: *q.Lng},
		RadiusKm: q.RadiusKm, Tracks: q.tracks(), Page: 1, PerPage: perPage,
	}
}

// baselineQuery is the same search, monstage's way.
func (q *benchQuery) baselineQuery() baseline.Query {
	return baseline.Query{
		Text: q.Q, Center: &stageindex.LatLng{Lat: *q.Lat, Lng: *q.Lng},
		RadiusKm: q.RadiusKm, Tracks: q.tracks(), Limit: perPage,
	}
}

// path is q as a request to the public API.
func (q *benchQuery) path() string {
	v := url.Values{}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	v.Set("lat", strconv.FormatFloat(*q.Lat, 'f', -1, 64))
	v.Set("lng", strconv.FormatFloat(*q.Lng, 'f', -1, 64))
	v.Set("radius_km", strconv.FormatFloat(q.RadiusKm, 'f', -1, 64))
	if q.Track != nil {
		v.Set("track", *q.Track)
	}
	v.Set("per_page", strconv.Itoa(perPage))
	return "/api/v1/offers?" + v.Encode()
}

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
