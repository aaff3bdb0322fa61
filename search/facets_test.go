package search

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

func TestFacetsIgnoreTheirOwnFilter(t *testing.T) {
	for _, before := range []struct {
		name string
		req  *stageindex.SearchRequest
	}{
		{"fresh index", nil},
		// Facet counters are reused from search to search: a wider
		// search before must leave nothing in them.
		{"after a search of every offer", &stageindex.SearchRequest{}},
	} {
		t.Run(before.name, func(t *testing.T) {
			ix := newTestIndex(t)
			if before.req != nil {
				if _, err := ix.Search(context.Background(), *before.req); err != nil {
					t.Fatal(err)
				}
			}
			checkFacetsIgnoreTheirOwnFilter(t, ix)
		})
	}
}

func checkFacetsIgnoreTheirOwnFilter(t *testing.T, ix *Index) {
	req := stageindex.SearchRequest{Center: &stBrieuc, RadiusKm: 10, Tracks: []stageindex.Track{stageindex.TrackSEGPA}}
	res, err := ix.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	// Within 10 km: bread-here (segpa), desc-only, bank, vet (generale+prepa),
	// bread-near. The track facet ignores the track filter.
	wantTracks := map[string]int{"generale": 4, "segpa": 1, "prepa_metiers": 1}
	if !maps.Equal(res.Facets.Tracks, wantTracks) {
		t.Errorf("tracks facet %v, want %v", res.Facets.Tracks, wantTracks)
	}
	// The other facets apply the track filter: only bread-here remains.
	wantSectors := map[string]int{"Hôtellerie, restauration": 1}
	if !maps.Equal(res.Facets.Sectors, wantSectors) {
		t.Errorf("sectors facet %v, want %v", res.Facets.Sectors, wantSectors)
	}
	if !maps.Equal(res.Facets.Departments, map[string]int{"22": 1}) {
		t.Errorf("departments facet %v", res.Facets.Departments)
	}
	if !maps.Equal(res.Facets.Weeks, map[string]int{"2027-W05": 1}) {
		t.Errorf("weeks facet %v", res.Facets.Weeks)
	}
}

func TestFacetsListZeroTracks(t *testing.T) {
	ix := newTestIndex(t)
	res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: "garage", Center: &rennes, RadiusKm: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"generale": 1, "segpa": 0, "prepa_metiers": 0}
	if !maps.Equal(res.Facets.Tracks, want) {
		t.Fatalf("tracks facet %v, want %v", res.Facets.Tracks, want)
	}
}

func TestRelaxedWidensRadiusFirst(t *testing.T) {
	ix := newTestIndex(t)
	tests := []struct {
		name        string
		req         stageindex.SearchRequest
		wantWidened []string
		wantIDs     []string
	}{
		{"radius", stageindex.SearchRequest{Query: "garage", Center: &stageindex.LatLng{Lat: 48.16, Lng: -1.68}, RadiusKm: 2}, []string{"radius"}, []string{"garage"}},
		{"radius then filters", stageindex.SearchRequest{Query: "garage", Center: &rennes, RadiusKm: 5, Tracks: []stageindex.Track{stageindex.TrackSEGPA}}, []string{"radius", "filters"}, []string{"garage"}},
		{"then keywords", stageindex.SearchRequest{Query: "astronaute", Center: &rennes, RadiusKm: 5}, []string{"radius", "keywords"}, []string{"garage"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != 0 || res.Relaxed == nil {
				t.Fatalf("total %d relaxed %v: the case must start with no hit", res.Total, res.Relaxed)
			}
			if !slices.Equal(res.Relaxed.Widened, tc.wantWidened) {
				t.Errorf("widened %v, want %v", res.Relaxed.Widened, tc.wantWidened)
			}
			if got := ids(res.Relaxed.Hits); !slices.Equal(got, tc.wantIDs) {
				t.Errorf("relaxed hits %v, want %v", got, tc.wantIDs)
			}
		})
	}
}

