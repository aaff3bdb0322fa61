package api

import (
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stageindex/stageindex/bench/querymix"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/internal/demo"
	"github.com/stageindex/stageindex/search"
)

// BenchmarkServeSearch sends searches of 30 hits through the whole
// server handler — router, middleware, search, page, encoding and gzip,
// as a browser asks for it — without a socket: what a `serve` process
// spends on a request, but for the network.
//
// By default it searches the demo offers with queries made from them as
// deploy/local makes them for a corpus without a query file: around an
// offer, a word of its title or none (one in three), radii from 5 to 60
// km. STAGEINDEX_BENCH_OPEN_DIR names an index on disk to open instead
// (the search directory of a data dir's generation, only read), and
// STAGEINDEX_BENCH_QUERIES a query mix (../shared/bench/queries-1k.jsonl):
// the capacity run's load, in process.
func BenchmarkServeSearch(b *testing.B) {
	var s *Server
	if dir := os.Getenv("STAGEINDEX_BENCH_OPEN_DIR"); dir != "" {
		s = openBenchServer(b, dir)
	} else {
		s = newTestServerF(b)
	}
	targets := demoTargets(b)
	if path := os.Getenv("STAGEINDEX_BENCH_QUERIES"); path != "" {
		qs, err := querymix.Read(path)
		if err != nil {
			b.Fatal(err)
		}
		targets = targets[:0]
		for _, q := range qs {
			targets = append(targets, q.Path(30))
		}
	}
	// fresh builds every page (pages.go's kept pages off), as a search
	// not sent within the minute; kept sends the pages kept by the
	// first pass, as the capacity run's repeats.
	for _, kept := range []bool{false, true} {
		name := "fresh"
		if kept {
			name = "kept"
		}
		b.Run(name, func(b *testing.B) {
			pages := s.pages
			if !kept {
				s.pages = nil
			}
			defer func() { s.pages = pages }()
			serveSearches(b, s, targets)
		})
	}
}

// serveSearches is BenchmarkServeSearch's loop over targets.
func serveSearches(b *testing.B, s *Server, targets []string) {
	handler := s.App().Server().Handler
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	var bytesOut int
	send := func(target string) {
		req.Reset()
		ctx.Response.Reset()
		req.SetRequestURI(target)
		req.Header.Set("Accept-Encoding", "gzip")
		ctx.Init(&req, addr, nil)
		handler(&ctx)
		if ctx.Response.StatusCode() != fasthttp.StatusOK {
			b.Fatalf("%s: status %d: %s", target, ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	// A first pass fills the text caches: the capacity run replays the
	// mix dozens of times, steady state is what it measures.
	for _, t := range targets {
		send(t)
	}
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	i := 0
	for b.Loop() {
		send(targets[i%len(targets)])
		bytesOut += len(ctx.Response.Body())
		i++
	}
	// The process's CPU, the collector's included, as a server's
	// utime+stime per request counts it.
	b.ReportMetric((cpuSeconds()-cpu0)*1e6/float64(i), "cpu-µs/op")
	b.ReportMetric(float64(bytesOut)/float64(i), "gzip-bytes/op")
}

// cpuSeconds is the CPU this process has used, user and system.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// demoTargets are 200 searches around demo offers.
func demoTargets(b *testing.B) []string {
	offers, err := demo.Offers(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	radii := []int{5, 10, 10, 20, 30, 60}
	var targets []string
	for i, o := range offers {
		if o.Latitude == nil || len(targets) == 200 || i%16 != 0 {
			continue
		}
		v := url.Values{}
		if n := len(targets); n%3 != 0 {
			words := strings.Fields(strings.ToLower(o.Title))
			v.Set("q", words[n%len(words)])
		}
		v.Set("lat", strconv.FormatFloat(*o.Latitude, 'f', 5, 64))
		v.Set("lng", strconv.FormatFloat(*o.Longitude, 'f', 5, 64))
		v.Set("radius_km", strconv.Itoa(radii[len(targets)%len(radii)]))
		v.Set("per_page", "30")
		targets = append(targets, "/api/v1/offers?"+v.Encode())
	}
	return targets
}

// benchServer is the server of openBenchServer, opened once per test
// binary (a -count run reuses it).
var benchServer struct {
	once sync.Once
	s    *Server
	err  error
}

// openBenchServer serves the index in dir, opened as serve opens it.
func openBenchServer(b *testing.B, dir string) *Server {
	benchServer.once.Do(func() { benchServer.s, benchServer.err = openServer(dir) })
	if benchServer.err != nil {
		b.Fatal(benchServer.err)
	}
	return benchServer.s
}

func openServer(dir string) (*Server, error) {
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		return nil, err
	}
	thes, err := search.LoadThesaurus()
	if err != nil {
		return nil, err
	}
	// Never closed: it lives as long as the test binary.
	ix, err := search.Open(search.Config{Dir: dir, CommuneOf: gaz.CommuneOf, Thesaurus: thes})
	if err != nil {
		return nil, err
	}
	live := &search.Live{}
	live.Swap(ix)
	return New(Options{Searcher: live, Places: gaz, Logger: discardLogger(), Limits: Limits{Rate: -1}, SearchTimeout: -1}), nil
}
