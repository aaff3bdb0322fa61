package search

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/demo"
)

const (
	rankingQueries = "testdata/ranking-queries.txt"
	rankingGolden  = "testdata/ranking.golden"
)

// TestRankingGolden runs about eighty pupil queries over the demo offers
// (one in thirty of the benchmark corpus), around two towns and without a
// place, and compares the first ten hits of each — ids and tiers, in order
// — with testdata/ranking.golden. A change to ranking shows there as a
// diff a reviewer can read; when it is meant, record it with
// `go test ./search -run TestRankingGolden -update`.
func TestRankingGolden(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	offers, err := demo.Offers(now)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := New(Config{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(rankingQueries)
	if err != nil {
		t.Fatal(err)
	}
	places := []struct {
		name   string
		center *stageindex.LatLng
	}{
		{"paris 30 km", &stageindex.LatLng{Lat: 48.8566, Lng: 2.3522}},
		{"saint-brieuc 30 km", &stageindex.LatLng{Lat: 48.5151, Lng: -2.7684}},
		{"anywhere", nil},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# first ten hits (id/tier) of %s over the demo offers; go test ./search -run TestRankingGolden -update\n", rankingQueries)
	for _, q := range strings.Split(string(in), "\n") {
		if q == "" || strings.HasPrefix(q, "#") {
			continue
		}
		for _, pl := range places {
			res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: q, Center: pl.center, RadiusKm: 30, PerPage: 10})
			if err != nil {
				t.Fatalf("%q: %v", q, err)
			}
			fmt.Fprintf(&b, "%s @ %s: total %d:", q, pl.name, res.Total)
			for _, h := range res.Hits {
				fmt.Fprintf(&b, " %s/%d", h.ID, int(h.Score))
			}
			if res.Relaxed != nil {
				fmt.Fprintf(&b, " | relaxed %v %d:", res.Relaxed.Widened, res.Relaxed.Total)
				for _, h := range res.Relaxed.Hits[:min(3, len(res.Relaxed.Hits))] {
					fmt.Fprintf(&b, " %s", h.ID)
				}
			}
			b.WriteByte('\n')
		}
	}
	got := b.String()
	if *update {
		if err := os.WriteFile(rankingGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(rankingGolden)
	if err != nil {
		t.Fatalf("%v (record it with -update)", err)
	}
	gl, wl := lines(got), lines(string(want))
	n := 0
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			if n++; n <= 10 {
				t.Errorf("ranking changed:\n got  %s\n want %s", g, w)
			}
		}
	}
	if n > 0 {
		t.Fatalf("%d rankings differ from %s; if the change is meant, run with -update and commit the diff", n, rankingGolden)
	}
}
