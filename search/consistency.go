package search

import (
	"context"
	"fmt"
	"slices"

	"github.com/stageindex/stageindex"
)

// ShardCheck is what CheckShards found: every way the Bleve shards and the
// in-memory slots can disagree, whatever caused it.
type ShardCheck struct {
	Shards int // shards read
	Docs   int // Bleve documents read
	// Stray are ids a shard holds that the slots do not place in it (a
	// copy left behind by a move): searches of that shard would match them.
	Stray map[string][]string // shard key → ids
	// Unindexed are ids a slot places in a shard that holds no document
	// for them: keyword searches would miss them.
	Unindexed []string
	// BadSlots are slots live in memory that no id points to.
	BadSlots int
}

// OK reports whether nothing disagrees.
func (c ShardCheck) OK() bool { return len(c.Stray) == 0 && len(c.Unindexed) == 0 && c.BadSlots == 0 }

// CheckShards compares every shard's documents with the in-memory slots,
// and every slot with the id map. It holds the write lock of Apply (not the
// search lock) while it reads, so it never sees a write half done.
func (ix *Index) CheckShards(ctx context.Context) (ShardCheck, error) {
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	return ix.checkShards(ctx)
}

// checkShards is CheckShards; the caller holds applyMu.
func (ix *Index) checkShards(ctx context.Context) (ShardCheck, error) {
	c := ShardCheck{Stray: map[string][]string{}}
	ix.mu.RLock()
	shards := make([]*shard, 0, len(ix.shards))
	for _, s := range ix.shards {
		shards = append(shards, s)
	}
	ix.mu.RUnlock()
	inShard := map[string]map[string]bool{} // shard → ids its index holds
	for _, s := range shards {
		if err := ctx.Err(); err != nil {
			return c, err
		}
		ids, err := shardDocIDs(s)
		if err != nil {
			return c, err
		}
		c.Shards++
		c.Docs += len(ids)
		set := make(map[string]bool, len(ids))
		for _, id := range ids {
			set[id] = true
		}
		inShard[s.key] = set
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for key, ids := range inShard {
		for id := range ids {
			slot, ok := ix.byID[id]
			if !ok || ix.docs[slot].shard() != key {
				c.Stray[key] = append(c.Stray[key], id)
			}
		}
		slices.Sort(c.Stray[key])
	}
	for key := range c.Stray {
		if len(c.Stray[key]) == 0 {
			delete(c.Stray, key)
		}
	}
	for slot, d := range ix.docs {
		if d == nil {
			continue
		}
		if s, ok := ix.byID[d.id]; !ok || s != int32(slot) {
			c.BadSlots++
			continue
		}
		if !inShard[d.shard()][d.id] {
			c.Unindexed = append(c.Unindexed, d.id)
		}
	}
	slices.Sort(c.Unindexed)
	return c, nil
}

// shardDocIDs lists the ids of every document of s.
func shardDocIDs(s *shard) ([]string, error) {
	adv, err := s.text.Advanced()
	if err != nil {
		return nil, fmt.Errorf("search: shard %s: %w", s.key, err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("search: shard %s: %w", s.key, err)
	}
	defer r.Close()
	dr, err := r.DocIDReaderAll()
	if err != nil {
		return nil, fmt.Errorf("search: shard %s: %w", s.key, err)
	}
	defer dr.Close()
	var ids []string
	for {
		iid, err := dr.Next()
		if err != nil {
			return nil, fmt.Errorf("search: shard %s: %w", s.key, err)
		}
		if iid == nil {
			return ids, nil
		}
		id, err := r.ExternalID(iid)
		if err != nil {
			return nil, fmt.Errorf("search: shard %s: %w", s.key, err)
		}
		ids = append(ids, id)
	}
}

// RepairShards runs CheckShards and mends what it finds: stray copies are
// deleted from their shard, unindexed offers written again, bad slots
// freed. It returns what it found before mending.
func (ix *Index) RepairShards(ctx context.Context) (ShardCheck, error) {
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	c, err := ix.checkShards(ctx)
	if err != nil || c.OK() {
		return c, err
	}
	ix.mu.Lock()
	for slot, d := range ix.docs {
		if d == nil {
			continue
		}
		if s, ok := ix.byID[d.id]; !ok || s != int32(slot) {
			// Nothing points to it: free it as remove would.
			if ix.hot[slot].has(flagHasLoc) {
				ix.cells.Remove(int32(slot), d.lat, d.lng)
			}
			if sh := ix.shards[d.shard()]; sh != nil {
				sh.n--
				for _, r := range d.romes {
					if r.fiche >= 0 && sh.byFiche[r.fiche] != nil {
						delete(sh.byFiche[r.fiche], int32(slot))
					}
				}
			}
			ix.vocab.add(decodeTitle(ix.store.load(d.rec, nil)), -1)
			ix.store.drop(d.rec)
			ix.vacate(int32(slot))
			ix.free = append(ix.free, int32(slot))
		}
	}
	work := map[string]*shardWork{}
	for key, ids := range c.Stray {
		work[key] = &shardWork{key: key, deletes: ids}
	}
	for _, id := range c.Unindexed {
		d := ix.docs[ix.byID[id]]
		w := work[d.shard()]
		if w == nil {
			w = &shardWork{key: d.shard()}
			work[d.shard()] = w
		}
		w.docs = append(w.docs, d)
	}
	ix.mu.Unlock()
	ids := slices.Clone(c.Unindexed)
	for _, s := range c.Stray {
		ids = append(ids, s...)
	}
	if ix.cfg.Dir != "" {
		if err := writeJournal(ix.cfg.Dir, append(slices.Clone(ix.pending), ids...)); err != nil {
			return c, err
		}
	}
	if err := ix.runShardWork(ctx, work); err != nil {
		return c, err
	}
	ix.mu.Lock()
	for key := range work {
		ix.shards[key].gen++
	}
	ix.mu.Unlock()
	ix.gen.Add(1)
	if ix.cfg.Dir != "" {
		if err := writeJournal(ix.cfg.Dir, ix.pending); err != nil {
			return c, err
		}
	}
	return c, nil
}

// Offers calls fn with every offer held, searchable or not, in no order,
// for comparisons with the source; fn must not call the Index.
func (ix *Index) Offers(fn func(o *stageindex.Offer)) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return
	}
	for _, d := range ix.docs {
		if d != nil {
			o := ix.offerOf(d)
			fn(&o)
		}
	}
}
