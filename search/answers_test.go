package search

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// A search asked again is answered from ix.answers, identical but for its
// time; a write, the minute turning or any other parameter is a new search.
func TestAnswersAreKeptUntilTheIndexOrTheMinuteChanges(t *testing.T) {
	ctx := context.Background()
	ix := newTestIndex(t)
	now := testNow
	ix.cfg.Now = func() time.Time { return now }
	search := func(t *testing.T, req stageindex.SearchRequest) *stageindex.SearchResult {
		t.Helper()
		res, err := ix.Search(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		res.TookMs = 0
		return res
	}
	hits := func() int64 { return ix.answers.Stat().Hits }
	base := stageindex.SearchRequest{Query: "boulangerie", Center: &stBrieuc, RadiusKm: 30, PerPage: 2}
	tests := []struct {
		name string
		req  stageindex.SearchRequest
	}{
		{"keywords and a place", base},
		{"a typo corrected, highlighted the same", stageindex.SearchRequest{Query: "bouangerie", Center: &stBrieuc, RadiusKm: 30}},
		{"no keyword", stageindex.SearchRequest{Center: &stBrieuc, RadiusKm: 30, Tracks: []stageindex.Track{stageindex.TrackSEGPA}}},
		{"neither keyword nor place", stageindex.SearchRequest{Sectors: []string{"Hôtellerie, restauration"}}},
		{"relaxed", stageindex.SearchRequest{Query: "boulangerie", Center: &stBrieuc, RadiusKm: 1, Tracks: []stageindex.Track{stageindex.TrackPrepaMetiers}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first := search(t, tc.req)
			h := hits()
			again := search(t, tc.req)
			if hits() == h {
				t.Errorf("asked again: not answered from the kept answers")
			}
			if !reflect.DeepEqual(first, again) {
				t.Errorf("kept answer differs:\n%+v\nfirst:\n%+v", again, first)
			}
		})
	}

	t.Run("other parameters are other searches", func(t *testing.T) {
		first := search(t, base)
		for name, change := range map[string]func(*stageindex.SearchRequest){
			"page":   func(r *stageindex.SearchRequest) { r.Page = 2 },
			"radius": func(r *stageindex.SearchRequest) { r.RadiusKm = 5 },
			"sort":   func(r *stageindex.SearchRequest) { r.Sort = stageindex.SortDate },
			"track":  func(r *stageindex.SearchRequest) { r.Tracks = []stageindex.Track{stageindex.TrackSEGPA} },
			"allowed": func(r *stageindex.SearchRequest) {
				r.Allowed = []string{"35"}
			},
		} {
			req := base
			change(&req)
			h := hits()
			res := search(t, req)
			if hits() != h {
				t.Errorf("%s changed: answered from the kept answer of another search", name)
			}
			if reflect.DeepEqual(res, first) {
				t.Errorf("%s changed: same answer %v", name, ids(res.Hits))
			}
		}
	})

	t.Run("a write is seen at once", func(t *testing.T) {
		before := search(t, base)
		added := offer("bread-new", "Boulangerie Neuve", "Pain.", at(plerin, "22190", "Plérin", "22"), sector("Hôtellerie, restauration"))
		if err := ix.Apply(ctx, []stageindex.Offer{added}, nil); err != nil {
			t.Fatal(err)
		}
		after := search(t, base)
		if after.Total != before.Total+1 {
			t.Errorf("total after a write: %d, want %d", after.Total, before.Total+1)
		}
		if err := ix.Apply(ctx, nil, []string{"bread-new"}); err != nil {
			t.Fatal(err)
		}
		if again := search(t, base); !reflect.DeepEqual(again, before) {
			t.Errorf("after the delete: %v, want %v", ids(again.Hits), ids(before.Hits))
		}
	})

	t.Run("the minute turning is a new search", func(t *testing.T) {
		search(t, base)
		now = now.Add(time.Minute)
		h := hits()
		search(t, base)
		if hits() != h {
			t.Errorf("a minute later: answered from the kept answer")
		}
	})
}
