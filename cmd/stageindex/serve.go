package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stageindex/stageindex"
	"github.com/stageindex/stageindex/api"
	"github.com/stageindex/stageindex/geo"
	"github.com/stageindex/stageindex/indexer"
	"github.com/stageindex/stageindex/internal/demo"
	"github.com/stageindex/stageindex/migrations"
	"github.com/stageindex/stageindex/search"
)

func serve(ctx context.Context, cfg config, logger *slog.Logger) error {
	gaz, err := geo.LoadGazetteer()
	if err != nil {
		return err
	}
	thes, err := search.LoadThesaurus()
	if err != nil {
		return err
	}
	scfg := search.Config{CommuneOf: gaz.CommuneOf, Thesaurus: thes}
	live := &search.Live{}
	var status func() api.Status

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
		pool, err := connectPool(ctx, cfg.databaseURL)
		if err != nil {
			return err
		}
		defer pool.Close()
		if err := checkSchema(ctx, pool); err != nil {
			return err
		}
		st := indexer.NewStore(pool)
		status = func() api.Status { return api.Status{Mode: "database", Offers: lenOf(live), Connected: true} }
		go func() {
			start := time.Now()
			ix, wm, err := indexer.Build(ctx, st, scfg, time.Now())
			if err != nil {
				logger.Error("initial index build failed", "err", err)
				return
			}
			live.Swap(ix)
			logger.Info("index built", "offers", ix.Len(), "seconds", time.Since(start).Seconds(), "xmin", wm.XMin)
		}()
	}

	srv := api.New(api.Options{
		Searcher: live,
		Places:   gaz,
		Logger:   logger,
		Status:   status,
		Suggest: func(q string, limit int) (out []stageindex.Suggestion) {
			live.With(func(ix *search.Index) error { out = ix.Suggest(q, limit); return nil })
			return out
		},
		Stats: func() (st stageindex.Stats) {
			live.With(func(ix *search.Index) error { st = ix.Stats(); return nil })
			return st
		},
	})
	logger.Info("listening", "addr", cfg.addr)
	return srv.Listen(ctx, cfg.addr)
}

func lenOf(live *search.Live) int {
	if ix := live.Current(); ix != nil {
		return ix.Len()
	}
	return 0
}

func connectPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, url)
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
func checkSchema(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer conn.Release()
	return migrations.Check(ctx, conn.Conn())
}
