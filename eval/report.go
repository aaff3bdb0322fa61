package eval

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// SystemCases are the scored searches of one system, for the report.
type SystemCases struct {
	Name  string
	Cases []Case
}

// WriteReport writes the Markdown tables of docs/relevance.md: the headline
// figures side by side, the same per query kind and with or without a
// place, then each system's worst queries.
// Slice is a named subset of cases the report also summarises.
type Slice struct {
	Name string
	Keep func(Case) bool
}

// WriteReport writes the Markdown report of runs: totals, then by kind of
// query, by place, and by each of extra (e.g. the families a tuning set
// never covered), then each system's worst queries.
func WriteReport(w io.Writer, runs []SystemCases, worst int, extra ...Slice) error {
	var b strings.Builder
	b.WriteString("| system | searches | judged | with hits | precision@10 | recall (macro) | recall (micro) | zero-hit | precision@10, zero-hit as 0 | precision@10 ceiling |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range runs {
		s := Summarise(r.Cases, nil)
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.3f | %.3f | %.3f | %.1f%% | %.3f | %.3f |\n",
			r.Name, s.Cases, s.Judged, s.WithHits, s.Precision, s.Recall, s.RecallMicro, 100*s.ZeroHit, s.PrecisionAll, s.Ceiling)
	}
	b.WriteString("\nThe ceiling is what the best order of each system's own hits would score: the gap to it is ranking, the gap above it matching.\n")
	b.WriteString("\nPer query kind and place (precision@10 / recall macro / zero-hit):\n\n| slice |")
	for _, r := range runs {
		fmt.Fprintf(&b, " %s |", r.Name)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(runs)) + "\n")
	type slice struct {
		name string
		keep func(Case) bool
	}
	var slices_ []slice
	present := map[string]bool{}
	for _, r := range runs {
		for _, c := range r.Cases {
			present[c.Query.Kind] = true
		}
	}
	for _, k := range Kinds {
		if present[k] {
			slices_ = append(slices_, slice{"kind " + k, func(c Case) bool { return c.Query.Kind == k }})
		}
	}
	for _, sl := range extra {
		slices_ = append(slices_, slice{sl.Name, sl.Keep})
	}
	slices_ = append(slices_,
		slice{"around a town, 30 km", func(c Case) bool { return c.Place != NoPlace }},
		slice{"no place", func(c Case) bool { return c.Place == NoPlace }})
	for _, sl := range slices_ {
		fmt.Fprintf(&b, "| %s |", sl.name)
		for _, r := range runs {
			s := Summarise(r.Cases, sl.keep)
			fmt.Fprintf(&b, " %.3f / %.3f / %.1f%% |", s.Precision, s.Recall, 100*s.ZeroHit)
		}
		b.WriteString("\n")
	}
	for _, r := range runs {
		fmt.Fprintf(&b, "\nWorst %d queries, %s (over all places):\n\n", worst, r.Name)
		b.WriteString("| query | expected | precision@10 | recall | zero-hit | first hits drift to |\n|---|---|---:|---:|---:|---|\n")
		for _, q := range Worst(r.Cases, worst) {
			s := q.Summary
			fmt.Fprintf(&b, "| %s | %s | %.2f | %.2f | %d/%d | %s |\n", q.Query.Text, strings.Join(q.Query.Families, ","),
				s.Precision, s.Recall, int(s.ZeroHit*float64(s.Judged)+0.5), s.Judged, topWrong(q.Wrong, 3))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// NoPlace names the searches run without a place.
const NoPlace = "(no place)"

func topWrong(m map[string]int, n int) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s (%d)", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// WriteCases writes every scored search as a TSV row, for digging into one
// query or place: system, query, kind, expected families, place, truth,
// total, found, recall and precision@10 (empty when undefined).
func WriteCases(w io.Writer, runs []SystemCases) error {
	var b strings.Builder
	b.WriteString("system\tquery\tkind\texpected\tplace\ttruth\ttotal\tfound\trecall\tprecision10\n")
	num := func(v float64, ok bool) string {
		if !ok {
			return ""
		}
		return fmt.Sprintf("%.3f", v)
	}
	for _, r := range runs {
		for _, c := range r.Cases {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", r.Name, c.Query.Text, c.Query.Kind,
				strings.Join(c.Query.Families, ","), c.Place, c.Truth, c.Total, c.Found, num(c.Recall()), num(c.Precision()))
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("eval: cases: %w", err)
	}
	return nil
}
