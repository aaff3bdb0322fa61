package search

import (
	"context"
	"fmt"
	"strings"

	"github.com/stageindex/stageindex"
)

// listing is the answer to a search with neither keywords nor a place: a
// national or départemental listing, and the last relaxation step of any
// search without a place. It reads every offer (tens of milliseconds at
// 100k), so it is kept (ix.listings) until the index changes or the minute
// turns: a flood of searches that find nothing must not each pay for it.
// Its hits are shared and must not be modified.
type listing struct {
	total  int
	hits   []stageindex.Hit
	facets stageindex.Facets
}

// listingKey is req's filters, paging and sort, with the index generation
// and the minute: everything a listing depends on.
func listingKey(req stageindex.SearchRequest, gen uint64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%d|%v|%v|%v|%v|%v|%v|", gen, req.Now.Unix()/60, req.Tracks, req.Sectors, req.Weeks, req.Departments, req.Scope != nil, req.Scope)
	fmt.Fprintf(&b, "%v|%v|", req.Allowed != nil, req.Allowed)
	for _, b2 := range []*bool{req.IsPublic, req.Accessible} {
		if b2 == nil {
			b.WriteString("-|")
		} else {
			fmt.Fprintf(&b, "%v|", *b2)
		}
	}
	fmt.Fprintf(&b, "%s|%s|%d|%d", req.Remote, req.Sort, req.Page, req.PerPage)
	return b.String()
}

func listingSize(k string, l listing) int { return 256 + len(k) + 1024*len(l.hits) }

// list answers req, which has no keywords and no Center, from ix.listings
// when it can. The caller holds ix.mu (read).
func (ix *Index) list(ctx context.Context, req stageindex.SearchRequest, buf *[]hitKey) (listing, error) {
	key := listingKey(req, ix.gen.Load())
	if l, ok := ix.listings.Get(key); ok {
		return l, nil
	}
	keys, facets, err := ix.collect(ctx, req, nil, buf)
	if err != nil {
		return listing{}, err
	}
	l := listing{total: len(keys), hits: ix.page(keys, req, nil), facets: facets}
	ix.listings.Put(key, l)
	return l, nil
}
