package lru

import (
	"fmt"
	"testing"
)

func TestCacheEvictsOldestWithinBudget(t *testing.T) {
	c := New(100, func(_ string, v []byte) int { return len(v) })
	for i := range 10 {
		c.Put(fmt.Sprint(i), make([]byte, 10))
	}
	if st := c.Stat(); st.Entries != 10 || st.Bytes != 100 || st.Evictions != 0 {
		t.Fatalf("full cache: %+v", st)
	}
	c.Get("0") // now the most recent
	c.Put("new", make([]byte, 20))
	// Two of the oldest go, one at a time: 1 and 2; 0 was used.
	for k, want := range map[string]bool{"0": true, "1": false, "2": false, "3": true, "new": true} {
		if _, ok := c.Get(k); ok != want {
			t.Errorf("after an eviction, %s cached = %v, want %v", k, ok, want)
		}
	}
	if st := c.Stat(); st.Bytes > 100 || st.Evictions != 2 {
		t.Errorf("after an eviction: %+v", st)
	}
	c.Put("huge", make([]byte, 30)) // over a quarter of the budget: refused
	if _, ok := c.Get("huge"); ok {
		t.Error("an entry larger than a quarter of the budget was kept")
	}
	c.Put("3", make([]byte, 5)) // replacing counts the new size only
	if st := c.Stat(); st.Bytes != 95 {
		t.Errorf("after a replacement: %+v", st)
	}
	if st := c.Stat(); st.Hits == 0 || st.Misses == 0 {
		t.Errorf("hits and misses not counted: %+v", st)
	}
}

func TestCacheNeverEmptiesAtOnce(t *testing.T) {
	c := New(10_000, func(int, int) int { return 100 })
	for i := range 10_000 {
		c.Put(i, i)
		if i >= 100 && c.Len() < 99 {
			t.Fatalf("after %d puts the cache holds %d entries", i+1, c.Len())
		}
	}
}