func TestApplyUpdatesAndDeletes(t *testing.T) {
	ix := newTestIndex(t)
	ctx := context.Background()
	search := func(q string) []string {
		res, err := ix.Search(ctx, stageindex.SearchRequest{Query: q, Center: &stBrieuc, RadiusKm: 60})
		if err != nil {
			t.Fatal(err)
		}
		return ids(res.Hits)
	}
	if got := search("garage"); len(got) != 0 {
		t.Fatalf("garage in Rennes found from Saint-Brieuc at 60 km: %v", got)
	}
	moved := offer("garage", "Garage Renault - Mécanique automobile", "Entretien des voitures.", sector("Automobile"))
	if err := ix.Apply(ctx, []stageindex.Offer{moved}, []string{"bank"}); err != nil {
		t.Fatal(err)
	}
	if got := search("garage"); !slices.Equal(got, []string{"garage"}) {
		t.Fatalf("after moving the garage to Saint-Brieuc: %v", got)
	}
	if got := search("banque"); len(got) != 0 {
		t.Fatalf("deleted offer still found: %v", got)
	}
	if _, ok := ix.Get("bank"); ok {
		t.Fatal("deleted offer still in Get")
	}
	if n := ix.Len(); n != len(corpus())-1 {
		t.Fatalf("Len %d, want %d", n, len(corpus())-1)
	}
}

