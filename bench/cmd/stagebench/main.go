// Command stagebench measures stageindex against the PostgreSQL search it
// replaces, in one run on one machine: it starts a throwaway PostgreSQL with
// PostGIS, imports the benchmark corpus with the project's importer, replays
// the query mix the monstage way (internal/baseline), builds the search
// index from PostgreSQL, replays the mix in-process (a cold first pass, then
// a warm one) and over HTTP with concurrent connections, and prints the
// latency percentiles, throughput and ratios side by side.
//
//	go run ./bench/cmd/stagebench [-scale 1000000] [-pg-baseline=false]
//
// Results are also written as JSON to -out. See docs/performance.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/stageindex/stageindex/bench/internal/scaled"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/indexer/importer"
	"github.com/stageindex/stageindex/internal/memlimit"
)

// config is the command line.
type config struct {
	corpus, queries string
	scale           int
	conns           int
	duration        time.Duration
	pgBaseline      bool
	pgLoad          bool
	out             string
	cpuProfile      string
	memProfile      string
	warm            bool
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func main() {
	var cfg config
	flag.StringVar(&cfg.corpus, "corpus", envOr("STAGEBENCH_CORPUS", "../shared/bench/offers-100k.jsonl.gz"), "offers in the interchange format, gzipped or not (env STAGEBENCH_CORPUS)")
	flag.StringVar(&cfg.queries, "queries", envOr("STAGEBENCH_QUERIES", "../shared/bench/queries-1k.jsonl"), "query mix, one JSON object per line (env STAGEBENCH_QUERIES)")
	flag.IntVar(&cfg.scale, "scale", 0, "offers to load: 0 is the corpus as is; more adds copies with jittered ids and coordinates")
	flag.IntVar(&cfg.conns, "conns", 32, "concurrent connections of the HTTP and PostgreSQL load runs")
	flag.DurationVar(&cfg.duration, "duration", 20*time.Second, "length of each concurrent load run")
	flag.BoolVar(&cfg.pgBaseline, "pg-baseline", true, "measure the monstage-style PostgreSQL search too")
	flag.BoolVar(&cfg.pgLoad, "pg-load", true, "run the PostgreSQL search under concurrent load too")
	flag.StringVar(&cfg.out, "out", "bench/results", "directory for the JSON results; empty writes none")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the HTTP run to this file")
	flag.StringVar(&cfg.memProfile, "memprofile", "", "write an allocation profile of the HTTP run to this file")
	flag.BoolVar(&cfg.warm, "warm", true, "warm the text cache with the thesaurus' popular jobs before the passes, as serve does after each load (false: a cold start)")
	flag.Parse()
	if flag.NArg() > 0 || cfg.conns < 1 || cfg.duration <= 0 || cfg.scale < 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "stagebench:", err)
		os.Exit(1)
	}
}

// step logs progress on stderr, so that stdout is the report alone.
func step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, cfg config, stdout io.Writer) error {
	f, err := os.Open(cfg.queries)
	if err != nil {
		return fmt.Errorf("queries: %w", err)
	}
	qs, err := parseQueries(f)
	f.Close()
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.corpus); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	host, _ := os.Hostname()
	res := &results{
		Date: time.Now().UTC().Format(time.RFC3339), Host: host, GoVersion: runtime.Version(),
		CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Corpus: cfg.corpus,
		QueryFile: cfg.queries, Scale: cfg.scale, Conns: cfg.conns, LoadSeconds: cfg.duration.Seconds(),
		Runs: map[string]summary{}, Queries: make([]queryRecord, len(qs)),
	}
	for i := range qs {
		res.Queries[i].query = qs[i]
	}

	res.Notes = append(res.Notes, "load average at start: "+loadAvg())
	step("starting PostgreSQL")
	pg, err := startPG(ctx, cfg.conns)
	if err != nil {
		return err
	}
	defer pg.close()
	if res.PGSettings, err = pg.settings(ctx); err != nil {
		return err
	}
	step("importing %s (scale %d)", cfg.corpus, cfg.scale)
	in := scaled.Open(ctx, cfg.corpus, cfg.scale)
	rep, err := importer.New(pg.pool).Import(ctx, in, importer.Options{})
	in.Close()
	if err != nil {
		return err
	}
	res.Import = rate{Offers: rep.Inserted + rep.Updated + rep.Unchanged, Seconds: rep.Elapsed.Seconds()}
	res.Import.fill()
	res.Rejected = rep.Rejected
	step("imported %d offers in %.1f s (%d rejected)", res.Import.Offers, res.Import.Seconds, rep.Rejected)

	if cfg.pgBaseline {
		if err := runBaseline(ctx, cfg, pg, qs, res); err != nil {
			return err
		}
	} else {
		res.Notes = append(res.Notes, "PostgreSQL baseline skipped (-pg-baseline=false)")
	}
	if _, err := pg.vacuum(ctx); err != nil {
		return err
	}

	// As serve does once its index is loaded: a soft memory limit that
	// follows the live heap.
	go memlimit.Run(ctx, memlimit.Interval, nil)
	// One gazetteer for the index and the API, as serve has.
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		return err
	}
	ix, err := buildIndex(ctx, pg, gaz, res)
	if err != nil {
		return err
	}
	defer ix.Close()
	// Nothing reads PostgreSQL any more: stop it so that its background
	// workers take no CPU from the measurements.
	if err := pg.close(); err != nil {
		return err
	}

	if cfg.warm {
		// What serve's search.Live{Warm: true} does in the background after
		// each load; here it is waited for, so that it does not compete
		// with the measurements. The query file plays no part in it.
		start := time.Now()
		queries := ix.WarmQueries()
		if err := ix.Warm(ctx, queries); err != nil {
			return err
		}
		res.Notes = append(res.Notes, fmt.Sprintf("text cache warmed with the thesaurus' %d most popular jobs and fields in %.1f s before the passes (-warm=false: cold start)", len(queries), time.Since(start).Seconds()))
	} else {
		res.Notes = append(res.Notes, "cold start: text cache empty before the 1st pass (-warm=false)")
	}
	if err := runInProcess(ctx, ix, qs, res); err != nil {
		return err
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	if cfg.memProfile != "" {
		// The allocation profile counts from the start: the HTTP run's share
		// is `go tool pprof -base <file>.base <file>`.
		if err := writeAllocs(cfg.memProfile + ".base"); err != nil {
			return err
		}
	}
	err = runHTTP(ctx, cfg, ix, gaz, qs, res)
	if cfg.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	if cfg.memProfile != "" {
		if err := writeAllocs(cfg.memProfile); err != nil {
			return err
		}
	}
	res.compare()
	res.Notes = append(res.Notes, "load average at end: "+loadAvg())
	printReport(stdout, res)
	if cfg.out != "" {
		name := time.Now().Format("2006-01-02")
		if cfg.scale > 0 {
			name += fmt.Sprintf("-scale%d", cfg.scale)
		}
		path := filepath.Join(cfg.out, name+".json")
		if err := res.write(path); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nraw results: %s\n", path)
	}
	return nil
}

// quietLogger drops the API's request logs: a load run would print
// thousands of lines.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// loadAvg is /proc/loadavg's 1, 5 and 15 minute figures: other work on the
// machine during a run shows there.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// writeAllocs writes the allocation profile as of the last GC, after one.
func writeAllocs(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
