// Command stageindex serves, migrates and imports "stage de 3e" offers.
//
//	stageindex serve              HTTP server (demo offers without DATABASE_URL)
//	stageindex migrate            apply the SQL migrations to DATABASE_URL
//	stageindex import FILE|-      upsert offers from JSON lines into DATABASE_URL
//	stageindex health [--ready]   probe a running server (exit 0 when healthy)
//	stageindex source install --view SCHEMA.VIEW --watch TABLE=ID_SQL…
//	stageindex source uninstall --view SCHEMA.VIEW
//	                              change capture on a platform's own tables
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/stageindex/stageindex/api"
	"github.com/stageindex/stageindex/indexer/source"
	"github.com/stageindex/stageindex/migrations"
	"github.com/stageindex/stageindex/web"
)

// config is parsed once here and passed down; every flag has an environment
// twin so that containers need no command line.
type config struct {
	addr              string
	metricsAddr       string // "" serves /metrics on addr
	drainTimeout      time.Duration
	dataDir           string
	databaseURL       string
	schema            string // stageindex's own PostgreSQL schema
	reconcileSchedule string // cron spec, "" disables
	retireSchedule    string
	rebuildSchedule   string
	pruneSchedule     string
	changeRetention   time.Duration
	pollInterval      time.Duration
	// source is a platform's view (schema.view) to sync from instead of
	// stageindex's offers table; "" for the table.
	source string
	// serve's limits (api.Limits) and partner keys
	rateLimit      float64
	rateBurst      int
	trustedProxies string
	maxConnsPerIP  int
	keysRefresh    time.Duration
	searchTimeout  time.Duration
	// the map's tiles, "" for none
	tilesURL         string
	tilesAttribution string
	// health only
	ready   bool
	timeout time.Duration
	// source install / uninstall
	view    string
	watches []source.Watch
	dryRun  bool
}

// commands are the binary's subcommands with their one-line summary, in
// the order usage lists them.
var commands = []struct{ name, args, summary string }{
	{"serve", "", "serve the search page and API (demo offers without DATABASE_URL)"},
	{"migrate", "", "apply the SQL migrations to DATABASE_URL"},
	{"import", " FILE", "upsert offers from JSON lines (.jsonl, .jsonl.gz, - for stdin)"},
	{"verify", "", "compare the index in --data-dir (no server running on it) with DATABASE_URL; exit 4 on any difference"},
	{"health", "", "GET /healthz (--ready: /readyz) of the server at --addr; exit 0 if it answers 200"},
	{"keys", " create|list|revoke", "manage partner keys of the API in DATABASE_URL (stageindex keys help)"},
	{"source install", " --view SCHEMA.VIEW --watch TABLE=ID_SQL…", "put change capture for serve --source on the tables a platform's view reads (docs/platforms.md)"},
	{"source uninstall", " --view SCHEMA.VIEW", "remove exactly what source install made"},
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{ReplaceAttr: cleanErrAttr}))
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
		usage(os.Stderr)
		return 2, errors.New("missing command")
	}
	cmd, args := args[0], args[1:]
	if cmd == "source" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = cmd+" "+args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		usage(os.Stdout)
		return 0, nil
	case "keys":
		return keysCommand(ctx, args, os.Stdout)
	}
	fs, cfg, err := newFlags(cmd)
	if err != nil {
		usage(os.Stderr)
		return 2, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return 2, err
	}
	switch cmd {
	case "serve":
		return 0, serve(ctx, *cfg, logger)
	case "migrate":
		return 0, migrate(ctx, *cfg, logger)
	case "import":
		if fs.NArg() != 1 {
			return 2, errors.New("usage: stageindex import FILE (.jsonl, .jsonl.gz or - for stdin)")
		}
		return importFile(ctx, *cfg, fs.Arg(0), logger)
	case "verify":
		return verify(ctx, *cfg)
	case "health":
		return health(ctx, *cfg)
	case "source install", "source uninstall":
		if fs.NArg() > 0 {
			return 2, fmt.Errorf("%s: unexpected argument %q", cmd, fs.Arg(0))
		}
		return sourceCommand(ctx, *cfg, cmd == "source install", logger)
	}
	return 2, fmt.Errorf("unknown command %q", cmd)
}

