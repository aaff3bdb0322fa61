// Command apiload measures what the public API's limits, compression and
// exports cost and allow (docs/api.md):
//
//	apiload pupils            what the search page sends per pupil, typed in
//	                          headless Chromium, then a class of 35 replayed
//	                          behind one address against each rate limit
//	apiload export -corpus F  export time and memory of every offer of F
//	apiload load -target URL  32 well-behaved clients, alone then beside one
//	                          abusive client at full speed, against a
//	                          separate stageindex serve
//	apiload rate -path P      the throughput of one endpoint of a running
//	                          server (e.g. /api/v1/stats)
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: apiload pupils|export|load|rate [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "pupils":
		err = pupils(ctx, os.Args[2:], os.Stdout)
	case "export":
		err = export(ctx, os.Args[2:], os.Stdout)
	case "load":
		err = load(ctx, os.Args[2:], os.Stdout)
	case "rate":
		err = rate(ctx, os.Args[2:], os.Stdout)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(1)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
