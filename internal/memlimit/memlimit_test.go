package memlimit

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
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
