package search

import (
	"github.com/stageindex/stageindex"
)

// Byte budgets of the caches: the text matches dominate (a word found in
// every shard is a list of matches per shard); a plan or a correction is
// small. Measured at 100k offers, the 500 warm queries take ~6 MB.
const (
	matchesBudget     = 64 << 20
	plansBudget       = 8 << 20
	correctionsBudget = 1 << 20
)

// Rough sizes of the cached values: the payload plus map and key overhead.
func matchesSize(k cacheKey, ms []match) int { return 96 + len(k.q) + len(k.shard) + 12*cap(ms) }
func correctionSize(k, v string) int         { return 64 + len(k) + len(v) }
func planSize(q string, p *textPlan) int {
	n := 128 + 2*len(q)
	if p == nil {
		return n
	}
	for _, t := range p.terms {
		n += 16 + len(t)
	}
	for _, e := range p.expansions {
		n += 32 + len(e.Text)
	}
	return n + 48*(len(p.highlight)+len(p.hlKeys.keys))
}

// CacheStats reports the use of each cache, by name.
func (ix *Index) CacheStats() map[string]stageindex.CacheStat {
	return map[string]stageindex.CacheStat{
		"matches": ix.cache.Stat(), "plans": ix.plans.Stat(), "corrections": ix.corrections.Stat(),
		"answers": ix.answers.Stat(),
	}
}
