package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// client is a plain net/http client keeping conns connections alive to
// one host, as a browser-facing proxy or a partner's backend would. Each
// request it sends to the API says it comes from another pupil: its
// X-Forwarded-For is the next address of 198.18.0.0/15 (RFC 2544's
// benchmarking range), which HAProxy passes on and the replicas, trusting
// their proxy, rate-limit by. Without it, the whole load would be one
// client and get 429s once past --rate-limit.
type client struct {
	*http.Client
	n atomic.Uint32
}

func newClient(conns int) *client {
	return &client{Client: &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        2 * conns,
			MaxIdleConnsPerHost: 2 * conns,
			IdleConnTimeout:     90 * time.Second,
		},
	}}
}

// request is a GET of u from the next pupil's address.
func (c *client) request(ctx context.Context, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	n := c.n.Add(1) & (1<<17 - 1)
	req.Header.Set("X-Forwarded-For", netip.AddrFrom4([4]byte{198, 18 + byte(n>>16), byte(n >> 8), byte(n)}).String())
	return req, nil
}

// loadResult is what a load run saw at the client.
type loadResult struct {
	Requests int            `json:"requests"`
	Failed   int            `json:"failed"`
	Failures map[string]int `json:"failures,omitempty"` // by error text (status or transport error)
	FailedAt []float64      `json:"failed_at_s,omitempty"`
	WallS    float64        `json:"wall_s"`
	QPS      float64        `json:"qps"`
	P50ms    float64        `json:"p50_ms"`
	P95ms    float64        `json:"p95_ms"`
	P99ms    float64        `json:"p99_ms"`
	MaxMs    float64        `json:"max_ms"`
	// FirstPassP99ms and RepeatP99ms split p99 between the requests of
	// the first pass over the mix (each query's first time: its text
	// matches are not cached yet) and the repeats, which the first pass'
	// 1,000 cold searches otherwise dominate at 1% of a 20 s run.
	FirstPassP99ms float64 `json:"first_pass_p99_ms"`
	RepeatP99ms    float64 `json:"repeat_p99_ms"`
	latencies      []time.Duration
	first, repeat  []time.Duration
}

// runLoad sends the queries of qs in turn from conns connections to base
// for dur, each connection starting at its own offset in the mix. A
// request fails on a transport error, a status other than 200 or a body
// cut short. gzip false sends no Accept-Encoding. Requests are never cancelled by the run ending: the last ones
// finish (10 s client timeout).
func runLoad(base string, qs []query, conns int, dur time.Duration, gzip bool) loadResult {
	client := newClient(conns)
	// Like a browser, the client asks for gzip (Go's Transport does, and
	// decompresses) unless told not to.
	client.Transport.(*http.Transport).DisableCompression = !gzip
	defer client.CloseIdleConnections()
	paths := make([]string, len(qs))
	for i, q := range qs {
		paths[i] = base + q.Path(perPage)
	}
	start := time.Now()
	end := start.Add(dur)
	var mu sync.Mutex
	res := loadResult{Failures: map[string]int{}}
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			var lat, first, repeat []time.Duration
			fails := map[string]int{}
			from := w * len(paths) / conns
			pass := (w+1)*len(paths)/conns - from
			var failedAt []float64
			for i := from; time.Now().Before(end); i++ {
				t0 := time.Now()
				err := client.get(paths[i%len(paths)])
				d := time.Since(t0)
				lat = append(lat, d)
				if i-from < pass {
					first = append(first, d)
				} else {
					repeat = append(repeat, d)
				}
				if err != nil {
					fails[err.Error()]++
					failedAt = append(failedAt, t0.Sub(start).Seconds())
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.latencies = append(res.latencies, lat...)
			res.first = append(res.first, first...)
			res.repeat = append(res.repeat, repeat...)
			for k, v := range fails {
				res.Failures[k] += v
				res.Failed += v
			}
			res.FailedAt = append(res.FailedAt, failedAt...)
		})
	}
	wg.Wait()
	wall := time.Since(start)
	slices.Sort(res.latencies)
	slices.Sort(res.FailedAt)
	res.Requests = len(res.latencies)
	res.WallS = wall.Seconds()
	res.QPS = float64(res.Requests) / wall.Seconds()
	res.P50ms, res.P95ms = ms(percentile(res.latencies, 50)), ms(percentile(res.latencies, 95))
	res.P99ms, res.MaxMs = ms(percentile(res.latencies, 99)), ms(percentile(res.latencies, 100))
	slices.Sort(res.first)
	slices.Sort(res.repeat)
	res.FirstPassP99ms, res.RepeatP99ms = ms(percentile(res.first, 99)), ms(percentile(res.repeat, 99))
	return res
}

// get fetches u and reads the whole body; any outcome but a complete 200
// is an error.
func (c *client) get(u string) error {
	req, err := c.request(context.Background(), u)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if ue, ok := err.(*url.Error); ok {
		return ue.Err // without the URL: failures are counted by kind
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return err
}

// percentile is the nearest-rank p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// getJSON decodes the JSON answer of a GET that must be a 200.
func (c *client) getJSON(ctx context.Context, u string, v any) error {
	req, err := c.request(ctx, u)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
