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
	// Three stages side by side: the read, the search core's preparation
	// of the offers read (search.Index.Prepare: their ROME fiches,
	// communes and records), and the Apply of each chunk once prepared.
	// Read, then prepared, then applied one after the other, a 100k build
	// left PostgreSQL's read and the preparation's cores idle in turn. A
	// chunk is applied whole, as before: one Bleve batch, hence one
	// segment, a shard.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	read := make(chan []stageindex.Offer, readAhead)
	prepared := make(chan *search.Prepared, prepareAhead)
	var wm Watermark
	var readErr error
	go func() {
		defer close(read)
		wm, readErr = readBatches(ctx, st, now, chunk, read)
	}()
	// ix is given, not captured: a captured ix lives on the heap, and
	// held the first index of a 1M build while the reopen below built the
	// second (0.4 GB more peak).
	go func(ix *search.Index) {
		defer close(prepared)
		for batch := range read {
			if ctx.Err() != nil {
				continue
			}
			select {
			case prepared <- ix.Prepare(batch):
			case <-ctx.Done():
			}
		}
	}(ix)
	var ps []*search.Prepared
	n, applies := 0, 0
	for p := range prepared {
		if err != nil {
			continue // cancelled: the stages above drain and end
		}
		ps = append(ps, p)
		if n += p.Len(); n < chunk {
			continue
		}
		err = ix.ApplyPrepared(ctx, ps, nil)
		ps, n = nil, 0
		applies++
		if err != nil {
			cancel()
		}
	}
	if err == nil {
		err = readErr
	}
	if err == nil && n > 0 {
		err = ix.ApplyPrepared(ctx, ps, nil)
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

// readBatches reads the indexable offers of st into batches of at most
// prepareBatch offers, sent on out, cut at every chunk offers so that
// each chunk is whole batches.
func readBatches(ctx context.Context, st *Store, now time.Time, chunk int, out chan<- []stageindex.Offer) (Watermark, error) {
	var batch []stageindex.Offer
	inChunk := 0
	send := func() error {
		select {
		case out <- batch:
			batch = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	wm, err := st.LoadOffers(ctx, func(o stageindex.Offer) error {
		if !o.Indexable(now) {
			return nil
		}
		if batch == nil {
			batch = make([]stageindex.Offer, 0, min(prepareBatch, chunk))
		}
		batch = append(batch, o)
		if inChunk++; inChunk == chunk {
			inChunk = 0
		} else if len(batch) < prepareBatch {
			return nil
		}
		return send()
	})
	if err == nil && len(batch) > 0 {
		err = send()
	}
	return wm, err
}

// prepareBatch is how many offers Build prepares at a time: enough for
// Prepare to use every core (from 1,000), few enough that the first are
// prepared while PostgreSQL still sends the rest.
const prepareBatch = 2048

// readAhead and prepareAhead are how many batches the read and the
// preparation may run ahead of the stage after them: while a chunk is
// applied, 24 batches (about 50,000 offers) are read and prepared for
// the next, beside it, and no more. With 4 batches read ahead instead of
// 16, the read (one core: PostgreSQL's rows decoded one by one) stopped
// early in each 5 s Apply of a 1M build, then ran ~1 s alone before the
// next, both cores half idle (docs/performance.md point 44).
const (
	readAhead    = 16
	prepareAhead = 8
)
