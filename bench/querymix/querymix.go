// Package querymix reads the benchmark's query mix (the format of
// ../shared/bench/queries-1k.jsonl: what a pupil typed, the place picked,
// how far, which track) and turns a query into a request to the public API.
// Every load tool (stagebench, apiload, abusebench, deploy/local) reads it
// here, so that they replay the same searches the same way.
package querymix

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/stageindex/stageindex"
)

// Query is one line of the mix.
type Query struct {
	Q        string   `json:"q"`
	Lat      *float64 `json:"lat"`
	Lng      *float64 `json:"lng"`
	Postcode string   `json:"postcode"`
	City     string   `json:"city"`
	RadiusKm float64  `json:"radius_km"`
	Track    *string  `json:"track"`
}

// Around is a query without a track around (lat, lng).
func Around(q string, lat, lng, radiusKm float64) Query {
	return Query{Q: q, Lat: &lat, Lng: &lng, RadiusKm: radiusKm}
}

// Read reads the mix in the file at path.
func Read(path string) ([]Query, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer f.Close()
	return Parse(f)
}

// Parse reads a mix, one JSON object per line; blank lines are skipped.
// A line with an unknown field, without coordinates or with a value the
// API refuses is an error naming the line: a mix is replayed whole or not
// at all.
func Parse(r io.Reader) ([]Query, error) {
	var qs []Query
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q Query
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&q); err != nil {
			return nil, fmt.Errorf("queries: line %d: %w", n, err)
		}
		if err := q.Validate(); err != nil {
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

// Validate checks q against what the API accepts.
func (q *Query) Validate() error {
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

// Tracks is the track filter of q, none or one.
func (q *Query) Tracks() []stageindex.Track {
	if q.Track == nil {
		return nil
	}
	return []stageindex.Track{stageindex.Track(*q.Track)}
}

// Path is q as a request to the public API, perPage hits a page.
func (q *Query) Path(perPage int) string {
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
