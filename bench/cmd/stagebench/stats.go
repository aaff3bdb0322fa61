package main

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted latencies: the smallest value with at least p% of them at or
// below it. It returns 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// summary describes one series of timed operations, latencies in ms.
type summary struct {
	N      int     `json:"n"`
	Errors int     `json:"errors"`
	P50    float64 `json:"p50_ms"`
	P95    float64 `json:"p95_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
	Mean   float64 `json:"mean_ms"`
	QPS    float64 `json:"qps"`
	WallS  float64 `json:"wall_s"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// summarize computes the summary of lat, measured over wall time (the
// elapsed time of the whole run, for queries per second).
func summarize(lat []time.Duration, wall time.Duration, errors int) summary {
	s := slices.Clone(lat)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	out := summary{N: len(s), Errors: errors, WallS: wall.Seconds(),
		P50: ms(percentile(s, 50)), P95: ms(percentile(s, 95)), P99: ms(percentile(s, 99))}
	if len(s) > 0 {
		out.Max, out.Mean = ms(s[len(s)-1]), ms(sum)/float64(len(s))
	}
	if wall > 0 {
		out.QPS = float64(len(s)) / wall.Seconds()
	}
	return out
}

// pass runs do once for each of n queries in order, one at a time, and
// returns each one's latency (by query index) and the first error.
func pass(ctx context.Context, n int, do func(ctx context.Context, i int) error) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, n)
	start := time.Now()
	for i := range n {
		t := time.Now()
		if err := do(ctx, i); err != nil {
			return nil, 0, err
		}
		lat[i] = time.Since(t)
	}
	return lat, time.Since(start), nil
}

// loadResult is what a concurrent run measured.
type loadResult struct {
	lat      []time.Duration
	wall     time.Duration
	errors   int
	firstErr error
}

// load runs do from conns workers for d, each taking the next query of
// the n in turn, and records every latency. Operations that fail are
// counted, not timed.
func load(ctx context.Context, conns int, d time.Duration, n int, do func(ctx context.Context, i int) error) loadResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var res loadResult
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var errs int
			var first error
			for ctx.Err() == nil {
				i := int(next.Add(1)-1) % n
				t := time.Now()
				err := do(ctx, i)
				if ctx.Err() != nil {
					break // cut short by the deadline: neither a latency nor an error
				}
				if err != nil {
					errs++
					if first == nil {
						first = err
					}
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			res.errors += errs
			if res.firstErr == nil {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.wall = time.Since(start)
	return res
}
