package search

import (
	"context"

	"github.com/stageindex/stageindex"
)

// relax widens a search that found nothing, one step at a time and in the
// contract's order (radius up to the maximum, then the filters, then the
// keywords), and reports the first step that finds something. A pupil
// should never face an empty page without a next step.
func (ix *Index) relax(ctx context.Context, req stageindex.SearchRequest, p *textQuery, buf *[]hitKey) (*stageindex.Relaxed, error) {
	type step struct {
		name  string
		apply func(r *stageindex.SearchRequest, p **textQuery) bool // false: nothing to widen
	}
	steps := []step{
		{"radius", func(r *stageindex.SearchRequest, _ **textQuery) bool {
			// An area (Scope) has no radius to widen: it stays as asked.
			if r.Center == nil || r.Scope != nil || r.RadiusKm >= stageindex.MaxRadiusKm {
				return false
			}
			r.RadiusKm, r.Communes = stageindex.MaxRadiusKm, nil
			return true
		}},
		{"filters", func(r *stageindex.SearchRequest, _ **textQuery) bool {
			// The department stays: it is how a partner's widget scopes its
			// offers, and a pupil of Côtes-d'Armor's marketplace cannot take
			// an internship it does not list.
			if len(r.Tracks)+len(r.Sectors)+len(r.Weeks) == 0 && r.IsPublic == nil && r.Accessible == nil {
				return false
			}
			r.Tracks, r.Sectors, r.Weeks, r.IsPublic, r.Accessible = nil, nil, nil, nil, nil
			return true
		}},
		{"keywords", func(r *stageindex.SearchRequest, p **textQuery) bool {
			if *p == nil {
				return false
			}
			*p, r.Query = nil, ""
			if r.Sort == stageindex.SortRelevance {
				r.Sort = stageindex.SortDistance
				if r.Center == nil {
					r.Sort = stageindex.SortDate
				}
			}
			return true
		}},
	}
	var widened []string
	for _, s := range steps {
		if !s.apply(&req, &p) {
			continue
		}
		widened = append(widened, s.name)
		// The request's page of the widened hits: a pupil pages through
		// them as through any results.
		a, err := ix.answer(ctx, req, p, buf)
		if err != nil {
			return nil, err
		}
		if a.total > 0 {
			rel := &stageindex.Relaxed{Widened: widened, Total: a.total, Hits: ix.hits(a.keys, p)}
			if req.Center != nil {
				rel.RadiusKm = req.RadiusKm
			}
			return rel, nil
		}
	}
	return &stageindex.Relaxed{Widened: widened, Hits: []stageindex.Hit{}}, nil
}
