// Command stageeval runs the relevance evaluation of package eval and
// prints its Markdown report (see docs/relevance.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stageindex/stageindex/eval"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "stageeval:", err)
		os.Exit(1)
	}
}

func run() error {
	corpusPath := flag.String("corpus", "../shared/bench/offers-100k.jsonl.gz", "benchmark corpus (JSON lines with x_metier, .gz or plain)")
	queriesPath := flag.String("queries", "eval/queries.tsv", "labelled queries")
	placesPath := flag.String("places", "../shared/bench/queries-1k.jsonl", "visitor searches whose first distinct towns are the places")
	nPlaces := flag.Int("places-n", 10, "number of towns")
	radius := flag.Float64("radius", 30, "search radius around each town, km")
	nowFlag := flag.String("now", "2026-12-01T00:00:00Z", "evaluation clock (RFC 3339): decides which offers are searchable")
	worst := flag.Int("worst", 15, "worst queries listed per system")
	whatIf := flag.String("whatif", "", "also score stageindex re-ranked inside each tier by text score damped by distance, for these comma-separated half-distances in km")
	pg := flag.Bool("pg", true, "also run the monstage-style PostgreSQL baseline")
	casesPath := flag.String("cases", "", "also write every scored search to this TSV file")
	groups := flag.String("groups", "", "families file with a group column (eval/rome/families.tsv): also report by group")
	explain := flag.String("explain", "", "instead of the report, show each system's first hits at every place for these queries (separated by |)")
	flag.Parse()

	now, err := time.Parse(time.RFC3339, *nowFlag)
	if err != nil {
		return fmt.Errorf("-now: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	places, err := eval.LoadPlaces(*placesPath, *nPlaces)
	if err != nil {
		return err
	}
	places = append(places, eval.Place{Name: eval.NoPlace})
	start := time.Now()
	corpus, err := eval.LoadCorpus(ctx, *corpusPath)
	if err != nil {
		return err
	}
	logf("corpus: %d offers in %v", len(corpus.Offers), time.Since(start).Round(time.Millisecond))
	// The benchmark corpus is labelled with the 50 x_metier families; the
	// ROME corpus (eval/rome) with fiche codes, which its queries use.
	var families []string
	if labels := corpus.Labels(); len(labels) > 0 && !slices.Contains(eval.Families, labels[0]) {
		families = labels
	}
	qs, err := eval.LoadQueries(*queriesPath, families)
	if err != nil {
		return err
	}
	var extra []eval.Slice
	if *groups != "" {
		if extra, err = groupSlices(*groups); err != nil {
			return err
		}
	}

	var runs []eval.SystemCases
	si, err := eval.NewStageindex(ctx, corpus, now)
	if err != nil {
		return err
	}
	defer si.Close()
	logf("stageindex: indexed in %v", time.Since(start).Round(time.Millisecond))
	systems := []eval.System{si}
	for _, f := range strings.FieldsFunc(*whatIf, func(r rune) bool { return r == ',' }) {
		km, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || km <= 0 {
			return fmt.Errorf("-whatif: %q is not a distance in km", f)
		}
		systems = append(systems, eval.NewRerank(si, corpus, km))
	}
	if *pg {
		b, err := eval.NewBaseline(ctx, corpus, now, logf)
		if err != nil {
			return err
		}
		defer b.Close()
		systems = append(systems, b)
	}
	if *explain != "" {
		for _, q := range strings.Split(*explain, "|") {
			if err := eval.Explain(ctx, os.Stdout, systems, corpus, strings.TrimSpace(q), places, *radius, now); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range systems {
		t := time.Now()
		cases, err := eval.Run(ctx, s, corpus, qs, places, *radius, now)
		if err != nil {
			return err
		}
		logf("%s: %d searches in %v", s.Name(), len(cases), time.Since(t).Round(time.Millisecond))
		runs = append(runs, eval.SystemCases{Name: s.Name(), Cases: cases})
	}
	if *casesPath != "" {
		if err := writeCases(*casesPath, runs); err != nil {
			return err
		}
	}
	fmt.Printf("%d labelled queries × %d places (%d towns at %g km, and no place); clock %s.\n\n",
		len(qs), len(places), len(places)-1, *radius, now.Format(time.RFC3339))
	return eval.WriteReport(os.Stdout, runs, *worst, extra...)
}

// groupSlices reads a families file (code, label, domaine, grand domaine,
// group: A for the families the development queries were written for, B
// for the others) and slices the report by the group of a query's first
// family: how the search does on trades nobody tuned it on.
func groupSlices(path string) ([]eval.Slice, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-groups: %w", err)
	}
	group := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		cols := strings.Split(line, "\t")
		if i == 0 || len(cols) < 5 {
			continue
		}
		group[cols[0]] = cols[4]
	}
	in := func(g string) func(eval.Case) bool {
		return func(c eval.Case) bool { return len(c.Query.Families) > 0 && group[c.Query.Families[0]] == g }
	}
	return []eval.Slice{
		{Name: "families of the development set (A)", Keep: in("A")},
		{Name: "families it never covered (B)", Keep: in("B")},
	}, nil
}

func writeCases(path string, runs []eval.SystemCases) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-cases: %w", err)
	}
	if err := eval.WriteCases(f, runs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "stageeval: "+format+"\n", args...)
}
