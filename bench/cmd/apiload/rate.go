package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// rate sends GET -path to a running server from -conns connections as
// fast as they are answered for -duration, and prints the requests per
// second, the latency percentiles and the answers that were not 200: the
// throughput of one endpoint (issue 15: /api/v1/stats ≥ 5,000/s). Run
// the server with --rate-limit -1, or the limiter is what is measured.
func rate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("rate", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "the server")
	path := fs.String("path", "/api/v1/stats", "what to request")
	conns := fs.Int("conns", 32, "connections")
	duration := fs.Duration("duration", 10*time.Second, "length of the run")
	fs.Parse(args)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	var (
		mu      sync.Mutex
		lat     []time.Duration
		other   atomic.Int64
		failed  atomic.Int64
		wg      sync.WaitGroup
		started = time.Now()
	)
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				t := time.Now()
				resp, err := client.Get(*base + *path)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					other.Add(1)
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(started)
	if len(lat) == 0 {
		return fmt.Errorf("rate: no answer from %s", *base+*path)
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Fprintf(out, "%s, %d connections, %s: %d requests, %.0f/s; p50 %s p99 %s max %s; not 200: %d; failed: %d\n",
		*path, *conns, elapsed.Round(time.Millisecond), len(lat), float64(len(lat))/elapsed.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond),
		other.Load(), failed.Load())
	return nil
}
