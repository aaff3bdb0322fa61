package search

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// TestApplyPrepared checks that offers prepared in pieces (Prepare, as
// indexer.Build does while it reads) and applied together give the index
// one Apply of them all gives: the same slots, offers, segments and
// search results, in memory and on disk, in a bulk load (sorted by cell)
// as in a small one.
func TestApplyPrepared(t *testing.T) {
	demo := demoOffers(t)
	// Three copies of the demo offers, for a bulk load (bulkUpserts).
	var bulk []stageindex.Offer
	for c := range 3 {
		for _, o := range demo {
			o.ID = fmt.Sprintf("%s-%d", o.ID, c)
			bulk = append(bulk, o)
		}
	}
	if len(bulk) < bulkUpserts {
		t.Fatalf("%d offers, want a bulk load (%d)", len(bulk), bulkUpserts)
	}
	thes, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		offers []stageindex.Offer
		pieces []int // sizes of the prepared pieces, the rest in a last one
		disk   bool
	}{
		{"one piece", demo[:500], nil, false},
		{"small pieces", demo[:500], []int{1, 2, 97, 100}, false},
		{"bulk in memory", bulk, []int{2048, 2048, 1, 3000}, false},
		{"bulk on disk", bulk, []int{2048, 5000}, true},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := func() Config {
				c := Config{Thesaurus: thes, Now: func() time.Time { return demoNow }}
				if tc.disk {
					c.Dir = t.TempDir()
				}
				return c
			}
			whole, err := New(cfg())
			if err != nil {
				t.Fatal(err)
			}
			defer whole.Close()
			if err := whole.Apply(ctx, tc.offers, nil); err != nil {
				t.Fatal(err)
			}
			pieced, err := New(cfg())
			if err != nil {
				t.Fatal(err)
			}
			defer pieced.Close()
			var ps []*Prepared
			rest := tc.offers
			for _, n := range tc.pieces {
				ps = append(ps, pieced.Prepare(rest[:n]))
				rest = rest[n:]
			}
			ps = append(ps, pieced.Prepare(rest))
			if err := pieced.ApplyPrepared(ctx, ps, nil); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(whole.byID, pieced.byID) {
				t.Errorf("the offers are in other slots when prepared in pieces")
			}
			if !reflect.DeepEqual(whole.hot, pieced.hot) {
				t.Errorf("the hot fields differ when prepared in pieces")
			}
			for _, o := range tc.offers {
				a, _ := whole.Get(o.ID)
				if b, ok := pieced.Get(o.ID); !ok || !reflect.DeepEqual(a, b) {
					t.Fatalf("offer %s differs when prepared in pieces", o.ID)
				}
			}
			sa, sha, err := whole.Segments()
			if err != nil {
				t.Fatal(err)
			}
			sb, shb, err := pieced.Segments()
			if err != nil {
				t.Fatal(err)
			}
			if sa != sb || sha != shb {
				t.Errorf("%d segments in %d shards prepared in pieces, %d in %d in one Apply", sb, shb, sa, sha)
			}
			for _, q := range []string{"", "boulanger", "informatique", "vétérinaire", "mairie", "cuisine"} {
				req := stageindex.SearchRequest{Query: q, Page: 1, PerPage: 30}
				ra, err := whole.Search(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				rb, err := pieced.Search(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				ra.TookMs, rb.TookMs = 0, 0
				if ra.Total == 0 && q != "" {
					t.Errorf("q=%q finds nothing: a weak comparison", q)
				}
				if !reflect.DeepEqual(ra, rb) {
					t.Errorf("q=%q: the results differ when prepared in pieces", q)
				}
			}
		})
	}
}

// TestApplyPreparedRefuses checks that offers prepared once are applied
// once, and only to the index that prepared them.
func TestApplyPreparedRefuses(t *testing.T) {
	offers := demoOffers(t)[:20]
	ctx := context.Background()
	a, b := demoIndex(t), demoIndex(t)
	p := a.Prepare(offers)
	if err := b.ApplyPrepared(ctx, []*Prepared{p}, nil); err == nil {
		t.Error("offers prepared by another index applied")
	}
	if err := a.ApplyPrepared(ctx, []*Prepared{p}, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.ApplyPrepared(ctx, []*Prepared{p}, nil); err == nil {
		t.Error("offers prepared once applied twice")
	}
}
