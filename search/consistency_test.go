package search

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stageindex/stageindex"
)

func TestRepairShards(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{"", "disk"} {
		t.Run("dir="+dir, func(t *testing.T) {
			cfg := diskConfig("")
			if dir != "" {
				cfg = diskConfig(filepath.Join(t.TempDir(), "index"))
			}
			ix, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if err := ix.Apply(ctx, corpus(), nil); err != nil {
				t.Fatal(err)
			}
			if c, err := ix.CheckShards(ctx); err != nil || !c.OK() {
				t.Fatalf("a sound index: %+v %v", c, err)
			}
			// A stray copy of bread-near in shard 35, and garage (35) gone
			// from its shard's text index.
			moved := offer("bread-near", "Boulangerie Le Gall", "Découvrir le fournil.", at(rennes, "35000", "Rennes", "35"))
			if err := ix.shards["35"].text.Index(moved.ID, bleveDoc(newDoc(&moved, nil, nil), dir != "")); err != nil {
				t.Fatal(err)
			}
			if err := ix.shards["35"].text.Delete("garage"); err != nil {
				t.Fatal(err)
			}
			ix.shards["35"].gen++
			c, err := ix.RepairShards(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Stray["35"], []string{"bread-near"}) || !slices.Equal(c.Unindexed, []string{"garage"}) {
				t.Fatalf("found %+v, want bread-near stray in 35 and garage unindexed", c)
			}
			if c, err := ix.CheckShards(ctx); err != nil || !c.OK() {
				t.Fatalf("after the repair: %+v %v", c, err)
			}
			res, _ := ix.Search(ctx, stageindex.SearchRequest{Query: "boulangerie", Center: &rennes, RadiusKm: 5})
			if len(res.Hits) != 0 {
				t.Errorf("the stray copy is still found around Rennes: %v", ids(res.Hits))
			}
			res, _ = ix.Search(ctx, stageindex.SearchRequest{Query: "garage"})
			if !slices.Contains(ids(res.Hits), "garage") {
				t.Errorf("garage is not found by keyword after the repair: %v", ids(res.Hits))
			}
		})
	}
}