// newFlags returns the flag set of cmd, whose -h and --help print what
// the command does and its flags on stdout.
func newFlags(cmd string) (*flag.FlagSet, *config, error) {
	var summary string
	for _, c := range commands {
		if c.name == cmd {
			summary = "usage: stageindex " + c.name + " [flags]" + c.args + "\n\n" + c.summary + "\n\nflags:"
		}
	}
	if summary == "" {
		return nil, nil, fmt.Errorf("unknown command %q", cmd)
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(os.Stdout)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), summary)
		fs.PrintDefaults()
	}
	cfg := &config{}
	if cmd == "serve" || cmd == "health" {
		fs.StringVar(&cfg.addr, "addr", envOr("STAGEINDEX_ADDR", ":8080"), "listen address; health probes it (STAGEINDEX_ADDR)")
	}
	if cmd != "health" {
		fs.StringVar(&cfg.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (DATABASE_URL)")
		fs.StringVar(&cfg.schema, "schema", envOr("STAGEINDEX_SCHEMA", migrations.DefaultSchema),
			"PostgreSQL schema of stageindex's own tables, functions and change log (STAGEINDEX_SCHEMA)")
	}
	switch cmd {
	case "serve":
		// Environment values are read here, once, like the flags.
		poll, err := time.ParseDuration(envOr("STAGEINDEX_POLL_INTERVAL", "2s"))
		if err != nil {
			return nil, nil, fmt.Errorf("STAGEINDEX_POLL_INTERVAL: %w", err)
		}
		fs.StringVar(&cfg.dataDir, "data-dir", envOr("STAGEINDEX_DATA_DIR", ""), "directory of the index on disk; empty: in memory, rebuilt at each start (STAGEINDEX_DATA_DIR)")
		fs.StringVar(&cfg.metricsAddr, "metrics-addr", envOr("STAGEINDEX_METRICS_ADDR", ""),
			"listen address of /metrics alone, which --addr then does not serve; empty: /metrics on --addr (STAGEINDEX_METRICS_ADDR)")
		drain, err := time.ParseDuration(envOr("STAGEINDEX_DRAIN_TIMEOUT", api.DefaultDrainTimeout.String()))
		if err != nil {
			return nil, nil, fmt.Errorf("STAGEINDEX_DRAIN_TIMEOUT: %w", err)
		}
		fs.DurationVar(&cfg.drainTimeout, "drain-timeout", drain,
			"on SIGTERM, how long requests in flight may take to finish before the server exits (STAGEINDEX_DRAIN_TIMEOUT)")
		fs.StringVar(&cfg.reconcileSchedule, "reconcile-schedule", envSet("STAGEINDEX_RECONCILE_SCHEDULE", "@every 10m"),
			"cron spec of the pass repairing index drift, empty to disable (STAGEINDEX_RECONCILE_SCHEDULE)")
		fs.StringVar(&cfg.retireSchedule, "retire-schedule", envSet("STAGEINDEX_RETIRE_SCHEDULE", "15 3 * * *"),
			"cron spec of the pass dropping past offers, empty to disable (STAGEINDEX_RETIRE_SCHEDULE)")
		fs.StringVar(&cfg.rebuildSchedule, "rebuild-schedule", envSet("STAGEINDEX_REBUILD_SCHEDULE", ""),
			"cron spec of full rebuilds, empty for none; SIGHUP also rebuilds (STAGEINDEX_REBUILD_SCHEDULE)")
		retention, err := time.ParseDuration(envOr("STAGEINDEX_CHANGE_RETENTION", "168h"))
		if err != nil {
			return nil, nil, fmt.Errorf("STAGEINDEX_CHANGE_RETENTION: %w", err)
		}
		fs.StringVar(&cfg.pruneSchedule, "prune-schedule", envSet("STAGEINDEX_PRUNE_SCHEDULE", "@every 1h"),
			"cron spec of the pass deleting change-log rows older than --change-retention, empty to disable (STAGEINDEX_PRUNE_SCHEDULE)")
		fs.DurationVar(&cfg.changeRetention, "change-retention", retention,
			"how long the change log keeps a change; a replica down longer rebuilds, 0 keeps everything (STAGEINDEX_CHANGE_RETENTION)")
		fs.DurationVar(&cfg.pollInterval, "poll-interval", poll,
			"fallback poll period when notifications are lost (STAGEINDEX_POLL_INTERVAL)")
		fs.StringVar(&cfg.tilesURL, "tiles-url", envOr("STAGEINDEX_TILES_URL", web.DefaultTilesURL),
			"the map's tile URL template ({z}, {x}, {y}); the pages' CSP allows its host only; \"none\" for a map without tiles (STAGEINDEX_TILES_URL)")
		fs.StringVar(&cfg.tilesAttribution, "tiles-attribution", envOr("STAGEINDEX_TILES_ATTRIBUTION", web.DefaultTilesAttribution),
			"credit shown on the map for its tiles (STAGEINDEX_TILES_ATTRIBUTION)")
		if err := limitFlags(fs, cfg); err != nil {
			return nil, nil, err
		}
		fs.StringVar(&cfg.source, "source", envOr("STAGEINDEX_SOURCE", ""),
			"a platform's view SCHEMA.VIEW to build and sync from instead of stageindex's offers table; needs stageindex source install (STAGEINDEX_SOURCE)")
	case "verify":
		fs.StringVar(&cfg.dataDir, "data-dir", envOr("STAGEINDEX_DATA_DIR", ""), "directory of the index on disk (STAGEINDEX_DATA_DIR)")
		fs.StringVar(&cfg.source, "source", envOr("STAGEINDEX_SOURCE", ""), "the view the index was built from, if any (STAGEINDEX_SOURCE)")
	case "source install", "source uninstall":
		fs.StringVar(&cfg.view, "view", envOr("STAGEINDEX_SOURCE", ""), "the platform's view, SCHEMA.VIEW, as serve --source names it (STAGEINDEX_SOURCE)")
		fs.BoolVar(&cfg.dryRun, "dry-run", false, "check everything and print the SQL, then roll back")
		if cmd == "source install" {
			fs.Func("watch", "TABLE=ID_SQL: a table the view reads and the ids of the view rows a changed row r makes, e.g. internship_offers='ms3-' || r.id; ID_SQL * when a change may touch every offer (the sync reconciles the whole view). Repeat for every table", func(v string) error {
				w, err := source.ParseWatch(v)
				if err == nil {
					cfg.watches = append(cfg.watches, w)
				}
				return err
			})
		}
	case "health":
		fs.BoolVar(&cfg.ready, "ready", false, "probe /readyz (index loaded) instead of /healthz (process up)")
		fs.DurationVar(&cfg.timeout, "timeout", 3*time.Second, "give up after this long")
	}
	return fs, cfg, nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: stageindex COMMAND [flags]\n\ncommands:")
	for _, c := range commands {
		if u := c.name + c.args; len(u) <= 14 {
			fmt.Fprintf(w, "  %-14s %s\n", u, c.summary)
		} else {
			fmt.Fprintf(w, "  %s\n  %-14s %s\n", u, "", c.summary)
		}
	}
	fmt.Fprintln(w, `
stageindex COMMAND --help lists the command's flags; each flag has an
environment twin (--addr STAGEINDEX_ADDR, --database-url DATABASE_URL, …).
serve rebuilds the index from the database on SIGHUP.`)
}

// envSet is the value of key when it is set, even to "" (a schedule
// disabled as an empty flag disables it), else def.
func envSet(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
