package eval

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/stageindex/stageindex"
)

// TopN is the depth of the precision measure.
const TopN = 10

// Result is what a system answers to one search: the total it reports and
// the ids of its hits in its own order, as deep as it lets a visitor page
// (stageindex.MaxResultDepth).
type Result struct {
	Total int
	IDs   []string
	// Scores, when the system reports them, go with IDs (for Explain).
	Scores []float64
}

// System is a search engine under evaluation.
type System interface {
	Name() string
	Search(ctx context.Context, query string, center *stageindex.LatLng, radiusKm float64) (Result, error)
}

// Case is one query run at one place by one system, scored.
type Case struct {
	Query Query
	Place string
	// Truth counts the offers of the expected families in the area.
	Truth int
	Total int
	// Top holds the families of the first TopN hits.
	Top []string
	// Found counts the returned hits of the expected families among the
	// offers of the area (a remote offer the baseline returns is not one).
	Found int
	// Relevant counts the returned hits of the expected families, in the
	// area or not, for Ceiling.
	Relevant int
}

// Precision returns the share of the first TopN hits of an expected family;
// ok is false when there is no hit.
func (c Case) Precision() (p float64, ok bool) {
	if len(c.Top) == 0 {
		return 0, false
	}
	good := 0
	for _, f := range c.Top {
		if c.Query.Wants(f) {
			good++
		}
	}
	return float64(good) / float64(len(c.Top)), true
}

// Ceiling returns the precision@10 the best order of the same hits would
// reach: below 1 when the list holds fewer than TopN hits of the expected
// families but more hits than that. It tells ranking faults (precision
// under ceiling) from matching ones (a low ceiling). ok is false when
// there is no hit.
func (c Case) Ceiling() (p float64, ok bool) {
	if len(c.Top) == 0 {
		return 0, false
	}
	return float64(min(len(c.Top), c.Relevant)) / float64(len(c.Top)), true
}

// Recall returns Found ÷ Truth; ok is false when the area holds no
// expected offer, so that nothing can be missed.
func (c Case) Recall() (r float64, ok bool) {
	if c.Truth == 0 {
		return 0, false
	}
	return float64(c.Found) / float64(c.Truth), true
}

// ZeroHit reports a search that found nothing although the area holds
// expected offers (a relaxed search still counts as zero-hit).
func (c Case) ZeroHit() bool { return c.Total == 0 && c.Truth > 0 }

// Score runs one query at one place and scores the answer.
func Score(ctx context.Context, s System, c *Corpus, q Query, p Place, radiusKm float64, area Area) (Case, error) {
	res, err := s.Search(ctx, q.Text, p.Center, radiusKm)
	if err != nil {
		return Case{}, fmt.Errorf("eval: %s %q at %s: %w", s.Name(), q.Text, p.Name, err)
	}
	cs := Case{Query: q, Place: p.Name, Total: res.Total}
	for _, f := range q.Families {
		cs.Truth += area.Counts[f]
	}
	for i, id := range res.IDs {
		f, ok := c.Family[id]
		if !ok {
			return Case{}, fmt.Errorf("eval: %s %q at %s: unknown hit id %q", s.Name(), q.Text, p.Name, id)
		}
		if i < TopN {
			cs.Top = append(cs.Top, f)
		}
		if q.Wants(f) {
			cs.Relevant++
			if area.In[id] {
				cs.Found++
			}
		}
	}
	return cs, nil
}

// Run scores every query at every place (each place's truth computed once).
func Run(ctx context.Context, s System, c *Corpus, qs []Query, places []Place, radiusKm float64, now time.Time) ([]Case, error) {
	var cases []Case
	for _, p := range places {
		area := c.Area(p.Center, radiusKm, now)
		for _, q := range qs {
			cs, err := Score(ctx, s, c, q, p, radiusKm, area)
			if err != nil {
				return nil, err
			}
			cases = append(cases, cs)
		}
	}
	return cases, nil
}

// Summary aggregates cases. Macro figures average per search, the way a
// pupil lives them; RecallMicro weighs searches by how much they could find.
type Summary struct {
	Cases     int     // searches run
	Judged    int     // searches whose area holds expected offers
	WithHits  int     // searches with at least one hit
	Precision float64 // macro precision@10 over WithHits
	Ceiling   float64 // macro Case.Ceiling over WithHits
	// PrecisionAll is macro precision@10 over Judged, a zero-hit search
	// counting 0: the page a pupil sees, empty or not.
	PrecisionAll float64
	Recall       float64 // macro recall over Judged (a zero-hit search counts 0)
	RecallMicro  float64 // Σ Found ÷ Σ Truth over Judged
	ZeroHit      float64 // zero-hit searches ÷ Judged
}

// Summarise aggregates cases; a filter, when non-nil, keeps only some.
func Summarise(cases []Case, keep func(Case) bool) Summary {
	var s Summary
	var pSum, ceilSum, pAllSum, rSum float64
	var found, truth, zero int
	for _, c := range cases {
		if keep != nil && !keep(c) {
			continue
		}
		s.Cases++
		if p, ok := c.Precision(); ok {
			s.WithHits++
			pSum += p
			ceil, _ := c.Ceiling()
			ceilSum += ceil
		}
		if r, ok := c.Recall(); ok {
			s.Judged++
			p, _ := c.Precision()
			pAllSum += p
			rSum += r
			found += c.Found
			truth += c.Truth
			if c.ZeroHit() {
				zero++
			}
		}
	}
	if s.WithHits > 0 {
		s.Precision = pSum / float64(s.WithHits)
		s.Ceiling = ceilSum / float64(s.WithHits)
	}
	if s.Judged > 0 {
		s.Recall = rSum / float64(s.Judged)
		s.PrecisionAll = pAllSum / float64(s.Judged)
		s.ZeroHit = float64(zero) / float64(s.Judged)
	}
	if truth > 0 {
		s.RecallMicro = float64(found) / float64(truth)
	}
	return s
}

// QueryScore is one query's figures over all its places.
type QueryScore struct {
	Query   Query
	Summary Summary
	// Wrong counts the unexpected families among the first hits, to show
	// what a query drifts to.
	Wrong map[string]int
}

// badness orders queries from worst: a zero-hit search is worse than an
// imprecise one, and precision and recall weigh the same.
func (q QueryScore) badness() float64 {
	s := q.Summary
	return s.ZeroHit + (1 - s.Precision) + (1 - s.Recall)
}

// Worst returns the n queries with the poorest figures, worst first.
func Worst(cases []Case, n int) []QueryScore {
	byQuery := map[string][]Case{}
	var order []string
	for _, c := range cases {
		if _, ok := byQuery[c.Query.Text]; !ok {
			order = append(order, c.Query.Text)
		}
		byQuery[c.Query.Text] = append(byQuery[c.Query.Text], c)
	}
	scores := make([]QueryScore, 0, len(order))
	for _, q := range order {
		cs := byQuery[q]
		qs := QueryScore{Query: cs[0].Query, Summary: Summarise(cs, nil), Wrong: map[string]int{}}
		for _, c := range cs {
			for _, f := range c.Top {
				if !c.Query.Wants(f) {
					qs.Wrong[f]++
				}
			}
		}
		scores = append(scores, qs)
	}
	slices.SortStableFunc(scores, func(a, b QueryScore) int { return cmp.Compare(b.badness(), a.badness()) })
	return scores[:min(n, len(scores))]
}
