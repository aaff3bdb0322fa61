package api

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/stageindex/stageindex"
)

// Limits are the per-client limits of /api/v1. The zero value of a field
// takes its default.
type Limits struct {
	// Rate is the sustained requests per second of one client address
	// (a token bucket); Burst how many it may send at once. A negative
	// Rate disables the limit.
	Rate  float64
	Burst int
	// MaxClients bounds the addresses whose bucket is remembered, least
	// recently seen forgotten first: memory stays bounded whatever the
	// number of clients. A forgotten client starts again with a full bucket.
	MaxClients int
	// MaxConnsPerIP caps the TCP connections one socket address holds
	// open; a negative value disables the cap. Behind a reverse proxy the
	// proxy is that address: set it above the proxy's upstream pool.
	MaxConnsPerIP int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed: the client is then the first untrusted address of the
	// header, read from the right. Without them the header is ignored.
	TrustedProxies []netip.Prefix
	// MaxExports bounds the exports running at once, server-wide: each
	// reads every matching offer, a second or so of a core at 100k.
	MaxExports int
}

// Default limits, sized in docs/api.md from what the search page sends:
// 35 pupils of a collège behind its one address, typing and searching at
// the same time, stay under them.
const (
	DefaultRate          = 100
	DefaultBurst         = 200
	DefaultMaxClients    = 100000
	DefaultMaxConnsPerIP = 256
	DefaultMaxExports    = 2
	// exportCost is what an export takes from its client's bucket: it
	// costs the server what a few hundred searches do.
	exportCost = 10
)

