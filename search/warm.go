package search

import (
	"context"
	"slices"
	"strings"
	"time"
)

// warmPopularity is the thesaurus popularity from which a job or field is
// warmed: the few hundred words pupils type most.
const warmPopularity = 4

// WarmQueries returns the queries worth warming: the thesaurus' most
// popular jobs and fields, most popular first.
func (ix *Index) WarmQueries() []string {
	terms := ix.thes.Terms()
	slices.SortStableFunc(terms, func(a, b Term) int { return b.Popularity - a.Popularity })
	seen := map[string]bool{}
	var out []string
	for _, t := range terms {
		if t.Popularity < warmPopularity || (t.Kind != KindJob && t.Kind != KindField) {
			continue
		}
		k := strings.ToLower(t.Text)
		if !seen[k] {
			seen[k] = true
			out = append(out, t.Text)
		}
	}
	return out
}

// Warm fills the text cache with the matches of queries in every shard, so
// that the first pupils after a build or a restart do not pay for Bleve's
// cold work. It holds the index for one query at a time, so writes and a
// Close interleave; it stops when ctx ends or the index is closed.
//
// It gives way to writes: a sync pass just after a restart took three
// times as long beside the warming (its CPU, and the cache it fills, in
// a process at its memory limit), and fresh offers matter more than a
// warm cache.
func (ix *Index) Warm(ctx context.Context, queries []string) error {
	for _, q := range queries {
		for ix.applying.Load() > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		done, err := ix.warmOne(q)
		if err != nil || done {
			return err
		}
	}
	return nil
}

// warmOne warms q in every shard; done reports a closed index.
func (ix *Index) warmOne(q string) (done bool, err error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if len(ix.shards) == 0 && len(ix.byID) > 0 {
		return true, nil
	}
	p := ix.plan(q)
	if p == nil {
		return false, nil
	}
	for _, s := range ix.shards {
		if ix.applying.Load() > 0 {
			break // the rest of q stays cold (see Warm)
		}
		if _, err := ix.shardMatches(context.Background(), s, p, phaseClose, nil); err != nil {
			return false, err
		}
	}
	return false, nil
}
