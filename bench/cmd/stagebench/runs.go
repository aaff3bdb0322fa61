package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/stageindex/stageindex/api"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/internal/baseline"
	"github.com/stageindex/stageindex/search"
	"github.com/valyala/fasthttp"
)

// Names of the measured runs, as printed and as keys of results.Runs.
const (
	runSICold = "stageindex in-process, 1st pass"
	runSIWarm = "stageindex in-process, 2nd pass"
	runSIHTTP = "stageindex HTTP"
	runPGCold = "PostgreSQL (monstage), 1st pass"
	runPGWarm = "PostgreSQL (monstage), 2nd pass"
	runPGLoad = "PostgreSQL (monstage)"
)

// runBaseline sets the monstage schema up and replays the mix on it: two
// sequential passes on one connection, then a concurrent load run.
func runBaseline(ctx context.Context, cfg config, pg *pgEnv, qs []benchQuery, res *results) error {
	b := baseline.New(pg.pool)
	step("setting up the monstage baseline (tsvector + GIN, geography + GiST)")
	start := time.Now()
	if err := b.Setup(ctx); err != nil {
		return err
	}
	res.BaselineSetupSeconds = time.Since(start).Seconds()
	if _, err := pg.vacuum(ctx); err != nil {
		return err
	}
	now := time.Now()
	for p, name := range []string{runPGCold, runPGWarm} {
		step("PostgreSQL: %s over %d queries", name, len(qs))
		lat, wall, err := pass(ctx, len(qs), func(ctx context.Context, i int) error {
			q := qs[i].baselineQuery()
			q.Now = now
			r, err := b.Search(ctx, q)
			if err != nil {
				return fmt.Errorf("query %d: %w", i+1, err)
			}
			res.Queries[i].PGTotal = r.Total
			return nil
		})
		if err != nil {
			return err
		}
		res.Runs[name] = summarize(lat, wall, 0)
		for i, d := range lat {
			res.Queries[i].PGMs[p] = ms(d)
		}
	}
	if !cfg.pgLoad {
		return nil
	}
	step("PostgreSQL: %d connections for %s", cfg.conns, cfg.duration)
	lr := load(ctx, cfg.conns, cfg.duration, len(qs), func(ctx context.Context, i int) error {
		q := qs[i].baselineQuery()
		q.Now = now
		_, err := b.Search(ctx, q)
		return err
	})
	res.Runs[loadName(runPGLoad, cfg.conns)] = summarize(lr.lat, lr.wall, lr.errors)
	if lr.firstErr != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("PostgreSQL load: %d errors, first: %v", lr.errors, lr.firstErr))
	}
	return nil
}

func loadName(base string, conns int) string { return fmt.Sprintf("%s, %d conns", base, conns) }

// buildIndex measures indexer.Build from PostgreSQL, and the memory the
// index holds once built.
func buildIndex(ctx context.Context, pg *pgEnv, gaz *geo.Gazetteer, res *results) (*search.Index, error) {
	// What the import left behind must not count as the index's.
	debug.FreeOSMemory()
	var err error
	if res.MemBeforeBuild, err = measureMemory(); err != nil {
		return nil, err
	}
	if err := resetPeak(); err != nil {
		res.Notes = append(res.Notes, err.Error())
	}
	step("building the index from PostgreSQL")
	start := time.Now()
	ix, _, err := indexer.Build(ctx, pg.store, search.Config{CommuneOf: gaz.CommuneOf}, time.Now())
	if err != nil {
		return nil, err
	}
	res.Build = rate{Offers: ix.Len(), Seconds: time.Since(start).Seconds()}
	res.Build.fill()
	if res.MemAfterBuild, err = measureMemory(); err != nil {
		ix.Close()
		return nil, err
	}
	step("built %d offers in %.1f s, RSS %.0f MB", res.Build.Offers, res.Build.Seconds, res.MemAfterBuild.RSS)
	return ix, nil
}

// runInProcess replays the mix twice on the index: the first pass finds
// the search core's caches empty, the second finds them warm.
func runInProcess(ctx context.Context, ix *search.Index, qs []benchQuery, res *results) error {
	for p, name := range []string{runSICold, runSIWarm} {
		step("stageindex: %s over %d queries", name, len(qs))
		lat, wall, err := pass(ctx, len(qs), func(ctx context.Context, i int) error {
			r, err := ix.Search(ctx, qs[i].request())
			if err != nil {
				return fmt.Errorf("query %d: %w", i+1, err)
			}
			res.Queries[i].SITotal = r.Total
			res.Queries[i].SIRelaxed = r.Relaxed != nil
			return nil
		})
		if err != nil {
			return err
		}
		res.Runs[name] = summarize(lat, wall, 0)
		for i, d := range lat {
			res.Queries[i].SIMs[p] = ms(d)
		}
	}
	return nil
}

// runHTTP serves the index with the real API on loopback and loads it from
// cfg.conns keep-alive connections of a Go (fasthttp) client for
// cfg.duration.
func runHTTP(ctx context.Context, cfg config, ix *search.Index, gaz *geo.Gazetteer, qs []benchQuery, res *results) error {
	live := &search.Live{}
	if err := live.Swap(ix); err != nil {
		return err
	}
	// No per-client limits: the load comes from one address, and the bench
	// measures the search, not the limiter (docs/api.md measures that).
	srv := api.New(api.Options{Searcher: live, Places: gaz, Logger: quietLogger(), Limits: api.Limits{Rate: -1, MaxConnsPerIP: -1}})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("bench: http: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Listen(sctx, addr) }()
	defer func() { stop(); <-done }()

	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	if err := waitReady(ctx, "http://"+addr, client, done); err != nil {
		return err
	}
	// The load client shares the two cores with the server: it is
	// fasthttp's, with the URLs built beforehand, so that it takes as little
	// from the server as it can (net/http's took a tenth of the CPU).
	lc := &fasthttp.HostClient{Addr: addr, MaxConns: cfg.conns, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	defer lc.CloseIdleConnections()
	uris := make([]string, len(qs))
	for i := range qs {
		uris[i] = "http://" + addr + qs[i].path()
	}
	get := func(ctx context.Context, i int) error {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(uris[i])
		if err := lc.DoTimeout(req, resp, 30*time.Second); err != nil {
			return err
		}
		if resp.StatusCode() != fasthttp.StatusOK {
			return fmt.Errorf("%s: HTTP %d", uris[i], resp.StatusCode())
		}
		return nil
	}
	step("stageindex: HTTP, %d connections for %s", cfg.conns, cfg.duration)
	lr := load(ctx, cfg.conns, cfg.duration, len(qs), get)
	res.Runs[loadName(runSIHTTP, cfg.conns)] = summarize(lr.lat, lr.wall, lr.errors)
	if lr.firstErr != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("HTTP load: %d errors, first: %v", lr.errors, lr.firstErr))
	}
	if res.MemAfterHTTP, err = measureMemory(); err != nil {
		return err
	}
	// The index is closed by run; the Live must not close it first.
	return nil
}

// waitReady polls /healthz until the server answers.
func waitReady(ctx context.Context, base string, client *http.Client, done <-chan error) error {
	for range 100 {
		select {
		case err := <-done:
			return fmt.Errorf("bench: http server stopped: %w", err)
		default:
		}
		if resp, err := client.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("bench: http server at %s not answering", base)
}
