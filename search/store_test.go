package search

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stageindex/stageindex"
)

// TestOfferStoreRewrite: offers rewritten until most of the store is dead
// records make it compact itself; every offer then reads back as last
// written, and an offer decoded before the rewrite is still intact (its
// strings point into a chunk the rewrite let go of, or, on disk, are
// read from the store's file, which the rewrite closed). On disk, full
// chunks are in the store's file, in memory none is.
func TestOfferStoreRewrite(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		cfg := Config{}
		if dir != "" {
			cfg = diskConfig(dir)
		}
		ix, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ix.store.minDead = 64 << 10
		ix.store.chunk = 4 << 10
		ctx := context.Background()
		base := corpus()
		long := strings.Repeat("Une semaine pour découvrir le métier. ", 10)
		write := func(v int) {
			t.Helper()
			offers := base[:0:0]
			for i := range 100 {
				o := base[i%len(base)]
				o.ID = "o" + strconv.Itoa(i)
				o.Title = o.Title + " v" + strconv.Itoa(v)
				o.Description = long + strconv.Itoa(v)
				offers = append(offers, o)
			}
			if err := ix.Apply(ctx, offers, nil); err != nil {
				t.Fatal(err)
			}
		}
		write(0)
		before, ok := ix.Get("o7")
		if !ok {
			t.Fatal("o7 missing")
		}
		kept := before
		kept.Title, kept.Description = strings.Clone(before.Title), strings.Clone(before.Description)
		rewrites := 0
		for v := 1; v <= 12; v++ {
			size := ix.store.size
			write(v)
			if ix.store.size < size {
				rewrites++
			}
			if ix.store.used != ix.store.size-deadBytes(ix) {
				t.Fatalf("version %d: %d bytes counted live, %d are", v, ix.store.used, ix.store.size-deadBytes(ix))
			}
		}
		if n := mappedChunks(&ix.store); (n > 0) != (dir != "") || dir != "" && n < len(ix.store.chunks)-1 {
			t.Errorf("dir %q: %d of %d chunks mapped", dir, n, len(ix.store.chunks))
		}
		if rewrites == 0 {
			t.Errorf("12 rewrites of every offer, the store never compacted (%d bytes, %d live)", ix.store.size, ix.store.used)
		}
		if !reflect.DeepEqual(before, kept) {
			t.Errorf("an offer read before the rewrite changed: %q", before.Title)
		}
		for i := range 100 {
			o, ok := ix.Get("o" + strconv.Itoa(i))
			if !ok || !strings.HasSuffix(o.Title, " v12") || o.Description != long+"12" {
				t.Fatalf("o%d after the rewrite: %q, %v", i, o.Title, ok)
			}
		}
		for q, found := range map[string]bool{"v12": true, "v11": false} {
			res, err := ix.Search(ctx, stageindex.SearchRequest{Query: q, Page: 1, PerPage: 10})
			if err != nil || (res.Total > 0) != found {
				t.Errorf("search %q after the rewrite: %v, %v", q, res.Total, err)
			}
		}
		ix.Close()
	}
}

// mappedChunks counts the chunks of s in its file.
func mappedChunks(s *offerStore) int {
	n := 0
	for i := range s.chunks {
		if s.inFile(uint32(i)) {
			n++
		}
	}
	return n
}

// deadBytes is what the store holds beyond its live docs' records.
func deadBytes(ix *Index) int {
	live := 0
	for _, d := range ix.docs {
		if d != nil {
			live += int(d.rec.n)
		}
	}
	return ix.store.size - live
}

// TestClosedIndexRefusesSearches: once closed, an index on disk has no
// offer store to read hits from; a search then fails as unavailable,
// with or without words, and Get finds nothing, instead of reading a
// closed file.
func TestClosedIndexRefusesSearches(t *testing.T) {
	ix, err := New(diskConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ix.store.chunk = 1 << 10
	ctx := context.Background()
	if err := ix.Apply(ctx, corpus(), nil); err != nil {
		t.Fatal(err)
	}
	if mappedChunks(&ix.store) == 0 {
		t.Fatal("no chunk in the store's file")
	}
	id := corpus()[0].ID
	ix.Close()
	for _, q := range []string{"", "boulanger"} {
		_, err := ix.Search(ctx, stageindex.SearchRequest{Query: q, Page: 1, PerPage: 10})
		if stageindex.ErrorCodeOf(err) != stageindex.EUNAVAILABLE {
			t.Errorf("search %q of a closed index: %v, want %s", q, err, stageindex.EUNAVAILABLE)
		}
	}
	if _, ok := ix.Get(id); ok {
		t.Errorf("Get(%s) of a closed index found it", id)
	}
}
