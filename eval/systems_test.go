package eval

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/pgtest"
)

// systemCases are searches over corpusLines both systems must answer alike:
// the bakeries of Paris, neither Lyon's nor the one whose weeks are over.
var systemCases = []struct {
	name    string
	q       string
	center  *stageindex.LatLng
	wantIDs []string // as a set
}{
	{"around Paris", "boulangerie", &stageindex.LatLng{Lat: 48.85, Lng: 2.35}, []string{"b1", "b2"}},
	{"no place", "boulangerie", nil, []string{"b1", "b2", "b3"}},
	{"nothing", "astronaute", nil, nil},
}

func smallCorpus(t *testing.T) *Corpus {
	t.Helper()
	c, err := ReadCorpus(context.Background(), strings.NewReader(corpusLines))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkSystem(t *testing.T, s System) {
	t.Helper()
	for _, tc := range systemCases {
		t.Run(s.Name()+"/"+tc.name, func(t *testing.T) {
			res, err := s.Search(context.Background(), tc.q, tc.center, 30)
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Sorted(slices.Values(res.IDs))
			if !slices.Equal(got, tc.wantIDs) || res.Total != len(tc.wantIDs) {
				t.Errorf("total %d, ids %v; want %v", res.Total, got, tc.wantIDs)
			}
		})
	}
}

func TestStageindexAndRerank(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := smallCorpus(t)
	si, err := NewStageindex(context.Background(), c, now)
	if err != nil {
		t.Fatal(err)
	}
	defer si.Close()
	checkSystem(t, si)
	checkSystem(t, NewRerank(si, c, 10))
}

// TestBaseline runs the monstage-style search on a real PostgreSQL with
// PostGIS; matchIDs must agree with baseline.Search or Search fails.
func TestBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := NewBaseline(ctx, smallCorpus(t), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), t.Logf)
	if err != nil {
		if os.Getenv(pgtest.SkipEnv) == "1" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer b.Close()
	checkSystem(t, b)
}
