package search

import (
	"context"
	"slices"
	"testing"

	"github.com/stageindex/stageindex"
)

// TestWhereArea: a search scoped to départements (a département or région
// searched as an area) finds the offers of those départements only, counts
// each of them in the departments facet, keeps the remote rules, sorts by
// date without keywords and keeps its scope when relaxed.
func TestWhereArea(t *testing.T) {
	ix := newTestIndex(t)
	ctx := context.Background()
	search := func(req stageindex.SearchRequest) *stageindex.SearchResult {
		t.Helper()
		res, err := ix.Search(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	bretagne := []string{"22", "29", "35", "56"}
	tests := []struct {
		name string
		req  stageindex.SearchRequest
		want []string // ids, in order
	}{
		{"département", stageindex.SearchRequest{Scope: []string{"35"}}, []string{"garage"}},
		{"région, by date", stageindex.SearchRequest{Scope: bretagne},
			[]string{"bread-far", "bank", "bread-here", "bread-near", "desc-only", "garage", "vet"}},
		{"keywords", stageindex.SearchRequest{Scope: bretagne, Query: "boulangerie"},
			[]string{"bread-far", "bread-near", "bread-here", "desc-only"}},
		{"not elsewhere", stageindex.SearchRequest{Scope: []string{"75"}, Query: "garage"}, nil},
		{"radius does not apply", stageindex.SearchRequest{Scope: []string{"35"}, RadiusKm: 1}, []string{"garage"}},
		{"remote included", stageindex.SearchRequest{Scope: []string{"35"}, Remote: stageindex.RemoteInclude}, []string{"remote-it", "garage"}},
		{"remote only", stageindex.SearchRequest{Scope: []string{"35"}, Remote: stageindex.RemoteOnly}, []string{"remote-it"}},
		{"with a department filter", stageindex.SearchRequest{Scope: bretagne, Departments: []string{"35"}}, []string{"garage"}},
		{"empty scope finds nothing", stageindex.SearchRequest{Scope: []string{}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := search(tc.req)
			got := ids(res.Hits)
			if len(got) != len(tc.want) || (len(tc.want) > 0 && !sameSet(got, tc.want)) {
				t.Fatalf("hits %v, want %v", got, tc.want)
			}
			if res.Total != len(tc.want) {
				t.Errorf("total %d, want %d", res.Total, len(tc.want))
			}
		})
	}
	// Without keywords, newest first.
	res := search(stageindex.SearchRequest{Scope: bretagne})
	for i := 1; i < len(res.Hits); i++ {
		if res.Hits[i-1].PublishedAt.Before(*res.Hits[i].PublishedAt) {
			t.Errorf("not by date: %s before %s", res.Hits[i-1].ID, res.Hits[i].ID)
		}
	}
	// The departments facet counts each département of the scope, ignoring
	// the department filter, and none outside.
	res = search(stageindex.SearchRequest{Scope: bretagne, Departments: []string{"35"}})
	if d := res.Facets.Departments; d["22"] != 6 || d["35"] != 1 || d["75"] != 0 {
		t.Errorf("departments facet %v, want 22:6 35:1 and no 75", d)
	}
	// Relaxing keeps the scope: no radius step, the keywords dropped
	// within the area.
	res = search(stageindex.SearchRequest{Scope: []string{"35"}, Query: "astronaute"})
	if res.Total != 0 || res.Relaxed == nil || !slices.Equal(res.Relaxed.Widened, []string{"keywords"}) ||
		!slices.Equal(ids(res.Relaxed.Hits), []string{"garage"}) {
		t.Errorf("relaxed %+v, want keywords widened, the garage only", res.Relaxed)
	}
	res = search(stageindex.SearchRequest{Scope: []string{"35"}, Query: "garage", Tracks: []stageindex.Track{stageindex.TrackSEGPA}})
	if res.Relaxed == nil || !slices.Equal(res.Relaxed.Widened, []string{"filters"}) || res.Relaxed.RadiusKm != 0 {
		t.Errorf("relaxed %+v, want filters widened, no radius", res.Relaxed)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