func (l Limits) withDefaults() Limits {
	if l.Rate == 0 {
		l.Rate = DefaultRate
	}
	if l.Burst <= 0 {
		l.Burst = max(1, int(math.Ceil(2*l.Rate)))
		if l.Rate == DefaultRate {
			l.Burst = DefaultBurst
		}
	}
	if l.MaxClients <= 0 {
		l.MaxClients = DefaultMaxClients
	}
	if l.MaxConnsPerIP == 0 {
		l.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if l.MaxExports <= 0 {
		l.MaxExports = DefaultMaxExports
	}
	return l
}

// limiter keeps one token bucket per client: golang.org/x/time/rate's
// Limiter, in a bounded LRU cache (hashicorp/golang-lru). What is written
// by hand here is only the choice of the client and the headers.
type limiter struct {
	cfg     Limits
	buckets *lru.Cache[string, *rate.Limiter]
	hold    time.Duration // how long a 429 waits before it is sent
}

// refusalHold is how long a 429 is held before it is sent.
const refusalHold = 500 * time.Millisecond

func newLimiter(cfg Limits) *limiter {
	c, err := lru.New[string, *rate.Limiter](cfg.MaxClients)
	if err != nil {
		panic(err) // only for a size ≤ 0, which withDefaults rules out
	}
	return &limiter{cfg: cfg, buckets: c, hold: refusalHold}
}

// policy is a bucket's name and size, as RateLimit-Policy states it.
type policy struct {
	name  string
	rate  float64
	burst int
}

// bucket returns the bucket of key, creating it full.
func (l *limiter) bucket(key string, p policy) *rate.Limiter {
	if b, ok := l.buckets.Get(key); ok {
		return b
	}
	b := rate.NewLimiter(rate.Limit(p.rate), p.burst)
	if prev, ok, _ := l.buckets.PeekOrAdd(key, b); ok {
		return prev // another request of the same client created it first
	}
	return b
}

// rateLimit takes a token (exportCost for an export) from the client's
// bucket, or answers 429. A partner key has its own bucket, sized by the
// key; everyone else shares the bucket of their address.
func (s *Server) rateLimit(c *fiber.Ctx) error {
	if s.limiter == nil {
		return c.Next()
	}
	key, p := "ip:"+s.clientIP(c).String(), policy{"ip", s.limiter.cfg.Rate, s.limiter.cfg.Burst}
	if pt := partnerOf(c); pt != nil {
		key, p = "key:"+pt.Name, policy{"key", pt.Rate, pt.Burst}
	}
	cost := 1
	if strings.HasSuffix(c.Path(), "/export") {
		cost = min(exportCost, p.burst)
	}
	b := s.limiter.bucket(key, p)
	now := time.Now()
	r := b.ReserveN(now, cost)
	wait := r.DelayFrom(now)
	if wait > 0 {
		r.CancelAt(now)
	}
	tokens := b.TokensAt(now)
	c.Set("RateLimit-Policy", p.header())
	// t: seconds until the bucket is full again, the draft's "reset".
	full := math.Ceil((float64(p.burst) - tokens) / p.rate)
	c.Set("RateLimit", `"`+p.name+`";r=`+strconv.Itoa(max(0, int(tokens)))+";t="+strconv.Itoa(max(0, int(full))))
	if wait > 0 {
		s.metrics.limited(p.name)
		// A refusal is held a moment before it is sent: a client that
		// waits for Retry-After loses nothing, one that ignores it gets
		// at most MaxConnsPerIP/refusalHold answers a second, instead of
		// the thousands of 429s a second that would take the server's CPU
		// from everyone else (docs/api.md, the load run).
		time.Sleep(s.limiter.hold)
		secs := max(1, int(math.Ceil(wait.Seconds())))
		c.Set("Retry-After", strconv.Itoa(secs))
		return &stageindex.Error{Code: stageindex.ELIMITED, Message: "too many requests",
			Params: []stageindex.ParamError{{Code: stageindex.CodeRateLimited,
				Message: "too many requests from this client: retry in " + strconv.Itoa(secs) + " s",
				Args:    map[string]any{"seconds": secs, "rate": p.rate, "burst": p.burst}}}}
	}
	return c.Next()
}

// header is the policy as draft-ietf-httpapi-ratelimit-headers states it:
// a quota q per window w. A token bucket of burst B refilled at R/s lets
// through B at once, then R per second: q=B, w=B/R.
func (p policy) header() string {
	w := max(1, int(math.Round(float64(p.burst)/p.rate)))
	return `"` + p.name + `";q=` + strconv.Itoa(p.burst) + ";w=" + strconv.Itoa(w)
}

// clientIP is the address whose bucket a request draws from.
func (s *Server) clientIP(c *fiber.Ctx) netip.Addr {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	if s.limiter == nil || len(s.limiter.cfg.TrustedProxies) == 0 {
		return peer.Unmap()
	}
	return clientAddr(peer, c.Request().Header.PeekAll(fiber.HeaderXForwardedFor), s.limiter.cfg.TrustedProxies)
}

// clientAddr is peer, the socket's address, or, when that is a trusted
// proxy, the first address of X-Forwarded-For (xff, its lines in order)
// that is not a trusted proxy, reading from the right: each proxy appends
// the address it got the request from, and what lies left of the last
// trusted entry came from the client and proves nothing. Written by hand:
// Fiber's ProxyHeader takes the leftmost address, which any client sets.
func clientAddr(peer netip.Addr, xff [][]byte, trusted []netip.Prefix) netip.Addr {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	peer = peer.Unmap()
	if !isTrusted(peer) {
		return peer
	}
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(string(xff[i]), ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				// A trusted proxy passed on something that is not an
				// address: the last proxy is the client we know.
				return peer
			}
			if a = a.Unmap(); !isTrusted(a) {
				return a
			}
			peer = a
		}
	}
	return peer
}

// ParseTrustedProxies reads a comma-separated list of CIDRs or addresses
// (an address alone is a /32 or /128).
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, stageindex.Errorf(stageindex.EINVALID, "trusted proxy %q is not an address or a CIDR", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, stageindex.Errorf(stageindex.EINVALID, "trusted proxy %q is not an address or a CIDR", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
