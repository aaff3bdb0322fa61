package search

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"
)

// BenchmarkOpen reopens an index on disk, as a restarted serve does:
// STAGEINDEX_BENCH_OPEN_DIR names one (the search directory of a data
// dir's generation, e.g. a 100k one; it is only read, unless a crash left
// it to repair), else the embedded demo offers are written to one first.
func BenchmarkOpen(b *testing.B) {
	thes, err := LoadThesaurus()
	if err != nil {
		b.Fatal(err)
	}
	dir := os.Getenv("STAGEINDEX_BENCH_OPEN_DIR")
	if dir == "" {
		offers := demoOffers(b)
		dir = filepath.Join(b.TempDir(), "index")
		ix, err := New(Config{Dir: dir, Thesaurus: thes})
		if err != nil {
			b.Fatal(err)
		}
		if err := ix.Apply(context.Background(), offers, nil); err != nil {
			b.Fatal(err)
		}
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	for b.Loop() {
		ix, err := Open(Config{Dir: dir, Thesaurus: thes})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		ix.Close()
		b.StartTimer()
	}
	// CPU, not only wall time: a restart on a loaded machine takes as
	// long as its CPU needs times the contention (Close included).
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	// What a reopened index holds: the live heap once collected, the
	// index open.
	b.StopTimer()
	ix, err := Open(Config{Dir: dir, Thesaurus: thes})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	b.ReportMetric(float64(sample[0].Value.Uint64())/(1<<20), "live-MB")
	runtime.KeepAlive(ix)
	ix.Close()
}

// cpuSeconds is the CPU this process has used, user and system.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
