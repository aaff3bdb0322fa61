// Package lru is the one bounded cache of stageindex (see Cache).
package lru

import (
	"sync"
	"sync/atomic"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/stageindex/stageindex"
)

// Cache is the one bounded cache type of stageindex: a least-recently
// used map (hashicorp/golang-lru's simplelru) that also bounds the bytes it
// holds, evicting the oldest entries one at a time, never everything at
// once. It holds the per-shard text matches (pupils ask the same few hundred
// words; a shard's matches stay valid until a write bumps its generation),
// the analysed queries, the typo corrections (package search) and the H3
// cell lists of recent disks (package geo).
//
// The byte budget is counted here, by hand: golang-lru bounds the number of
// entries only, and one entry of matches can be a thousand times another.
type Cache[K comparable, V any] struct {
	mu     sync.Mutex
	lru    *simplelru.LRU[K, V]
	size   func(K, V) int
	bytes  int
	budget int

	hits, misses, evictions atomic.Int64
}

// maxEntries only guards simplelru's own bookkeeping; the byte budget is
// what binds.
const maxEntries = 1 << 20

// New returns a cache of at most budget bytes, as size estimates them.
func New[K comparable, V any](budget int, size func(K, V) int) *Cache[K, V] {
	c := &Cache[K, V]{size: size, budget: budget}
	// OnEvict runs with c.mu held: every call into the LRU is under it.
	c.lru, _ = simplelru.NewLRU[K, V](maxEntries, func(k K, v V) {
		c.bytes -= c.size(k, v)
		c.evictions.Add(1)
	})
	return c
}

// Get returns the value of k and marks it recently used.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	v, ok := c.lru.Get(k)
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return v, ok
}

// Put adds or replaces k, evicting the least recently used entries
// while the budget is exceeded.
func (c *Cache[K, V]) Put(k K, v V) {
	n := c.size(k, v)
	if n > c.budget/4 {
		return // one entry must not push out a quarter of the others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.lru.Peek(k); ok {
		c.bytes -= c.size(k, old)
	}
	c.lru.Add(k, v)
	c.bytes += n
	for c.bytes > c.budget {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
}

// Len returns the number of entries held.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Stat reports the cache's use for /metrics.
func (c *Cache[K, V]) Stat() stageindex.CacheStat {
	c.mu.Lock()
	entries, bytes := c.lru.Len(), c.bytes
	c.mu.Unlock()
	return stageindex.CacheStat{Entries: entries, Bytes: int64(bytes), Budget: int64(c.budget),
		Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load()}
}
