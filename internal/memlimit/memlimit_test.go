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

func TestTuneLeavesAnOperatorsLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	if got := Tune(); got != 0 {
		t.Fatalf("Tune set %d despite GOMEMLIMIT", got)
	}
}
