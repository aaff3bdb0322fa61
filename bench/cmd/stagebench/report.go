package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// results is everything a run measured; it is written as JSON.
type results struct {
	Date                 string             `json:"date"`
	Host                 string             `json:"host"`
	GoVersion            string             `json:"go_version"`
	CPUs                 int                `json:"cpus"`
	GOMAXPROCS           int                `json:"gomaxprocs"`
	Corpus               string             `json:"corpus"`
	QueryFile            string             `json:"query_file"`
	Scale                int                `json:"scale"`
	Conns                int                `json:"conns"`
	LoadSeconds          float64            `json:"load_seconds"`
	PGSettings           map[string]string  `json:"pg_settings"`
	Import               rate               `json:"import"`
	Rejected             int                `json:"rejected"`
	BaselineSetupSeconds float64            `json:"baseline_setup_s,omitempty"`
	Build                rate               `json:"build"`
	MemBeforeBuild       memory             `json:"memory_before_build"`
	MemAfterBuild        memory             `json:"memory_after_build"`
	MemAfterHTTP         memory             `json:"memory_after_http"`
	Runs                 map[string]summary `json:"runs"`
	Ratios               map[string]ratio   `json:"ratios_pg_over_stageindex,omitempty"`
	Groups               []groupRow         `json:"groups"`
	Notes                []string           `json:"notes,omitempty"`
	Queries              []queryRecord      `json:"queries"`
}

// rate is a count of offers done in some seconds.
type rate struct {
	Offers    int     `json:"offers"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"offers_per_s"`
}

func (r *rate) fill() {
	if r.Seconds > 0 {
		r.PerSecond = float64(r.Offers) / r.Seconds
	}
}

// ratio is PostgreSQL's figures over stageindex's; QPS is the other way
// round, so that every ratio reads "stageindex is N× better".
type ratio struct {
	P50, P95, P99, Max, QPS float64
}

// queryRecord is one query of the mix and what each system did with it:
// latencies of the first and second pass, in ms, and totals.
type queryRecord struct {
	query     benchQuery
	Q         string     `json:"q"`
	RadiusKm  float64    `json:"radius_km"`
	Track     string     `json:"track,omitempty"`
	SIMs      [2]float64 `json:"stageindex_ms"`
	SITotal   int        `json:"stageindex_total"`
	SIRelaxed bool       `json:"stageindex_relaxed,omitempty"`
	PGMs      [2]float64 `json:"pg_ms"`
	PGTotal   int        `json:"pg_total"`
}

// groupRow is the latency of one kind of query, first pass.
type groupRow struct {
	Group   string  `json:"group"`
	N       int     `json:"n"`
	SI      summary `json:"stageindex"`
	SIWarm  summary `json:"stageindex_warm"`
	PG      summary `json:"pg,omitzero"`
	P99Gain float64 `json:"p99_ratio,omitempty"`
}

// compare fills the ratios and the per-kind breakdown.
func (r *results) compare() {
	r.Ratios = map[string]ratio{}
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	rat := func(pg, si summary) ratio {
		return ratio{div(pg.P50, si.P50), div(pg.P95, si.P95), div(pg.P99, si.P99), div(pg.Max, si.Max), div(si.QPS, pg.QPS)}
	}
	if pg, ok := r.Runs[runPGCold]; ok {
		r.Ratios["1st pass"] = rat(pg, r.Runs[runSICold])
		r.Ratios["2nd pass"] = rat(r.Runs[runPGWarm], r.Runs[runSIWarm])
	}
	if pg, ok := r.Runs[loadName(runPGLoad, r.Conns)]; ok {
		r.Ratios[fmt.Sprintf("%d conns", r.Conns)] = rat(pg, r.Runs[loadName(runSIHTTP, r.Conns)])
	}
	byGroup := map[string][]int{}
	var order []string
	for i := range r.Queries {
		q := &r.Queries[i]
		q.Q, q.RadiusKm = q.query.Q, q.query.RadiusKm
		if q.query.Track != nil {
			q.Track = *q.query.Track
		}
		gs := q.query.groups()
		if q.SIRelaxed {
			gs = append(gs, "no hit: relaxed")
		}
		for _, g := range gs {
			if _, ok := byGroup[g]; !ok {
				order = append(order, g)
			}
			byGroup[g] = append(byGroup[g], i)
		}
	}
	slices.SortFunc(order, func(a, b string) int { return groupRank(a) - groupRank(b) })
	_, hasPG := r.Runs[runPGCold]
	for _, g := range order {
		row := groupRow{Group: g, N: len(byGroup[g])}
		var si, siw, pg []time.Duration
		for _, i := range byGroup[g] {
			q := r.Queries[i]
			si = append(si, dur(q.SIMs[0]))
			siw = append(siw, dur(q.SIMs[1]))
			pg = append(pg, dur(q.PGMs[0]))
		}
		row.SI, row.SIWarm = summarize(si, 0, 0), summarize(siw, 0, 0)
		if hasPG {
			row.PG = summarize(pg, 0, 0)
			row.P99Gain = div(row.PG.P99, row.SI.P99)
		}
		r.Groups = append(r.Groups, row)
	}
}

