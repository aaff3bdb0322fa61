package search

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stageindex/stageindex"
)

func TestAllowedRestrictsEveryAnswer(t *testing.T) {
	ix := newTestIndex(t)
	tests := []struct {
		name    string
		req     stageindex.SearchRequest
		allowed []string
		want    []string
	}{
		{"nil allows everything", stageindex.SearchRequest{Remote: stageindex.RemoteInclude}, nil,
			[]string{"bank", "bread-far", "bread-here", "bread-near", "desc-only", "garage", "paris-bread", "remote-it", "vet"}},
		{"one department, remote offers without one excluded", stageindex.SearchRequest{Remote: stageindex.RemoteInclude}, []string{"35"},
			[]string{"garage"}},
		{"two departments", stageindex.SearchRequest{}, []string{"35", "75"}, []string{"garage", "paris-bread"}},
		{"empty slice allows nothing", stageindex.SearchRequest{Remote: stageindex.RemoteInclude}, []string{}, nil},
		{"keywords inside the scope", stageindex.SearchRequest{Query: "boulangerie"}, []string{"75"}, []string{"paris-bread"}},
		{"the department filter cannot widen it", stageindex.SearchRequest{Departments: []string{"22", "35"}}, []string{"35"}, []string{"garage"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Allowed, req.PerPage = tc.allowed, 100
			res, err := ix.Search(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(res.Hits)
			slices.Sort(got)
			if !slices.Equal(got, append([]string{}, tc.want...)) {
				t.Errorf("hits %v, want %v", got, tc.want)
			}
			for d := range res.Facets.Departments {
				if tc.allowed != nil && !slices.Contains(tc.allowed, d) {
					t.Errorf("facet counts department %s outside %v", d, tc.allowed)
				}
			}
			var each []string
			if err := ix.Each(context.Background(), req, func(o stageindex.Offer) error { each = append(each, o.ID); return nil }); err != nil {
				t.Fatal(err)
			}
			slices.Sort(each)
			if !slices.Equal(each, got) {
				t.Errorf("Each gives %v, Search %v", each, got)
			}
			st := ix.StatsIn(tc.allowed)
			for d := range st.Departments {
				if tc.allowed != nil && !slices.Contains(tc.allowed, d) {
					t.Errorf("stats count department %s outside %v", d, tc.allowed)
				}
			}
		})
	}
}

func TestRelaxationKeepsAllowed(t *testing.T) {
	ix := newTestIndex(t)
	// Nothing in 35 around Saint-Brieuc: every widening step runs, and
	// none may bring back an offer of 22.
	res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: "boulangerie", Center: &stBrieuc, RadiusKm: 5,
		Tracks: []stageindex.Track{stageindex.TrackSEGPA}, Allowed: []string{"35"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 0 || res.Relaxed == nil {
		t.Fatalf("total %d, relaxed %v: want nothing, then relaxed", res.Total, res.Relaxed)
	}
	for _, h := range res.Relaxed.Hits {
		if h.Department != "35" {
			t.Errorf("relaxed hit %s of department %s outside the scope", h.ID, h.Department)
		}
	}
}

func TestGetInAndStatsIn(t *testing.T) {
	ix := newTestIndex(t)
	if _, ok := ix.GetIn("garage", []string{"22"}); ok {
		t.Error("GetIn gave an offer outside its scope")
	}
	if o, ok := ix.GetIn("garage", []string{"35"}); !ok || o.ID != "garage" {
		t.Errorf("GetIn(garage, 35) = %v, %v", o.ID, ok)
	}
	if _, ok := ix.GetIn("garage", nil); !ok {
		t.Error("GetIn with no scope missed the offer")
	}
	all, in := ix.Stats(), ix.StatsIn([]string{"22"})
	if all.Offers != 9 || in.Offers != 6 || in.Departments["22"] != 6 || len(in.Departments) != 1 || in.Remote != 0 {
		t.Errorf("stats: all %d offers, in 22 %+v", all.Offers, in)
	}
	if none := ix.StatsIn([]string{}); none.Offers != 0 {
		t.Errorf("StatsIn(empty) counts %d offers", none.Offers)
	}
}

func TestSuggestInCountsOnlyItsScope(t *testing.T) {
	ix := newTestIndex(t)
	count := func(sugs []stageindex.Suggestion, text string) int {
		for _, s := range sugs {
			if s.Text == text {
				return s.Count
			}
		}
		return -1
	}
	if n := count(ix.SuggestIn("garag", 10, nil), "garage"); n != 1 {
		t.Errorf("unscoped: garage counted %d", n)
	}
	if n := count(ix.SuggestIn("garag", 10, []string{"35"}), "garage"); n != 1 {
		t.Errorf("scope 35: garage counted %d", n)
	}
	if n := count(ix.SuggestIn("garag", 10, []string{"22"}), "garage"); n > 0 {
		t.Errorf("scope 22: garage (an offer of 35) counted %d", n)
	}
	// The scope's vocabulary follows writes.
	g := offer("garage-22", "Garage de Saint-Brieuc", "Mécanique.")
	if err := ix.Apply(context.Background(), []stageindex.Offer{g}, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(ix.SuggestIn("garag", 10, []string{"22"}), "garage"); n != 1 {
		t.Errorf("scope 22 after a write: garage counted %d, want 1", n)
	}
}

func TestEachIgnoresPagingAndStops(t *testing.T) {
	ix := newTestIndex(t)
	ctx := context.Background()
	// Beyond MaxResultDepth for Search; Each has no page.
	deep := stageindex.SearchRequest{Center: &stBrieuc, RadiusKm: 30, Page: 10000, PerPage: 100}
	if _, err := ix.Search(ctx, deep); stageindex.ErrorCodeOf(err) != stageindex.EINVALID {
		t.Fatalf("Search of page 10000: %v, want invalid", err)
	}
	var got []string
	if err := ix.Each(ctx, deep, func(o stageindex.Offer) error { got = append(got, o.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	first := deep
	first.Page, first.PerPage = 1, 100
	res, err := ix.Search(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, ids(res.Hits)) {
		t.Errorf("Each order %v, Search order %v", got, ids(res.Hits))
	}
	stop := errors.New("stop")
	n := 0
	if err := ix.Each(ctx, deep, func(stageindex.Offer) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Each after an error: %v, %d calls", err, n)
	}
	if err := ix.Each(ctx, stageindex.SearchRequest{RadiusKm: 99}, func(stageindex.Offer) error { return nil }); stageindex.ErrorCodeOf(err) != stageindex.EINVALID {
		t.Errorf("Each of an invalid request: %v", err)
	}
}

func TestGenerationMovesWithEveryChange(t *testing.T) {
	ix := newTestIndex(t)
	l := &Live{}
	if l.Generation() != 0 {
		t.Errorf("empty Live generation %d", l.Generation())
	}
	l.Swap(ix)
	g1 := l.Generation()
	if err := ix.Apply(context.Background(), nil, []string{"vet"}); err != nil {
		t.Fatal(err)
	}
	g2 := l.Generation()
	if g2 == g1 {
		t.Error("an Apply left the generation unchanged")
	}
	ix2 := newTestIndex(t) // the same Applies as ix's first
	l.Swap(ix2)
	if g3 := l.Generation(); g3 == g1 || g3 == g2 {
		t.Errorf("a swap to an index of the same Apply count gave an old generation: %d (were %d, %d)", g3, g1, g2)
	}
}

func TestLoadedClosesAtTheFirstIndex(t *testing.T) {
	l := &Live{}
	early := l.Loaded()
	isClosed := func(c <-chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	l.Swap(nil)
	if isClosed(early) {
		t.Fatal("Loaded closed with no index")
	}
	l.Swap(newTestIndex(t))
	if !isClosed(early) {
		t.Error("Loaded not closed after the first index")
	}
	l.Swap(newTestIndex(t)) // a second index closes nothing twice
	if !isClosed(l.Loaded()) {
		t.Error("Loaded asked after the first index is not closed")
	}
	if late := (&Live{}); isClosed(late.Loaded()) {
		t.Error("a new Live is loaded")
	}
}
