package eval

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Explain writes, for each place, each system's total and first hits with
// their family and title, and the ground truth per family: what the lead
// needs to see why a query fails.
func Explain(ctx context.Context, w io.Writer, systems []System, c *Corpus, q string, places []Place, radiusKm float64, now time.Time) error {
	title := map[string]string{}
	for i := range c.Offers {
		title[c.Offers[i].ID] = c.Offers[i].Title
	}
	for _, p := range places {
		area := c.Area(p.Center, radiusKm, now)
		fams := make([]string, 0, len(area.Counts))
		for f := range area.Counts {
			fams = append(fams, f)
		}
		slices.Sort(fams)
		fmt.Fprintf(w, "## %q at %s\n", q, p.Name)
		for _, s := range systems {
			res, err := s.Search(ctx, q, p.Center, radiusKm)
			if err != nil {
				return fmt.Errorf("eval: explain %s: %w", s.Name(), err)
			}
			byFam := map[string]int{}
			for _, id := range res.IDs {
				if area.In[id] {
					byFam[c.Family[id]]++
				}
			}
			var found []string
			for _, f := range fams {
				if byFam[f] > 0 {
					found = append(found, fmt.Sprintf("%s %d/%d", f, byFam[f], area.Counts[f]))
				}
			}
			fmt.Fprintf(w, "%s: total %d; hits per family (found/in area): %s\n", s.Name(), res.Total, strings.Join(found, ", "))
			for i, id := range res.IDs[:min(TopN, len(res.IDs))] {
				score := ""
				if i < len(res.Scores) {
					score = fmt.Sprintf(" (score %.3f)", res.Scores[i])
				}
				fmt.Fprintf(w, "  %2d. [%s] %s%s\n", i+1, c.Family[id], title[id], score)
			}
		}
	}
	return nil
}
