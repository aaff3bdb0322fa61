package indexer_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/internal/demo"
	"github.com/stageindex/stageindex/search"
)

// TestBuildInChunks checks that an index built a few offers at a time
// holds and finds the same offers as one built in a single Apply.
func TestBuildInChunks(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	offers, err := demo.Offers(now)
	if err != nil {
		t.Fatal(err)
	}
	var lines strings.Builder
	for _, o := range offers {
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		lines.Write(b)
		lines.WriteByte('\n')
	}
	st, pool := newStore(t)
	importLines(t, pool, lines.String())
	ctx := context.Background()
	thes := testThesaurus(t)
	whole, _, err := indexer.BuildChunked(ctx, st, search.Config{Thesaurus: thes, Now: func() time.Time { return now }}, now, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	const chunk = 1000
	chunked, _, err := indexer.BuildChunked(ctx, st, search.Config{Thesaurus: thes, Now: func() time.Time { return now }, Dir: t.TempDir()}, now, chunk)
	if err != nil {
		t.Fatal(err)
	}
	defer chunked.Close()
	if whole.Len() <= 2*chunk || chunked.Len() != whole.Len() {
		t.Fatalf("%d offers built in chunks of %d, %d in one Apply (want the same, over two chunks)", chunked.Len(), chunk, whole.Len())
	}
	// Built in four Applies, the index on disk is compacted to one
	// segment a shard.
	nseg, shards, err := chunked.Segments()
	if err != nil {
		t.Fatal(err)
	}
	if nseg != shards {
		t.Errorf("%d segments in %d shards after a build in chunks, want one a shard", nseg, shards)
	}
	for _, id := range whole.IDs() {
		a, _ := whole.Get(id)
		if b, ok := chunked.Get(id); !ok || !indexer.SameOffer(a, b) {
			t.Errorf("offer %s differs between the two builds", id)
		}
	}
	for _, q := range []string{"", "boulanger", "informatique", "vétérinaire", "mairie"} {
		req := stageindex.SearchRequest{Query: q, Page: 1, PerPage: 20}
		ids := func(ix *search.Index) []string {
			res, err := ix.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, h := range res.Hits {
				out = append(out, h.ID)
			}
			return append(out, "total:"+strings.Repeat("|", min(res.Total, 50)))
		}
		if a, b := ids(whole), ids(chunked); !slices.Equal(a, b) {
			t.Errorf("q=%q: one Apply finds %v, chunks %v", q, a, b)
		}
	}
}
