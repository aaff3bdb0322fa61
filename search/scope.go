package search

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/stageindex/stageindex"
)

// This file serves the API's partner keys and exports: the index
// generation behind ETags, walking every hit of a request without the
// paging limit, and suggestions counted within a key's départements.

// Generation changes with every Apply: two answers to one request given at
// the same generation differ only by the passing of time (publication
// dates, weeks ending).
func (ix *Index) Generation() uint64 { return ix.gen.Load() }

// Each calls fn with every offer matching req, in req's order (relevance
// with keywords, else distance around a place, else date), without the
// MaxResultDepth limit of paging: req's Page and PerPage are ignored, and
// a search that finds nothing is not relaxed. It stops at fn's first error
// and returns it.
//
// The matching offers are gathered under the index's read lock, then
// handed to fn with no lock held, so that a slow consumer (an export
// streamed to a far client) never holds back a write. Offers are never
// modified in place, so the ones gathered stay what they were.
func (ix *Index) Each(ctx context.Context, req stageindex.SearchRequest, fn func(stageindex.Offer) error) error {
	offers, err := ix.matching(ctx, req)
	if err != nil {
		return err
	}
	return eachOffer(ctx, offers, fn)
}

func eachOffer(ctx context.Context, offers []*stageindex.Offer, fn func(stageindex.Offer) error) error {
	for i, o := range offers {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := fn(*o); err != nil {
			return err
		}
	}
	return nil
}

// matching returns the offers matching req, sorted.
func (ix *Index) matching(ctx context.Context, req stageindex.SearchRequest) ([]*stageindex.Offer, error) {
	req.Page, req.PerPage = 1, 1 // paging does not apply; only its bounds are checked
	if err := ix.prepare(&req); err != nil {
		return nil, err
	}
	release, err := ix.admit(ctx, req.Query)
	if err != nil {
		return nil, err
	}
	defer release()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, errClosed()
	}
	p := ix.plan(req.Query)
	defaultSort(&req, p)
	buf := ix.getKeys()
	defer ix.putKeys(buf)
	keys, _, err := ix.collect(ctx, req, p, buf)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, ix.less(req.Sort))
	out := make([]*stageindex.Offer, len(keys))
	for i, k := range keys {
		o := ix.offerOf(ix.docs[k.slot])
		out[i] = &o
	}
	return out, nil
}

// GetIn returns the offer with id when its département is in allowed (nil:
// any), so that a partner key sees no offer outside its départements.
func (ix *Index) GetIn(id string, allowed []string) (stageindex.Offer, bool) {
	o, ok := ix.Get(id)
	if !ok || allowed != nil && !slices.Contains(allowed, o.Department) {
		return stageindex.Offer{}, false
	}
	return o, true
}

// SuggestIn is Suggest with the words and counts of the offers of the
// départements in allowed only (nil: every offer, like Suggest), so that a
// partner key's suggestions speak only of offers it can find.
func (ix *Index) SuggestIn(q string, limit int, allowed []string) []stageindex.Suggestion {
	if allowed == nil {
		return ix.Suggest(q, limit)
	}
	key := stageindex.Fold(q)
	if len([]rune(key)) < 2 {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.suggest(key, limit, ix.scopes.vocab(ix, allowed))
}

// scopeVocabs keeps the title vocabulary of each partner scope seen, for
// the generation it was counted at. Partner keys are few; the map is
// cleared if ever it holds maxScopes of them.
type scopeVocabs struct {
	mu sync.Mutex
	m  map[string]scopeVocab
}

type scopeVocab struct {
	gen uint64
	v   *vocab
}

const maxScopes = 256

// vocab returns the vocabulary of the offers in allowed, counting it if
// the index changed since; the caller holds ix.mu (read), so the
// generation cannot move under it.
func (s *scopeVocabs) vocab(ix *Index, allowed []string) *vocab {
	sorted := slices.Clone(allowed)
	slices.Sort(sorted)
	key := strings.Join(sorted, ",")
	gen := ix.Generation()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sv, ok := s.m[key]; ok && sv.gen == gen {
		return sv.v
	}
	in := deptSet(allowed)
	v := newVocab()
	var buf []byte // the records read from the store's file, in turn
	for _, d := range ix.docs {
		if d != nil && in[d.dept] {
			v.add(decodeTitle(ix.store.loadReusing(d.rec, &buf)), 1) // vocab copies what it keeps
		}
	}
	if s.m == nil || len(s.m) >= maxScopes {
		s.m = map[string]scopeVocab{}
	}
	s.m[key] = scopeVocab{gen, v}
	return v
}

// deptSet is allowed as a set; nil stays nil (no restriction).
func deptSet(allowed []string) map[string]bool {
	if allowed == nil {
		return nil
	}
	in := make(map[string]bool, len(allowed))
	for _, d := range allowed {
		in[d] = true
	}
	return in
}
