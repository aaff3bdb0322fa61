package search

import (
	"context"
	"sync"

	"github.com/stageindex/stageindex"
)

// Live holds the index that searches use and swaps in a rebuilt one
// atomically: a swap waits for the searches running on the old index, then
// closes it, so no search ever sees a closed or half-built index.
type Live struct {
	// Warm, when set, has Swap warm the new index's text cache in the
	// background with WarmQueries (a few seconds of one core at 100k).
	Warm bool

	mu  sync.RWMutex
	cur *Index
}

// Swap makes ix the current index and closes the previous one, if any,
// once the searches running on it have ended.
func (l *Live) Swap(ix *Index) error {
	l.mu.Lock()
	old := l.cur
	l.cur = ix
	l.mu.Unlock()
	if l.Warm && ix != nil && ix != old {
		go ix.Warm(context.Background(), ix.WarmQueries())
	}
	if old != nil && old != ix {
		return old.Close()
	}
	return nil
}

// Current returns the current index, nil before the first Swap. The index
// may be swapped out and closed at any time; use Search or With to use it.
func (l *Live) Current() *Index {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cur
}

// With runs fn on the current index, which stays open until fn returns.
func (l *Live) With(fn func(ix *Index) error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.cur == nil {
		return stageindex.Errorf(stageindex.EUNAVAILABLE, "the index is still loading")
	}
	return fn(l.cur)
}

// Search searches the current index.
func (l *Live) Search(ctx context.Context, req stageindex.SearchRequest) (res *stageindex.SearchResult, err error) {
	err = l.With(func(ix *Index) error {
		res, err = ix.Search(ctx, req)
		return err
	})
	return res, err
}

// Get returns an offer of the current index.
func (l *Live) Get(id string) (o stageindex.Offer, ok bool) {
	l.With(func(ix *Index) error {
		o, ok = ix.Get(id)
		return nil
	})
	return o, ok
}

// Suggest completes q from the current index; nil before one is loaded.
func (l *Live) Suggest(q string, limit int) (out []stageindex.Suggestion) {
	l.With(func(ix *Index) error {
		out = ix.Suggest(q, limit)
		return nil
	})
	return out
}

// Stats counts the searchable offers of the current index.
func (l *Live) Stats() (st stageindex.Stats, err error) {
	err = l.With(func(ix *Index) error {
		st = ix.Stats()
		return nil
	})
	return st, err
}

// Ready reports whether an index has been loaded.
func (l *Live) Ready() bool { return l.Current() != nil }
