package indexer

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/search"
)

// VerifyReport compares an index on disk with the database. Lists hold at
// most maxListed ids each; the counts are complete.
type VerifyReport struct {
	Offers    int      `json:"offers"`             // offers in the index
	Expected  int      `json:"expected"`           // indexable offers in the database
	Missing   int      `json:"missing"`            // in the database, not in the index
	Stale     int      `json:"stale"`              // in both, with another content (department, version…)
	Extra     int      `json:"extra"`              // in the index, not indexable in the database
	Untrusted int      `json:"untrusted"`          // left by a crashed write, repaired at the next sync
	Stray     int      `json:"stray"`              // copies in a shard the offer is not in
	Unindexed int      `json:"unindexed"`          // offers missing from their shard's text index
	BadSlots  int      `json:"bad_slots"`          // in-memory slots no id points to
	Identity  string   `json:"identity,omitempty"` // why the index does not match the database, if it does not
	Examples  []string `json:"examples,omitempty"` // a few ids at fault, with what is wrong
}

// OK reports whether the index equals the database.
func (r VerifyReport) OK() bool {
	return r.Missing+r.Stale+r.Extra+r.Untrusted+r.Stray+r.Unindexed+r.BadSlots == 0 && r.Identity == ""
}

const maxListed = 20

// VerifyDataDir opens the current index of dataDir (no server may hold
// it: see LockDataDir) and compares it, slot by slot and shard by shard,
// with the offers of st, now. It is how an operator — and the crash test —
// checks that an index serves exactly the database. Opening repairs what a
// crash left (search.Open), and the report counts it as untrusted.
func VerifyDataDir(ctx context.Context, st *Store, cfg search.Config, dataDir string) (VerifyReport, error) {
	var rep VerifyReport
	gen, err := currentGen(dataDir)
	if err != nil {
		return rep, err
	}
	m, err := readMeta(gen)
	if err != nil {
		return rep, err
	}
	s := &Syncer{cfg: SyncConfig{Store: st}}
	if why, err := s.mismatch(ctx, m.Identity, m.Cursor, m.WrittenAt); err != nil {
		return rep, err
	} else {
		rep.Identity = why
	}
	ix, err := openIndex(cfg, filepath.Join(gen, searchDir))
	if err != nil {
		return rep, err
	}
	defer ix.Close()
	note := func(format string, args ...any) {
		if len(rep.Examples) < maxListed {
			rep.Examples = append(rep.Examples, fmt.Sprintf(format, args...))
		}
	}
	for _, id := range ix.Pending() {
		rep.Untrusted++
		note("%s: untrusted (a write was cut short)", id)
	}
	c, err := ix.CheckShards(ctx)
	if err != nil {
		return rep, err
	}
	for key, ids := range c.Stray {
		rep.Stray += len(ids)
		for _, id := range ids {
			note("%s: stray copy in shard %s", id, key)
		}
	}
	rep.Unindexed, rep.BadSlots = len(c.Unindexed), c.BadSlots
	for _, id := range c.Unindexed {
		note("%s: not in its shard's text index", id)
	}
	held := map[string]stageindex.Offer{}
	ix.Offers(func(o *stageindex.Offer) { held[o.ID] = *o })
	rep.Offers = len(held)
	now := time.Now()
	if cfg.Now != nil {
		now = cfg.Now()
	}
	_, err = st.LoadOffers(ctx, func(o stageindex.Offer) error {
		cur, ok := held[o.ID]
		delete(held, o.ID)
		switch indexable := o.Indexable(now); {
		case !indexable && ok:
			rep.Extra++
			note("%s: served but not searchable in the database", o.ID)
		case !indexable:
		case !ok:
			rep.Expected++
			rep.Missing++
			note("%s: missing", o.ID)
		default:
			rep.Expected++
			if !SameOffer(cur, o) {
				rep.Stale++
				note("%s: stale (index department %q, database %q)", o.ID, cur.Department, o.Department)
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	for id := range held {
		rep.Extra++
		note("%s: served but deleted from the database", id)
	}
	return rep, nil
}