func TestPagination(t *testing.T) {
	ix := newTestIndex(t)
	all, err := ix.Search(context.Background(), stageindex.SearchRequest{Center: &stBrieuc, RadiusKm: 30, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	var paged []string
	for page := 1; page <= 4; page++ {
		res, err := ix.Search(context.Background(), stageindex.SearchRequest{Center: &stBrieuc, RadiusKm: 30, Page: page, PerPage: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != all.Total {
			t.Fatalf("page %d total %d, want %d", page, res.Total, all.Total)
		}
		paged = append(paged, ids(res.Hits)...)
	}
	if !slices.Equal(paged, ids(all.Hits)) {
		t.Fatalf("pages %v, want %v", paged, ids(all.Hits))
	}
}

func TestHighlights(t *testing.T) {
	ix := newTestIndex(t)
	res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: "boulanger", Center: &stBrieuc, RadiusKm: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].ID != "bread-here" {
		t.Fatalf("hits %v", ids(res.Hits))
	}
	want := []stageindex.Segment{
		{Text: "Boulangère", Match: true}, {Text: " ou ", Match: false},
		{Text: "boulanger", Match: true}, {Text: " : une semaine au ", Match: false},
		{Text: "fournil", Match: true}, // a close thesaurus word of boulanger
	}
	if got := res.Hits[0].Highlights.Title; !slices.Equal(got, want) {
		t.Fatalf("title highlight %#v, want %#v", got, want)
	}
}

// TestExcerptOrHighlights: a hit carries one excerpt of its description,
// the start of it without keywords, the highlighted cut with keywords.
func TestExcerptOrHighlights(t *testing.T) {
	ix := newTestIndex(t)
	tests := []struct {
		name, q string
	}{
		{"no keyword", ""},
		{"keyword", "boulanger"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: tc.q, Center: &stBrieuc, RadiusKm: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 {
				t.Fatal("no hit")
			}
			for _, h := range res.Hits {
				if tc.q == "" && (h.Excerpt == "" || h.Highlights != nil) {
					t.Fatalf("hit %s: excerpt %q, highlights %v; want the excerpt alone", h.ID, h.Excerpt, h.Highlights)
				}
				if tc.q != "" && (h.Excerpt != "" || h.Highlights == nil || len(h.Highlights.Description) == 0) {
					t.Fatalf("hit %s: excerpt %q, highlights %v; want highlights alone", h.ID, h.Excerpt, h.Highlights)
				}
			}
		})
	}
}

func TestRelaxedKeepsTheDepartment(t *testing.T) {
	ix := newTestIndex(t)
	req := stageindex.SearchRequest{Query: "garage", Center: &stBrieuc, RadiusKm: 5, Departments: []string{"22"}, Tracks: []stageindex.Track{stageindex.TrackSEGPA}}
	res, err := ix.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	// The garage is in Rennes (35): widening radius and filters must not
	// leave department 22, so only the keywords step finds something.
	if res.Relaxed == nil || !slices.Equal(res.Relaxed.Widened, []string{"radius", "filters", "keywords"}) {
		t.Fatalf("relaxed %+v", res.Relaxed)
	}
	for _, h := range res.Relaxed.Hits {
		if h.Department != "22" {
			t.Fatalf("relaxed hit %s in department %s", h.ID, h.Department)
		}
	}
}

func TestWeekFacetSkipsPastWeeks(t *testing.T) {
	ix, err := New(Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	offers := []stageindex.Offer{
		offer("a", "Fleuriste", "Bouquets.", weeks("2026-W40", "2026-W53", "2027-W05")),
		offer("b", "Fleuriste", "Bouquets.", weeks("2027-W05", "2028-W02")),
	}
	if err := ix.Apply(context.Background(), offers, nil); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(context.Background(), stageindex.SearchRequest{Center: &stBrieuc, RadiusKm: 5, Weeks: []string{"2028-W02"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.Hits); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("week filter: %v", got)
	}
	want := map[string]int{"2026-W53": 1, "2027-W05": 2, "2028-W02": 1}
	if !maps.Equal(res.Facets.Weeks, want) {
		t.Fatalf("weeks facet %v, want %v", res.Facets.Weeks, want)
	}
}

// TestHighlightsLigatures: a word with a ligature is highlighted as it is
// found, whichever way the pupil types it.
func TestHighlightsLigatures(t *testing.T) {
	ix, err := New(Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if err := ix.Apply(context.Background(), []stageindex.Offer{offer("wine", "Œnologue au domaine", "Vinification.")}, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"œnologue", "oenologue", "ŒNOLOGUE"} {
		res, err := ix.Search(context.Background(), stageindex.SearchRequest{Query: q})
		if err != nil || len(res.Hits) != 1 {
			t.Fatalf("%s: %v %v", q, err, res)
		}
		want := []stageindex.Segment{{Text: "Œnologue", Match: true}, {Text: " au domaine"}}
		if got := res.Hits[0].Highlights.Title; !slices.Equal(got, want) {
			t.Errorf("%s: title highlight %#v, want %#v", q, got, want)
		}
	}
}

// TestRelaxedPages checks that widened hits are paged like any results:
// the pages of a widened search, put together, are its whole answer.
func TestRelaxedPages(t *testing.T) {
	ix := newTestIndex(t)
	// No offer within 1 km of this point of the sea; within 60 km, several.
	far := stageindex.LatLng{Lat: 48.70, Lng: -2.60}
	all, err := ix.Search(context.Background(), stageindex.SearchRequest{Center: &far, RadiusKm: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != 0 || all.Relaxed == nil || all.Relaxed.Total < 3 {
		t.Fatalf("want no hit and at least 3 widened ones, got total %d, relaxed %+v", all.Total, all.Relaxed)
	}
	var paged []string
	for page := 1; (page-1)*2 < all.Relaxed.Total; page++ {
		res, err := ix.Search(context.Background(), stageindex.SearchRequest{Center: &far, RadiusKm: 1, Page: page, PerPage: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Relaxed == nil || res.Relaxed.Total != all.Relaxed.Total {
			t.Fatalf("page %d: relaxed %+v, want a total of %d", page, res.Relaxed, all.Relaxed.Total)
		}
		paged = append(paged, ids(res.Relaxed.Hits)...)
	}
	if !slices.Equal(paged, ids(all.Relaxed.Hits)) {
		t.Fatalf("widened pages %v, want %v", paged, ids(all.Relaxed.Hits))
	}
}
