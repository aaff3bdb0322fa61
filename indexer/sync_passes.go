package indexer

import (
	"context"
	"fmt"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/search"
)

// PassReport counts what a reconcile or retire pass did.
type PassReport struct {
	Checked  int // offers compared
	Upserted int // offers missing from the index or stale, written
	Deleted  int // offers removed from the index
	// ShardFixes counts the disagreements between the text shards and the
	// in-memory slots mended first (search.Index.RepairShards).
	ShardFixes int
}

// reconcileBatch bounds the offers held in memory before an Apply.
const reconcileBatch = 2000

// reconcile makes ix equal to the searchable offers of one database
// snapshot: missing or stale offers are written, others removed. It repairs
// any drift, whatever its cause (a bug, a pruned change log, an offer whose
// publication date has come). It must not run alongside another writer of
// ix: a concurrent poll could be undone by an older snapshot.
func (s *Syncer) reconcile(ctx context.Context, ix *search.Index) (PassReport, error) {
	var rep PassReport
	// The index with itself first: a copy stranded in a shard would not be
	// seen by comparing ids with the database.
	c, err := ix.RepairShards(ctx)
	if err != nil {
		return rep, fmt.Errorf("indexer: reconcile: %w", err)
	}
	rep.ShardFixes = len(c.Unindexed) + c.BadSlots
	for _, ids := range c.Stray {
		rep.ShardFixes += len(ids)
	}
	if rep.ShardFixes > 0 {
		s.log.Warn("sync: the index disagreed with itself: repaired", "stray", len(c.Stray), "unindexed", len(c.Unindexed), "bad_slots", c.BadSlots)
	}
	now := s.cfg.Now()
	inDB := make(map[string]bool, ix.Len())
	var ups []stageindex.Offer
	flush := func() error {
		if len(ups) == 0 {
			return nil
		}
		if err := ix.Apply(ctx, ups, nil); err != nil {
			return err
		}
		rep.Upserted += len(ups)
		ups = ups[:0]
		return nil
	}
	_, err = s.cfg.Store.LoadOffers(ctx, func(o stageindex.Offer) error {
		rep.Checked++
		if !o.Indexable(now) {
			return nil
		}
		inDB[o.ID] = true
		if cur, ok := ix.Get(o.ID); ok && SameOffer(cur, o) {
			return nil
		}
		ups = append(ups, o)
		if len(ups) >= reconcileBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return rep, fmt.Errorf("indexer: reconcile: %w", err)
	}
	var dels []string
	for _, id := range ix.IDs() {
		if !inDB[id] {
			dels = append(dels, id)
		}
	}
	if len(dels) > 0 {
		if err := ix.Apply(ctx, nil, dels); err != nil {
			return rep, fmt.Errorf("indexer: reconcile: %w", err)
		}
	}
	rep.Deleted = len(dels)
	return rep, nil
}

// retire removes from ix the offers not searchable now. It needs no
// database, so it runs even while PostgreSQL is down.
func (s *Syncer) retire(ctx context.Context, ix *search.Index) (PassReport, error) {
	var rep PassReport
	now := s.cfg.Now()
	var dels []string
	for _, id := range ix.IDs() {
		rep.Checked++
		if o, ok := ix.Get(id); ok && !o.Indexable(now) {
			dels = append(dels, id)
		}
	}
	if len(dels) > 0 {
		if err := ix.Apply(ctx, nil, dels); err != nil {
			return rep, fmt.Errorf("indexer: retire: %w", err)
		}
	}
	rep.Deleted = len(dels)
	return rep, nil
}
