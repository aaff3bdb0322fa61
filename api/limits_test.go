package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// serverWith is a server over the shared test index with other options.
func serverWith(t *testing.T, mutate func(o *Options)) *Server {
	t.Helper()
	newTestServerF(t)
	opts := shared.opts
	mutate(&opts)
	return New(opts)
}

// do sends a request with headers ("Name: value") and returns the response
// with its body read.
func do(t *testing.T, s *Server, target string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	resp, err := s.App().Test(req, 60000) // a loaded machine under -race is slow
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestRateLimitAnswers429(t *testing.T) {
	s := serverWith(t, func(o *Options) { o.Limits = Limits{Rate: 0.5, Burst: 3} })
	for i := 0; i < 3; i++ {
		resp, body := do(t, s, "/api/v1/offers?where=22000")
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
		if got, want := resp.Header.Get("RateLimit-Policy"), `"ip";q=3;w=6`; got != want {
			t.Errorf("RateLimit-Policy %q, want %q", got, want)
		}
		if got, want := resp.Header.Get("RateLimit"), fmt.Sprintf(`"ip";r=%d;`, 2-i); !strings.HasPrefix(got, want) {
			t.Errorf("request %d: RateLimit %q, want %q…", i, got, want)
		}
	}
	resp, body := do(t, s, "/api/v1/suggest?q=boulanger")
	if resp.StatusCode != 429 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("over the burst: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra < 1 || ra > 2 {
		t.Errorf("Retry-After %q, want 1 or 2 s at 0.5/s", resp.Header.Get("Retry-After"))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a 429 has Cache-Control %q", cc)
	}
	var p problem
	json.Unmarshal(body, &p)
	if p.Status != 429 || len(p.Errors) != 1 || p.Errors[0].Code != stageindex.CodeRateLimited {
		t.Errorf("problem %+v", p)
	}
	// Probes and metrics are never limited.
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		for i := 0; i < 5; i++ {
			if resp, _ := do(t, s, path); resp.StatusCode != 200 {
				t.Errorf("%s after the limit: %d", path, resp.StatusCode)
			}
		}
	}
	_, metrics := do(t, s, "/metrics")
	if !strings.Contains(string(metrics), `stageindex_rate_limited_total{bucket="ip"} 1`) {
		t.Errorf("metrics do not count the 429:\n%s", metrics)
	}
}

func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	// app.Test's connections come from 0.0.0.0.
	trusted := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32"), netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		a, b    string // X-Forwarded-For of two clients
		shared  bool   // whether they share a bucket
	}{
		{"untrusted peer: header ignored", nil, "1.1.1.1", "2.2.2.2", true},
		{"trusted peer: one bucket per client", trusted, "1.1.1.1", "2.2.2.2", false},
		{"a client's own header is not believed", trusted, "9.9.9.9, 1.1.1.1", "8.8.8.8, 1.1.1.1", true},
		{"proxies in the chain are skipped", trusted, "1.1.1.1, 10.0.0.7", "1.1.1.1", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := serverWith(t, func(o *Options) { o.Limits = Limits{Rate: 0.1, Burst: 1, TrustedProxies: tc.trusted} })
			if resp, _ := do(t, s, "/api/v1/stats", "X-Forwarded-For: "+tc.a); resp.StatusCode != 200 {
				t.Fatalf("first client: %d", resp.StatusCode)
			}
			resp, _ := do(t, s, "/api/v1/stats", "X-Forwarded-For: "+tc.b)
			if got := resp.StatusCode == 429; got != tc.shared {
				t.Errorf("second client: %d, want shared bucket %v", resp.StatusCode, tc.shared)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	trusted, _ := ParseTrustedProxies("10.0.0.0/8, 192.168.1.1, ::1")
	a := netip.MustParseAddr
	tests := []struct {
		name string
		peer netip.Addr
		xff  []string
		want netip.Addr
	}{
		{"untrusted peer", a("203.0.113.5"), []string{"1.1.1.1"}, a("203.0.113.5")},
		{"trusted peer, one client", a("10.1.2.3"), []string{"1.1.1.1"}, a("1.1.1.1")},
		{"rightmost untrusted wins", a("10.1.2.3"), []string{"6.6.6.6, 1.1.1.1, 192.168.1.1"}, a("1.1.1.1")},
		{"several header lines", a("::1"), []string{"6.6.6.6", "1.1.1.1"}, a("1.1.1.1")},
		{"only proxies", a("10.1.2.3"), []string{"10.9.9.9"}, a("10.9.9.9")},
		{"no header", a("10.1.2.3"), nil, a("10.1.2.3")},
		{"garbage from a proxy", a("10.1.2.3"), []string{"1.1.1.1, unknown"}, a("10.1.2.3")},
		{"IPv4-mapped peer", a("::ffff:10.1.2.3"), []string{"2001:db8::1"}, a("2001:db8::1")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var xff [][]byte
			for _, h := range tc.xff {
				xff = append(xff, []byte(h))
			}
			if got := clientAddr(tc.peer, xff, trusted); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,nonsense"); err == nil {
		t.Error("ParseTrustedProxies accepted nonsense")
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	s := serverWith(t, func(o *Options) {
		o.Limits = Limits{Rate: 10, Burst: 10, MaxClients: 50, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}}
	})
	for i := 0; i < 500; i++ {
		if resp, _ := do(t, s, "/api/v1/openapi.json", fmt.Sprintf("X-Forwarded-For: 198.51.%d.%d", i/250, i%250)); resp.StatusCode != 200 {
			t.Fatalf("client %d: %d", i, resp.StatusCode)
		}
	}
	if n := s.limiter.buckets.Len(); n != 50 {
		t.Errorf("%d buckets kept for 500 clients, want the cap of 50", n)
	}
}

func TestConnectionsPerAddressAreCapped(t *testing.T) {
	s := serverWith(t, func(o *Options) { o.Limits = Limits{Rate: -1, MaxConnsPerIP: 2} })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	status := func(c net.Conn) int {
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0 // closed without an answer
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		want := 200
		if i == 2 {
			want = 429
		}
		if got := status(c); got != want {
			t.Errorf("connection %d: status %d, want %d", i+1, got, want)
		}
	}
}
