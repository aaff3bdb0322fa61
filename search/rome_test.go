package search

import (
	"context"
	"slices"
	"testing"

	"github.com/stageindex/stageindex"
)

// TestROMEClassificationFilterAndFacet: offers carry the ROME fiche their
// words name; the rome parameter filters by fiche, domaine or grand
// domaine, and the romes facet counts by fiche with every filter but rome.
func TestROMEClassificationFilterAndFacet(t *testing.T) {
	ix := newTestIndex(t)
	ctx := context.Background()
	res, err := ix.Search(ctx, stageindex.SearchRequest{Query: "boulanger", Center: &stBrieuc, RadiusKm: 30})
	if err != nil {
		t.Fatal(err)
	}
	romeOf := map[string]string{}
	for _, h := range res.Hits {
		if h.ROME != nil {
			romeOf[h.ID] = h.ROME.Code
		}
	}
	if romeOf["bread-here"] != "D1102" {
		t.Fatalf("bread-here classified %q, want D1102 (Boulangerie - viennoiserie): %v", romeOf["bread-here"], romeOf)
	}
	for _, code := range []string{"D1102", "D11", "D"} {
		res, err := ix.Search(ctx, stageindex.SearchRequest{Center: &stBrieuc, RadiusKm: 30, ROME: []string{code}})
		if err != nil {
			t.Fatal(err)
		}
		got := ids(res.Hits)
		if !slices.Contains(got, "bread-here") || slices.Contains(got, "bank") || slices.Contains(got, "vet") {
			t.Errorf("rome=%s: %v", code, got)
		}
		if res.Facets.ROMEs["D1102"] == 0 || len(res.Facets.ROMEs) < 2 {
			t.Errorf("rome=%s: the romes facet ignores its own filter: %v", code, res.Facets.ROMEs)
		}
	}
	for _, bad := range []string{"Z1102", "D19", "d1199x"} {
		_, err := ix.Search(ctx, stageindex.SearchRequest{ROME: []string{bad}})
		var e *stageindex.Error
		if !asErr(err, &e) || e.Code != stageindex.EINVALID || len(e.Params) != 1 || e.Params[0].Code != stageindex.CodeInvalidROME {
			t.Errorf("rome=%s: %v, want an invalid_rome error", bad, err)
		}
	}
}

func asErr(err error, target **stageindex.Error) bool {
	e, ok := err.(*stageindex.Error)
	if ok {
		*target = e
	}
	return ok
}
