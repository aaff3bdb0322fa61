package indexer

import (
	"context"
	"fmt"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/search"
)

// Build loads every searchable offer of the database into a new in-memory
// search index and returns it with the watermark of the snapshot it read.
// Offers that are unpublished or past are left out: the sync adds them back
// if they change. Offers go to the search core buildChunk at a time, as
// they are read.
func Build(ctx context.Context, st *Store, cfg search.Config, now time.Time) (*search.Index, Watermark, error) {
	return build(ctx, st, cfg, now, buildChunk)
}

func build(ctx context.Context, st *Store, cfg search.Config, now time.Time, chunk int) (*search.Index, Watermark, error) {
	ix, err := search.New(cfg)
	if err != nil {
		return nil, Watermark{}, fmt.Errorf("indexer: build: %w", err)
	}
	var offers []stageindex.Offer
	applies := 0
	wm, err := st.LoadOffers(ctx, func(o stageindex.Offer) error {
		if !o.Indexable(now) {
			return nil
		}
		offers = append(offers, o)
		if len(offers) < chunk {
			return nil
		}
		err := ix.Apply(ctx, offers, nil)
		offers = offers[:0]
		applies++
		return err
	})
	if err == nil && len(offers) > 0 {
		err = ix.Apply(ctx, offers, nil)
		applies++
	}
	if err == nil && applies > 1 {
		// One segment a shard, as a single Apply builds.
		err = ix.Compact(ctx)
	}
	if err != nil {
		ix.Close()
		return nil, Watermark{}, fmt.Errorf("indexer: build: %w", err)
	}
	if cfg.Dir != "" {
		// Served as a restart would serve it: a build leaves behind what
		// a reopen never has (slices and maps grown by doubling, no slot
		// tables, so that the cache warming read every stored id and
		// brought the segments' pages back in). At 1M that was 60 MB of
		// live heap and a peak 0.3 GB above the build's, for a reopen of
		// a few seconds.
		if err := ix.Close(); err != nil {
			return nil, Watermark{}, fmt.Errorf("indexer: build: %w", err)
		}
		if ix, err = openIndex(cfg, cfg.Dir); err != nil {
			return nil, Watermark{}, fmt.Errorf("indexer: build: %w", err)
		}
		if p := ix.Pending(); len(p) > 0 {
			ix.Close()
			return nil, Watermark{}, fmt.Errorf("indexer: build: reopen: %d offers left pending", len(p))
		}
	}
	return ix, wm, nil
}

// buildChunk is how many offers Build gives the search core at a time.
// Up to it, each département shard is built as one Bleve segment, which
// searches fastest; beyond it, holding every offer read before indexing
// any was most of a 1M-offer build's peak memory (2.5 GB resident, for
// 1.6 GB once built). A larger base is built as a few segments per shard,
// which Bleve's merges then join.
const buildChunk = 100_000
