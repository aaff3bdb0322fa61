package search

import "sync"

// boundedCache is a map behind a mutex that forgets everything once it
// holds max entries: crude, but bounded, and what it keeps is cheap to
// compute again. It holds the per-shard text matches (pupils ask the same
// few hundred words; a shard's matches stay valid until a write bumps its
// generation), the analysed queries and the typo corrections (both depend
// only on the analyzers and the thesaurus, fixed for an index's life).
type boundedCache[K comparable, V any] struct {
	mu  sync.Mutex
	max int
	m   map[K]V
}

func newBoundedCache[K comparable, V any](max int) *boundedCache[K, V] {
	return &boundedCache[K, V]{max: max, m: map[K]V{}}
}

func (c *boundedCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *boundedCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = v
}

// len returns the number of entries held.
func (c *boundedCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
