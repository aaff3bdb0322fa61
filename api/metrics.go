package api

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stageindex/stageindex"
)

// metrics are kept by hand in the Prometheus text format: a handful of
// counters and one histogram do not justify a client library.
type metrics struct {
	mu       sync.Mutex
	requests map[reqKey]int64
	// durations is the request duration histogram of each route, counts
	// per bucket of durationBuckets (seconds), then the sum.
	durations map[string]*histogram
	callers   map[string]int64
	buckets   []float64 // search took_ms upper bounds
	counts    []int64
	sum       float64
	n         int64
	access    accessMetrics // limits and keys, metrics_keys.go
	// idleClosed counts connections closed unanswered after sending
	// nothing within the read timeout.
	idleClosed atomic.Int64
}

// durationBuckets are the upper bounds, in seconds, of request durations.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

type histogram struct {
	counts []int64 // by bucket, not cumulative
	sum    float64
	n      int64
}

type reqKey struct {
	route  string
	status int
}

func newMetrics() *metrics {
	b := []float64{0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250}
	return &metrics{requests: map[reqKey]int64{}, durations: map[string]*histogram{}, callers: map[string]int64{}, buckets: b, counts: make([]int64, len(b))}
}

// observe counts one request of route (a route pattern: a bounded set).
func (m *metrics) observe(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{route, status}]++
	h := m.durations[route]
	if h == nil {
		h = &histogram{counts: make([]int64, len(durationBuckets))}
		m.durations[route] = h
	}
	sec := d.Seconds()
	for i, ub := range durationBuckets {
		if sec <= ub {
			h.counts[i]++
			break
		}
	}
	h.sum += sec
	h.n++
}

// search records one search's duration and its integrating site; the number
// of distinct callers is capped so that a client cannot grow it unbounded.
func (m *metrics) search(caller string, tookMs float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, b := range m.buckets {
		if tookMs <= b {
			m.counts[i]++
		}
	}
	m.sum += tookMs / 1000
	m.n++
	if caller == "" {
		caller = "(none)"
	}
	if _, ok := m.callers[caller]; ok || len(m.callers) < 500 {
		m.callers[caller]++
	} else {
		m.callers["(other)"]++
	}
}

