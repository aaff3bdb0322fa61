// Package memlimit keeps a server's resident memory near its live heap.
//
// With the default GOGC=100 the Go heap grows to twice the live data before
// a collection; for a search index whose live heap is 250 MB that is a
// 500 MB process for nothing. A soft memory limit a little above the live
// heap makes the collector run earlier instead. The live heap changes as the
// index grows, so the limit follows it.
package memlimit

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/CAFxX/gcnotifier"
)

// Headroom above the live heap: garbage of one busy second of searches,
// and factor times the live heap. factor was 1.15 while the offer store
// was on the heap (370 MB of a 1M index's 715 MB); with the store in its
// file (search/store.go) the live heap at 1M is ~330 MB, and 1.15 made
// the collector run so often that 32 connections got 2,989 q/s at p99
// 64 ms; 1.6 gives 4,549 q/s at p99 30.8 ms, 955 MB resident after the
// run (one run each, 2026-12-02). At 100k the floor is above both.
// The floor keeps the limit meaningful while the heap is still small, as
// during the first build, whose analysis garbage would otherwise double the
// process: the collector works harder instead. It is set so that a 100k
// index stays under 400 MB resident: the limit covers the Go runtime's
// memory only, and the binary and cgo allocations (H3) come on top.
//
// Until the first index is loaded (Run's loaded), the headroom is
// loadingExtra: a build turns over its analysis garbage far faster than
// searches do, and with 64 MB above a 1M build's live heap (less the
// runtime's own ~70 MB) the collector ran every half second, each time
// marking the whole heap: 534 collections and 39 % of the first build's
// CPU. The peak of a 1M build stays under its 1.5 GB target; at 100k the
// floor is above both.
const (
	factor       = 1.6
	extra        = 64 << 20
	loadingExtra = 192 << 20
	floor        = 360 << 20
)

// Tune sets the soft memory limit from the current live heap and returns
// it, or returns 0 and changes nothing when GOMEMLIMIT is set by the
// operator.
func Tune() int64 { return tune(extra) }

// tune is Tune with headroom above the live heap.
func tune(headroom int64) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	s := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}
	metrics.Read(s)
	var v [5]int64
	for i := range s {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		v[i] = int64(s[i].Value.Uint64())
	}
	limit := limitFor(memory{live: v[0], total: v[1], released: v[2], free: v[3], objects: v[4]}, headroom)
	debug.SetMemoryLimit(limit)
	return limit
}

// memory is what limitFor reads of the runtime's (runtime/metrics).
type memory struct {
	live     int64 // /gc/heap/live: marked by the last collection
	total    int64 // /memory/classes/total: all the runtime mapped
	released int64 // heap/released: returned to the OS
	free     int64 // heap/free: free spans the scavenger can return
	objects  int64 // heap/objects: live and not yet swept dead objects
}

// limitFor returns the limit for m: headroom above the live heap (times
// factor), and never less than extra above what no collection nor the
// scavenger can take back — the live heap, the unused part of its spans,
// stacks, the runtime's metadata (m.total - m.released - m.free - dead
// objects). A limit below that is one the runtime cannot meet: it then
// collects without pause, capped at half the CPU. Seen on an idle 1M
// `serve` after a reopen that reclassified every offer: one core busy
// marking 800 MB for 20 minutes, nothing else running. extra, not a
// build's wider headroom: with it, a 1M first build peaked at 1.58 GB
// instead of 1.49.
func limitFor(m memory, headroom int64) int64 {
	byLive := int64(float64(m.live)*factor) + headroom
	kept := m.total - m.released - m.free - m.objects + m.live
	return max(byLive, kept+extra, floor)
}

// Interval is how often Run retunes at the least.
const Interval = 2 * time.Second

// Run calls Tune after every garbage collection, and every interval,
// until ctx ends; until loaded is closed (nil: already), with the wider
// headroom of a build or a reopen.
//
// After every collection: a limit left below a growing live heap makes
// the collector run without pause. Retuned only every 2 s, a 1M reopen
// (whose heap grows by 100 MB a second) went through 24 collections, back
// to back, a quarter of its CPU, each with a goal below the heap it had
// just marked.
func Run(ctx context.Context, interval time.Duration, loaded <-chan struct{}) {
	gc := gcnotifier.New()
	defer gc.Close()
	t := time.NewTicker(interval)
	defer t.Stop()
	headroom := int64(loadingExtra)
	if loaded == nil {
		headroom = extra
	}
	for {
		tune(headroom)
		select {
		case <-ctx.Done():
			return
		case <-loaded:
			loaded, headroom = nil, extra
		case <-t.C:
		case <-gc.AfterGC():
		}
	}
}

// UntilLoaded turns the collector's proportional pacing (GOGC) off until
// loaded is closed or ctx ends, then turns it back on and returns the
// garbage to the OS. Meanwhile only the soft memory limit (Tune) starts a
// collection: a reopen or a first build allocates hundreds of megabytes
// it keeps, and collecting at every doubling of a small heap cost a
// tenth of a restart's CPU and a fifth of its time under load (paired).
// Without a memory limit it does nothing: the heap would be unbounded.
func UntilLoaded(ctx context.Context, loaded <-chan struct{}) {
	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		return
	}
	prev := debug.SetGCPercent(-1)
	select {
	case <-loaded:
	case <-ctx.Done():
	}
	debug.SetGCPercent(prev)
	debug.FreeOSMemory()
}
