package memlimit

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestTuneFollowsTheLiveHeap(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetMemoryLimit(-1 >> 1)
	small := Tune()
	live := make([][]byte, 0, 512)
	for i := 0; i < 512; i++ {
		live = append(live, make([]byte, 1<<20))
	}
	runtime.GC()
	big := Tune()
	runtime.KeepAlive(live)
	if small != floor || big < 512<<20 {
		t.Fatalf("limit %d with a small heap (want the floor %d), %d with 512 MB more live", small, floor, big)
	}
	if got := debug.SetMemoryLimit(-1); got != big {
		t.Fatalf("runtime limit %d, Tune said %d", got, big)
	}
}

// TestRunWidensTheHeadroomUntilLoaded checks that Run leaves a build
// loadingExtra above the live heap, and the usual extra once loaded.
func TestRunWidensTheHeadroomUntilLoaded(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetMemoryLimit(-1 >> 1)
	live := make([][]byte, 0, 512)
	for i := 0; i < 512; i++ {
		live = append(live, make([]byte, 1<<20))
	}
	runtime.GC()
	want := Tune() // extra above the live heap
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	loaded := make(chan struct{})
	done := make(chan struct{})
	go func() {
		Run(ctx, time.Hour, loaded)
		close(done)
	}()
	// limitNear waits until the runtime's limit is within 32 MB of w (the
	// live heap moves a little with the test's own allocations).
	limitNear := func(w int64) int64 {
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := debug.SetMemoryLimit(-1)
			if d := got - w; d > -32<<20 && d < 32<<20 || time.Now().After(deadline) {
				return got
			}
			time.Sleep(time.Millisecond)
		}
	}
	if got := limitNear(want + loadingExtra - extra); got < want+(loadingExtra-extra)-32<<20 {
		t.Fatalf("limit %d while loading, want about %d (the live heap plus %d MB)", got, want+loadingExtra-extra, loadingExtra>>20)
	}
	close(loaded)
	if got := limitNear(want); got > want+32<<20 {
		t.Fatalf("limit %d once loaded, want about %d", got, want)
	}
	cancel()
	<-done
	runtime.KeepAlive(live)
}

// The limit is headroom above the live heap, or above what the runtime
// cannot give back when that is more (fragmented spans, metadata): never
// one the runtime cannot meet.
func TestLimitForIsOneTheRuntimeCanMeet(t *testing.T) {
	const mb = 1 << 20
	live := int64(800 * mb)
	tests := []struct {
		name string
		m    memory
		want int64
	}{
		{"small heap: the floor", memory{live: 50 * mb, total: 120 * mb, objects: 60 * mb}, floor},
		{"by the live heap", memory{live: 800 * mb, total: 1000 * mb, released: 50 * mb, free: 60 * mb, objects: 820 * mb},
			int64(float64(live)*factor) + extra},
		// 500 MB live, 480 MB beside it in half-empty spans and
		// metadata: 980 MB stay whatever the collector does.
		{"fragmented: above what stays", memory{live: 500 * mb, total: 1100 * mb, released: 20 * mb, free: 80 * mb, objects: 520 * mb},
			980*mb + extra},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := limitFor(tc.m, extra); got != tc.want {
				t.Errorf("limit %d MB, want %d MB", got/mb, tc.want/mb)
			}
		})
	}
}

// Right after a collection, what the runtime holds is within the limit
// Tune sets, even with many half-empty spans.
func TestTuneIsAboveWhatARuntimeKeeps(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetMemoryLimit(-1 >> 1)
	// 600 MB of 64-byte objects of which one in eight is kept: spans stay
	// in use, mostly empty.
	all := make([][]byte, 0, 600<<20/64)
	for range cap(all) {
		all = append(all, make([]byte, 64))
	}
	var kept [][]byte
	for i := 0; i < len(all); i += 8 {
		kept = append(kept, all[i])
	}
	all = nil
	runtime.GC()
	limit := Tune()
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	held := int64(s[0].Value.Uint64() - s[1].Value.Uint64() - s[2].Value.Uint64())
	runtime.KeepAlive(kept)
	if held > limit {
		t.Fatalf("the runtime holds %d MB after a collection, above the limit %d MB", held>>20, limit>>20)
	}
}

func TestTuneLeavesAnOperatorsLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	if got := Tune(); got != 0 {
		t.Fatalf("Tune set %d despite GOMEMLIMIT", got)
	}
}

// gcPercent reads GOGC's current value.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestUntilLoadedPacesByTheLimitOnly(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit     int64
		wantWhile int
	}{
		{"under a memory limit", 512 << 20, -1},
		{"without one, nothing changes", math.MaxInt64, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(tc.limit))
			defer debug.SetGCPercent(debug.SetGCPercent(100))
			loaded := make(chan struct{})
			done := make(chan struct{})
			go func() {
				UntilLoaded(context.Background(), loaded)
				close(done)
			}()
			deadline := time.Now().Add(5 * time.Second)
			for gcPercent() != tc.wantWhile && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if got := gcPercent(); got != tc.wantWhile {
				t.Fatalf("GOGC %d while loading, want %d", got, tc.wantWhile)
			}
			close(loaded)
			<-done
			if got := gcPercent(); got != 100 {
				t.Errorf("GOGC %d once loaded, want 100 again", got)
			}
		})
	}
}
