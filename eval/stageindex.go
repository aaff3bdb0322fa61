package eval

import (
	"context"
	"fmt"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/search"
)

// Stageindex evaluates the in-process search core over the corpus.
type Stageindex struct {
	ix  *search.Index
	now time.Time
}

// NewStageindex indexes the corpus offers with the embedded gazetteer and
// thesaurus, its clock frozen at now so that runs are reproducible.
func NewStageindex(ctx context.Context, c *Corpus, now time.Time) (*Stageindex, error) {
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		return nil, fmt.Errorf("eval: gazetteer: %w", err)
	}
	ix, err := search.New(search.Config{CommuneOf: gaz.CommuneOf, Now: func() time.Time { return now }})
	if err != nil {
		return nil, fmt.Errorf("eval: index: %w", err)
	}
	if err := ix.Apply(ctx, c.Offers, nil); err != nil {
		ix.Close()
		return nil, fmt.Errorf("eval: index: %w", err)
	}
	return &Stageindex{ix: ix, now: now}, nil
}

// Name implements System.
func (s *Stageindex) Name() string { return "stageindex" }

// Close releases the index.
func (s *Stageindex) Close() error { return s.ix.Close() }

// Search implements System: the first page as a visitor sees it, then
// every hit in the same order (Index.Each, the export path: paging stops at
// the API's depth), for recall. Scores come with the first page only, so
// the -whatif re-ranking applies to searches of at most one page.
func (s *Stageindex) Search(ctx context.Context, q string, center *stageindex.LatLng, radiusKm float64) (Result, error) {
	req := stageindex.SearchRequest{Query: q, Center: center, RadiusKm: radiusKm, Page: 1, PerPage: stageindex.MaxPerPage, Now: s.now}
	r, err := s.ix.Search(ctx, req)
	if err != nil {
		return Result{}, err
	}
	res := Result{Total: r.Total, IDs: make([]string, len(r.Hits)), Scores: make([]float64, len(r.Hits))}
	for i, h := range r.Hits {
		res.IDs[i], res.Scores[i] = h.ID, h.Score
	}
	if r.Total > len(r.Hits) {
		var all []string
		err := s.ix.Each(ctx, req, func(o stageindex.Offer) error {
			if len(all) < stageindex.MaxResultDepth {
				all = append(all, o.ID)
			}
			return nil
		})
		if err != nil {
			return Result{}, err
		}
		for i, id := range res.IDs {
			if all[i] != id {
				return Result{}, fmt.Errorf("eval: stageindex: hit %d is %s in the full list, %s in the first page", i, all[i], id)
			}
		}
		res.IDs = all
	}
	return res, nil
}
