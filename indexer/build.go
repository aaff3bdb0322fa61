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
// if they change. All offers go to the search core in one Apply, so that
// each department shard is built as a single Bleve segment.
func Build(ctx context.Context, st *Store, cfg search.Config, now time.Time) (*search.Index, Watermark, error) {
	var offers []stageindex.Offer
	wm, err := st.LoadOffers(ctx, func(o stageindex.Offer) error {
		if o.Indexable(now) {
			offers = append(offers, o)
		}
		return nil
	})
	if err != nil {
		return nil, Watermark{}, fmt.Errorf("indexer: build: %w", err)
	}
	ix, err := search.New(cfg)
	if err != nil {
		return nil, Watermark{}, fmt.Errorf("indexer: build: %w", err)
	}
	if err := ix.Apply(ctx, offers, nil); err != nil {
		ix.Close()
		return nil, Watermark{}, fmt.Errorf("indexer: build: %w", err)
	}
	return ix, wm, nil
}
