package api

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// accessMetrics count what the limits and the keys do: requests by partner
// key name, refusals by reason, 429s by bucket kind. Key names come from
// the database, a bounded set; reasons and kinds are ours.
type accessMetrics struct {
	mu       sync.Mutex
	partners map[string]int64
	authFail map[string]int64
	limited  map[string]int64
}

// maxPartnerSeries caps the per-key series, should the keys table grow
// past what a dashboard can show.
const maxPartnerSeries = 1000

func (m *metrics) partner(name string) {
	a := &m.access
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.partners == nil {
		a.partners = map[string]int64{}
	}
	if _, ok := a.partners[name]; !ok && len(a.partners) >= maxPartnerSeries {
		name = "(other)"
	}
	a.partners[name]++
}

func (m *metrics) authFailed(reason string) {
	a := &m.access
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.authFail == nil {
		a.authFail = map[string]int64{}
	}
	a.authFail[reason]++
}

func (m *metrics) limited(kind string) {
	a := &m.access
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.limited == nil {
		a.limited = map[string]int64{}
	}
	a.limited[kind]++
}

func (a *accessMetrics) write(b *strings.Builder) {
	a.mu.Lock()
	defer a.mu.Unlock()
	series := func(name, help, label string, m map[string]int64) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(b, "%s{%s=%q} %d\n", name, label, k, m[k])
		}
	}
	series("stageindex_partner_requests_total", "API requests by partner key name.", "key", a.partners)
	series("stageindex_auth_failures_total", "Requests refused for their Authorization header, by reason.", "reason", a.authFail)
	series("stageindex_rate_limited_total", "Requests refused by a rate limit, by bucket (ip or key).", "bucket", a.limited)
}
