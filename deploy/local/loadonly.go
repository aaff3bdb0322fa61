package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/stageindex/stageindex/bench/querymix"

	"github.com/jackc/pgx/v5"
)

// loadOnlyReport is a load run against a server started by someone else
// (`load`): a `serve` with a 1M data dir takes minutes to build, so it is
// built once and loaded as many times as needed.
type loadOnlyReport struct {
	Started     time.Time     `json:"started"`
	URL         string        `json:"url"`
	QueriesFile string        `json:"queries_file,omitempty"`
	Queries     int           `json:"queries"`
	Gzip        bool          `json:"gzip"`
	LoadAvg     [2]string     `json:"load_average_start_end"`
	BeforeMB    [2]float64    `json:"rss_mb_before_cur_peak,omitempty"`
	Runs        []capacityRun `json:"runs"`
}

// runLoadOnly loads the server at base with each level of conns in turn.
// The queries come from path, or are made from the offers of the database
// at $DATABASE_URL: mix of them, made as `capacity` makes its 1,000.
func runLoadOnly(ctx context.Context, base string, pid int, path string, mix int, conns []int, dur time.Duration, gzip bool) (loadOnlyReport, error) {
	rep := loadOnlyReport{Started: time.Now().UTC(), URL: base, QueriesFile: path, Gzip: gzip}
	if base == "" {
		return rep, errors.New("load: -url is required")
	}
	var qs []query
	var err error
	if path != "" {
		qs, err = querymix.Read(path)
	} else {
		qs, err = queriesFromDatabase(ctx, os.Getenv("DATABASE_URL"), mix)
	}
	if err != nil {
		return rep, err
	}
	rep.Queries = len(qs)
	if pid > 0 {
		cur, peak, err := rss(pid)
		if err != nil {
			return rep, fmt.Errorf("load: -pid: %w", err)
		}
		rep.BeforeMB = [2]float64{cur, peak}
	}
	for _, c := range conns {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		run := capacityRun{Conns: c, Load: runLoad(base, qs, c, dur, gzip)}
		if pid > 0 {
			if cur, peak, err := rss(pid); err == nil {
				run.AfterMB = [2]float64{cur, peak}
			}
		}
		rep.Runs = append(rep.Runs, run)
	}
	return rep, nil
}

// queriesFromDatabase makes the query mix from the offers at dsn.
func queriesFromDatabase(ctx context.Context, dsn string, n int) ([]query, error) {
	if dsn == "" {
		return nil, errors.New("load: no -queries and no DATABASE_URL to make them from")
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `SET search_path = stageindex, public`); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return queriesFromOffers(ctx, conn, n)
}

// printLoadOnly writes the runs as a table.
func printLoadOnly(rep loadOnlyReport) {
	fmt.Printf("load of %s, %d queries, gzip %v, load average %s → %s\n", rep.URL, rep.Queries, rep.Gzip, rep.LoadAvg[0], rep.LoadAvg[1])
	for _, r := range rep.Runs {
		l := r.Load
		fmt.Printf("  %2d conns: %d requests, %d failed, %.0f q/s, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms (first pass %.2f, repeats %.2f), max %.2f ms", r.Conns, l.Requests, l.Failed, l.QPS, l.P50ms, l.P95ms, l.P99ms, l.FirstPassP99ms, l.RepeatP99ms, l.MaxMs)
		if r.AfterMB[0] > 0 {
			fmt.Printf(", RSS %.0f MB (peak %.0f)", r.AfterMB[0], r.AfterMB[1])
		}
		fmt.Println()
	}
}