// groupRank orders the breakdown: keyword kinds, radii by size, tracks.
func groupRank(g string) int {
	switch {
	case strings.HasPrefix(g, "no keyword"):
		return 0
	case strings.HasPrefix(g, "keyword"):
		return 1 + len(g) // "keyword" before "keyword (2+ words)"
	case strings.HasPrefix(g, "radius"):
		var km float64
		fmt.Sscanf(g, "radius %g km", &km)
		return 1000 + int(km)
	case g == "no track":
		return 2000
	case strings.HasPrefix(g, "no hit"):
		return 3000
	}
	return 2001 + int(g[len(g)-1])
}

func dur(msec float64) time.Duration { return time.Duration(msec * float64(time.Millisecond)) }

// printReport writes the plain-text tables.
func printReport(w io.Writer, r *results) {
	fmt.Fprintf(w, "\nstagebench %s  %d CPUs (GOMAXPROCS %d)  %s\n", r.Date, r.CPUs, r.GOMAXPROCS, r.GoVersion)
	fmt.Fprintf(w, "corpus %s (scale %d): %d offers imported, %d searchable now\n\n", r.Corpus, r.Scale, r.Import.Offers, r.Build.Offers)
	fmt.Fprintf(w, "%-40s %6s %6s %9s %9s %9s %9s %9s\n", "", "n", "errors", "p50", "p95", "p99", "max", "qps")
	names := []string{runSICold, runSIWarm, loadName(runSIHTTP, r.Conns), runPGCold, runPGWarm, loadName(runPGLoad, r.Conns)}
	for _, n := range names {
		s, ok := r.Runs[n]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "%-40s %6d %6d %9s %9s %9s %9s %9.0f\n", n, s.N, s.Errors, fmtMs(s.P50), fmtMs(s.P95), fmtMs(s.P99), fmtMs(s.Max), s.QPS)
	}
	for _, k := range []string{"1st pass", "2nd pass", fmt.Sprintf("%d conns", r.Conns)} {
		x, ok := r.Ratios[k]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "%-40s %6s %6s %9s %9s %9s %9s %9s\n", "ratio PG/stageindex, "+k, "", "", fmtX(x.P50), fmtX(x.P95), fmtX(x.P99), fmtX(x.Max), fmtX(x.QPS))
	}
	fmt.Fprintf(w, "\nimport into PostgreSQL: %.1f s (%.0f offers/s)", r.Import.Seconds, r.Import.PerSecond)
	if r.BaselineSetupSeconds > 0 {
		fmt.Fprintf(w, "; baseline columns + indexes: %.1f s", r.BaselineSetupSeconds)
	}
	fmt.Fprintf(w, "\nbuild from PostgreSQL: %.1f s (%.0f offers/s)\n", r.Build.Seconds, r.Build.PerSecond)
	m := r.MemAfterBuild
	fmt.Fprintf(w, "memory after build (after GC): RSS %.0f MB, peak during build %.0f MB, Go heap in use %.0f MB (RSS before build %.0f MB)\n",
		m.RSS, m.HWM, m.HeapInuse, r.MemBeforeBuild.RSS)
	fmt.Fprintf(w, "memory after HTTP run: RSS %.0f MB, Go heap in use %.0f MB\n", r.MemAfterHTTP.RSS, r.MemAfterHTTP.HeapInuse)

	fmt.Fprintf(w, "\nby query kind, 1st pass (ms)      n   si p50   si p99   si max  si2 p99   pg p50   pg p99   pg max  p99 PG/si\n")
	for _, g := range r.Groups {
		fmt.Fprintf(w, "%-30s %5d %8s %8s %8s %8s %8s %8s %8s %9s\n", g.Group, g.N,
			fmtMs(g.SI.P50), fmtMs(g.SI.P99), fmtMs(g.SI.Max), fmtMs(g.SIWarm.P99),
			fmtMs(g.PG.P50), fmtMs(g.PG.P99), fmtMs(g.PG.Max), fmtX(g.P99Gain))
	}
	printSlowest(w, r)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// printSlowest lists the first pass's slowest queries of stageindex.
func printSlowest(w io.Writer, r *results) {
	idx := make([]int, len(r.Queries))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		return int((r.Queries[b].SIMs[0] - r.Queries[a].SIMs[0]) * 1000)
	})
	fmt.Fprintf(w, "\nslowest stageindex queries, 1st pass:\n")
	for _, i := range idx[:min(10, len(idx))] {
		q := r.Queries[i]
		fmt.Fprintf(w, "  #%-4d %8s (2nd %s, PG %s)  q=%q radius=%gkm track=%q total=%d%s (PG %d)\n", i+1,
			fmtMs(q.SIMs[0]), fmtMs(q.SIMs[1]), fmtMs(q.PGMs[0]), q.Q, q.RadiusKm, q.Track, q.SITotal, relaxedMark(q.SIRelaxed), q.PGTotal)
	}
}

func fmtMs(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return fmt.Sprintf("%.2fms", v)
	case v < 1000:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fs", v/1000)
}

func fmtX(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return fmt.Sprintf("%.1fx", v)
	}
	return fmt.Sprintf("%.0fx", v)
}

// write saves r as indented JSON at path, creating its directory.
func (r *results) write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("bench: results: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: results: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: results: %w", err)
	}
	return nil
}

func relaxedMark(relaxed bool) string {
	if relaxed {
		return " relaxed"
	}
	return ""
}
