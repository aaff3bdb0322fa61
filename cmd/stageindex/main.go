// Command stageindex serves, migrates and imports "stage de 3e" offers.
//
//	stageindex serve              HTTP server (demo offers without DATABASE_URL)
//	stageindex migrate            apply the SQL migrations to DATABASE_URL
//	stageindex import FILE|-      upsert offers from JSON lines into DATABASE_URL
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// config is parsed once here and passed down; every flag has an environment
// twin so that containers need no command line.
type config struct {
	addr              string
	dataDir           string
	databaseURL       string
	reconcileSchedule string // cron spec, "" disables
	retireSchedule    string
	rebuildSchedule   string
	pollInterval      time.Duration
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], logger)
	if err != nil {
		logger.Error("stageindex failed", "err", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func run(ctx context.Context, args []string, logger *slog.Logger) (int, error) {
	if len(args) == 0 {
		usage()
		return 2, errors.New("missing command")
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var cfg config
	fs.StringVar(&cfg.addr, "addr", envOr("STAGEINDEX_ADDR", ":8080"), "listen address (STAGEINDEX_ADDR)")
	fs.StringVar(&cfg.dataDir, "data-dir", envOr("STAGEINDEX_DATA_DIR", ""), "directory of the index on disk (STAGEINDEX_DATA_DIR)")
	fs.StringVar(&cfg.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&cfg.reconcileSchedule, "reconcile-schedule", envOr("STAGEINDEX_RECONCILE_SCHEDULE", "@every 10m"),
		"cron spec of the pass repairing index drift, empty to disable (STAGEINDEX_RECONCILE_SCHEDULE)")
	fs.StringVar(&cfg.retireSchedule, "retire-schedule", envOr("STAGEINDEX_RETIRE_SCHEDULE", "15 3 * * *"),
		"cron spec of the pass dropping past offers, empty to disable (STAGEINDEX_RETIRE_SCHEDULE)")
	fs.StringVar(&cfg.rebuildSchedule, "rebuild-schedule", envOr("STAGEINDEX_REBUILD_SCHEDULE", ""),
		"cron spec of full rebuilds, empty for none; SIGHUP also rebuilds (STAGEINDEX_REBUILD_SCHEDULE)")
	poll, err := time.ParseDuration(envOr("STAGEINDEX_POLL_INTERVAL", "2s"))
	if err != nil {
		return 2, fmt.Errorf("STAGEINDEX_POLL_INTERVAL: %w", err)
	}
	fs.DurationVar(&cfg.pollInterval, "poll-interval", poll,
		"fallback poll period when notifications are lost (STAGEINDEX_POLL_INTERVAL)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	switch cmd {
	case "serve":
		return 0, serve(ctx, cfg, logger)
	case "migrate":
		return 0, migrate(ctx, cfg, logger)
	case "import":
		if fs.NArg() != 1 {
			return 2, errors.New("usage: stageindex import FILE (.jsonl, .jsonl.gz or - for stdin)")
		}
		return importFile(ctx, cfg, fs.Arg(0), logger)
	case "help", "-h", "--help":
		usage()
		return 0, nil
	}
	usage()
	return 2, fmt.Errorf("unknown command %q", cmd)
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: stageindex COMMAND [flags]

commands:
  serve           serve the search page and API (demo offers without DATABASE_URL)
  migrate         apply the SQL migrations to DATABASE_URL
  import FILE     upsert offers from JSON lines (.jsonl, .jsonl.gz, - for stdin)

flags: --addr (STAGEINDEX_ADDR, default :8080), --data-dir (STAGEINDEX_DATA_DIR),
       --database-url (DATABASE_URL),
       --reconcile-schedule (STAGEINDEX_RECONCILE_SCHEDULE, default "@every 10m"),
       --retire-schedule (STAGEINDEX_RETIRE_SCHEDULE, default "15 3 * * *"),
       --rebuild-schedule (STAGEINDEX_REBUILD_SCHEDULE, default none),
       --poll-interval (STAGEINDEX_POLL_INTERVAL, default 2s)
serve rebuilds the index from the database on SIGHUP.`)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
