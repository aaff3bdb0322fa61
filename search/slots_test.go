package search

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/internal/demo"
)

// matchesBy returns, for every shard, the slots and scores of the documents
// q matches, resolved through the slot tables (tables) or by id.
func matchesBy(t *testing.T, ix *Index, q query.Query, tables bool) map[string]map[int32]float64 {
	t.Helper()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := map[string]map[int32]float64{}
	for key, s := range ix.shards {
		idx, err := s.text.Advanced()
		if err != nil {
			t.Fatal(err)
		}
		r, err := idx.Reader()
		if err != nil {
			t.Fatal(err)
		}
		var v *segmentView
		if tables {
			v = newSegmentView(r)
			if v == nil {
				t.Fatalf("shard %s: not a scorch reader", key)
			}
		}
		got := map[int32]float64{}
		err = ix.eachMatch(context.Background(), s, r, v, q, func(slot int32, score float64) {
			if slot >= 0 {
				got[slot] = score
			}
		})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[key] = got
	}
	return out
}

// TestSlotTablesResolveAsIDs checks that a match resolved through the slot
// tables gets the slot its id has, through updates, deletions and slot
// reuse, in memory and on disk.
func TestSlotTablesResolveAsIDs(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	offers, err := demo.Offers(now)
	if err != nil {
		t.Fatal(err)
	}
	term := query.NewTermQuery("stag")
	term.SetField(fieldTitle)
	queries := map[string]query.Query{"all": query.NewMatchAllQuery(), "term": term}
	for _, onDisk := range []bool{false, true} {
		t.Run(fmt.Sprint("disk=", onDisk), func(t *testing.T) {
			cfg := Config{Now: func() time.Time { return now }}
			if onDisk {
				cfg.Dir = filepath.Join(t.TempDir(), "ix")
			}
			ix, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { ix.Close() }()
			ctx := context.Background()
			half := len(offers) / 2
			if err := ix.Apply(ctx, offers[:half], nil); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			countAll := true
			check := func(step string) {
				t.Helper()
				for name, q := range queries {
					byTable, byID := matchesBy(t, ix, q, true), matchesBy(t, ix, q, false)
					if !maps.EqualFunc(byTable, byID, func(a, b map[int32]float64) bool { return maps.Equal(a, b) }) {
						t.Fatalf("%s, query %s: resolved through the tables\n%v\nby id\n%v", step, name, byTable, byID)
					}
					if name == "all" && countAll {
						n := 0
						for _, m := range byID {
							n += len(m)
						}
						if n != len(ix.byID) {
							t.Fatalf("%s: match-all found %d slots, the index holds %d", step, n, len(ix.byID))
						}
					}
				}
			}
			check("first Apply")
			tables := func() int {
				ix.mu.RLock()
				defer ix.mu.RUnlock()
				n := 0
				for _, s := range ix.shards {
					s.slots.mu.Lock()
					n += len(s.slots.bySeg)
					s.slots.mu.Unlock()
				}
				return n
			}
			for step := range 8 {
				if step == 6 {
					if !onDisk {
						break
					}
					// Open makes every segment's table from what it reads
					// (later merges' segments get theirs when searched);
					// the next Applies go on from them.
					if err := ix.Close(); err != nil {
						t.Fatal(err)
					}
					if ix, err = Open(cfg); err != nil {
						t.Fatal(err)
					}
					made := tables()
					if made == 0 {
						t.Fatal("Open made no slot table")
					}
					check("reopened")
				}
				// Updates (a new document in a new segment, the old one
				// deleted, a new slot), deletions and additions.
				var ups []stageindex.Offer
				var dels []string
				for range 30 {
					o := offers[rng.IntN(half)]
					o.Title += fmt.Sprint(" ", step)
					ups = append(ups, o)
				}
				for range 10 {
					dels = append(dels, offers[rng.IntN(half)].ID)
				}
				for range 10 {
					ups = append(ups, offers[half+rng.IntN(len(offers)-half)])
				}
				if err := ix.Apply(ctx, ups, dels); err != nil {
					t.Fatal(err)
				}
				check(fmt.Sprint("step ", step))
			}
			// An offer leaves its slot and another takes it, behind
			// Bleve's back, as between an Apply's text write and its
			// slots: the tables made above still place the first offer's
			// document in that slot, and must not be believed.
			ix.mu.Lock()
			var a *doc
			for _, d := range ix.docs {
				if d != nil {
					a = d
					break
				}
			}
			slot := ix.byID[a.id]
			h := ix.hot[slot]
			ix.remove(a.id)
			c := *a
			c.id, c.init = a.id+"-not-in-bleve", &h
			ix.place(&c, cells{})
			if ix.byID[c.id] != slot {
				ix.mu.Unlock()
				t.Fatalf("slot %d not reused: %d", slot, ix.byID[c.id])
			}
			ix.mu.Unlock()
			countAll = false
			check("slot reused")
		})
	}
}
