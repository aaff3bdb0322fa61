package memlimit

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestTuneFollowsTheLiveHeap(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetMemoryLimit(-1 >> 1)
	small := Tune()
	live := make([][]byte, 0, 64)
	for i := 0; i < 64; i++ {
		live = append(live, make([]byte, 1<<20))
	}
	runtime.GC()
	big := Tune()
	runtime.KeepAlive(live)
	if small <= 0 || big < small+48<<20 {
		t.Fatalf("limit %d with a small heap, %d with 64 MB more live", small, big)
	}
	if got := debug.SetMemoryLimit(-1); got != big {
		t.Fatalf("runtime limit %d, Tune said %d", got, big)
	}
}

func TestTuneLeavesAnOperatorsLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	if got := Tune(); got != 0 {
		t.Fatalf("Tune set %d despite GOMEMLIMIT", got)
	}
}
