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

	mu    sync.RWMutex
	cur   *Index
	swaps uint64 // counts the Swaps, for Generation
	// loaded is closed at the first Swap of an index (see Loaded).
	loaded   chan struct{}
	isLoaded bool
}

// Swap makes ix the current index and closes the previous one, if any,
// once the searches running on it have ended.
func (l *Live) Swap(ix *Index) error {
	l.mu.Lock()
	old := l.cur
	l.cur = ix
	l.swaps++
	if ix != nil && !l.isLoaded {
		close(l.loadedChan())
		l.isLoaded = true
	}
	l.mu.Unlock()
	if l.Warm && ix != nil && ix != old {
		go ix.Warm(context.Background(), ix.WarmQueries())
	}
	if old != nil && old != ix {
		return old.Close()
	}
	return nil
}

// Loaded returns a channel closed once a first index is current, for
// work that can wait until the server is ready (serve's brotli forms of
// the static assets): a restart's reopen then has the cores to itself.
func (l *Live) Loaded() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loadedChan()
}

// loadedChan returns l.loaded, made if need be; the caller holds mu.
func (l *Live) loadedChan() chan struct{} {
	if l.loaded == nil {
		l.loaded = make(chan struct{})
		if l.isLoaded {
			close(l.loaded)
		}
	}
	return l.loaded
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

// CacheStats reports the caches of the current index; nil before one.
func (l *Live) CacheStats() (out map[string]stageindex.CacheStat) {
	l.With(func(ix *Index) error {
		out = ix.CacheStats()
		return nil
	})
	return out
}

// Ready reports whether an index has been loaded.
func (l *Live) Ready() bool { return l.Current() != nil }

// Generation changes whenever the current index changes: at each Swap and
// each Apply to the current index. It is 0 before the first Swap.
func (l *Live) Generation() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.cur == nil {
		return 0
	}
	// A rebuilt index counts its Applies from zero again: the swap count
	// in the high bits keeps the generations of successive indexes apart.
	return l.swaps<<40 | l.cur.Generation()&(1<<40-1)
}

// Each calls fn with every offer of the current index matching req (see
// Index.Each). The offers are gathered with the index held open, then
// streamed to fn without holding it: a long export never delays a Swap.
func (l *Live) Each(ctx context.Context, req stageindex.SearchRequest, fn func(stageindex.Offer) error) error {
	var offers []*stageindex.Offer
	err := l.With(func(ix *Index) (err error) {
		offers, err = ix.matching(ctx, req)
		return err
	})
	if err != nil {
		return err
	}
	return eachOffer(ctx, offers, fn)
}

// GetIn returns an offer of the current index within allowed (nil: any).
func (l *Live) GetIn(id string, allowed []string) (o stageindex.Offer, ok bool) {
	l.With(func(ix *Index) error {
		o, ok = ix.GetIn(id, allowed)
		return nil
	})
	return o, ok
}

// SuggestIn completes q from the offers of the current index within
// allowed (nil: any).
func (l *Live) SuggestIn(q string, limit int, allowed []string) (out []stageindex.Suggestion) {
	l.With(func(ix *Index) error {
		out = ix.SuggestIn(q, limit, allowed)
		return nil
	})
	return out
}

// StatsIn counts the searchable offers of the current index within
// allowed (nil: any).
func (l *Live) StatsIn(allowed []string) (st stageindex.Stats, err error) {
	err = l.With(func(ix *Index) error {
		st = ix.StatsIn(allowed)
		return nil
	})
	return st, err
}
