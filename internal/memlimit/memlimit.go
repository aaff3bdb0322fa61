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

// Headroom above the live heap: garbage of one busy second of searches.
// The floor keeps the limit meaningful while the heap is still small, as
// during the first build, whose analysis garbage would otherwise double the
// process: the collector works harder instead. It is set so that a 100k
// index stays under 400 MB resident: the limit covers the Go runtime's
// memory only, and the binary and cgo allocations (H3) come on top.
const (
	factor = 1.15
	extra  = 64 << 20
	floor  = 360 << 20
)

// Tune sets the soft memory limit from the current live heap and returns
// it, or returns 0 and changes nothing when GOMEMLIMIT is set by the
// operator.
func Tune() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	limit := max(int64(float64(s[0].Value.Uint64())*factor)+extra, floor)
	debug.SetMemoryLimit(limit)
	return limit
}

// Interval is how often Run retunes at the least.
const Interval = 2 * time.Second

// Run calls Tune after every garbage collection, and every interval,
// until ctx ends.
//
// After every collection: a limit left below a growing live heap makes
// the collector run without pause. Retuned only every 2 s, a 1M reopen
// (whose heap grows by 100 MB a second) went through 24 collections, back
// to back, a quarter of its CPU, each with a goal below the heap it had
// just marked.
func Run(ctx context.Context, interval time.Duration) {
	gc := gcnotifier.New()
	defer gc.Close()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		Tune()
		select {
		case <-ctx.Done():
			return
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
