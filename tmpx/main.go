package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/stageindex/stageindex/eval"
	"github.com/stageindex/stageindex/search"
)

func main() {
	ctx := context.Background()
	c, err := eval.LoadCorpus(ctx, "/work/shared/bench/offers-100k.jsonl.gz")
	if err != nil {
		panic(err)
	}
	thes, _ := search.LoadThesaurus()
	os.RemoveAll("/tmp/prof-ix")
	dir := ""
	if len(os.Args) > 1 {
		dir = "/tmp/prof-ix"
	}
	ix, _ := search.New(search.Config{Thesaurus: thes, Dir: dir})
	f, _ := os.Create("/tmp/build.prof")
	pprof.StartCPUProfile(f)
	t := time.Now()
	if err := ix.Apply(ctx, c.Offers, nil); err != nil {
		panic(err)
	}
	pprof.StopCPUProfile()
	fmt.Println("apply", time.Since(t))
	c = nil
	runtime.GC()
	hf, _ := os.Create("/tmp/heap.prof")
	pprof.WriteHeapProfile(hf)
	hf.Close()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("heap inuse MB", ms.HeapInuse>>20, "sys MB", ms.Sys>>20)
	if dir != "" {
		ix.Close()
		f2, _ := os.Create("/tmp/open.prof")
		pprof.StartCPUProfile(f2)
		t = time.Now()
		ix2, err := search.Open(search.Config{Thesaurus: thes, Dir: dir})
		pprof.StopCPUProfile()
		fmt.Println("open", time.Since(t), err, ix2.Len())
	}
}
