package main

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var out []time.Duration
		for _, v := range vs {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	cases := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", ms(7), 99, 7 * time.Millisecond},
		{"median of odd count", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"median of even count is the lower", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"p95 of 100", hundred, 95, 95 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"tiny p is the min", hundred, 0.001, time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("percentile(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	lat := []time.Duration{4 * time.Millisecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond}
	s := summarize(lat, 2*time.Second, 1)
	want := summary{N: 4, Errors: 1, P50: 2, P95: 4, P99: 4, Max: 4, Mean: 2.5, QPS: 2, WallS: 2}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if lat[0] != 4*time.Millisecond {
		t.Error("summarize sorted its input in place")
	}
}

func TestParseQueries(t *testing.T) {
	good := `{"q": "hôtel", "lat": 47.67, "lng": -2.57, "postcode": "56250", "city": "Sulniac", "radius_km": 10, "track": null}

{"q": "", "lat": 49.9, "lng": 2.3, "postcode": "80000", "city": "Amiens", "radius_km": 60, "track": "segpa"}
`
	qs, err := parseQueries(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 2 || qs[0].Q != "hôtel" || qs[0].Track != nil || *qs[1].Track != "segpa" || qs[1].RadiusKm != 60 {
		t.Fatalf("parsed %+v", qs)
	}
	r := qs[1].request()
	if r.Center.Lat != 49.9 || r.PerPage != perPage || !slices.Equal(r.Tracks, []stageindex.Track{"segpa"}) {
		t.Errorf("request %+v", r)
	}
	u, err := url.Parse(qs[0].path())
	if err != nil {
		t.Fatal(err)
	}
	if v := u.Query(); v.Get("q") != "hôtel" || v.Get("lat") != "47.67" || v.Get("radius_km") != "10" || v.Has("track") {
		t.Errorf("path %s", qs[0].path())
	}
	if g := qs[1].groups(); !slices.Equal(g, []string{"no keyword", "radius 60 km", "track segpa"}) {
		t.Errorf("groups %v", g)
	}

	// The mix's own checks (bad lines, line numbers) are querymix's.
	if _, err := parseQueries(strings.NewReader(`{"q": "x", "radius_km": 5}`)); err == nil {
		t.Error("a line without coordinates was accepted")
	}
}
