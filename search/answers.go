package search

import (
	"context"
	"fmt"
	"strings"

	"github.com/stageindex/stageindex"
)

// answer is what a search found, before its page's hits are built: the
// total, the page's sort keys in order, the facets and the state the
// query's typo correction left. It is kept (ix.answers) until the index
// changes or the minute turns, so that the same search again builds only
// its page. Collecting is most of a search's cost where the area is wide
// (a 60 km disk holds ~100,000 offers at 1M: the scan of their hot data
// was half the CPU of a `serve` under 32 connections), and pupils, the
// widget's default searches and paging send the same ones again.
//
// An answer is shared: nothing in it may be modified.
type answer struct {
	total  int
	keys   []hitKey // the page's, best first
	facets []facetCount
	// The query's state after the search (see textQuery), for the page's
	// highlights and a relaxation to start from.
	corrected *textPlan
	tried     bool
	highlight map[string]bool
	hlKeys    keySet
}

// answersBudget bounds the kept answers: an answer is ~2 KB (its facets
// and 30 keys; 4.2 MB for the 2,000 of the 1M capacity mix), so ~4,000
// searches fit; cycling through more distinct searches than fit evicts
// the oldest one at a time. 8 MB, not more: at 100k offers a `serve` is
// ~395 MB resident after a 32-connection run, against a 400 MB target.
const answersBudget = 8 << 20

func answerSize(k string, a answer) int {
	return 192 + len(k) + 32*cap(a.keys) + 8*cap(a.facets)
}

// answerKey is everything an answer depends on: the index generation,
// the minute (offers pass their last week), the query, the place and
// every filter, the sort and the page.
func answerKey(req stageindex.SearchRequest, gen uint64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%d|%q|", gen, req.Now.Unix()/60, req.Query)
	if req.Center != nil {
		fmt.Fprintf(&b, "%v,%v|", req.Center.Lat, req.Center.Lng)
	} else {
		b.WriteString("-|")
	}
	fmt.Fprintf(&b, "%v|%q|%v|%q|", req.RadiusKm, req.Communes, req.Scope != nil, req.Scope)
	fmt.Fprintf(&b, "%q|%q|%q|%q|%q|", req.Tracks, req.Sectors, req.Weeks, req.Departments, req.ROME)
	fmt.Fprintf(&b, "%v|%q|", req.Allowed != nil, req.Allowed)
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

// answer collects req's matches, or takes them from ix.answers. p, the
// search's query (nil: no keywords), is left as the search leaves it.
// The caller holds ix.mu (read).
func (ix *Index) answer(ctx context.Context, req stageindex.SearchRequest, p *textQuery, buf *[]hitKey) (answer, error) {
	key := answerKey(req, ix.gen.Load())
	if a, ok := ix.answers.Get(key); ok {
		if p != nil {
			p.corrected, p.tried, p.highlight, p.hlKeys = a.corrected, a.tried, a.highlight, a.hlKeys
		}
		return a, nil
	}
	keys, facets, err := ix.collect(ctx, req, p, buf)
	if err != nil {
		return answer{}, err
	}
	a := answer{total: len(keys), keys: ix.pageKeys(keys, req), facets: facets}
	if p != nil {
		a.corrected, a.tried, a.highlight, a.hlKeys = p.corrected, p.tried, p.highlight, p.hlKeys
	}
	ix.answers.Put(key, a)
	return a, nil
}
