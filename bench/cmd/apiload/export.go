package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/api"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/indexer/importer"
	"github.com/stageindex/stageindex/search"
)

// export loads a corpus into an in-memory index, then exports all of it
// in each format over loopback HTTP, sampling the heap while it runs.
func export(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ExitOnError)
	corpus := fs.String("corpus", "../shared/bench/offers-100k.jsonl.gz", "offers in JSON lines")
	gogc := fs.Int("gogc", 10, "GOGC while exporting: low, so that the live heap is measured often and garbage does not pass for memory held")
	fs.Parse(args)
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		return err
	}
	in, err := importer.OpenInput(*corpus)
	if err != nil {
		return err
	}
	var offers []stageindex.Offer
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o stageindex.Offer
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			return err
		}
		offers = append(offers, o)
	}
	in.Close()
	// The corpus is published until 2026-11-20 for weeks from 2026-W50:
	// at this clock every offer is searchable.
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ix, err := search.New(search.Config{CommuneOf: gaz.CommuneOf, Now: func() time.Time { return now }})
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := ix.Apply(ctx, offers, nil); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d offers indexed in %.1f s\n\n", len(offers), time.Since(t0).Seconds())
	offers = nil
	live := &search.Live{}
	live.Swap(ix)
	srv := api.New(api.Options{Searcher: live, Places: gaz, Logger: quietLogger(), Limits: api.Limits{Rate: -1}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go srv.Serve(ctx, ln)
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "GOGC=%d while exporting; live heap: as measured by each garbage collection during the export.\n\n", *gogc)
	fmt.Fprintf(out, "| export | rows | bytes | time | CPU | live heap before | live heap peak during | allocated |\n|---|---|---|---|---|---|---|---|\n")
	debug.SetGCPercent(*gogc)
	var peakHeap atomic.Uint64
	for _, target := range []string{
		"/api/v1/offers/export?format=csv&remote=include",
		"/api/v1/offers/export?format=jsonl&remote=include",
		"/api/v1/offers/export?format=xlsx&remote=include",
		"/api/v1/offers/export?format=csv&where=Bretagne",
		"/api/v1/stats/export?format=csv",
		"/api/v1/stats/export?format=xlsx",
	} {
		runtime.GC()
		before := heapLive()
		peakHeap.Store(before)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		alloc0 := ms.TotalAlloc
		done := make(chan struct{})
		go func() {
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					if h := heapLive(); h > peakHeap.Load() {
						peakHeap.Store(h)
					}
				}
			}
		}()
		cpu0 := cpuTime()
		start := time.Now()
		resp, err := http.Get(base + target)
		if err != nil {
			return err
		}
		n, rows := countRows(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		cpu := cpuTime() - cpu0
		close(done)
		runtime.ReadMemStats(&ms)
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s: %d", target, resp.StatusCode)
		}
		rowText := strconv.Itoa(rows)
		if strings.Contains(target, "xlsx") {
			rowText = "(zip)"
		}
		fmt.Fprintf(out, "| %s | %s | %.1f MB | %.2f s | %.2f s | %.0f MB | %.0f MB | %.0f MB |\n", target[len("/api/v1/"):], rowText, float64(n)/1e6, took.Seconds(), cpu.Seconds(),
			float64(before)/1e6, float64(peakHeap.Load())/1e6, float64(ms.TotalAlloc-alloc0)/1e6)
	}
	return nil
}

// heapLive is the live heap as of the last garbage collection.
func heapLive() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// countRows reads a body and counts its line ends (rows of CSV and JSON
// lines; 0 for XLSX, a zip).
func countRows(r io.Reader) (int64, int) {
	buf := make([]byte, 64<<10)
	var n int64
	rows := 0
	for {
		k, err := r.Read(buf)
		n += int64(k)
		for _, b := range buf[:k] {
			if b == '\n' {
				rows++
			}
		}
		if err != nil {
			return n, rows
		}
	}
}

// cpuTime is the CPU this process used so far, user and system, the
// reader of the export included (it is a small part: a read loop).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
