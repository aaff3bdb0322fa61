package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex/api"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/internal/demo"
	"github.com/stageindex/stageindex/internal/memlimit"
	"github.com/stageindex/stageindex/keys"
	"github.com/stageindex/stageindex/migrations"
	"github.com/stageindex/stageindex/search"
	"github.com/stageindex/stageindex/web"
)

func serve(ctx context.Context, cfg config, logger *slog.Logger) error {
	limits, err := cfg.limits()
	if err != nil {
		return err
	}
	// Keep resident memory near the live heap, from the first build on;
	// until the first index is loaded, only that limit starts a
	// collection (memlimit.UntilLoaded).
	memlimit.Tune()
	live := &search.Live{Warm: true}
	go memlimit.Run(ctx, memlimit.Interval, live.Loaded())
	go memlimit.UntilLoaded(ctx, live.Loaded())
	// A sync that cannot run at all (unusable data dir) stops the server.
	parent := ctx
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	// One server per data dir: a second one stops here, at once.
	if cfg.dataDir != "" {
		unlock, err := indexer.LockDataDir(cfg.dataDir)
		if err != nil {
			return err
		}
		defer unlock()
		// The index's segment pages a build, merge or reopen read leave
		// the resident set (internal/memlimit/mapped.go).
		go memlimit.ReleaseMappedEvery(ctx, cfg.dataDir, ".zap", memlimit.ReleaseInterval, live.Loaded(), func(err error) {
			logger.Warn("releasing the index's mapped pages", "err", err)
		})
	}
	// Bound first: a taken port fails at once, and "listening" below is
	// only logged once connections are accepted.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	var metricsLn net.Listener
	if cfg.metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.metricsAddr); err != nil {
			return fmt.Errorf("listen on --metrics-addr: %w", err)
		}
		defer metricsLn.Close()
	}
	// The thesaurus (a third of a second of one core) and the gazetteer
	// (a tenth) are built once per process, off a restart's path: the
	// reopen waits for the thesaurus only at its end (search.Open), and
	// only a write needs the gazetteer, for its offers' communes. Both
	// are embedded and checked by tests: their errors are for form.
	go search.LoadThesaurus()
	gazetteer := sync.OnceValues(geo.LoadGazetteer)
	go gazetteer()
	scfg := search.Config{CommuneOf: func(zip, city string) (string, bool) {
		g, err := gazetteer()
		if err != nil {
			return "", false
		}
		return g.CommuneOf(zip, city)
	}}
	// A bad --tiles-url fails at once, before any index is built.
	tiles := cfg.tilesURL
	if tiles == "none" {
		tiles = ""
	}
	site, err := web.New(web.Options{Searcher: live, TilesURL: tiles, TilesAttribution: cfg.tilesAttribution, BrotliAfter: live.Loaded()})
	if err != nil {
		return err
	}
	var status func() api.Status
	var partnerKeys api.Keys // none in demo mode
	var syncer *runningSync

	if cfg.databaseURL == "" {
		logger.Warn("DEMO MODE: DATABASE_URL is not set, serving the embedded demo offers")
		offers, err := demo.Offers(time.Now())
		if err != nil {
			return err
		}
		ix, err := search.New(scfg)
		if err != nil {
			return err
		}
		if err := ix.Apply(ctx, offers, nil); err != nil {
			return err
		}
		live.Swap(ix)
		status = func() api.Status { return api.Status{Mode: "demo", Offers: ix.Len(), Connected: false} }
	} else {
		pcfg, err := migrations.PoolConfig(cfg.databaseURL, cfg.schema)
		if err != nil {
			return err
		}
		if cfg.source != "" {
			if err := indexer.ValidSourceName(cfg.source); err != nil {
				return err
			}
		}
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			return fmt.Errorf("database: %w", err)
		}
		defer pool.Close()
		// With an index on disk, serve it even if PostgreSQL is down now:
		// the sync connects (and its first poll reads the schema) later.
		if err := pool.Ping(ctx); err != nil && cfg.dataDir != "" {
			logger.Warn("PostgreSQL unreachable at start: serving the index on disk, syncing once it is back", "err", err)
		} else if err != nil {
			return fmt.Errorf("database: %w", err)
		} else if err := checkSchema(ctx, pool, cfg.schema); err != nil {
			return err
		}
		st := indexer.NewStore(pool)
		if cfg.source != "" {
			if st, err = indexer.NewViewStore(pool, cfg.source, logger); err != nil {
				return err
			}
			// Refused only when the database answers: with it down, the
			// index on disk serves and the sync reads the view later.
			if err := st.Check(ctx); err != nil && pool.Ping(ctx) == nil {
				return err
			}
			logger.Info("syncing from a platform's view", "source", cfg.source)
		}
		reg := keys.NewRegistry(keys.NewStore(pool))
		if err := reg.Refresh(ctx); err != nil {
			// Until a refresh succeeds, a request with a key gets a 503,
			// never an anonymous answer.
			logger.Warn("partner keys not loaded, retrying", "err", err)
		}
		go reg.Run(ctx, cfg.keysRefresh, logger)
		partnerKeys = reg
		syncer, err = startSync(ctx, cancel, cfg, st, scfg, live, logger)
		if err != nil {
			return err
		}
		status = syncer.status
	}

	gaz, err := gazetteer()
	if err != nil {
		return err
	}
	srv := api.New(api.Options{
		Searcher: live,
		Places:   gaz,
		Logger:   logger,
		Status:   status,
		Static:   site.Mount,
		Limits:   limits,
		Keys:     partnerKeys,

		SearchTimeout: cfg.searchTimeout,
		DrainTimeout:  cfg.drainTimeout,
		MetricsApart:  metricsLn != nil,
	})
	metricsDone := make(chan error, 1)
	if metricsLn != nil {
		go func() { metricsDone <- srv.ServeMetrics(ctx, metricsLn) }()
		logger.Info("metrics listening", "addr", metricsLn.Addr().String())
	} else {
		metricsDone <- nil
	}
	logger.Info("listening", "addr", ln.Addr().String())
	var stopping time.Time
	logged := make(chan struct{})
	stopLog := context.AfterFunc(ctx, func() {
		defer close(logged)
		stopping = time.Now()
		logger.Info("shutting down", "cause", context.Cause(ctx).Error())
	})
	err = srv.Serve(ctx, ln)
	if stopLog() {
		stopping = time.Now() // the server stopped on its own (err)
	} else {
		<-logged
	}
	cancel(nil)
	if merr := <-metricsDone; err == nil && merr != nil {
		err = merr
	}
	if syncer != nil {
		syncer.wait()
	}
	// Server and sync have stopped: nothing uses the index any more.
	if ix := live.Current(); ix != nil {
		ix.Close()
	}
	// Our own cancel(nil) gives context.Canceled; a signal is the parent's.
	if cause := context.Cause(ctx); err == nil && cause != context.Canceled && cause != context.Cause(parent) {
		err = cause
	}
	logger.Info("stopped", "seconds", time.Since(stopping).Seconds())
	return err
}

func connectPool(ctx context.Context, url, schema string) (*pgxpool.Pool, error) {
	cfg, err := migrations.PoolConfig(url, schema)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return pool, nil
}

// checkSchema refuses to serve from a database whose schema this binary
// does not know: "run stageindex migrate" is a better message than a failed
// query later.
func checkSchema(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer conn.Release()
	return migrations.Check(ctx, conn.Conn(), schema)
}