func (s *Server) serveMetrics(c *fiber.Ctx) error {
	var b strings.Builder
	m := s.metrics
	m.mu.Lock()
	b.WriteString("# HELP stageindex_http_requests_total HTTP requests by route and status.\n# TYPE stageindex_http_requests_total counter\n")
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].route < keys[j].route || keys[i].route == keys[j].route && keys[i].status < keys[j].status
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "stageindex_http_requests_total{route=%q,status=\"%d\"} %d\n", k.route, k.status, m.requests[k])
	}
	b.WriteString("# HELP stageindex_http_request_duration_seconds Time to answer a request, by route.\n# TYPE stageindex_http_request_duration_seconds histogram\n")
	routes := make([]string, 0, len(m.durations))
	for r := range m.durations {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		h := m.durations[r]
		var cum int64
		for i, ub := range durationBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "stageindex_http_request_duration_seconds_bucket{route=%q,le=\"%g\"} %d\n", r, ub, cum)
		}
		fmt.Fprintf(&b, "stageindex_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", r, h.n)
		fmt.Fprintf(&b, "stageindex_http_request_duration_seconds_sum{route=%q} %g\nstageindex_http_request_duration_seconds_count{route=%q} %d\n", r, h.sum, r, h.n)
	}
	b.WriteString("# HELP stageindex_search_duration_seconds Time spent in the search core.\n# TYPE stageindex_search_duration_seconds histogram\n")
	for i, ub := range m.buckets {
		fmt.Fprintf(&b, "stageindex_search_duration_seconds_bucket{le=\"%g\"} %d\n", ub/1000, m.counts[i])
	}
	fmt.Fprintf(&b, "stageindex_search_duration_seconds_bucket{le=\"+Inf\"} %d\n", m.n)
	fmt.Fprintf(&b, "stageindex_search_duration_seconds_sum %g\nstageindex_search_duration_seconds_count %d\n", m.sum, m.n)
	b.WriteString("# HELP stageindex_searches_by_caller_total Searches by integrating site (caller parameter).\n# TYPE stageindex_searches_by_caller_total counter\n")
	callers := make([]string, 0, len(m.callers))
	for k := range m.callers {
		callers = append(callers, k)
	}
	sort.Strings(callers)
	for _, k := range callers {
		fmt.Fprintf(&b, "stageindex_searches_by_caller_total{caller=%q} %d\n", k, m.callers[k])
	}
	m.mu.Unlock()
	m.access.write(&b)
	fmt.Fprintf(&b, "# HELP stageindex_http_idle_closed_total Connections closed unanswered for sending nothing within the read timeout.\n# TYPE stageindex_http_idle_closed_total counter\nstageindex_http_idle_closed_total %d\n", m.idleClosed.Load())
	fmt.Fprintf(&b, "# HELP stageindex_log_lines_dropped_total Lines about refused requests not written, past the sampled rate of %d a second.\n# TYPE stageindex_log_lines_dropped_total counter\nstageindex_log_lines_dropped_total %d\n", rejectLogRate, s.rejects.droppedTotal())
	// The search core's caches, when the Searcher reports them, and the
	// kept pages.
	stats := map[string]stageindex.CacheStat{}
	if cs, ok := s.opts.Searcher.(interface {
		CacheStats() map[string]stageindex.CacheStat
	}); ok {
		stats = cs.CacheStats()
	}
	if s.pages != nil {
		stats["pages"] = s.pages.pages.Stat()
	}
	if len(stats) > 0 {
		names := make([]string, 0, len(stats))
		for n := range stats {
			names = append(names, n)
		}
		sort.Strings(names)
		b.WriteString("# HELP stageindex_cache_requests_total Lookups of the search caches, by result.\n# TYPE stageindex_cache_requests_total counter\n")
		for _, n := range names {
			fmt.Fprintf(&b, "stageindex_cache_requests_total{cache=%q,result=\"hit\"} %d\nstageindex_cache_requests_total{cache=%q,result=\"miss\"} %d\n", n, stats[n].Hits, n, stats[n].Misses)
		}
		b.WriteString("# HELP stageindex_cache_evictions_total Entries evicted from the search caches.\n# TYPE stageindex_cache_evictions_total counter\n")
		for _, n := range names {
			fmt.Fprintf(&b, "stageindex_cache_evictions_total{cache=%q} %d\n", n, stats[n].Evictions)
		}
		b.WriteString("# HELP stageindex_cache_bytes Estimated bytes held by the search caches (budget in stageindex_cache_budget_bytes).\n# TYPE stageindex_cache_bytes gauge\n")
		for _, n := range names {
			fmt.Fprintf(&b, "stageindex_cache_bytes{cache=%q} %d\nstageindex_cache_budget_bytes{cache=%q} %d\n", n, stats[n].Bytes, n, stats[n].Budget)
		}
	}
	if s.opts.Status != nil {
		st := s.opts.Status()
		ready := 0
		if s.opts.Searcher.Ready() && !st.CatchingUp {
			ready = 1
		}
		connected := 0
		if st.Connected {
			connected = 1
		}
		fmt.Fprintf(&b, "# TYPE stageindex_ready gauge\nstageindex_ready %d\n", ready)
		fmt.Fprintf(&b, "# TYPE stageindex_offers gauge\nstageindex_offers %d\n", st.Offers)
		fmt.Fprintf(&b, "# TYPE stageindex_db_connected gauge\nstageindex_db_connected %d\n", connected)
		fmt.Fprintf(&b, "# HELP stageindex_sync_lag_seconds Age of the oldest change not yet searchable.\n# TYPE stageindex_sync_lag_seconds gauge\nstageindex_sync_lag_seconds %g\n", st.LagSeconds)
		if !st.LastSync.IsZero() {
			fmt.Fprintf(&b, "# TYPE stageindex_sync_last_success_timestamp_seconds gauge\nstageindex_sync_last_success_timestamp_seconds %d\n", st.LastSync.Unix())
		}
		fmt.Fprintf(&b, "# TYPE stageindex_sync_changes_applied_total counter\nstageindex_sync_changes_applied_total %d\n", st.ChangesApplied)
		fmt.Fprintf(&b, "# TYPE stageindex_rebuild_duration_seconds gauge\nstageindex_rebuild_duration_seconds %g\n", st.RebuildSeconds)
		fmt.Fprintf(&b, "# HELP stageindex_source_invalid_rows Rows of the source view left out for breaking the offer rules, when last read.\n# TYPE stageindex_source_invalid_rows gauge\nstageindex_source_invalid_rows %d\n", st.InvalidRows)
		fmt.Fprintf(&b, "# HELP stageindex_source_rows_skipped_total Rows of the source view found breaking the offer rules (each version of a row once).\n# TYPE stageindex_source_rows_skipped_total counter\nstageindex_source_rows_skipped_total %d\n", st.RowsSkipped)
	}
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	return c.SendString(b.String())
}
