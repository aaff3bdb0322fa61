package search

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

func TestWarm(t *testing.T) {
	ix := newTestIndex(t)
	qs := ix.WarmQueries()
	if !slices.Contains(qs, "boulanger") || !slices.Contains(qs, "banque") {
		t.Fatalf("popular jobs and fields missing from %d warm queries", len(qs))
	}
	cold := newTestIndex(t)
	if err := ix.Warm(context.Background(), qs); err != nil {
		t.Fatal(err)
	}
	if n := ix.cache.Len(); n < len(qs) {
		t.Fatalf("cache holds %d entries after warming %d queries", n, len(qs))
	}
	for _, q := range []string{"boulanger", "banque", "vétérinaire"} {
		req := stageindex.SearchRequest{Query: q, Center: &stBrieuc, RadiusKm: 30}
		warm, err := ix.Search(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		want, err := cold.Search(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(warm.Hits), ids(want.Hits)) {
			t.Errorf("%q: warmed %v, cold %v", q, ids(warm.Hits), ids(want.Hits))
		}
	}
}

// TestWarmGivesWayToApply: while an Apply is under way, Warm runs no query
// (it waits, until its context ends); once none is, it warms.
func TestWarmGivesWayToApply(t *testing.T) {
	ix := newTestIndex(t)
	qs := ix.WarmQueries()
	ix.applying.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := ix.Warm(ctx, qs); err == nil {
		t.Fatal("Warm returned during an Apply without its context ending")
	}
	if n := ix.cache.Len(); n != 0 {
		t.Fatalf("%d cache entries warmed during an Apply", n)
	}
	ix.applying.Add(-1)
	if err := ix.Warm(context.Background(), qs); err != nil {
		t.Fatal(err)
	}
	if n := ix.cache.Len(); n < len(qs) {
		t.Fatalf("cache holds %d entries after warming %d queries", n, len(qs))
	}
}
