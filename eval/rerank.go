package eval

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
)

// Rerank is a what-if, not a product: stageindex's hits re-ordered inside
// each relevance tier by text score damped by distance, instead of by
// distance alone. It shows the lead what a ranking change would buy before
// anyone touches package search; recall and totals are stageindex's own.
type Rerank struct {
	s   *Stageindex
	loc map[string]*stageindex.Offer
	// HalfKm is the distance at which a hit's text score counts half.
	HalfKm float64
}

// NewRerank wraps s; c locates hits.
func NewRerank(s *Stageindex, c *Corpus, halfKm float64) *Rerank {
	loc := make(map[string]*stageindex.Offer, len(c.Offers))
	for i := range c.Offers {
		loc[c.Offers[i].ID] = &c.Offers[i]
	}
	return &Rerank{s: s, loc: loc, HalfKm: halfKm}
}

// Name implements System.
func (r *Rerank) Name() string {
	return fmt.Sprintf("what-if: score÷(1+km/%g) in tier", r.HalfKm)
}

// Search implements System. Hit.Score is tier + text score in [0, 1).
func (r *Rerank) Search(ctx context.Context, q string, center *stageindex.LatLng, radiusKm float64) (Result, error) {
	res, err := r.s.Search(ctx, q, center, radiusKm)
	if err != nil || center == nil || len(res.Scores) != len(res.IDs) {
		return res, err
	}
	type hit struct {
		id          string
		tier, score float64
	}
	hits := make([]hit, len(res.IDs))
	for i, id := range res.IDs {
		tier := math.Floor(res.Scores[i])
		damp := 1.0
		if o := r.loc[id]; o != nil && o.HasLocation() {
			damp = 1 / (1 + geo.HaversineKm(center.Lat, center.Lng, *o.Latitude, *o.Longitude)/r.HalfKm)
		}
		hits[i] = hit{id, tier, (res.Scores[i] - tier) * damp}
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(b.tier, a.tier); c != 0 {
			return c
		}
		return cmp.Compare(b.score, a.score)
	})
	for i, h := range hits {
		res.IDs[i], res.Scores[i] = h.id, h.tier+h.score
	}
	return res, nil
}
