package indexer_test

import (
	"context"
	"encoding/json"
	"errors"
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
// holds and finds the same offers as one built in a single Apply, and
// that both, read, prepared and applied side by side, hold and find what
// reading every offer first, then one Apply, gives.
func TestBuildInChunks(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	st := demoStore(t, now)
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
	var all []stageindex.Offer
	if _, err := st.LoadOffers(ctx, func(o stageindex.Offer) error {
		if o.Indexable(now) {
			all = append(all, o)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	seq, err := search.New(search.Config{Thesaurus: thes, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer seq.Close()
	if err := seq.Apply(ctx, all, nil); err != nil {
		t.Fatal(err)
	}
	if whole.Len() != seq.Len() {
		t.Fatalf("%d offers built, %d read and applied at once", whole.Len(), seq.Len())
	}
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
	for _, id := range seq.IDs() {
		a, _ := seq.Get(id)
		if b, ok := whole.Get(id); !ok || !indexer.SameOffer(a, b) {
			t.Errorf("offer %s differs between the build and one Apply", id)
		}
		if b, ok := chunked.Get(id); !ok || !indexer.SameOffer(a, b) {
			t.Errorf("offer %s differs between the build in chunks and one Apply", id)
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
		if a, b := ids(seq), ids(whole); !slices.Equal(a, b) {
			t.Errorf("q=%q: reading then one Apply finds %v, the build %v", q, a, b)
		}
	}
}

// TestBuildCancelled checks that a build whose context ends, before it
// starts or while it reads, prepares and applies, returns the context's
// error instead of an index, and does not hang.
func TestBuildCancelled(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	st := demoStore(t, now)
	thes := testThesaurus(t)
	for _, after := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run(after.String(), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			if after == 0 {
				cancel()
			} else {
				time.AfterFunc(after, cancel)
			}
			defer cancel()
			done := make(chan struct{})
			go func() {
				defer close(done)
				ix, _, err := indexer.BuildChunked(ctx, st, search.Config{Thesaurus: thes, Now: func() time.Time { return now }}, now, 100)
				if err == nil {
					ix.Close()
					t.Errorf("cancelled after %v: built %d offers, want an error", after, ix.Len())
				} else if !errors.Is(err, context.Canceled) {
					t.Errorf("cancelled after %v: %v, want context.Canceled", after, err)
				}
			}()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatal("a cancelled build still runs after a minute")
			}
		})
	}
}

// demoStore returns a store holding the demo offers of now.
func demoStore(t *testing.T, now time.Time) *indexer.Store {
	t.Helper()
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
	return st
}
